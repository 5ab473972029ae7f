//! A tabletop exercise on `warroom serve FIXTURE`: the room's clock, which the facilitator
//! pauses, resumes, speeds up and moves forward for every console at once, and the injects:
//! records the fixture marks with `"inject": "NAME"`, which nobody but the facilitator sees
//! before their time comes or the facilitator releases them.
//!
//! Pure: wall time comes in as the time since the control plane started.

use std::collections::VecDeque;
use std::time::Duration;

use crate::core::plan::Plan;
use crate::core::record::{Body, Record};
use crate::core::time::Offset;
pub use crate::format::protocol::Upcoming;

/// A fixture's record as the control plane plays it: with the inject it belongs to, if any.
#[derive(Clone, Debug, PartialEq)]
pub struct Scripted {
    pub record: Record,
    pub inject: Option<Box<str>>,
}

/// The room's clock: rollout time as a function of wall time, which the facilitator can stop,
/// speed up and move.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RoomClock {
    /// Rollout time at wall time `at`.
    base: Offset,
    at: Duration,
    /// Rollout seconds per wall second while it runs.
    speed: f64,
    paused: bool,
}

impl RoomClock {
    #[must_use]
    pub fn new(base: Offset, speed: f64) -> RoomClock {
        RoomClock {
            base,
            at: Duration::ZERO,
            speed,
            paused: false,
        }
    }

    /// Rollout time at `wall`.
    #[must_use]
    pub fn now(&self, wall: Duration) -> Offset {
        if self.paused {
            return self.base;
        }
        let ran = wall.saturating_sub(self.at).as_secs_f64() * 1000.0 * self.speed;
        #[allow(clippy::cast_possible_truncation)]
        Offset(self.base.0.saturating_add(ran as i64))
    }

    /// Rollout seconds per wall second now: 0 while paused.
    #[must_use]
    pub fn rate(&self) -> f64 {
        if self.paused {
            0.0
        } else {
            self.speed
        }
    }

    #[must_use]
    pub fn speed(&self) -> f64 {
        self.speed
    }

    #[must_use]
    pub fn paused(&self) -> bool {
        self.paused
    }

    fn rebase(&mut self, wall: Duration) {
        self.base = self.now(wall);
        self.at = wall;
    }

    /// Stops the clock; `false` when it was stopped already.
    pub fn pause(&mut self, wall: Duration) -> bool {
        self.rebase(wall);
        !std::mem::replace(&mut self.paused, true)
    }

    /// Starts the clock again; `false` when it was running.
    pub fn resume(&mut self, wall: Duration) -> bool {
        self.rebase(wall);
        std::mem::replace(&mut self.paused, false)
    }

    pub fn set_speed(&mut self, wall: Duration, speed: f64) {
        self.rebase(wall);
        self.speed = speed;
    }

    /// Moves the clock to `to` (never back: what the room has seen stays seen).
    pub fn seek(&mut self, wall: Duration, to: Offset) {
        self.rebase(wall);
        self.base = self.base.max(to);
    }
}

/// The injects still in `script`, in the order they come due.
#[must_use]
pub fn upcoming(script: &VecDeque<Scripted>, plan: &Plan) -> Vec<Upcoming> {
    let mut out: Vec<Upcoming> = Vec::new();
    for s in script {
        let Some(id) = s.inject.as_deref() else {
            continue;
        };
        match out.iter_mut().find(|u| u.id == id) {
            Some(u) => u.records += 1,
            None => out.push(Upcoming {
                id: id.to_string(),
                t: s.record.t,
                records: 1,
                gist: gist(&s.record, plan),
            }),
        }
    }
    out
}

/// Takes the records of inject `id` out of `script`, due now (`at`), in their order. `None`
/// when no record of the script belongs to it.
pub fn release(script: &mut VecDeque<Scripted>, id: &str, at: Offset) -> Option<Vec<Record>> {
    let mut out = Vec::new();
    script.retain(|s| {
        if s.inject.as_deref() == Some(id) {
            let mut r = s.record.clone();
            r.t = at;
            out.push(r);
            false
        } else {
            true
        }
    });
    (!out.is_empty()).then_some(out)
}

/// Why a facilitator's command is not carried out.
pub type Refusal = (crate::core::command::OutcomeKind, String);

