//! Commands on their way out: the confirmation that shows a command's effect before it
//! exists, the ids that make retries safe, the commands still waiting for their outcome, and
//! the auto-pause policy. Nothing here sends anything: the app turns what the outbox decides
//! into effects.

use super::checklist::ItemStatus;
use super::command::{Action, Command, OutcomeKind, Role, NOT_STARTED};
use super::intent::Key;
use super::playback::Mode;
use super::record::Milestone;
use super::state::State;
use super::wave::WaveStatus;

/// Longest reason (or note) a person can type, in characters.
pub const REASON_MAX: usize = 200;

/// A command being confirmed: what it will do, and the reason being typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Confirm {
    pub action: Action,
    /// The effect, in the room's words ("wave 3 (50%) → 0%, traffic back to legacy").
    pub preview: String,
    pub reason: String,
    pub error: Option<String>,
    /// The wave the command is aimed at (a conflict if the rollout moves on first).
    pub wave: Option<String>,
    /// For a tick or untick: the item it is for.
    pub check: Option<CheckTarget>,
    /// For an advance: the gates still blocking, each with why.
    pub blocking: Vec<String>,
    /// For a milestone: the milestone, as the wire spells it.
    pub item: Option<String>,
}

/// The checklist item a tick or untick is about, as the confirmation shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckTarget {
    pub id: String,
    pub text: String,
    /// The role that owns it, which the control plane checks the seat against.
    pub owner: Option<String>,
    /// Its state now, in words: "open", "done by alice at T+5m".
    pub now: String,
}

/// A command sent by this console and still waiting for its outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    pub command: Command,
    /// Times its frame was written to the socket (0: not yet).
    pub sent: u32,
}

/// What a key did to the confirmation.
#[derive(Clone, Debug, PartialEq)]
pub enum ConfirmKey {
    /// Typing, or a key the confirmation ignores.
    Edited,
    Cancelled(Action),
    Quit,
    /// Enter on a valid command: it is pending from now on.
    Confirmed(Command),
}

/// A command whose outcome arrived.
#[derive(Clone, Debug, PartialEq)]
pub struct Settled {
    pub command: Command,
    pub result: OutcomeKind,
    pub reason: Option<String>,
}

/// The seat's commands: who this console speaks for, and what it has asked.
#[derive(Clone, Debug)]
pub struct Outbox {
    /// Observers see no command keys and any attempt is refused here.
    pub role: Role,
    /// Who this console speaks for in commands (`--actor`, otherwise user@host).
    pub actor: String,
    /// Makes command ids unique across consoles and runs (chosen by the shell).
    pub id_prefix: String,
    next_id: u64,
    pub confirm: Option<Confirm>,
    pub pending: Vec<Pending>,
    /// Pause the rollout when a rollback trigger fires (`[rollback] auto_pause`).
    pub auto_pause: bool,
}

impl Default for Outbox {
    fn default() -> Self {
        Outbox {
            role: Role::Observer,
            actor: String::new(),
            id_prefix: String::new(),
            next_id: 1,
            confirm: None,
            pending: Vec::new(),
            auto_pause: false,
        }
    }
}

impl Outbox {
    /// The outbox of a seat: its role, who it speaks for, and the prefix of its command ids.
    #[must_use]
    pub fn new(role: Role, actor: String, id_prefix: String) -> Outbox {
        Outbox {
            role,
            actor,
            id_prefix,
            ..Outbox::default()
        }
    }

    fn next_id(&mut self) -> String {
        let id = format!("{}-{}", self.id_prefix, self.next_id);
        self.next_id += 1;
        id
    }

    /// Opens the confirmation of `action`, or says why it cannot be sent from here.
    ///
    /// # Errors
    /// The notice for the footer: a replay, an observer's seat, nothing to resume.
    pub fn open(&mut self, state: &State, mode: &Mode, action: Action) -> Result<(), String> {
        if matches!(mode, Mode::Replay(_)) {
            return Err("a replay cannot send commands".into());
        }
        if !self.role.commands() {
            return Err(format!(
                "read-only seat: observers cannot {}",
                action.word()
            ));
        }
        let current = state.current_wave();
        if let Some(why) = why_not(state, action) {
            return Err(why);
        }
        let blocking = if action == Action::Advance {
            state
                .gates_sorted()
                .into_iter()
                .filter(|g| !g.green)
                .map(|g| match g.why {
                    Some(why) => format!("{} — {why}", g.label),
                    None => g.label,
                })
                .collect()
        } else {
            Vec::new()
        };
        self.confirm = Some(Confirm {
            action,
            preview: preview(state, action),
            reason: String::new(),
            error: None,
            wave: Some(current.map_or_else(
                || NOT_STARTED.into(),
                |w| state.plan.spec.waves[w].id.clone(),
            )),
            check: None,
            blocking,
            item: None,
        });
        Ok(())
    }

