//! Protocol v2: JSON text frames over WebSocket between a console and a control plane.
//! Events carry the fixture's record objects unchanged, so a recording is a fixture.
//! docs/protocol.md is the reference.

use serde::{Deserialize, Serialize};

use crate::core::command::Command;
use crate::core::command::Role;
pub use crate::core::exercise::Upcoming;
use crate::core::plan::PlanSpec;
use crate::core::time::Offset;

/// The protocol version this build speaks.
pub const PROTOCOL: &str = "2.2";
/// Largest message accepted either way (a frame or a reassembled message).
pub const MAX_MESSAGE: usize = 1 << 20;
/// Longest part of a state image after a snapshot hello (the image's text is split into
/// parts so that every message stays well within [`MAX_MESSAGE`]).
pub const IMAGE_PART: usize = 512 << 10;

/// Console → control plane.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMsg {
    Hello {
        protocol: String,
        client: String,
        actor: String,
        role: Role,
        /// The last event sequence number this console applied; events after it are replayed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        resume_after: Option<u64>,
        /// The session those numbers belong to (from the server's hello).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session: Option<String>,
        /// Credentials (a bearer token); never logged.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
    },
    Command(Command),
    Heartbeat {
        seq: u64,
    },
}

/// Control plane → console.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[allow(clippy::large_enum_variant)] // hello is sent once per connection; boxing buys nothing
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ServerMsg {
    Hello {
        protocol: String,
        server: String,
        /// Identifies this run of the control plane: a new id means sequence numbers restarted.
        session: String,
        /// The role granted (an observer token never gets commander).
        role: Role,
        /// The plan, in the shape of a fixture header's `rollout`.
        rollout: PlanSpec,
        /// The newest sequence number at the time of the hello.
        seq: u64,
        /// The control plane's clock: the rollout's time now, and how many rollout seconds
        /// pass per wall second (1 live; more in a sped-up demo). Consoles run their clock from it.
        now: Offset,
        speed: f64,
        /// `resume`: the events after the console's `resume_after` follow. `snapshot`: that far
        /// back is gone (or this is a new session): the state's image follows in `image`
        /// messages of `image_bytes` in all, then the events after `seq`.
        mode: Resume,
        /// Length of the state image's text (only with `mode: snapshot`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        image_bytes: Option<usize>,
    },
    /// A part of the state image announced by a snapshot hello, in order.
    Image {
        part: String,
    },
    Event {
        seq: u64,
        /// The record, exactly as a fixture line would hold it.
        record: serde_json::Value,
    },
    Heartbeat {
        seq: u64,
        now: Offset,
    },
    /// An exercise's clock (protocol 2.2): after the hello of a control plane that plays a
    /// fixture, and whenever the facilitator moves the clock or an inject comes out. Consoles
    /// run their clock from it. `injects` lists what is still to come, to the facilitator's
    /// seat only (empty for every other seat).
    Exercise {
        now: Offset,
        speed: f64,
        paused: bool,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        injects: Vec<Upcoming>,
    },
    Error {
        code: ErrorCode,
        message: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resume {
    Resume,
    Snapshot,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Not JSON, or not a message of this protocol.
    BadMessage,
    /// Over [`MAX_MESSAGE`].
    TooLarge,
    UnsupportedVersion,
    /// Credentials missing or unknown.
    Unauthorized,
    /// An observer sent a command.
    Forbidden,
    /// The first message was not a hello.
    NoHello,
    /// The command cannot be recorded (the journal's disk is full, a write failed): it was
    /// not applied.
    Unavailable,
}

/// Longest `token` in a hello, in bytes.
pub const MAX_TOKEN_BYTES: usize = 1024;

/// Reads a console's message as the control plane takes it: JSON of this protocol, no key
/// set to `null` (an optional key is left out, never null), and every key within its limit
/// (see [`Command::check_limits`]). Nothing that fails here is recorded.
///
/// # Errors
/// What is wrong, naming the key.
pub fn read_client(text: &str) -> Result<ClientMsg, String> {
    if text.contains("null") {
        if let Some(key) = null_key(text) {
            return Err(format!(
                "`{key}` is null: leave an optional key out instead"
            ));
        }
    }
    let msg: ClientMsg = serde_json::from_str(text).map_err(|e| e.to_string())?;
    match &msg {
        ClientMsg::Command(c) => c.check_limits()?,
        ClientMsg::Hello {
            client,
            actor,
            session,
            token,
            ..
        } => {
            use crate::core::command::{within_bytes, MAX_NAME_BYTES};
            within_bytes("client", Some(client), MAX_NAME_BYTES)?;
            within_bytes("actor", Some(actor), MAX_NAME_BYTES)?;
            within_bytes("session", session.as_deref(), MAX_NAME_BYTES)?;
            within_bytes("token", token.as_deref(), MAX_TOKEN_BYTES)?;
        }
        ClientMsg::Heartbeat { .. } => {}
    }
    Ok(msg)
}

/// The first top-level key whose value is `null`, if the text is a JSON object.
fn null_key(text: &str) -> Option<String> {
    let serde_json::Value::Object(map) = serde_json::from_str(text).ok()? else {
        return None;
    };
    map.into_iter()
        .find(|(_, v)| v.is_null())
        .map(|(k, _)| crate::core::sanitize::sanitize(&k).into())
}
