//! The replay engine: reads a fixture on its own thread and feeds records into the console's
//! channel at the playback speed. A validation pass at start-up (before the terminal is
//! touched) checks every line and keeps periodic snapshots of the state, so a seek backwards
//! restores the nearest snapshot and re-applies at most one snapshot interval of records.

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::core::input::ReplayMsg;
use crate::core::playback::{Playback, Speed};
use crate::core::playback::{ReplayCtl, ReplayInfo};
use crate::core::record::Record;
use crate::core::state::State;
use crate::core::time::{Offset, Span};
use crate::format::fixture::{FixtureError, Position};

use super::fixtures::Source;

mod check;
mod events;

pub use check::{begin, check, start_check, Events, Index, Near, FIRST_LINES};
pub use events::EventTimes;

/// At most this many snapshots are kept; when full, every other one is dropped and the
/// interval doubles, so memory stays flat whatever the fixture's length.
pub const MAX_SNAPSHOTS: usize = 48;
/// Initial spacing between snapshots, in record lines.
pub const FIRST_INTERVAL: u64 = 2048;
/// Most records sent in one batch at "max" speed (a batch every [`MAX_TICK`]: 600k records
/// a second), so keys stay responsive and a batch in flight stays small (about half a MiB).
pub const MAX_BATCH: usize = 5_000;
/// How often a batch goes at "max" speed.
const MAX_TICK: Duration = Duration::from_micros(8_333);
/// Timeline entries a snapshot keeps (the newest, at least this many and less than one
/// chunk more); older ones are counted as dropped. This is what keeps memory flat however
/// long the fixture: a snapshot holds a few screens of history, and the records between it
/// and the moment sought are applied again on top.
pub const SNAPSHOT_TIMELINE: usize = 256;

/// The state after a given line, and where the reader stood.
#[derive(Clone)]
pub struct Snapshot {
    pub t: Offset,
    pub pos: Position,
    pub state: State,
    /// The timeline events of the lines since the snapshot before (or the first line).
    pub events: Events,
}

/// What a replay knows of its file: the first and last times, the empty state and where the
/// records begin, and the index the check fills (snapshots, each with what its stretch of
/// lines holds of events), which may still be growing while the replay plays.
pub struct Prepared {
    pub start: Offset,
    /// The last line's time; exact once the check is done (`index().done`).
    pub end: Offset,
    /// The initial (empty) state.
    pub initial: State,
    pub first_pos: Position,
    index: Arc<Mutex<Index>>,
}