    /// Opens the confirmation of the milestone `word` names (`None`: the open incident's
    /// next, or a detection when none is open), with `reason` to start from. Or says why
    /// not: a replay, an observer's seat, a milestone out of order.
    ///
    /// # Errors
    /// The notice for the footer or the `:` line.
    pub fn open_milestone(
        &mut self,
        state: &State,
        mode: &Mode,
        word: Option<&str>,
        reason: &str,
    ) -> Result<(), String> {
        if matches!(mode, Mode::Replay(_)) {
            return Err("a replay cannot mark milestones".into());
        }
        if !self.role.commands() {
            return Err("read-only seat: observers cannot mark milestones".into());
        }
        let word = word.map_or_else(
            || {
                state
                    .open_incident()
                    .map_or(Milestone::Detected, |o| o.next)
                    .wire()
                    .to_string()
            },
            str::to_string,
        );
        let m = state.milestone_in_order(&word).map_err(|(_, why)| why)?;
        let since = state.open_incident().map(|o| o.since);
        let preview = match (m, since) {
            (Milestone::Detected, _) | (_, None) => format!(
                "opens an incident: DETECTED at {}, for every console",
                state.now.t_label()
            ),
            (m, Some(since)) => format!(
                "marks the incident {} at {} ({} after detection), for every console",
                m.word(),
                state.now.t_label(),
                super::time::Span(state.now.0.saturating_sub(since.0)).compact()
            ),
        };
        self.confirm = Some(Confirm {
            action: Action::Milestone,
            preview,
            reason: reason.chars().take(REASON_MAX).collect(),
            error: None,
            wave: None,
            check: None,
            blocking: Vec::new(),
            item: Some(m.wire().into()),
        });
        Ok(())
    }

    /// A status update as a note, sent at once: its composer was the confirmation (Ctrl+S is
    /// deliberate). Or why not.
    ///
    /// # Errors
    /// A replay, an observer's seat, an empty update.
    pub fn status_note(&mut self, mode: &Mode, text: String) -> Result<Command, String> {
        self.may_post_status(mode)?;
        self.send_now(Action::Note, Some(text), None)
    }

    /// Whether this seat may post a status update here, or why not.
    ///
    /// # Errors
    /// A replay, an observer's seat.
    pub fn may_post_status(&self, mode: &Mode) -> Result<(), String> {
        if matches!(mode, Mode::Replay(_)) {
            return Err("a replay cannot post status updates".into());
        }
        if !self.role.commands() {
            return Err("read-only seat: observers cannot post status updates".into());
        }
        Ok(())
    }

    /// A facilitator's control of the exercise (its clock, its injects), sent at once: no
    /// confirmation, as a pause of the clock must not wait. Or why not.
    ///
    /// # Errors
    /// A replay (its clock is this console's own), a seat that is not the facilitator's.
    pub fn exercise(
        &mut self,
        mode: &Mode,
        action: Action,
        item: Option<String>,
    ) -> Result<Command, String> {
        if matches!(mode, Mode::Replay(_)) {
            return Err("a replay's clock is this console's own".into());
        }
        if self.role != Role::Facilitator {
            return Err(format!(
                "only the facilitator's seat controls the exercise ({} seat)",
                self.role.word()
            ));
        }
        self.send_now(action, None, item)
    }

    /// A command that needs no confirmation (or was confirmed by its own box), checked,
    /// given its id and waiting for its outcome; or what is wrong with it.
    fn send_now(
        &mut self,
        action: Action,
        reason: Option<String>,
        item: Option<String>,
    ) -> Result<Command, String> {
        let mut command = Command {
            id: String::new(),
            action,
            actor: self.actor.clone(),
            reason,
            wave: None,
            item,
            session: None,
        };
        command.validate()?;
        command.id = self.next_id();
        self.pending.push(Pending {
            command: command.clone(),
            sent: 0,
        });
        Ok(command)
    }

