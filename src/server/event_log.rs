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

/// A message's text, shared by reference count: every console's socket sends the same
/// bytes without a copy.
pub use tokio_tungstenite::tungstenite::Utf8Bytes as Shared;

/// Events kept for resuming consoles (ten seconds at 1,000 events/s; minutes at a real
/// rollout's pace); older ones are only reachable through a snapshot.
pub const LOG_CAP: usize = 10_000;

/// One published event, already serialised (every console gets the same bytes).
#[derive(Clone, Debug)]
pub struct Published {
    pub seq: u64,
    /// The whole `event` message, serialised once and sent as is to every console.
    pub message: Shared,
}

pub struct EventLog {
    plan: Arc<Plan>,
    log: VecDeque<Published>,
    /// The next sequence number to give out (staged events have those before it).
    next_seq: u64,
    /// The newest published.
    committed: u64,
    /// The time of the newest staged record.
    staged_t: Offset,
    state: State,
}

/// An event with its number, not yet published.
pub struct Staged {
    pub seq: u64,
    pub record: Record,
    pub message: Shared,
    /// Its journal line, when asked for.
    pub line: Option<super::journal::Line>,
}

/// The `event` message, serialised from a borrowed record.
#[derive(serde::Serialize)]
struct EventRef<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    seq: u64,
    record: &'a serde_json::Value,
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
            committed: 0,
            staged_t: Offset(i64::MIN),
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

    /// The newest sequence number published (0 before anything was).
    #[must_use]
    pub fn seq(&self) -> u64 {
        self.committed
    }

    /// The log of a control plane restarted from its journal: the state after `seq`, and
    /// the newest events for consoles that resume.
    #[must_use]
    pub fn restored(plan: Arc<Plan>, state: State, seq: u64, log: Vec<Published>) -> EventLog {
        let mut log: VecDeque<Published> = log.into();
        while log.len() > LOG_CAP {
            log.pop_front();
        }
        EventLog {
            plan,
            log,
            next_seq: seq + 1,
            committed: seq,
            staged_t: state.last_record.unwrap_or(Offset(i64::MIN)),
            state,
        }
    }

    /// Publishes records in order; returns the newest sequence number.
    pub fn publish(&mut self, records: Vec<Record>) -> u64 {
        let staged = self.stage(records, false);
        self.commit(staged)
    }

    /// Gives records their sequence numbers and their messages (and, with `lines`, their
    /// journal lines), without publishing them yet: [`EventLog::commit`] does, in order.
    pub fn stage(&mut self, records: Vec<Record>, lines: bool) -> Vec<Staged> {
        records
            .into_iter()
            .map(|mut record| {
                // Time never goes back in what is published (two callers may have read the
                // clock in one order and published in the other).
                record.t = record.t.max(self.staged_t);
                self.staged_t = record.t;
                let seq = self.next_seq;
                self.next_seq += 1;
                let encoded = encode::record(&record, &self.plan);
                let message: Shared = serde_json::to_string(&EventRef {
                    kind: "event",
                    seq,
                    record: &encoded,
                })
                .unwrap_or_default()
                .into();
                let line = lines.then(|| super::journal::Line::of(seq, &message, &record));
                Staged {
                    seq,
                    record,
                    message,
                    line,
                }
            })
            .collect()
    }

    /// Publishes staged records (in the order they were staged): applied to the state and
    /// kept for catch-up. Returns the newest sequence number.
    pub fn commit(&mut self, staged: Vec<Staged>) -> u64 {
        for s in staged {
            self.state.apply(Event::Record(s.record));
            if self.log.len() == LOG_CAP {
                self.log.pop_front();
            }
            self.log.push_back(Published {
                seq: s.seq,
                message: s.message,
            });
            self.committed = s.seq;
        }
        self.seq()
    }

    /// Events after `after` (at most `max`), if the log still holds them all.
    #[must_use]
    pub fn since(&self, after: u64, max: usize) -> Option<Vec<Published>> {
        let oldest = self.log.front().map_or(self.committed + 1, |p| p.seq);
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
