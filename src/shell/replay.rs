//! The replay engine: reads a fixture on its own thread and feeds records into the console's
//! channel at the playback speed. A validation pass at start-up (before the terminal is
//! touched) checks every line and keeps periodic snapshots of the state, so a seek backwards
//! restores the nearest snapshot and re-applies at most one snapshot interval of records.

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use crate::core::input::ReplayMsg;
use crate::core::playback::{Playback, Speed};
use crate::core::playback::{ReplayCtl, ReplayInfo};
use crate::core::record::Record;
use crate::core::state::{Event, State};
use crate::core::time::{Offset, Span};
use crate::format::fixture::{FixtureError, Position};

use super::fixtures::Source;

/// At most this many snapshots are kept; when full, every other one is dropped and the
/// interval doubles, so memory stays flat whatever the fixture's length.
pub const MAX_SNAPSHOTS: usize = 48;
/// Initial spacing between snapshots, in record lines.
pub const FIRST_INTERVAL: u64 = 2048;
/// Most records sent in one batch at "max" speed (one batch a frame: 600k records/s), so
/// keys stay responsive and a batch in flight stays small.
pub const MAX_BATCH: usize = 20_000;
/// Timeline entries a snapshot keeps (the newest); older ones are counted as dropped. This
/// is what keeps memory flat however long the fixture: snapshots far apart share nothing.
pub const SNAPSHOT_TIMELINE: usize = 1024;
/// Most timeline-event times remembered for "next event".
pub const MAX_EVENT_TIMES: usize = 1 << 20;

/// The state after a given line, and where the reader stood.
#[derive(Clone)]
pub struct Snapshot {
    pub t: Offset,
    pub pos: Position,
    pub state: State,
}

/// Everything the validation pass learned.
pub struct Prepared {
    pub snapshots: Vec<Snapshot>,
    pub start: Offset,
    pub end: Offset,
    pub lines: u64,
    /// Times at which a record added a timeline entry (for "next event"), deduplicated.
    pub event_times: Vec<Offset>,
    /// The initial (empty) state.
    pub initial: State,
    pub first_pos: Position,
}

/// Reads and applies every record of `src`, refusing the file at its first bad line.
///
/// # Errors
/// The first malformed record.
pub fn prepare(src: &mut Source, initial: State) -> Result<Prepared, FixtureError> {
    let first_pos = src.position();
    let mut state = initial.clone();
    let mut snapshots = Vec::new();
    let mut interval = FIRST_INTERVAL;
    let mut lines = 0u64;
    let (mut start, mut end) = (None::<Offset>, Offset::ZERO);
    let mut event_times: Vec<Offset> = Vec::new();
    loop {
        let before = state.timeline.len() as u64 + state.timeline.dropped();
        let got = src.next_records(&mut |r| {
            state.apply(Event::Record(r));
        })?;
        let Some(t) = got else { break };
        lines += 1;
        start.get_or_insert(t);
        end = t;
        if state.timeline.len() as u64 + state.timeline.dropped() > before
            && event_times.last() != Some(&t)
            && event_times.len() < MAX_EVENT_TIMES
        {
            event_times.push(t);
        }
        if lines.is_multiple_of(interval) {
            let mut kept = state.clone();
            kept.timeline.keep_newest(SNAPSHOT_TIMELINE);
            snapshots.push(Snapshot {
                t,
                pos: src.position(),
                state: kept,
            });
            if snapshots.len() > MAX_SNAPSHOTS {
                let mut keep = false;
                snapshots.retain(|_| {
                    keep = !keep;
                    !keep
                });
                interval *= 2;
            }
        }
    }
    let start = start.unwrap_or(Offset::ZERO).min(Offset::ZERO);
    Ok(Prepared {
        snapshots,
        start,
        end: end.max(start),
        lines,
        event_times,
        initial,
        first_pos,
    })
}

/// A speed that plays the whole fixture in about three minutes, on the step table.
#[must_use]
pub fn auto_speed(start: Offset, end: Offset) -> Speed {
    #[allow(clippy::cast_precision_loss)]
    let want = (end.since(start).0 as f64 / 180_000.0).max(1.0);
    let mut s = Speed::Times(0.5);
    while let Speed::Times(v) = s {
        if v >= want || s.step(true) == Speed::Max {
            break;
        }
        s = s.step(true);
    }
    s
}

/// Where a line was read but not yet applied (its time is still ahead of playback).
struct Pending {
    t: Offset,
    records: Vec<Record>,
}