    /// Opens the confirmation of a tick (`tick: Some(true)`), an untick (`Some(false)`) or
    /// whichever of the two applies to the item now (`None`: an item that is done or waived
    /// is unticked, any other ticked), with `note` to start the note from. Or says why not.
    ///
    /// # Errors
    /// The notice: a replay, an observer's seat, a tick of an item already done or an untick
    /// of one that is not.
    pub fn open_check(
        &mut self,
        state: &State,
        mode: &Mode,
        (section, item): (usize, usize),
        tick: Option<bool>,
        note: &str,
    ) -> Result<(), String> {
        if matches!(mode, Mode::Replay(_)) {
            return Err("a replay is read-only: items are ticked live".into());
        }
        let spec = &state.plan.spec.checklist[section].items[item];
        let st = &state.checklist.items[section][item];
        let settled = st.status.settled();
        let action = if tick.unwrap_or(!settled) {
            Action::Tick
        } else {
            Action::Untick
        };
        if !self.role.commands() {
            return Err(format!(
                "read-only seat: observers cannot {}",
                action.word()
            ));
        }
        let mut now = st.status.word().to_string();
        if let Some(by) = &st.by {
            now.push_str(" by ");
            now.push_str(by);
        }
        if let Some(at) = st.at {
            now.push_str(" at ");
            now.push_str(&at.t_label());
        }
        match (action, settled) {
            (Action::Tick, true) => {
                return Err(format!(
                    "item {:?} is already {now}; :uncheck {} reopens it",
                    spec.id, spec.id
                ))
            }
            (Action::Untick, false) => {
                return Err(format!(
                    "item {:?} is {now}: there is nothing to untick",
                    spec.id
                ))
            }
            _ => {}
        }
        let preview = if action == Action::Tick {
            if st.status == ItemStatus::Failed {
                "marks the FAILED item done, for every console, with your name and the time"
            } else {
                "marks it done, for every console, with your name and the time"
            }
        } else {
            "reopens it, for every console: it blocks again until it is ticked"
        };
        self.confirm = Some(Confirm {
            action,
            preview: preview.into(),
            reason: note.chars().take(REASON_MAX).collect(),
            error: None,
            wave: None,
            check: Some(CheckTarget {
                id: spec.id.clone(),
                text: spec.text.clone(),
                owner: spec.owner.clone(),
                now,
            }),
            blocking: Vec::new(),
            item: None,
        });
        Ok(())
    }

    /// A key while the confirmation is open.
    pub fn key(&mut self, key: Key) -> ConfirmKey {
        let Some(c) = self.confirm.as_mut() else {
            return ConfirmKey::Edited;
        };
        match key {
            // Ctrl+C cancels the confirmation, not the program.
            Key::Esc | Key::CtrlC => {
                let action = c.action;
                self.confirm = None;
                ConfirmKey::Cancelled(action)
            }
            Key::Backspace => {
                c.reason.pop();
                c.error = None;
                ConfirmKey::Edited
            }
            Key::Enter => {
                let reason = Some(c.reason.trim().to_string()).filter(|r| !r.is_empty());
                let mut command = match &c.check {
                    Some(item) => Command::check(
                        String::new(),
                        c.action,
                        self.actor.clone(),
                        item.id.clone(),
                        reason,
                    ),
                    None => Command {
                        id: String::new(),
                        action: c.action,
                        actor: self.actor.clone(),
                        reason,
                        wave: c.wave.clone().filter(|_| Command::needs_wave(c.action)),
                        item: c.item.clone(),
                        session: None,
                    },
                };
                match command.validate() {
                    Ok(()) => {
                        self.confirm = None;
                        command.id = self.next_id();
                        self.pending.push(Pending {
                            command: command.clone(),
                            sent: 0,
                        });
                        ConfirmKey::Confirmed(command)
                    }
                    Err(e) => {
                        c.error = Some(e);
                        ConfirmKey::Edited
                    }
                }
            }
            Key::Char(ch) if c.reason.chars().count() < REASON_MAX && !ch.is_control() => {
                c.reason.push(ch);
                c.error = None;
                ConfirmKey::Edited
            }
            _ => ConfirmKey::Edited,
        }
    }

    /// Commands sent by this console whose outcome is now in the state: no longer pending.
    pub fn settle(&mut self, state: &State) -> Vec<Settled> {
        let mut done = Vec::new();
        self.pending.retain(|p| {
            match state
                .commands
                .iter()
                .rev()
                .find(|c| *c.id == *p.command.id)
                .and_then(|c| c.outcome.clone())
            {
                Some((result, reason)) => {
                    done.push(Settled {
                        command: p.command.clone(),
                        result,
                        reason: reason.map(String::from),
                    });
                    false
                }
                None => true,
            }
        });
        done
    }

    /// Forgets a pending command (it could not be sent).
    pub fn drop_pending(&mut self, id: &str) -> Option<Command> {
        let i = self.pending.iter().position(|p| p.command.id == id)?;
        Some(self.pending.remove(i).command)
    }

