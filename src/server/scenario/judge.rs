//! Commands: judged against the state they were aimed at, carried out, and remembered by id
//! so that a repeated id gets the first outcome and has no second effect. Ticks and unticks
//! are judged against the checklist and the seat that sent them, and carried out at once.

use crate::core::checklist::{ItemState, ItemStatus};
use crate::core::command::Command;
use crate::core::command::{Action, OutcomeKind, NOT_STARTED};
use crate::core::record::{Body, Record};
use crate::core::sanitize::sanitize;
use crate::core::source::CONTROL_PLANE;
use crate::core::time::Offset;
use crate::core::wave::WaveStatus;
use crate::server::scenario::who_and_why;
use crate::server::scenario::Refusal;
use crate::server::scenario::Scenario;
use crate::server::scenario::REMEMBERED_COMMANDS;
use crate::server::tokens::Seat;

impl Scenario {
    /// Whether `cmd` may be carried out now, or why not.
    pub(super) fn judge(
        &self,
        cmd: &Command,
        named: Option<(&str, Option<usize>)>,
    ) -> Result<(), Refusal> {
        use OutcomeKind::{Conflict, Rejected};
        if cmd.id.trim().is_empty() {
            return Err((Rejected, "a command needs an id".into()));
        }
        if cmd.action.is_checklist() {
            // They take the seat that sent them: see `checklist_command`.
            return Err((
                Rejected,
                format!(
                    "a {} is judged with the seat that sent it",
                    cmd.action.word()
                ),
            ));
        }
        if cmd.action.is_exercise() {
            return Err((
                Rejected,
                "this control plane runs no exercise: the exercise clock and injects belong to \
                 `warroom serve FIXTURE`"
                    .into(),
            ));
        }
        cmd.validate().map_err(|e| (Rejected, e))?;
        let plan = &self.plan.spec;
        let cur = self.state.current_wave();
        self.still_current(named)?;
        let Some(c) = cur else {
            return match cmd.action {
                Action::Note | Action::Tick | Action::Untick | Action::Milestone => Ok(()),
                Action::ExercisePause
                | Action::ExerciseResume
                | Action::ExerciseSpeed
                | Action::ExerciseSeek
                | Action::Release => Err((Rejected, "not an exercise".into())),
                Action::Advance => {
                    let b = self.blockers();
                    if b.is_empty() {
                        Ok(())
                    } else {
                        Err((Rejected, format!("gates block: {}", b.join("; "))))
                    }
                }
                Action::Rollback => Err((
                    Rejected,
                    "nothing is on the new version: the rollout has not started".into(),
                )),
                Action::Pause | Action::Resume => {
                    Err((Rejected, "the rollout has not started".into()))
                }
            };
        };
        let st = self.state.waves[c].status;
        let id = &plan.waves[c].id;
        let moved = || (Conflict, format!("wave {id} is now {}", wire(st)));
        match cmd.action {
            Action::Note | Action::Tick | Action::Untick | Action::Milestone => Ok(()),
            Action::ExercisePause
            | Action::ExerciseResume
            | Action::ExerciseSpeed
            | Action::ExerciseSeek
            | Action::Release => Err((Rejected, "not an exercise".into())),
            Action::Pause => match st {
                WaveStatus::Active => Ok(()),
                WaveStatus::Paused => Err((Conflict, format!("wave {id} is already paused"))),
                _ => Err(moved()),
            },
            Action::Resume => match st {
                WaveStatus::Paused => Ok(()),
                _ => Err((Rejected, format!("wave {id} is {}, not paused", wire(st)))),
            },
            Action::Advance => match st {
                // A conducted rollout completes by advancing from its last wave (through the
                // actuator, which may have a last step to take).
                WaveStatus::Active if c + 1 == plan.waves.len() && !self.conducts() => Err((
                    Rejected,
                    format!("wave {id} is the last wave: there is nothing to advance to"),
                )),
                WaveStatus::Active => {
                    let b = self.blockers();
                    if b.is_empty() {
                        Ok(())
                    } else {
                        Err((Rejected, format!("gates block: {}", b.join("; "))))
                    }
                }
                WaveStatus::Paused => Err((
                    Rejected,
                    format!("wave {id} is paused: resume it before advancing"),
                )),
                _ => Err(moved()),
            },
            Action::Rollback => match st {
                WaveStatus::RolledBack | WaveStatus::Failed => Err(moved()),
                _ if self.state.traffic <= 0.0 => Err((
                    Rejected,
                    format!(
                        "nothing is on the new version (traffic {})",
                        self.state.traffic_label(self.state.traffic)
                    ),
                )),
                _ => Ok(()),
            },
        }
    }