impl Prepared {
    /// What the check has found so far.
    ///
    /// # Panics
    /// If the check's thread panicked while holding the index.
    pub fn index(&self) -> MutexGuard<'_, Index> {
        self.index.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Reads and applies every record of `src`, refusing the file at its first bad line: the
/// check of [`check`], done before returning.
///
/// # Errors
/// The first malformed record.
pub fn prepare(src: &mut Source, initial: State) -> Result<Prepared, FixtureError> {
    let first_pos = src.position();
    let index = Arc::new(Mutex::new(Index::default()));
    let (start, end) = check(src, &initial, &index, |_| {})?;
    Ok(Prepared {
        start,
        end,
        initial,
        first_pos,
        index,
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
    /// The check is done and `prep.end` is the file's true end.
    checked: bool,
    /// The event times of the stretch read again last (where it starts, what it holds).
    scanned: Option<((u64, Events), EventTimes)>,
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
            checked: false,
            scanned: None,
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
        let Some(next) = self.event(clock, true, false) else {
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

    /// Once the check is done: its end, which an end read from the file's last line only
    /// estimated (exactly, unless that line is broken or too long to read from the end).
    fn refresh(&mut self) {
        if self.checked {
            return;
        }
        let ix = self.prep.index();
        if !ix.done {
            return;
        }
        let end = ix
            .checked_to
            .unwrap_or(self.prep.start)
            .max(self.prep.start);
        drop(ix);
        self.prep.end = end;
        self.playback.end = end;
        self.checked = true;
    }

    /// The first event after `here` (`forward`) or the last before it. With `wait`, waits
    /// for the check to have read that far when it has not yet (a long file's first second
    /// or so); without, an event the check has not reached is none.
    fn event(&mut self, here: Offset, forward: bool, wait: bool) -> Option<Offset> {
        loop {
            let near =
                self.prep
                    .index()
                    .near(here, forward, &self.prep.initial, self.prep.first_pos);
            match near {
                Near::Found(t) => return Some(t),
                Near::Wait if wait => std::thread::sleep(Duration::from_millis(10)),
                Near::None | Near::Wait => return None,
                // Without waiting (the idle limit, every tick), a stretch the check is still
                // growing is not read again at every tick: nothing to skip until it is whole.
                Near::Scan { settled: false, .. } if !wait => return None,
                Near::Scan {
                    pos, state, events, ..
                } => {
                    let key = (pos.offset, events);
                    let times = match self.scanned.take() {
                        Some((k, times)) if k == key => times,
                        _ => self.scan(pos, *state, events),
                    };
                    let found = if forward {
                        times.after(here)
                    } else {
                        times.before(here)
                    };
                    self.scanned = Some((key, times));
                    // A stretch that did not read again (the file changed under the replay)
                    // still has its ends.
                    return found.or(if forward { events.last } else { events.first });
                }
            }
        }
    }

    /// The event times of the stretch that starts at `pos` with `state`, read again.
    fn scan(&self, pos: Position, mut state: State, events: Events) -> EventTimes {
        let mut times = EventTimes::new();
        let (Ok(mut src), Some(last)) = (self.src.reopen(pos), events.last) else {
            return times;
        };
        // Only how many entries there are matters here, not the entries.
        state.timeline.set_cap(SNAPSHOT_TIMELINE);
        loop {
            let before = check::entries(&state);
            let read = src.next_records(&mut |r| {
                state.apply(crate::core::state::Event::Record(r));
            });
            let Ok(Some(t)) = read else {
                break;
            };
            if t > last {
                break;
            }
            if check::entries(&state) > before {
                times.push(t);
            }
        }
        times
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
        let ix = self.prep.index();
        let snap = ix.snapshots.iter().rev().find(|s| s.t <= to);
        let restore = to < self.sent_to || snap.is_some_and(|s| s.t > self.sent_to);
        let from = restore.then(|| match snap {
            Some(s) => (s.state.clone(), s.pos, s.t),
            None => (
                self.prep.initial.clone(),
                self.prep.first_pos,
                Offset(i64::MIN),
            ),
        });
        drop(ix);
        let mut restored_state = None;
        if let Some((state, pos, t)) = from {
            restored_state = Some(state);
            self.src = self
                .src
                .reopen(pos)
                .map_err(|e| format!("cannot reopen the fixture: {e}"))?;
            self.pending = None;
            self.done = false;
            self.sent_to = t;
        }
        // The restored state goes with the first records after it, so the screen never
        // shows the older snapshot on its own; a long way forward goes in batches of at most
        // `MAX_BATCH` records (a seek to the end of a long file before the check has left
        // snapshots on the way), so what is in flight stays small.
        let mut restored = restored_state.map(Box::new);
        loop {
            let (records, clock) = self.read_until(to, MAX_BATCH)?;
            let more = records.len() >= MAX_BATCH;
            if !more {
                let wall = self.wall();
                self.playback.seek(clock, wall);
            }
            let info = self.info();
            let listening = send(match restored.take() {
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
            if !more || !listening {
                return Ok(());
            }
        }
    }

    fn control(
        &mut self,
        ctl: ReplayCtl,
        send: &mut impl FnMut(ReplayMsg) -> bool,
    ) -> Result<(), String> {
        self.refresh();
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
                let to = self.event(here, false, true).unwrap_or(self.prep.start);
                self.seek(to, send)?;
            }
            ReplayCtl::NextEvent => {
                let to = self.event(here, true, true).unwrap_or(self.prep.end);
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
                    let tick = if self.playback.speed == Speed::Max {
                        MAX_TICK
                    } else {
                        frame
                    };
                    match ctl.recv_timeout(tick) {
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
                self.refresh();
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
                // Before the check is done the end may be an estimate: playback waits there
                // rather than stopping.
                let finished =
                    self.checked && clock >= self.prep.end && self.pending.is_none() && self.done;
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
