//! What applying an input asks of the world: a redraw, changes to report, commands to send,
//! lines for the audit log and the recording, steering of the replay, quitting.

use serde::Serialize;

use super::checklist::ItemStatus;
use super::command::{Action, OutcomeKind};
use super::record::{AlertState, Milestone};
use super::severity::Severity;
use super::slo::Band;
use super::status::Status;
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

/// What applying an event asks of the shell.
#[derive(Debug, Default, PartialEq)]
pub struct Effects {
    /// Something visible changed: the screen needs a redraw.
    pub dirty: bool,
    /// Reported changes, when the state was built with `track_changes`.
    pub changes: Vec<Change>,
}