    /// A command aimed at a wave (`named`: its id, and its index when the plan has it) that is
    /// no longer the current one is a conflict naming where the rollout is.
    fn still_current(&self, named: Option<(&str, Option<usize>)>) -> Result<(), Refusal> {
        let Some((name, index)) = named else {
            return Ok(());
        };
        let cur = self.state.current_wave();
        if name == NOT_STARTED {
            return match cur {
                None => Ok(()),
                Some(c) => Err((
                    OutcomeKind::Conflict,
                    format!(
                        "aimed at the rollout before it started; current wave is {} ({})",
                        self.plan.spec.waves[c].id,
                        wire(self.state.waves[c].status)
                    ),
                )),
            };
        }
        let Some(w) = index else {
            return Err((
                OutcomeKind::Rejected,
                format!("no wave {name:?} in the plan"),
            ));
        };
        if Some(w) == cur {
            return Ok(());
        }
        let named_state = self.state.waves[w].status;
        let head = if named_state == WaveStatus::Pending {
            format!("wave {name} has not started")
        } else {
            format!("wave {name} is now {}", wire(named_state))
        };
        Err((
            OutcomeKind::Conflict,
            match cur {
                None => format!("{head}; the rollout has not started"),
                Some(c) => format!(
                    "{head}; current wave is {} ({})",
                    self.plan.spec.waves[c].id,
                    wire(self.state.waves[c].status)
                ),
            },
        ))
    }

    /// The effects of an accepted command.
    pub(super) fn carry_out(
        &mut self,
        action: Action,
        t: Offset,
        by: Option<Box<str>>,
        reason: Option<Box<str>>,
        out: &mut Vec<Record>,
    ) {
        let Some(w) = self.state.current_wave() else {
            match action {
                Action::Note => self.note_by(t, by, reason, out),
                Action::Advance => self.advance(t, by, reason, out),
                // Ticks are carried out by `checklist_command`, which knows their item.
                Action::Pause
                | Action::Resume
                | Action::Rollback
                | Action::Tick
                | Action::Untick
                | Action::Milestone
                | Action::ExercisePause
                | Action::ExerciseResume
                | Action::ExerciseSpeed
                | Action::ExerciseSeek
                | Action::Release => {}
            }
            return;
        };
        let (state, traffic) = match action {
            Action::Note => return self.note_by(t, by, reason, out),
            // Milestones are carried out by `milestone_command`; the exercise's actions by
            // the control plane, whose clock they move.
            Action::Tick
            | Action::Untick
            | Action::Milestone
            | Action::ExercisePause
            | Action::ExerciseResume
            | Action::ExerciseSpeed
            | Action::ExerciseSeek
            | Action::Release => return,
            Action::Advance => return self.advance(t, by, reason, out),
            Action::Pause => (WaveStatus::Paused, None),
            Action::Resume => (WaveStatus::Active, None),
            Action::Rollback => {
                if let Some(f) = &mut self.fault {
                    f.mitigated.get_or_insert(t);
                }
                (WaveStatus::RolledBack, Some(0.0))
            }
        };
        let body = Body::Wave {
            wave: w,
            state,
            traffic,
            by,
            text: reason,
        };
        self.emit(t, CONTROL_PLANE, body, out);
    }

    /// The `command` record of a command that names no wave (a tick, a milestone), at the
    /// scenario's clock: its time, its id, who sent it and why, for what follows it.
    fn waveless_command_record(&mut self, cmd: &Command, out: &mut Vec<Record>) -> Recorded {
        let t = self.clock;
        let id = sanitize(&cmd.id);
        let (by, why) = who_and_why(cmd);
        self.emit(
            t,
            CONTROL_PLANE,
            Body::Command {
                id: id.clone(),
                action: cmd.action,
                by: by.clone(),
                reason: why.clone(),
                wave: None,
                item: cmd.item().map(sanitize),
            },
            out,
        );
        Recorded { t, id, by, why }
    }

    /// A tick or untick, from `seat`: its `command` record, its outcome, and when accepted
    /// the `check` record that moves the item, all at once (never through an actuator, and
    /// with no wave expected).
    pub(super) fn checklist_command(&mut self, cmd: &Command, seat: &Seat, out: &mut Vec<Record>) {
        let Recorded {
            t,
            id,
            by,
            why: note,
        } = self.waveless_command_record(cmd, out);
        match self.judge_check(cmd, seat) {
            Err((kind, why)) => self.outcome(t, &id, kind, Some(why), out),
            Ok((section, item)) => {
                self.outcome(t, &id, OutcomeKind::Accepted, None, out);
                let state = if cmd.action == Action::Tick {
                    ItemStatus::Done
                } else {
                    ItemStatus::Open
                };
                let body = Body::Check {
                    section,
                    item,
                    state,
                    by,
                    text: note,
                };
                self.emit(t, CONTROL_PLANE, body, out);
            }
        }
    }

