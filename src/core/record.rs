//! What happened: the records of a fixture and of the live stream, with their ids already
//! resolved against the plan. Text fields are sanitised before they get here.

use serde::{Deserialize, Serialize};

use super::severity::Severity;
use super::time::Offset;
use crate::core::checklist::ItemStatus;
use crate::core::command::Action;
use crate::core::command::OutcomeKind;
use crate::core::wave::WaveStatus;

/// One thing that happened at `t`.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub t: Offset,
    /// Who or what reported it ("prometheus", "alertmanager", "control-plane", a person).
    pub source: Option<Box<str>>,
    pub body: Body,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    /// A wave changed state (optionally with a new traffic share).
    Wave {
        wave: usize,
        state: WaveStatus,
        traffic: Option<f64>,
        by: Option<Box<str>>,
        text: Option<Box<str>>,
    },
    /// One SLO sample; `None` is an explicit "no data".
    Metric { slo: usize, value: Option<f64> },
    /// A checklist item was ticked, failed, waived or reopened.
    Check {
        section: usize,
        item: usize,
        state: ItemStatus,
        by: Option<Box<str>>,
        text: Option<Box<str>>,
    },
    Alert {
        id: Box<str>,
        name: Box<str>,
        state: AlertState,
        severity: Severity,
        summary: Option<Box<str>>,
    },
    Note {
        by: Option<Box<str>>,
        text: Box<str>,
    },
    /// A command was issued (by this console or another).
    Command {
        id: Box<str>,
        action: Action,
        by: Option<Box<str>>,
        reason: Option<Box<str>>,
        wave: Option<usize>,
        /// The checklist item a tick or untick names, as it named it (an id the plan may not
        /// have: the outcome says so).
        item: Option<Box<str>>,
    },
    /// The outcome of a command.
    Outcome {
        id: Box<str>,
        result: OutcomeKind,
        reason: Option<Box<str>>,
    },
    Incident {
        milestone: Milestone,
        severity: Option<Severity>,
        text: Option<Box<str>>,
    },
    /// A feed's own status line ("prometheus: scrape failed").
    Feed { text: Box<str> },
    /// A record type from a newer minor version of the format, kept as a timeline entry.
    Other { kind: Box<str>, text: Box<str> },
    /// The feed's whole state, from an image: a console that joined late, or whose control
    /// plane restarted (another `session`), rebuilt from it. `text` says why, on the timeline.
    Snapshot {
        session: Box<str>,
        text: Box<str>,
        image: Box<super::state::Image>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    Firing,
    Resolved,
    Silenced,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Milestone {
    Detected,
    Acknowledged,
    Mitigated,
    Resolved,
}

impl Milestone {
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Milestone::Detected => "DETECTED",
            Milestone::Acknowledged => "ACKNOWLEDGED",
            Milestone::Mitigated => "MITIGATED",
            Milestone::Resolved => "RESOLVED",
        }
    }

    /// The milestone as the wire spells it ("acknowledged").
    #[must_use]
    pub fn wire(self) -> &'static str {
        match self {
            Milestone::Detected => "detected",
            Milestone::Acknowledged => "acknowledged",
            Milestone::Mitigated => "mitigated",
            Milestone::Resolved => "resolved",
        }
    }

    /// A milestone as people type it: the wire word or a short form ("ack", "mit"),
    /// ignoring case.
    #[must_use]
    pub fn parse(word: &str) -> Option<Milestone> {
        let w = word.trim().to_ascii_lowercase();
        let starts = |full: &str, min: usize| w.len() >= min && full.starts_with(w.as_str());
        [
            Milestone::Detected,
            Milestone::Acknowledged,
            Milestone::Mitigated,
            Milestone::Resolved,
        ]
        .into_iter()
        .find(|m| starts(m.wire(), 3) || (*m == Milestone::Acknowledged && w == "ack"))
    }

    /// The milestone that follows this one (`None` after the resolution).
    #[must_use]
    pub fn next(self) -> Option<Milestone> {
        match self {
            Milestone::Detected => Some(Milestone::Acknowledged),
            Milestone::Acknowledged => Some(Milestone::Mitigated),
            Milestone::Mitigated => Some(Milestone::Resolved),
            Milestone::Resolved => None,
        }
    }
}
