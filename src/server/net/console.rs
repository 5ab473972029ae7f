//! One console's connection: the upgrade, the hello, the catch-up (events or a state image),
//! then events, heartbeats and its commands until it goes away.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

use crate::core::command::Role;
use crate::core::sanitize::sanitize;
use crate::format::protocol::{
    read_client, ClientMsg, ErrorCode, Resume, ServerMsg, IMAGE_PART, MAX_MESSAGE, PROTOCOL,
};

use super::super::event_log::{CatchUp, Published};
use super::super::tokens::Grant;
use super::edge::Limits;
use super::http::{http, read_head, Prefixed, HEAD_WITHIN};
use super::{ControlPlane, CHUNK, HEARTBEAT, IDLE_LIMIT};

/// Plain HTTP for `/metrics` and `/healthz`; a WebSocket console otherwise.
pub(super) async fn connection(
    mut stream: TcpStream,
    plane: Arc<ControlPlane>,
    limits: Limits,
) -> std::io::Result<()> {
    let Some(head) = read_head(&mut stream).await? else {
        return Ok(());
    };
    if !head.upgrade {
        return tokio::time::timeout(limits.send_within, http(stream, &head, &plane))
            .await
            .unwrap_or(Ok(()));
    }
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE));
    let stream = Prefixed {
        prefix: head.bytes,
        at: 0,
        inner: stream,
    };
    let handshake = tokio_tungstenite::accept_async_with_config(stream, Some(config));
    let Ok(Ok(ws)) = tokio::time::timeout(HEAD_WITHIN, handshake).await else {
        return Ok(());
    };
    let mut conn = Conn {
        ws,
        within: limits.send_within,
        stalled: false,
    };
    console(&mut conn, &plane).await;
    if conn.stalled {
        plane.edge.dropped_slow();
    }
    Ok(())
}

type Ws = tokio_tungstenite::WebSocketStream<Prefixed>;

/// `text` in pieces of at most `max` bytes, cut on character boundaries.
fn split_text(text: &str, max: usize) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut cut = rest.len().min(max.max(4));
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (head, tail) = rest.split_at(cut);
        rest = tail;
        Some(head)
    })
}

/// A console's WebSocket, every write to it bounded in time.
struct Conn {
    ws: Ws,
    /// How long one write may wait on a socket that takes nothing.
    within: Duration,
    /// A write waited that long: the console stopped reading.
    stalled: bool,
}

impl Conn {
    /// Sends one text message: false once the console is gone or stopped reading.
    async fn text(&mut self, text: String) -> bool {
        if let Ok(sent) = tokio::time::timeout(self.within, self.ws.send(Message::text(text))).await
        {
            sent.is_ok()
        } else {
            self.stalled = true;
            false
        }
    }

    /// Sends published events as one write: each is queued, then the socket is flushed
    /// once (a hundred consoles at 1,000 events/s would otherwise be 100,000 writes a
    /// second). `sent` follows the newest one handed over. False as for [`Conn::text`].
    async fn events(&mut self, batch: Vec<Published>, sent: &mut u64) -> bool {
        for p in batch {
            *sent = p.seq;
            match tokio::time::timeout(self.within, self.ws.feed(Message::Text(p.message))).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => return false,
                Err(_) => {
                    self.stalled = true;
                    return false;
                }
            }
        }
        if let Ok(flushed) = tokio::time::timeout(self.within, self.ws.flush()).await {
            flushed.is_ok()
        } else {
            self.stalled = true;
            false
        }
    }

    async fn send(&mut self, msg: &ServerMsg) -> bool {
        match serde_json::to_string(msg) {
            Ok(text) => self.text(text).await,
            Err(_) => false,
        }
    }

    /// Says why, then closes (neither waits longer than a write may).
    async fn refuse(&mut self, code: ErrorCode, message: &str) {
        let error = ServerMsg::Error {
            code,
            message: message.to_string(),
        };
        if self.send(&error).await {
            let _ = tokio::time::timeout(self.within, self.ws.close(None)).await;
        }
    }
}