    /// A milestone marked from a console: its `command` record, its outcome, and when
    /// accepted the `incident` record, all at once (never through an actuator, and with no
    /// wave expected).
    pub(super) fn milestone_command(&mut self, cmd: &Command, out: &mut Vec<Record>) {
        let Recorded { t, id, by, why } = self.waveless_command_record(cmd, out);
        let verdict = cmd
            .validate()
            .map_err(|e| (OutcomeKind::Rejected, e))
            .and_then(|()| {
                self.state
                    .milestone_in_order(cmd.item().unwrap_or_default())
            });
        match verdict {
            Err((kind, why)) => {
                let why = sanitize(&why);
                self.outcome(t, &id, kind, Some(why.to_string()), out);
            }
            Ok(milestone) => {
                self.outcome(t, &id, OutcomeKind::Accepted, None, out);
                let text = match (by, why) {
                    (Some(by), Some(why)) => Some(format!("{why} (marked by {by})").into()),
                    (Some(by), None) => Some(format!("marked by {by}").into()),
                    (None, why) => why,
                };
                let body = Body::Incident {
                    milestone,
                    severity: None,
                    text,
                };
                self.emit(t, CONTROL_PLANE, body, out);
            }
        }
    }

    /// Whether `seat` may tick or untick the item `cmd` names now: the item's place, or why
    /// not. An unknown item or a seat without the owner's role is `rejected`; a tick of an
    /// item already done (or waived) and an untick of one that is not is a `conflict`
    /// naming who settled it and when. A failed item may be ticked (a check that now
    /// passes); it is not done, so it cannot be unticked.
    pub(super) fn judge_check(
        &self,
        cmd: &Command,
        seat: &Seat,
    ) -> Result<(usize, usize), Refusal> {
        use OutcomeKind::{Conflict, Rejected};
        if cmd.id.trim().is_empty() {
            return Err((Rejected, "a command needs an id".into()));
        }
        cmd.validate().map_err(|e| (Rejected, e))?;
        let name = cmd.item().unwrap_or_default();
        let Some((s, i)) = self.plan.item(name) else {
            return Err((Rejected, format!("no checklist item {name:?} in the plan")));
        };
        let spec = &self.plan.spec.checklist[s].items[i];
        let verb = cmd.action.word();
        if !seat.may_check(spec.owner.as_deref()) {
            return Err((
                Rejected,
                format!(
                    "item {name:?} is owned by {}; {} cannot {verb} it",
                    spec.owner.as_deref().unwrap_or_default(),
                    seat.describe(&cmd.actor)
                ),
            ));
        }
        let st = &self.state.checklist.items[s][i];
        match (cmd.action, st.status) {
            (Action::Tick, ItemStatus::Open | ItemStatus::Failed)
            | (Action::Untick, ItemStatus::Done | ItemStatus::Waived) => Ok((s, i)),
            (Action::Tick, ItemStatus::Done) => Err((
                Conflict,
                format!("item {name:?} is already ticked{}", by_at(st)),
            )),
            (Action::Tick, ItemStatus::Waived) => Err((
                Conflict,
                format!("item {name:?} is already waived{}", by_at(st)),
            )),
            (_, ItemStatus::Open) => Err((
                Conflict,
                match by_at(st) {
                    again if again.is_empty() => {
                        format!("item {name:?} is open: there is nothing to untick")
                    }
                    again => format!(
                        "item {name:?} is already open (reopened{again}): there is nothing to \
                         untick"
                    ),
                },
            )),
            (_, status) => Err((
                Conflict,
                format!(
                    "item {name:?} is {}{}, not done: there is nothing to untick",
                    status.word(),
                    by_at(st)
                ),
            )),
        }
    }

    pub(super) fn note_by(
        &mut self,
        t: Offset,
        by: Option<Box<str>>,
        text: Option<Box<str>>,
        out: &mut Vec<Record>,
    ) {
        let text = text.unwrap_or_default();
        self.emit(t, CONTROL_PLANE, Body::Note { by, text }, out);
    }

    pub(super) fn remember(&mut self, id: Box<str>, result: OutcomeKind, reason: Option<Box<str>>) {
        if self.order.len() == REMEMBERED_COMMANDS {
            if let Some(old) = self.order.pop_front() {
                self.outcomes.remove(&old);
            }
        }
        self.order.push_back(id.clone());
        self.outcomes.insert(id, (result, reason));
    }
}

/// " by alice at T+5m12s": who last moved an item, and when, for a refusal.
fn by_at(st: &ItemState) -> String {
    match (&st.by, st.at) {
        (Some(by), Some(at)) => format!(" by {by} at {}", at.t_label()),
        (Some(by), None) => format!(" by {by}"),
        (None, Some(at)) => format!(" at {}", at.t_label()),
        (None, None) => String::new(),
    }
}

/// A wave state as the wire spells it (`rolled_back`).
pub(super) fn wire(s: WaveStatus) -> &'static str {
    match s {
        WaveStatus::Pending => "pending",
        WaveStatus::Active => "active",
        WaveStatus::Paused => "paused",
        WaveStatus::Passed => "passed",
        WaveStatus::Failed => "failed",
        WaveStatus::RolledBack => "rolled_back",
    }
}

/// A command's record as it went on the timeline: when, its id, who sent it and why.
struct Recorded {
    t: Offset,
    id: Box<str>,
    by: Option<Box<str>>,
    why: Option<Box<str>>,
}