/// A clock command of the facilitator (`exercise_pause`, `_resume`, `_speed`, `_seek`) at
/// wall time `wall`, the room's time being `now`: what it did, in words for the timeline, and
/// for a seek the moment to move to (the caller plays the script up to there first).
///
/// # Errors
/// Not a clock command, a pause of a paused clock (`conflict`), a speed or moment that does
/// not read, a seek backwards (`rejected`).
pub fn clock_command(
    clock: &mut RoomClock,
    wall: Duration,
    action: crate::core::command::Action,
    item: &str,
    now: Offset,
    t0: crate::core::time::Epoch,
) -> Result<(String, Option<Offset>), Refusal> {
    use crate::core::command::{
        Action,
        OutcomeKind::{Conflict, Rejected},
    };
    use crate::core::words::trim_number;
    let at = now.t_label();
    match action {
        Action::ExercisePause if clock.pause(wall) => {
            Ok((format!("paused the exercise clock at {at}"), None))
        }
        Action::ExercisePause => Err((
            Conflict,
            format!("the exercise clock is already paused (at {at})"),
        )),
        Action::ExerciseResume if clock.resume(wall) => Ok((
            format!(
                "resumed the exercise clock at {at} (×{})",
                trim_number(clock.speed())
            ),
            None,
        )),
        Action::ExerciseResume => Err((Conflict, "the exercise clock is already running".into())),
        Action::ExerciseSpeed => match item.trim_start_matches(['x', '×']).parse::<f64>() {
            Ok(x) if x > 0.0 && x <= 1000.0 => {
                clock.set_speed(wall, x);
                let still = if clock.paused() {
                    " (still paused)"
                } else {
                    ""
                };
                Ok((
                    format!("set the exercise clock to ×{}{still}", trim_number(x)),
                    None,
                ))
            }
            _ => Err((
                Rejected,
                format!(
                    "speed {:?}: use a factor above 0 and at most 1000",
                    crate::core::sanitize::sanitize(item)
                ),
            )),
        },
        Action::ExerciseSeek => match crate::core::goto::parse_target(item, t0, now) {
            Ok(to) if to > now => Ok((
                format!(
                    "moved the exercise clock forward from {at} to {}",
                    to.t_label()
                ),
                Some(to),
            )),
            Ok(to) => Err((
                Rejected,
                format!(
                    "the exercise clock only moves forward: {} is not after {at}",
                    to.t_label()
                ),
            )),
            Err(e) => Err((Rejected, e)),
        },
        other => Err((Rejected, format!("{} is not a clock command", other.word()))),
    }
}

/// The facilitator's `release` of inject `id` at `now`: what it did, in words for the
/// timeline, and the inject's records, stamped `now`.
///
/// # Errors
/// No inject of that name is still to come (`rejected`, naming those that are).
pub fn release_command(
    script: &mut VecDeque<Scripted>,
    id: &str,
    now: Offset,
    plan: &Plan,
) -> Result<(String, Vec<Record>), Refusal> {
    if let Some(records) = release(script, id, now) {
        let n = records.len();
        let s = if n == 1 { "" } else { "s" };
        return Ok((
            format!("released inject {id} ({n} record{s}) at {}", now.t_label()),
            records,
        ));
    }
    let left: Vec<String> = upcoming(script, plan).into_iter().map(|u| u.id).collect();
    let left = if left.is_empty() {
        "none is left".to_string()
    } else {
        format!("still to come: {}", left.join(", "))
    };
    Err((
        crate::core::command::OutcomeKind::Rejected,
        format!(
            "no inject {:?} is still to come ({left})",
            crate::core::sanitize::sanitize(id)
        ),
    ))
}

/// Whether the records due by `now` (which the script is about to play) include an inject.
#[must_use]
pub fn inject_due(script: &VecDeque<Scripted>, now: Offset) -> bool {
    script
        .iter()
        .take_while(|s| s.record.t <= now)
        .any(|s| s.inject.is_some())
}

