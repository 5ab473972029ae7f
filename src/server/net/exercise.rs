//! The facilitator's commands on the control plane: the exercise's clock and its injects.

use std::sync::PoisonError;

use crate::core::command::{Action, Command, OutcomeKind};
use crate::core::record::{Body, Record};
use crate::core::sanitize::sanitize;

use super::super::exercise;
use super::{ControlPlane, Seat, FACILITATOR};

impl ControlPlane {
    /// The facilitator's control of the exercise: the clock (pause, resume, speed, seek
    /// forward) and the injects (release one early). Its command and outcome are on every
    /// timeline, with what it did from the `facilitator` source; every console is told the
    /// clock. A repeated id gets the first outcome again and nothing else.
    pub(super) fn exercise_command(&self, cmd: &Command, seat: &Seat) {
        let now = self.now();
        if let Some(due) = self.play_script(now) {
            self.publish(due);
        }
        let id = sanitize(&cmd.id);
        let seen = self
            .hub()
            .state()
            .commands
            .iter()
            .rev()
            .find(|c| *c.id == *id)
            .and_then(|c| c.outcome.clone());
        let src: Option<Box<str>> = Some(crate::core::source::CONTROL_PLANE.into());
        let outcome = |result, reason: Option<Box<str>>| Record {
            t: now,
            source: src.clone(),
            body: Body::Outcome {
                id: id.clone(),
                result,
                reason,
            },
        };
        if let Some((result, reason)) = seen {
            self.publish(vec![outcome(result, reason)]);
            return;
        }
        let who = sanitize(seat.name().unwrap_or(&cmd.actor).trim());
        let mut records = vec![Record {
            t: now,
            source: src.clone(),
            body: Body::Command {
                id: id.clone(),
                action: cmd.action,
                by: Some(who.clone()),
                reason: cmd.reason.as_deref().map(sanitize),
                wave: None,
                item: cmd.item().map(sanitize),
            },
        }];
        let item = cmd.item().unwrap_or_default().trim();
        let mut seek_to = None;
        let verdict = if !self.is_exercise {
            Err((
                OutcomeKind::Rejected,
                "this control plane runs no exercise: the exercise clock and injects belong to \
                 `warroom serve FIXTURE`"
                    .into(),
            ))
        } else if let Err(e) = cmd.validate() {
            Err((OutcomeKind::Rejected, e))
        } else if cmd.action == Action::Release {
            // Locks go clock, script, journal, hub: the hub's plan is read before the script
            // is taken, and the clock is not needed.
            let plan = self.hub().plan().clone();
            let mut script = self.script.lock().unwrap_or_else(PoisonError::into_inner);
            exercise::release_command(&mut script, item, now, &plan)
        } else {
            let wall = self.origin.elapsed();
            let mut clock = self.room_clock();
            exercise::clock_command(&mut clock, wall, cmd.action, item, now, self.rollout.t0).map(
                |(done, to)| {
                    seek_to = to;
                    (done, Vec::new())
                },
            )
        };
        match verdict {
            Ok((done, released)) => {
                records.push(outcome(OutcomeKind::Accepted, None));
                records.push(Record {
                    t: now,
                    source: Some(FACILITATOR.into()),
                    body: Body::Feed {
                        text: format!("{who} (facilitator) {done}").into(),
                    },
                });
                records.extend(released);
            }
            Err((kind, why)) => records.push(outcome(kind, Some(sanitize(&why)))),
        }
        self.publish(records);
        if let Some(to) = seek_to {
            self.room_clock().seek(self.origin.elapsed(), to);
            // What the script holds up to there plays now, at its own times.
            self.tick();
        }
        self.exercise_changed();
    }
}
