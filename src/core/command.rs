//! Commands as values: what a console asks the control plane to do, with the idempotency key
//! that makes retries safe and the wave it expects to act on (so a command aimed at a state
//! that has moved on is a conflict, never a surprise).

use serde::{Deserialize, Serialize};

use super::sanitize::MAX_FIELD_CHARS;

/// The `wave` a rollout command names when the console saw no wave started yet. It cannot be
/// a wave's id: ids hold no spaces.
pub const NOT_STARTED: &str = "not started";
/// Longest command id, in bytes. Longer ids are refused, never cut: two ids that share a
/// long prefix stay two commands.
pub const MAX_ID_BYTES: usize = 128;
/// Longest `actor`, `item`, `wave` or `session`, in bytes.
pub const MAX_NAME_BYTES: usize = 128;
/// Longest reason, in characters (what a timeline entry keeps of one field).
pub const MAX_REASON_CHARS: usize = MAX_FIELD_CHARS;
/// Longest text of a `note` command (its reason), in characters: a status update is one.
pub const MAX_NOTE_CHARS: usize = super::sanitize::MAX_NOTE_CHARS;

/// A key of a console message within `max` bytes, or the refusal naming it.
///
/// # Errors
/// The value is longer.
pub fn within_bytes(key: &str, value: Option<&str>, max: usize) -> Result<(), String> {
    match value {
        Some(v) if v.len() > max => Err(format!(
            "`{key}` is {} bytes; at most {max} are allowed",
            v.len()
        )),
        _ => Ok(()),
    }
}

/// The seat a console holds: commanders (an exercise's participants) send commands; the
/// facilitator of an exercise sends them too, and alone controls the exercise (its clock and
/// its injects); observers watch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Observer,
    Commander,
    Facilitator,
}

impl Role {
    /// The seat a console holds when it asked for `self` and was granted `granted`: a
    /// console that asked to observe observes; otherwise the seat granted (an observer's
    /// token caps a console that asked to command, a facilitator's token seats its console
    /// as the facilitator).
    #[must_use]
    pub fn min_with(self, granted: Role) -> Role {
        if self == Role::Observer {
            Role::Observer
        } else {
            granted
        }
    }

    /// Whether this seat may send the rollout's commands, notes, ticks and milestones.
    #[must_use]
    pub fn commands(self) -> bool {
        self != Role::Observer
    }

    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Role::Observer => "observer",
            Role::Commander => "commander",
            Role::Facilitator => "facilitator",
        }
    }
}

/// A command as it travels from a console to the control plane. A tick or untick names its
/// checklist item in `item` and is not aimed at a wave; the rollout's actions are aimed at
/// `wave` and carry no item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Command {
    /// Idempotency key: the same id applied twice has the effect of once.
    pub id: String,
    pub action: Action,
    /// Who asked (`--actor`, otherwise user@host). A control plane whose tokens file names
    /// the seat's person puts that name here instead.
    pub actor: String,
    /// Why; required for pause and rollback. For a tick or untick: the optional note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For the rollout's actions, the wave the console saw as current when the command was
    /// confirmed (a tick or untick ignores it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wave: Option<String>,
    /// What the command acts on: for a tick or untick the checklist item's id; for a
    /// milestone the milestone ("acknowledged"); for the facilitator's speed, seek and release
    /// the factor, the moment and the inject. The other actions ignore it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// The control plane's session the console saw: a command for a run that has ended is a
    /// conflict, never applied to the run that replaced it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
}

impl Command {
    /// A tick or untick of checklist item `item`, with an optional note.
    #[must_use]
    pub fn check(
        id: String,
        action: Action,
        actor: String,
        item: String,
        note: Option<String>,
    ) -> Command {
        Command {
            id,
            action,
            actor,
            reason: note,
            wave: None,
            item: Some(item),
            session: None,
        }
    }

    /// What the command acts on (see [`Command::item`]'s field): `None` for an action that
    /// takes nothing.
    #[must_use]
    pub fn item(&self) -> Option<&str> {
        self.item.as_deref().filter(|_| self.action.takes_item())
    }

    /// The wave a rollout command expects to act on; the other actions expect none.
    #[must_use]
    pub fn expected_wave(&self) -> Option<&str> {
        self.wave
            .as_deref()
            .filter(|_| Self::needs_wave(self.action))
    }

    /// Whether this action needs a reason before it may be sent.
    #[must_use]
    pub fn needs_reason(action: Action) -> bool {
        matches!(action, Action::Pause | Action::Rollback | Action::Note)
    }

    /// Whether the action moves the rollout (pause, resume, advance, rollback): such a command
    /// must name the state it is aimed at in `wave`.
    #[must_use]
    pub fn needs_wave(action: Action) -> bool {
        Verb::of(action).is_some()
    }

    /// The limits of the protocol, checked before anything is recorded: an id that is
    /// missing, too long or not plain text (it would not come back byte for byte), and keys
    /// longer than their limit. Such a command is refused as a message, never cut to fit.
    ///
    /// # Errors
    /// What is wrong, naming the key.
    pub fn check_limits(&self) -> Result<(), String> {
        let id = self.id.as_str();
        if id.trim().is_empty() {
            return Err("a command needs a non-blank `id`".into());
        }
        if id.len() > MAX_ID_BYTES {
            return Err(format!(
                "`id` is {} bytes; at most {MAX_ID_BYTES} are allowed",
                id.len()
            ));
        }
        if *super::sanitize::sanitize(id) != *id {
            return Err("`id` holds control or invisible characters; ids are plain text".into());
        }
        self.check_fields()
    }