/// "alert `ErrorBudgetBurn` firing", "note: …", "incident DETECTED": a record in a few words.
#[must_use]
pub fn gist(r: &Record, plan: &Plan) -> String {
    let cut = |s: &str| {
        let mut t: String = s.chars().take(60).collect();
        if s.chars().count() > 60 {
            t.push('…');
        }
        t
    };
    match &r.body {
        Body::Wave { wave, state, .. } => format!(
            "wave {} {}",
            plan.spec.waves.get(*wave).map_or("?", |w| w.id.as_str()),
            state.word()
        ),
        Body::Metric { slo, value } => format!(
            "{} = {}",
            plan.spec.slos.get(*slo).map_or("?", |s| s.id.as_str()),
            value.map_or_else(|| "no data".into(), crate::core::words::trim_number)
        ),
        Body::Check { item, section, .. } => format!(
            "checklist {}",
            plan.spec
                .checklist
                .get(*section)
                .and_then(|s| s.items.get(*item))
                .map_or("?", |i| i.id.as_str())
        ),
        Body::Alert {
            name,
            state,
            summary,
            ..
        } => {
            let mut s = format!("alert {name} {}", alert_word(*state));
            if let Some(sum) = summary {
                s.push_str(": ");
                s.push_str(&cut(sum));
            }
            s
        }
        Body::Note { text, .. } => format!("note: {}", cut(text)),
        Body::Command { action, .. } => format!("command {}", action.word()),
        Body::Outcome { result, .. } => format!("outcome {}", result.word()),
        Body::Incident {
            milestone, text, ..
        } => match text {
            Some(t) => format!("incident {}: {}", milestone.word(), cut(t)),
            None => format!("incident {}", milestone.word()),
        },
        Body::Feed { text } | Body::Other { text, .. } => cut(text),
        Body::Snapshot { .. } => "state image".into(),
    }
}

fn alert_word(s: crate::core::record::AlertState) -> &'static str {
    match s {
        crate::core::record::AlertState::Firing => "firing",
        crate::core::record::AlertState::Resolved => "resolved",
        crate::core::record::AlertState::Silenced => "silenced",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn the_clock_stops_runs_speeds_and_moves_forward_only() {
        let mut c = RoomClock::new(Offset(60_000), 2.0);
        assert_eq!(c.now(S * 10), Offset(80_000));
        assert!(c.pause(S * 10));
        assert!(!c.pause(S * 11), "paused twice is paused once");
        assert_eq!(c.now(S * 100), Offset(80_000));
        assert!(c.rate().abs() < f64::EPSILON);
        assert!(c.resume(S * 100));
        assert!(!c.resume(S * 100));
        assert_eq!(c.now(S * 101), Offset(82_000));
        c.set_speed(S * 101, 10.0);
        assert_eq!(c.now(S * 102), Offset(92_000));
        c.seek(S * 102, Offset(600_000));
        assert_eq!(c.now(S * 102), Offset(600_000));
        c.seek(S * 103, Offset(0));
        assert_eq!(c.now(S * 103), Offset(610_000), "never back");
    }

    fn note(t: i64, inject: Option<&str>) -> Scripted {
        Scripted {
            record: Record {
                t: Offset(t),
                source: None,
                body: Body::Note {
                    by: None,
                    text: format!("at {t}").into(),
                },
            },
            inject: inject.map(Into::into),
        }
    }

    #[test]
    fn injects_are_listed_by_name_and_released_whole() {
        let plan = crate::server::scenario::Scenario::batch_patches_demo(1)
            .plan()
            .clone();
        let mut script: VecDeque<Scripted> = [
            note(1_000, None),
            note(5_000, Some("I1")),
            note(6_000, Some("I1")),
            note(9_000, Some("I2")),
        ]
        .into();
        let up = upcoming(&script, &plan);
        assert_eq!(
            up.iter()
                .map(|u| (u.id.as_str(), u.t, u.records, u.gist.as_str()))
                .collect::<Vec<_>>(),
            [
                ("I1", Offset(5_000), 2, "note: at 5000"),
                ("I2", Offset(9_000), 1, "note: at 9000")
            ]
        );
        assert!(!inject_due(&script, Offset(4_999)));
        assert!(inject_due(&script, Offset(5_000)));
        let out = release(&mut script, "I1", Offset(2_000)).unwrap();
        assert_eq!(out.len(), 2);
        assert!(out.iter().all(|r| r.t == Offset(2_000)));
        assert_eq!(script.len(), 2);
        assert!(release(&mut script, "I1", Offset(2_000)).is_none());
        assert_eq!(upcoming(&script, &plan).len(), 1);
    }
}
