//! What applying an input asks of the world: a redraw, changes to report, commands to send,
//! lines for the audit log and the recording, steering of the replay, quitting.

use std::sync::Arc;

use serde::Serialize;

use super::checklist::ItemStatus;
use super::command::{Action, Command, OutcomeKind};
use super::plan::Plan;
use super::playback::ReplayCtl;
use super::record::Record;
use super::record::{AlertState, Milestone};
use super::severity::Severity;
use super::slo::Band;
use super::status::Status;
use super::time::Offset;
use super::wave::WaveStatus;

/// A state change worth reporting (headless NDJSON, recording). Ids are the plan's own.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    Status {
        status: Status,
    },
    Wave {
        wave: String,
        state: WaveStatus,
        traffic: f64,
    },
    Band {
        slo: String,
        band: Band,
        value: Option<f64>,
    },
    Trigger {
        slo: String,
        state: &'static str,
        limit: String,
    },
    Check {
        item: String,
        state: ItemStatus,
        by: Option<String>,
    },
    Verdict {
        go: bool,
        blocking: usize,
    },
    Alert {
        name: String,
        state: AlertState,
        severity: Severity,
    },
    Incident {
        milestone: Milestone,
    },
    Command {
        id: String,
        action: Action,
        by: Option<String>,
        reason: Option<String>,
    },
    Outcome {
        id: String,
        result: OutcomeKind,
        reason: Option<String>,
    },
    Note {
        text: String,
    },
    Source {
        text: String,
    },
    Unknown {
        kind: String,
    },
}

/// A change and the moment it happened (the state's clock when it was applied).
#[derive(Clone, Debug, PartialEq)]
pub struct Stamped {
    pub t: Offset,
    pub change: Change,
}

/// A line for the audit log. The sink adds the wall-clock time and the control plane's
/// address; credentials never reach it.
#[derive(Clone, Debug, PartialEq)]
pub enum AuditEntry {
    /// The commander confirmed it: who asked for what, why, and on which session and wave.
    /// The command is sent only once this line is written and synced.
    Confirmed(Command),
    /// Its frame was written to the control plane's socket (`attempt` 2 and more: sent again
    /// to the same session after a reconnect).
    Sent { command: Command, attempt: u32 },
    /// It did not leave (the control plane was down, the connection failed while writing).
    NotSent { command: Command, reason: String },
    /// Its outcome will not come: the session it was sent to has gone.
    Unknown { command: Command, reason: String },
    /// The outcome arrived.
    Outcome {
        command: Command,
        result: OutcomeKind,
        reason: Option<String>,
    },
    /// Refused on this console and never sent (an observer's seat, a replay).
    Refused { what: String, actor: String },
}

/// What the recording sink writes.
#[derive(Clone, Debug)]
pub enum RecordOut {
    /// The fixture header, written once: the first plan seen. Records that follow are
    /// encoded against it.
    Header(Arc<Plan>),
    Records(Vec<Record>),
}

/// What applying an event to the rollout's state gave: whether anything visible changed, and
/// the changes to report (when the state tracks them). Small on purpose: the reducer returns
/// one for every record of a replay.
#[derive(Debug, Default)]
pub struct Applied {
    pub dirty: bool,
    /// Only time moved, and a clock on screen shows a new second: worth a redraw, but not
    /// more often than a clock needs (see [`Effects::ticked`]).
    pub ticked: bool,
    pub changes: Vec<Stamped>,
}

/// What applying an input asks of the world. The shell executes the fields in this order:
/// audit, then send (a command whose audit line could not be written is not sent), record,
/// changes, replay, and finally redraw or quit.
#[derive(Debug, Default)]
pub struct Effects {
    /// Something visible changed: the screen needs a redraw.
    pub dirty: bool,
    /// Only the clocks on screen moved (the time, bake bars, data ages): a redraw can wait
    /// for the clock's own pace, a few times a second, however fast a replay runs.
    pub ticked: bool,
    pub quit: bool,
    /// Reported changes (headless NDJSON), when the state tracks them.
    pub changes: Vec<Stamped>,
    pub audit: Vec<AuditEntry>,
    /// Commands for the control plane.
    pub send: Vec<Command>,
    pub record: Vec<RecordOut>,
    pub replay: Option<ReplayCtl>,
    /// A status update posted: to be saved to a file and copied to the clipboard.
    pub status: Option<StatusOut>,
}

/// A status update for the shell: saved as `name` in the status directory, and copied to the
/// operator's clipboard (OSC 52) unless that is turned off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusOut {
    pub name: String,
    pub text: String,
}

impl Effects {
    /// Takes in what applying an event to the state produced.
    pub fn absorb(&mut self, applied: Applied) {
        self.dirty |= applied.dirty;
        self.ticked |= applied.ticked;
        self.changes.extend(applied.changes);
    }

    /// Takes in another input's effects.
    pub fn merge(&mut self, other: Effects) {
        self.dirty |= other.dirty;
        self.ticked |= other.ticked;
        self.quit |= other.quit;
        self.changes.extend(other.changes);
        self.audit.extend(other.audit);
        self.send.extend(other.send);
        self.record.extend(other.record);
        if other.replay.is_some() {
            self.replay = other.replay;
        }
        if other.status.is_some() {
            self.status = other.status;
        }
    }
}