pub struct Engine {
    src: Source,
    prep: Prepared,
    playback: Playback,
    /// Time up to which records have been sent.
    sent_to: Offset,
    pending: Option<Pending>,
    done: bool,
    origin: Instant,
    /// Longest wall time a quiet stretch (no timeline event) takes to play; `None`: play it
    /// at speed.
    idle_limit: Option<Duration>,
}

impl Engine {
    #[must_use]
    pub fn new(src: Source, prep: Prepared, speed: Speed) -> Engine {
        let playback = Playback::new(prep.start, prep.end, speed);
        Engine {
            sent_to: Offset(i64::MIN),
            src,
            playback,
            pending: None,
            done: false,
            origin: Instant::now(),
            prep,
            idle_limit: None,
        }
    }

    /// Plays quiet stretches (no timeline event) in at most `limit` of wall time, as
    /// asciinema's idle limit does; `None` plays them at speed.
    #[must_use]
    pub fn idle_limit(mut self, limit: Option<Duration>) -> Engine {
        self.idle_limit = limit.filter(|l| !l.is_zero());
        self
    }

    /// Past a quiet stretch that would take longer than the idle limit at this speed: moves
    /// playback on to `limit` before the next event, and says how much quiet it skipped.
    fn skip_idle(&mut self, clock: Offset, send: &mut impl FnMut(ReplayMsg) -> bool) -> bool {
        let (Some(limit), Speed::Times(x), true) =
            (self.idle_limit, self.playback.speed, self.playback.playing)
        else {
            return true;
        };
        let i = self.prep.event_times.partition_point(|t| *t <= clock);
        let Some(&next) = self.prep.event_times.get(i) else {
            return true;
        };
        #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
        let lead = Span((limit.as_millis() as f64 * x) as i64);
        let to = next.saturating_sub(lead);
        if to <= clock.saturating_add(Span(1000)) {
            return true;
        }
        self.playback.set_playing(true, self.wall(), to);
        send(ReplayMsg::Skipped {
            quiet: to.since(clock),
            limit: Span(i64::try_from(limit.as_millis()).unwrap_or(i64::MAX)),
        })
    }