    /// With auto-pause on, a commander console that saw a rollback trigger fire since
    /// `fires_before` (see [`State::trigger_fires`]) pauses the active wave: the command is
    /// built like a confirmed one, with the trigger as its reason. Nothing when the wave is
    /// not active or a pause is already on its way.
    pub fn auto_pause_after(
        &mut self,
        state: &State,
        mode: &Mode,
        fires_before: u64,
    ) -> Option<Command> {
        if !self.auto_pause
            || state.trigger_fires == fires_before
            || !self.role.commands()
            || matches!(mode, Mode::Replay(_))
        {
            return None;
        }
        let w = state.current_wave()?;
        if state.waves[w].status != WaveStatus::Active
            || self
                .pending
                .iter()
                .any(|p| p.command.action == Action::Pause)
        {
            return None;
        }
        let what = state.last_fire.clone().unwrap_or_default();
        let mut command = Command {
            id: String::new(),
            action: Action::Pause,
            actor: format!("{} (auto-pause)", self.actor),
            reason: Some(format!("auto-pause: rollback trigger fired: {what}")),
            wave: Some(state.plan.spec.waves[w].id.clone()),
            item: None,
            session: None,
        };
        command.validate().ok()?;
        command.id = self.next_id();
        self.pending.push(Pending {
            command: command.clone(),
            sent: 0,
        });
        Some(command)
    }
}

/// Why `action` cannot be sent now, in the footer's words; `None` when it can. The footer
/// and the help offer only the commands for which this is `None`.
#[must_use]
pub fn why_not(state: &State, action: Action) -> Option<String> {
    let cur = state.current_wave();
    let status = cur.map(|w| state.waves[w].status);
    let last = cur.is_some_and(|w| w + 1 == state.waves.len());
    let rolled_back = status == Some(WaveStatus::RolledBack);
    match action {
        Action::Resume if status != Some(WaveStatus::Paused) => Some("nothing is paused".into()),
        Action::Pause if rolled_back => Some("rolled back: nothing to pause".into()),
        Action::Pause if status == Some(WaveStatus::Paused) => {
            Some("already paused (R resumes)".into())
        }
        Action::Pause if last => {
            Some("the last wave holds all the traffic: nothing to hold back".into())
        }
        Action::Pause if status != Some(WaveStatus::Active) => {
            Some("no wave is active: nothing to pause".into())
        }
        Action::Advance if rolled_back => Some("rolled back: there is no next wave".into()),
        Action::Advance if state.next_wave().is_none() => {
            Some("this is the last wave: there is nothing to advance to".into())
        }
        Action::Rollback if cur.is_none() => Some("the rollout has not started".into()),
        Action::Rollback if rolled_back => Some("already rolled back".into()),
        _ => None,
    }
}

/// What a command would do now, in the room's words.
#[must_use]
pub fn preview(s: &State, action: Action) -> String {
    let plan = &s.plan.spec;
    let cur = s.current_wave();
    let label = |w: usize| s.wave_label(w);
    match (action, cur) {
        (Action::Rollback, Some(w)) => format!(
            "{} → 0%: traffic back to {}, {} marked rolled back",
            label(w),
            plan.from,
            label(w).split(" (").next().unwrap_or_default()
        ),
        (Action::Advance, Some(w)) => match s.next_wave() {
            Some(n) => {
                let blocking = s.next_gates().iter().filter(|g| !g.green).count();
                let warn = match blocking {
                    0 => String::new(),
                    1 => " — 1 gate still blocking:".into(),
                    n => format!(" — {n} gates still blocking:"),
                };
                format!(
                    "{} passed → {} active: traffic {} → {}{warn}",
                    label(w),
                    label(n),
                    s.traffic_label(s.traffic),
                    s.traffic_label(plan.waves[n].traffic)
                )
            }
            None => "no next wave: this is the last one".into(),
        },
        (Action::Advance, None) => format!(
            "start {}: traffic 0 → {}",
            label(0),
            s.traffic_label(plan.waves[0].traffic)
        ),
        (Action::Pause, Some(w)) => format!(
            "{} paused: the bake clock stops, traffic stays at {}",
            label(w),
            s.traffic_label(s.traffic)
        ),
        (Action::Resume, Some(w)) => format!("{} resumes: the bake clock runs again", label(w)),
        (Action::Note, _) => "adds a note to the timeline, for every console".into(),
        (Action::Tick, _) => "marks the item done, for every console".into(),
        (Action::Untick, _) => "reopens the item, for every console".into(),
        (Action::Milestone, _) => "marks the incident's milestone, for every console".into(),
        (Action::ExercisePause, _) => "stops the exercise clock for the whole room".into(),
        (Action::ExerciseResume, _) => "starts the exercise clock again for the whole room".into(),
        (Action::ExerciseSpeed, _) => "sets the exercise clock's speed for the whole room".into(),
        (Action::ExerciseSeek, _) => "moves the exercise clock forward for the whole room".into(),
        (Action::Release, _) => "releases the inject to the room now".into(),
        (_, None) => "the rollout has not started".into(),
    }
}
