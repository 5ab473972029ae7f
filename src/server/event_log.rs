//! The control plane's event log: every record it publishes gets the next sequence number,
//! is applied to its own copy of the state (the same reducer the consoles run), and stays
//! in a bounded log from which reconnecting consoles are caught up. Pure: no I/O.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::core::plan::Plan;
use crate::core::record::Record;
use crate::core::source::{Link, SourceStatus};
use crate::core::state::{Event, State};
use crate::format::encode;

/// Events kept for resuming consoles (ten seconds at 1,000 events/s; minutes at a real
/// rollout's pace); older ones are only reachable through a snapshot.
pub const LOG_CAP: usize = 10_000;

/// One published event, already serialised (every console gets the same bytes).
#[derive(Clone, Debug)]
pub struct Published {
    pub seq: u64,
    /// The whole `event` message, serialised once and sent as is to every console.
    pub message: Arc<str>,
}

pub struct EventLog {
    plan: Arc<Plan>,
    log: VecDeque<Published>,
    next_seq: u64,
    state: State,
}

/// What a console that says "I have everything up to `after`" needs.
pub enum CatchUp {
    /// The events after `after`, in order.
    Events(Vec<Published>),
    /// Too far back (or a console of another session): records rebuilding the current
    /// state, as of `seq`.
    Snapshot {
        seq: u64,
        records: Vec<serde_json::Value>,
    },
}

impl EventLog {
    #[must_use]
    pub fn new(plan: Arc<Plan>) -> EventLog {
        let state = State::new(
            plan.clone(),
            SourceStatus {
                name: Arc::from(crate::core::source::CONTROL_PLANE),
                link: Link::Connected,
            },
            2_000,
        );
        EventLog {
            plan,
            log: VecDeque::new(),
            next_seq: 1,
            state,
        }
    }

    #[must_use]
    pub fn plan(&self) -> &Arc<Plan> {
        &self.plan
    }

    #[must_use]
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The newest sequence number (0 before anything was published).
    #[must_use]
    pub fn seq(&self) -> u64 {
        self.next_seq - 1
    }

    /// Publishes records in order; returns the newest sequence number.
    pub fn publish(&mut self, records: Vec<Record>) -> u64 {
        for r in records {
            let event = crate::format::protocol::ServerMsg::Event {
                seq: self.next_seq,
                record: encode::record(&r, &self.plan),
            };
            let message: Arc<str> = serde_json::to_string(&event).unwrap_or_default().into();
            self.state.apply(Event::Record(r));
            if self.log.len() == LOG_CAP {
                self.log.pop_front();
            }
            self.log.push_back(Published {
                seq: self.next_seq,
                message,
            });
            self.next_seq += 1;
        }
        self.seq()
    }

    /// Events after `after` (at most `max`), if the log still holds them all.
    #[must_use]
    pub fn since(&self, after: u64, max: usize) -> Option<Vec<Published>> {
        let oldest = self.log.front().map_or(self.next_seq, |p| p.seq);
        if after + 1 < oldest {
            return None;
        }
        let skip = usize::try_from((after + 1).saturating_sub(oldest)).unwrap_or(usize::MAX);
        Some(self.log.iter().skip(skip).take(max).cloned().collect())
    }

    /// What a console resuming after `after` needs (`None`: it has nothing).
    #[must_use]
    pub fn catch_up(&self, after: Option<u64>) -> CatchUp {
        match after.and_then(|a| self.since(a, usize::MAX)) {
            Some(events) if after.is_some_and(|a| a <= self.seq()) => CatchUp::Events(events),
            _ => CatchUp::Snapshot {
                seq: self.seq(),
                records: self.snapshot(),
            },
        }
    }

    /// Records that rebuild the current state from nothing: every wave that has moved, the
    /// latest sample of each SLO, every checklist item that is not open, firing alerts,
    /// incident milestones, and the newest timeline entries as notes of what happened.
    #[must_use]
    pub fn snapshot(&self) -> Vec<serde_json::Value> {
        use crate::core::checklist::ItemStatus;
        use crate::core::record::{AlertState, Body};
        let s = &self.state;
        let mut out: Vec<Record> = Vec::new();
        // Before anything happened the state's clock is a sentinel, not a time.
        let t = if s.now.0 == i64::MIN {
            crate::core::time::Offset::ZERO
        } else {
            s.now
        };
        let mk = |t, body| Record {
            t,
            source: Some("snapshot".into()),
            body,
        };
        let mut waves: Vec<(crate::core::time::Offset, usize)> = s
            .waves
            .iter()
            .enumerate()
            .filter_map(|(i, w)| w.since.map(|t| (t, i)))
            .collect();
        waves.sort();
        for (wt, i) in waves {
            let w = s.waves[i];
            let traffic = (Some(i) == s.current_wave()).then_some(s.traffic);
            out.push(mk(
                wt,
                Body::Wave {
                    wave: i,
                    state: w.status,
                    traffic,
                    by: None,
                    text: None,
                },
            ));
        }
        for (si, sec) in s.checklist.items.iter().enumerate() {
            for (ii, item) in sec.iter().enumerate() {
                if item.status != ItemStatus::Open {
                    let at = item.at.unwrap_or(t);
                    out.push(mk(
                        at,
                        Body::Check {
                            section: si,
                            item: ii,
                            state: item.status,
                            by: item.by.clone(),
                            text: item.note.clone(),
                        },
                    ));
                }
            }
        }
        for (m, at) in &s.milestones {
            out.push(mk(
                *at,
                Body::Incident {
                    milestone: *m,
                    severity: None,
                    text: None,
                },
            ));
        }
        for (id, a) in &s.alerts {
            let state = if a.silenced {
                AlertState::Silenced
            } else {
                AlertState::Firing
            };
            out.push(mk(
                a.since,
                Body::Alert {
                    id: id.clone(),
                    name: a.name.clone(),
                    state,
                    severity: a.severity,
                    summary: a.summary.clone(),
                },
            ));
        }
        for (i, slo) in s.slos.iter().enumerate() {
            for sample in [slo.prev, slo.last].into_iter().flatten() {
                out.push(mk(
                    sample.t,
                    Body::Metric {
                        slo: i,
                        value: sample.value,
                    },
                ));
            }
        }
        // Records must not go back in time: order them, then state the moment.
        out.sort_by_key(|r| r.t);
        out.push(mk(
            t,
            Body::Feed {
                text: format!("state as of event {} (rebuilt from a snapshot)", self.seq()).into(),
            },
        ));
        out.iter().map(|r| encode::record(r, &self.plan)).collect()
    }
}