/// One console: hello, catch-up, then events, heartbeats and commands until it goes away.
#[expect(
    clippy::too_many_lines,
    reason = "one console from hello to goodbye: the catch-up, then one select over events, heartbeats and its messages"
)]
async fn console(conn: &mut Conn, plane: &Arc<ControlPlane>) {
    // The first message must be a hello.
    let first = tokio::time::timeout(IDLE_LIMIT, conn.ws.next()).await;
    let Ok(Some(Ok(Message::Text(text)))) = first else {
        return conn
            .refuse(ErrorCode::NoHello, "the first message must be a hello")
            .await;
    };
    let (protocol, role, resume_after, session, token) = match read_client(&text) {
        Ok(ClientMsg::Hello {
            protocol,
            role,
            resume_after,
            session,
            token,
            ..
        }) => (protocol, role, resume_after, session, token),
        Ok(_) => {
            return conn
                .refuse(ErrorCode::NoHello, "the first message must be a hello")
                .await
        }
        Err(e) => {
            let why = format!("the first message must be a hello ({})", sanitize(&e));
            return conn.refuse(ErrorCode::NoHello, &why).await;
        }
    };
    if protocol.split('.').next() != PROTOCOL.split('.').next() {
        return conn
            .refuse(
                ErrorCode::UnsupportedVersion,
                &format!("this control plane speaks {PROTOCOL}, not {protocol}"),
            )
            .await;
    }
    let Some(Grant { role, seat }) = plane.tokens.grant(token.as_deref(), role) else {
        return conn
            .refuse(ErrorCode::Unauthorized, "unknown or missing token")
            .await;
    };
    let resume_after = if session.as_deref() == Some(plane.session.as_str()) {
        resume_after
    } else {
        None
    };
    let mut newest = plane.newest.subscribe();
    let (catch_up, seq, now) = {
        let mut hub = plane.hub();
        let now = plane.now();
        (hub.catch_up(resume_after, now), hub.seq(), now)
    };
    let (mode, image, backlog, mut sent) = match catch_up {
        CatchUp::Events(ev) => (Resume::Resume, None, ev, resume_after.unwrap_or(0)),
        // Encoded outside the lock: publishing goes on meanwhile.
        CatchUp::Snapshot { seq, image } => {
            (Resume::Snapshot, Some(image.encode()), Vec::new(), seq)
        }
    };
    let hello = ServerMsg::Hello {
        protocol: PROTOCOL.into(),
        server: format!("warroom {}", env!("CARGO_PKG_VERSION")),
        session: plane.session.clone(),
        role,
        rollout: plane.rollout.clone(),
        seq,
        now,
        speed: plane.rate(),
        mode,
        image_bytes: image.as_ref().map(String::len),
    };
    if !conn.send(&hello).await {
        return;
    }
    if let Some(text) = image {
        for part in split_text(&text, IMAGE_PART) {
            if !conn.send(&ServerMsg::Image { part: part.into() }).await {
                return;
            }
        }
    }
    if !backlog.is_empty() && !conn.events(backlog, &mut sent).await {
        return;
    }
    let mut exercise = plane.exercise_changes();
    exercise.mark_unchanged();
    if plane.is_exercise() && !conn.send(&plane.exercise_msg(role)).await {
        return;
    }
    let mut beat = tokio::time::interval(HEARTBEAT);
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_heard = tokio::time::Instant::now();
    loop {
        // Catch up with everything published since the last send.
        loop {
            let batch = plane.hub().since(sent, CHUNK);
            let Some(batch) = batch else {
                // Fell out of the log: the console reconnects and gets a snapshot.
                return conn
                    .refuse(
                        ErrorCode::BadMessage,
                        "fell behind the event log; reconnect",
                    )
                    .await;
            };
            if batch.is_empty() {
                break;
            }
            if !conn.events(batch, &mut sent).await {
                return;
            }
        }
        tokio::select! {
            changed = newest.changed() => if changed.is_err() { return },
            changed = exercise.changed() => {
                if changed.is_err() { return }
                // The events the change made go first, then the clock they belong to.
                let batch = plane.hub().since(sent, CHUNK);
                if let Some(batch) = batch.filter(|b| !b.is_empty()) {
                    if !conn.events(batch, &mut sent).await { return }
                }
                if !conn.send(&plane.exercise_msg(role)).await { return }
            }
            _ = beat.tick() => {
                if last_heard.elapsed() > IDLE_LIMIT {
                    return conn.refuse( ErrorCode::BadMessage, "no heartbeat for 15 s").await;
                }
                if !conn.send(&ServerMsg::Heartbeat { seq: sent, now: plane.now() }).await { return }
            }
            msg = conn.ws.next() => {
                last_heard = tokio::time::Instant::now();
                match msg {
                    Some(Ok(Message::Text(text))) => match read_client(&text) {
                        Ok(ClientMsg::Command(cmd)) => {
                            if role == Role::Observer {
                                let _ = conn.send(&ServerMsg::Error { code: ErrorCode::Forbidden, message: format!("observers cannot {}", cmd.action.word()) }).await;
                            } else if cmd.action.is_exercise() && role != Role::Facilitator {
                                let message = format!("only the facilitator's seat may {} (this seat is a {})", cmd.action.word(), role.word());
                                let _ = conn.send(&ServerMsg::Error { code: ErrorCode::Forbidden, message }).await;
                            } else if let Err(why) = plane.command_from(&cmd, &seat) {
                                let _ = conn.send(&ServerMsg::Error { code: ErrorCode::Unavailable, message: format!("command {}: {why}", crate::core::sanitize::sanitize(&cmd.id)) }).await;
                            }
                        }
                        Ok(ClientMsg::Heartbeat { .. }) => {}
                        Ok(ClientMsg::Hello { .. }) => { let _ = conn.send(&ServerMsg::Error { code: ErrorCode::BadMessage, message: "hello was already received".into() }).await; }
                        Err(e) => { let _ = conn.send(&ServerMsg::Error { code: ErrorCode::BadMessage, message: sanitize(&e).into() }).await; }
                    },
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                    Some(Ok(Message::Binary(_))) => { let _ = conn.send(&ServerMsg::Error { code: ErrorCode::BadMessage, message: "binary frames are not part of the protocol".into() }).await; }
                    Some(Err(tokio_tungstenite::tungstenite::Error::Capacity(_))) => return conn.refuse( ErrorCode::TooLarge, "message over 1 MiB").await,
                    Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                }
            }
        }
    }
}
