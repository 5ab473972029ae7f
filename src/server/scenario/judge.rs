//! Commands: judged against the state they were aimed at, carried out, and remembered by id
//! so that a repeated id gets the first outcome and has no second effect.

use crate::core::command::Command;
use crate::core::command::{Action, OutcomeKind};
use crate::core::record::{Body, Record};
use crate::core::source::CONTROL_PLANE;
use crate::core::time::Offset;
use crate::core::wave::WaveStatus;
use crate::server::scenario::Refusal;
use crate::server::scenario::Scenario;
use crate::server::scenario::REMEMBERED_COMMANDS;

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
        cmd.validate().map_err(|e| (Rejected, e))?;
        let plan = &self.plan.spec;
        let cur = self.state.current_wave();
        if let Some((name, index)) = named {
            let Some(w) = index else {
                return Err((Rejected, format!("no wave {name:?} in the plan")));
            };
            if Some(w) != cur {
                let named_state = self.state.waves[w].status;
                let head = if named_state == WaveStatus::Pending {
                    format!("wave {name} has not started")
                } else {
                    format!("wave {name} is now {}", wire(named_state))
                };
                return Err((
                    Conflict,
                    match cur {
                        None => format!("{head}; the rollout has not started"),
                        Some(c) => format!(
                            "{head}; current wave is {} ({})",
                            plan.waves[c].id,
                            wire(self.state.waves[c].status)
                        ),
                    },
                ));
            }
        }
        let Some(c) = cur else {
            return match cmd.action {
                Action::Note => Ok(()),
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
            Action::Note => Ok(()),
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
                Action::Pause | Action::Resume | Action::Rollback => {}
            }
            return;
        };
        let (state, traffic) = match action {
            Action::Note => return self.note_by(t, by, reason, out),
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