    /// The limits of every key but the id (which a console assigns last).
    fn check_fields(&self) -> Result<(), String> {
        within_bytes("actor", Some(&self.actor), MAX_NAME_BYTES)?;
        within_bytes("wave", self.wave.as_deref(), MAX_NAME_BYTES)?;
        within_bytes("item", self.item.as_deref(), MAX_NAME_BYTES)?;
        within_bytes("session", self.session.as_deref(), MAX_NAME_BYTES)?;
        let max = self.action.reason_chars();
        if let Some(n) = self
            .reason
            .as_deref()
            .map(|r| r.chars().count())
            .filter(|n| *n > max)
        {
            return Err(format!(
                "`reason` is {n} characters; at most {max} are allowed"
            ));
        }
        Ok(())
    }

    /// Checks what the console can check on its own.
    ///
    /// # Errors
    /// A reason is required and missing; a tick or untick names no item; a rollout action
    /// names no wave; a key is over its limit.
    pub fn validate(&self) -> Result<(), String> {
        if Self::needs_wave(self.action) && self.wave.is_none() {
            return Err(format!(
                "{} must name the wave it is aimed at (`wave`: the current wave's id, or \"{NOT_STARTED}\")",
                self.action.word()
            ));
        }
        if Self::needs_reason(self.action)
            && self.reason.as_deref().is_none_or(|r| r.trim().is_empty())
        {
            return Err(format!("{} needs a reason", self.action.word()));
        }
        if self.action.takes_item() && self.item().is_none_or(|i| i.trim().is_empty()) {
            let what = match self.action {
                Action::Milestone => "a milestone (detected, acknowledged, mitigated, resolved)",
                Action::ExerciseSpeed => "a speed (a factor such as 4)",
                Action::ExerciseSeek => "a moment (T+20m)",
                Action::Release => "an inject's name",
                _ => "a checklist item",
            };
            return Err(format!("{} needs {what}", self.action.word()));
        }
        self.check_fields()
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
    /// Marks a checklist item done (protocol 2.1).
    Tick,
    /// Reopens a checklist item that is done (protocol 2.1).
    Untick,
    /// Marks an incident milestone, named in `item` (protocol 2.2).
    Milestone,
    /// The facilitator stops the exercise clock for the whole room (protocol 2.2).
    ExercisePause,
    /// The facilitator starts the exercise clock again.
    ExerciseResume,
    /// The facilitator sets the exercise clock's speed: `item` holds the factor ("4").
    ExerciseSpeed,
    /// The facilitator moves the exercise clock forward to the moment in `item` ("T+20m").
    ExerciseSeek,
    /// The facilitator releases the inject named in `item` before its time.
    Release,
}

impl Action {
    /// The longest reason this action takes, in characters: a note's text may be a whole
    /// status update; every other reason is a line.
    #[must_use]
    pub fn reason_chars(self) -> usize {
        if self == Action::Note {
            MAX_NOTE_CHARS
        } else {
            MAX_REASON_CHARS
        }
    }

    /// A reason of this action made safe to draw, cut at [`Action::reason_chars`].
    #[must_use]
    pub fn clean_reason(self, reason: &str) -> Box<str> {
        if self == Action::Note {
            super::sanitize::sanitize_note(reason)
        } else {
            super::sanitize::sanitize(reason)
        }
    }

    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Action::Pause => "pause",
            Action::Resume => "resume",
            Action::Advance => "advance",
            Action::Rollback => "rollback",
            Action::Note => "note",
            Action::Tick => "tick",
            Action::Untick => "untick",
            Action::Milestone => "milestone",
            Action::ExercisePause => "exercise pause",
            Action::ExerciseResume => "exercise resume",
            Action::ExerciseSpeed => "exercise speed",
            Action::ExerciseSeek => "exercise seek",
            Action::Release => "release inject",
        }
    }

    /// A tick or an untick: about the checklist, not the rollout's waves.
    #[must_use]
    pub fn is_checklist(self) -> bool {
        matches!(self, Action::Tick | Action::Untick)
    }

    /// The facilitator's control of an exercise: its clock and its injects. Only a
    /// facilitator's seat may send these, and they are not the room's decisions.
    #[must_use]
    pub fn is_exercise(self) -> bool {
        matches!(
            self,
            Action::ExercisePause
                | Action::ExerciseResume
                | Action::ExerciseSpeed
                | Action::ExerciseSeek
                | Action::Release
        )
    }

    /// Whether the command names what it acts on in `item`: a checklist item, a milestone,
    /// a speed, a moment or an inject.
    #[must_use]
    pub fn takes_item(self) -> bool {
        self.is_checklist()
            || matches!(
                self,
                Action::Milestone | Action::ExerciseSpeed | Action::ExerciseSeek | Action::Release
            )
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
            Action::Note
            | Action::Tick
            | Action::Untick
            | Action::Milestone
            | Action::ExercisePause
            | Action::ExerciseResume
            | Action::ExerciseSpeed
            | Action::ExerciseSeek
            | Action::Release => None,
        }
    }
}
