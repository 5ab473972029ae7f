//! Commands as values: what a console asks the control plane to do, with the idempotency key
//! that makes retries safe and the wave it expects to act on (so a command aimed at a state
//! that has moved on is a conflict, never a surprise).

use serde::{Deserialize, Serialize};

/// The seat a console holds: only commanders may send commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Commander,
    Observer,
}

impl Role {
    /// The lesser of two seats: a console asking to command with an observer's token
    /// observes.
    #[must_use]
    pub fn min_with(self, other: Role) -> Role {
        if self == Role::Observer || other == Role::Observer {
            Role::Observer
        } else {
            Role::Commander
        }
    }
}

/// A command as it travels from a console to the control plane.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Command {
    /// Idempotency key: the same id applied twice has the effect of once.
    pub id: String,
    pub action: Action,
    /// Who asked (`--actor`, otherwise user@host).
    pub actor: String,
    /// Why; required for pause and rollback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The wave the console saw as current when the command was confirmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wave: Option<String>,
    /// The control plane's session the console saw: a command for a run that has ended is a
    /// conflict, never applied to the run that replaced it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
}

impl Command {
    /// Whether this action needs a reason before it may be sent.
    #[must_use]
    pub fn needs_reason(action: Action) -> bool {
        matches!(action, Action::Pause | Action::Rollback | Action::Note)
    }

    /// Checks what the console can check on its own.
    ///
    /// # Errors
    /// A reason is required and missing.
    pub fn validate(&self) -> Result<(), String> {
        if Self::needs_reason(self.action)
            && self.reason.as_deref().is_none_or(|r| r.trim().is_empty())
        {
            return Err(format!("{} needs a reason", self.action.word()));
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Pause,
    Resume,
    Advance,
    Rollback,
    Note,
}

impl Action {
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Action::Pause => "pause",
            Action::Resume => "resume",
            Action::Advance => "advance",
            Action::Rollback => "rollback",
            Action::Note => "note",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    /// Carried out (through the actuator, where there is one).
    Accepted,
    /// Not carried out: not allowed in this state, or malformed.
    Rejected,
    /// Aimed at a state that has moved on (another wave, another session).
    Conflict,
    /// Allowed, but the actuator said no: the rollout's state is as it was, and the reason
    /// carries the actuator's own words.
    Failed,
    /// The actuator did not answer in time: whether it acted is not known, so the rollout is
    /// paused until someone looks.
    Unknown,
}

impl OutcomeKind {
    /// How the timeline spells it: quiet for success, loud for everything else.
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            OutcomeKind::Accepted => "accepted",
            OutcomeKind::Rejected => "REJECTED",
            OutcomeKind::Conflict => "CONFLICT",
            OutcomeKind::Failed => "FAILED",
            OutcomeKind::Unknown => "OUTCOME UNKNOWN",
        }
    }
}

/// The verbs an actuator carries out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verb {
    Advance,
    Pause,
    Resume,
    Rollback,
}

impl Verb {
    pub const ALL: [Verb; 4] = [Verb::Advance, Verb::Pause, Verb::Resume, Verb::Rollback];

    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Verb::Advance => "advance",
            Verb::Pause => "pause",
            Verb::Resume => "resume",
            Verb::Rollback => "rollback",
        }
    }

    /// The verb a command asks of the actuator; notes and ticks ask nothing of it.
    #[must_use]
    pub fn of(action: Action) -> Option<Verb> {
        match action {
            Action::Advance => Some(Verb::Advance),
            Action::Pause => Some(Verb::Pause),
            Action::Resume => Some(Verb::Resume),
            Action::Rollback => Some(Verb::Rollback),
            Action::Note => None,
        }
    }
}
