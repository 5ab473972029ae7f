//! What a planned rollout hears from outside: Prometheus samples and Alertmanager alerts the
//! control plane polls, the sources' health, and changes made to the target outside warroom.
//! Everything is published as records, so every console sees the same numbers and gates.

use std::collections::HashMap;

use crate::core::input::MetricsMsg;
use crate::core::record::{AlertState, Body, Milestone, Record};
use crate::core::sanitize::sanitize;
use crate::core::severity::Severity;
use crate::core::slo::Sample;
use crate::core::source::{Link, ALERTMANAGER, CONTROL_PLANE, PROMETHEUS};
use crate::core::state::Event;
use crate::core::time::{Epoch, Offset};

use super::{Scenario, ACTUATOR};

/// What was last said about each source and each SLO's query, so it is said once per change.
#[derive(Clone, Debug, Default)]
pub(super) struct Heard {
    links: HashMap<Box<str>, String>,
    errors: HashMap<usize, String>,
}

impl Scenario {
    /// Records measured outside (Prometheus samples, Alertmanager alerts, source lines),
    /// published as they come, at `now` or their own time when later than the scenario's
    /// clock; then whatever they set off (a trigger, an advance once the gates are green).
    pub fn observe(&mut self, records: Vec<Record>, now: Offset) -> Vec<Record> {
        let mut out = Vec::new();
        self.run_to(now, &mut out);
        for mut r in records {
            r.t = r.t.max(self.clock).min(now.max(self.clock));
            let source = r.source.clone().unwrap_or_else(|| CONTROL_PLANE.into());
            if let Body::Metric { slo, value } = r.body {
                if let Some(v) = self.last_values.get_mut(slo) {
                    *v = value.or(*v);
                }
            }
            let alert = match &r.body {
                Body::Alert {
                    name,
                    state,
                    severity,
                    ..
                } if &*source == ALERTMANAGER => Some((name.clone(), *state, *severity)),
                _ => None,
            };
            self.emit(r.t, &source, r.body, &mut out);
            if let Some((name, state, severity)) = alert {
                self.alert_milestone(r.t, &name, state, severity, &mut out);
            }
        }
        let t = self.clock;
        self.check_triggers(t, &mut out);
        self.consider_advance(t, &mut out);
        out
    }

    /// Alertmanager's word on the incident, for every console alike: a critical alert that
    /// fires while no incident is open detects one; one silenced while the incident waits
    /// for its acknowledgement acknowledges it (a silence is how Alertmanager is
    /// acknowledged); the last critical alert (silenced or not) resolving while it waits for mitigation
    /// mitigates it. Resolution stays a person's call.
    fn alert_milestone(
        &mut self,
        t: Offset,
        name: &str,
        state: AlertState,
        severity: Severity,
        out: &mut Vec<Record>,
    ) {
        if severity != Severity::Critical {
            return;
        }
        let reached = self.state.open_incident().map(|o| o.reached);
        let (milestone, text) = match (state, reached) {
            (AlertState::Firing, None) => (Milestone::Detected, format!("{name} firing")),
            (AlertState::Silenced, Some(Milestone::Detected)) => (
                Milestone::Acknowledged,
                format!("{name} silenced in Alertmanager"),
            ),
            (AlertState::Resolved, Some(Milestone::Detected | Milestone::Acknowledged))
                if !self
                    .state
                    .alerts
                    .values()
                    .any(|a| a.severity == Severity::Critical) =>
            {
                (
                    Milestone::Mitigated,
                    format!("{name} resolved: no critical alert firing"),
                )
            }
            _ => return,
        };
        self.emit(
            t,
            ALERTMANAGER,
            Body::Incident {
                milestone,
                severity: (milestone == Milestone::Detected).then_some(Severity::Critical),
                text: Some(sanitize(&text)),
            },
            out,
        );
    }

    /// Older samples for the sparklines and burn windows (start-up range queries): they go
    /// into the state that late joiners get, not onto the stream.
    pub fn backfill(&mut self, slo: usize, points: Vec<crate::core::slo::Sample>) {
        self.state.apply(Event::Backfill { slo, points });
    }

    /// A line on every console's timeline from outside the rollout (a change made to the
    /// flag in Unleash's UI, say), by `by`.
    pub fn outside(&mut self, by: Option<&str>, text: &str, now: Offset) -> Vec<Record> {
        let mut out = Vec::new();
        self.run_to(now, &mut out);
        let t = self.clock;
        self.emit(
            t,
            ACTUATOR,
            Body::Note {
                by: by.map(sanitize),
                text: sanitize(text),
            },
            &mut out,
        );
        out
    }

    /// One report of the control plane's own Prometheus and Alertmanager polling, placed on
    /// the rollout's clock by its Unix time (`t0` is the rollout's T0 in wall time), never
    /// ahead of `now`; published like [`Scenario::observe`]. A source going down or up, and a
    /// query failing or recovering, go on the timeline once per change.
    pub fn polled(&mut self, msg: MetricsMsg, t0: Epoch, now: Offset) -> Vec<Record> {
        let at = |ms: i64| t0.offset_of_unix_ms(ms).min(now);
        let line = |text: String| Record {
            t: now,
            source: Some(CONTROL_PLANE.into()),
            body: Body::Feed { text: text.into() },
        };
        let records = match msg {
            MetricsMsg::Status(s) => {
                let said = match &s.link {
                    Link::Down { reason, .. } => format!("{}: down: {reason}", s.name),
                    Link::Connected => format!("{}: connected", s.name),
                    Link::Connecting { .. } | Link::Replay => return Vec::new(),
                };
                let first = !self.heard.links.contains_key(&*s.name);
                let before = self
                    .heard
                    .links
                    .insert(s.name.as_ref().into(), said.clone());
                if before.as_deref() == Some(said.as_str())
                    || (first && matches!(s.link, Link::Connected))
                {
                    return Vec::new();
                }
                vec![line(said)]
            }
            // The room's plan is fixed when a console joins: a series first seen later has no
            // gauge to go to.
            MetricsMsg::AddSlo(_) => return Vec::new(),
            MetricsMsg::Backfill { id, points } => {
                if let Some(slo) = self.plan.slo(&id) {
                    let points = points
                        .into_iter()
                        .map(|(ms, value)| Sample { t: at(ms), value })
                        .collect();
                    self.backfill(slo, points);
                }
                return Vec::new();
            }
            MetricsMsg::Sample { id, at_ms, value } => {
                let Some(slo) = self.plan.slo(&id) else {
                    return Vec::new();
                };
                let mut out = Vec::new();
                if self.heard.errors.remove(&slo).is_some() {
                    out.push(line(format!("{PROMETHEUS}: {id}: the query answers again")));
                }
                out.push(Record {
                    t: at(at_ms),
                    source: Some(PROMETHEUS.into()),
                    body: Body::Metric { slo, value },
                });
                out
            }
            MetricsMsg::Failed { id, error } => {
                let Some(slo) = self.plan.slo(&id) else {
                    return Vec::new();
                };
                let said = format!("{PROMETHEUS}: {id}: {}", sanitize(&error));
                if self.heard.errors.get(&slo) == Some(&said) {
                    return Vec::new();
                }
                self.heard.errors.insert(slo, said.clone());
                vec![line(said)]
            }
            MetricsMsg::Alerts(bodies) => bodies
                .into_iter()
                .map(|body| Record {
                    t: now,
                    source: Some(ALERTMANAGER.into()),
                    body,
                })
                .collect(),
        };
        self.observe(records, now)
    }
}