    fn wall(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    #[must_use]
    pub fn info(&self) -> ReplayInfo {
        ReplayInfo {
            speed: self.playback.speed,
            playing: self.playback.playing,
            start: self.prep.start,
            end: self.prep.end,
        }
    }

    /// Reads records with `t <= to` (at most `limit`), returning them and the time reached.
    fn read_until(&mut self, to: Offset, limit: usize) -> Result<(Vec<Record>, Offset), String> {
        let mut out = Vec::new();
        let mut reached = self.sent_to.max(self.prep.start);
        loop {
            if let Some(p) = self.pending.take() {
                if p.t > to {
                    self.pending = Some(p);
                    reached = to;
                    break;
                }
                reached = p.t;
                out.extend(p.records);
            }
            if out.len() >= limit {
                break;
            }
            if self.done {
                reached = to.min(self.prep.end).max(reached);
                break;
            }
            let mut recs = Vec::new();
            match self.src.next_records(&mut |r| recs.push(r)) {
                Ok(Some(t)) => self.pending = Some(Pending { t, records: recs }),
                Ok(None) => self.done = true,
                Err(e) => return Err(e.to_string()),
            }
        }
        self.sent_to = reached;
        Ok((out, reached))
    }

    /// Moves to `to`: forward by reading on, or through the nearest snapshot at or before it.
    fn seek(&mut self, to: Offset, send: &mut impl FnMut(ReplayMsg) -> bool) -> Result<(), String> {
        let to = to.clamp(self.prep.start, self.prep.end);
        let snap = self.prep.snapshots.iter().rev().find(|s| s.t <= to);
        let restore = to < self.sent_to || snap.is_some_and(|s| s.t > self.sent_to);
        let mut restored_state = None;
        if restore {
            let (state, pos, t) = match snap {
                Some(s) => (s.state.clone(), s.pos, s.t),
                None => (
                    self.prep.initial.clone(),
                    self.prep.first_pos,
                    Offset(i64::MIN),
                ),
            };
            restored_state = Some(state);
            self.src = self
                .src
                .reopen(pos)
                .map_err(|e| format!("cannot reopen the fixture: {e}"))?;
            self.pending = None;
            self.done = false;
            self.sent_to = t;
        }
        let (records, clock) = self.read_until(to, usize::MAX)?;
        let wall = self.wall();
        self.playback.seek(clock, wall);
        let info = self.info();
        // One message for the restored state and the records after it, so the screen never
        // shows the older snapshot on its own.
        let restored = restored_state.map(Box::new);
        send(match restored {
            Some(state) => ReplayMsg::Restore {
                state,
                records,
                clock,
                info,
            },
            None => ReplayMsg::Batch {
                records,
                clock,
                info,
            },
        });
        Ok(())
    }

    fn control(
        &mut self,
        ctl: ReplayCtl,
        send: &mut impl FnMut(ReplayMsg) -> bool,
    ) -> Result<(), String> {
        let wall = self.wall();
        let here = self.sent_to.max(self.prep.start);
        match ctl {
            ReplayCtl::Toggle => {
                let at_end = here >= self.prep.end;
                if at_end && !self.playback.playing {
                    self.seek(self.prep.start, send)?;
                }
                let playing = !self.playback.playing;
                self.playback
                    .set_playing(playing, self.wall(), self.sent_to.max(self.prep.start));
                send(ReplayMsg::Info(self.info()));
            }
            ReplayCtl::Speed(s) => {
                self.playback.set_speed(s, wall, here);
                send(ReplayMsg::Info(self.info()));
            }
            ReplayCtl::SeekBy(d) => self.seek(here.saturating_add(d), send)?,
            ReplayCtl::SeekTo(t) => self.seek(t, send)?,
            ReplayCtl::GoTo(t) => {
                self.playback.set_playing(false, wall, here);
                self.seek(t, send)?;
            }
            ReplayCtl::PrevEvent => {
                // The newest event before where playback is; a second press goes further.
                let i = self.prep.event_times.partition_point(|t| *t < here);
                let to = i
                    .checked_sub(1)
                    .and_then(|i| self.prep.event_times.get(i))
                    .copied()
                    .unwrap_or(self.prep.start);
                self.seek(to, send)?;
            }
            ReplayCtl::NextEvent => {
                let i = self.prep.event_times.partition_point(|t| *t <= here);
                let to = self
                    .prep
                    .event_times
                    .get(i)
                    .copied()
                    .unwrap_or(self.prep.end);
                self.seek(to, send)?;
            }
        }
        Ok(())
    }

    /// Runs until the console goes away: plays while playing, sleeps on the control channel
    /// while paused (no wake-ups at all).
    pub fn run(
        mut self,
        ctl: &Receiver<ReplayCtl>,
        start_at: Option<Offset>,
        play: bool,
        mut send: impl FnMut(ReplayMsg) -> bool,
    ) {
        let frame = Duration::from_millis(33);
        let res = (|| -> Result<(), String> {
            self.seek(start_at.unwrap_or(self.prep.start), &mut send)?;
            if play {
                self.playback
                    .set_playing(true, self.wall(), self.sent_to.max(self.prep.start));
                if !send(ReplayMsg::Info(self.info())) {
                    return Ok(());
                }
            }
            loop {
                let msg = if self.playback.playing {
                    match ctl.recv_timeout(frame) {
                        Ok(m) => Some(m),
                        Err(RecvTimeoutError::Timeout) => None,
                        Err(RecvTimeoutError::Disconnected) => return Ok(()),
                    }
                } else {
                    match ctl.recv() {
                        Ok(m) => Some(m),
                        Err(_) => return Ok(()),
                    }
                };
                if let Some(m) = msg {
                    // Keys repeat faster than a seek re-reads the file: fold what is queued.
                    let mut m = m;
                    while let Ok(next) = ctl.try_recv() {
                        m = match (m, next) {
                            (ReplayCtl::SeekBy(a), ReplayCtl::SeekBy(b)) => {
                                ReplayCtl::SeekBy(crate::core::time::Span(a.0.saturating_add(b.0)))
                            }
                            (_, seek @ (ReplayCtl::SeekTo(_) | ReplayCtl::GoTo(_))) => seek,
                            (earlier, later) => {
                                self.control(earlier, &mut send)?;
                                later
                            }
                        };
                    }
                    self.control(m, &mut send)?;
                    continue;
                }
                let target = self.playback.position(self.wall());
                let limit = if self.playback.speed == Speed::Max {
                    MAX_BATCH
                } else {
                    usize::MAX
                };
                let (records, clock) = self.read_until(target, limit)?;
                if !self.skip_idle(clock, &mut send) {
                    return Ok(());
                }
                let finished = clock >= self.prep.end && self.pending.is_none() && self.done;
                if finished {
                    self.playback.set_playing(false, self.wall(), clock);
                }
                if !send(ReplayMsg::Batch {
                    records,
                    clock,
                    info: self.info(),
                }) {
                    return Ok(());
                }
            }
        })();
        if let Err(e) = res {
            send(ReplayMsg::Failed(e));
        }
    }
}
