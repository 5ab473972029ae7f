//! The control plane's event log: every record it publishes gets the next sequence number,
//! is applied to its own copy of the state (the same reducer the consoles run, with the
//! same timeline cap), and stays in a bounded log from which reconnecting consoles are
//! caught up. A console that is new, of another session or too far behind gets the state's
//! image instead, so that it shows exactly what a console that watched from the start shows.
//! Pure: no I/O.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::core::plan::Plan;
use crate::core::record::Record;
use crate::core::source::{Link, SourceStatus};
use crate::core::state::{Event, Image, State, TIMELINE_CAP};
use crate::core::time::Offset;
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
    /// Too far back (or a console of another session): the whole current state, as of
    /// `seq`.
    Snapshot { seq: u64, image: Box<Image> },
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
            TIMELINE_CAP,
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

    /// What a console resuming after `after` needs (`None`: it has nothing), at `now`.
    pub fn catch_up(&mut self, after: Option<u64>, now: Offset) -> CatchUp {
        match after.and_then(|a| self.since(a, usize::MAX)) {
            Some(events) if after.is_some_and(|a| a <= self.seq()) => CatchUp::Events(events),
            _ => {
                // The image is of the state at `now`, as a console that has watched from the
                // start shows it (data that has stopped arriving has gone stale, say).
                self.state.apply(Event::Clock(now));
                CatchUp::Snapshot {
                    seq: self.seq(),
                    image: Box::new(self.state.image()),
                }
            }
        }
    }
}
