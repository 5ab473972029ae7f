//! The check of a fixture: every line read and applied in order, keeping snapshots of the
//! state in an [`Index`], which a playing replay reads while the check goes on. Beside each
//! snapshot: the first and last time of the timeline events in the lines before it (since
//! the snapshot before), and how many. That answers "the next event after T" or "the last
//! before T" at once unless T lies between two events of one stretch; then the replay reads
//! that one stretch again from its snapshot ([`Near::Scan`]). Memory stays flat whatever the
//! file's length: no list of every event's time. A console starts on [`begin`] (the first lines checked, the last line's
//! time read from the end of the file) and leaves the rest to [`start_check`], on a thread of
//! its own, so the first frame does not wait for a long file.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::core::input::ReplayMsg;
use crate::core::state::{Event, State};
use crate::core::time::Offset;
use crate::format::fixture::FixtureError;
use crate::shell::fixtures::Source;

use super::{prepare, Prepared, Snapshot, FIRST_INTERVAL, MAX_SNAPSHOTS, SNAPSHOT_TIMELINE};
use crate::format::fixture::Position;

/// Lines [`begin`] checks before the screen is taken (several screenfuls): a file broken this
/// early is refused with `FILE:LINE:COLUMN` on a terminal left alone.
pub const FIRST_LINES: usize = 4096;
/// Lines between two looks at the clock (for progress) and two updates of the shared index.
const STRIDE: u64 = 4096;
/// How often the check says how far it is.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// The timeline events of a stretch of lines: the first one's time, the last one's and how
/// many (a line that adds entries at the time of the event before it is not counted again).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Events {
    pub first: Option<Offset>,
    pub last: Option<Offset>,
    pub count: u64,
}

impl Events {
    fn add(&mut self, t: Offset) {
        self.first.get_or_insert(t);
        self.last = Some(t);
        self.count += 1;
    }

    /// These and then `later`'s, as one stretch.
    #[must_use]
    fn then(self, later: Events) -> Events {
        Events {
            first: self.first.or(later.first),
            last: later.last.or(self.last),
            count: self.count + later.count,
        }
    }
}

/// Where the event nearest a time is, as far as the index can tell.
pub enum Near {
    /// This one.
    Found(Offset),
    /// There is none.
    None,
    /// The check has not read far enough to tell yet.
    Wait,
    /// Between two events of one stretch: read the stretch again from `pos`, applying its
    /// records on top of `state`, to find it. `events` says what the stretch holds.
    Scan {
        pos: Position,
        state: Box<State>,
        events: Events,
        /// The stretch is whole (it ends at a snapshot, or the check is done): it will not
        /// grow while the check goes on.
        settled: bool,
    },
}

/// What the check has found so far.
#[derive(Default)]
pub struct Index {
    pub snapshots: Vec<Snapshot>,
    /// The events after the last snapshot (each snapshot holds those of the lines before it).
    pub tail: Events,
    /// Record lines checked.
    pub lines: u64,
    /// The time of the last line checked.
    pub checked_to: Option<Offset>,
    /// Every line was read and applied (a refused file never gets here).
    pub done: bool,
    /// A line was refused: the index stops before it.
    pub failed: bool,
}

impl Index {
    /// The check has read its last line (or refused one): nothing more will be found.
    fn finished(&self) -> bool {
        self.done || self.failed
    }

    /// Timeline events found so far.
    #[must_use]
    pub fn events(&self) -> u64 {
        self.snapshots.iter().map(|s| s.events.count).sum::<u64>() + self.tail.count
    }

    /// The first event after `here` (`forward`) or the last before it; `initial` and
    /// `first_pos` are where the file's first stretch starts.
    #[must_use]
    pub fn near(&self, here: Offset, forward: bool, initial: &State, first_pos: Position) -> Near {
        let n = self.snapshots.len();
        // Stretch k ends at snapshot k (the last one, k == n, is the tail) and starts at the
        // snapshot before it, or at the first record.
        let stretch = |k: usize| {
            if k < n {
                self.snapshots[k].events
            } else {
                self.tail
            }
        };
        let scan = |k: usize, events: Events| {
            let (pos, state) = match k.checked_sub(1).map(|b| &self.snapshots[b]) {
                Some(s) => (s.pos, s.state.clone()),
                None => (first_pos, initial.clone()),
            };
            Near::Scan {
                pos,
                state: Box::new(state),
                events,
                settled: k < n || self.finished(),
            }
        };
        if forward {
            for k in 0..=n {
                let ev = stretch(k);
                if let (Some(first), Some(last)) = (ev.first, ev.last) {
                    if last > here {
                        return if first > here {
                            Near::Found(first)
                        } else {
                            scan(k, ev)
                        };
                    }
                }
            }
            return if self.finished() {
                Near::None
            } else {
                Near::Wait
            };
        }
        // Every event before `here` is known once the check is past it.
        if !(self.finished() || self.checked_to.is_some_and(|t| t >= here)) {
            return Near::Wait;
        }
        for k in (0..=n).rev() {
            let ev = stretch(k);
            if let (Some(first), Some(last)) = (ev.first, ev.last) {
                if first < here {
                    return if last < here {
                        Near::Found(last)
                    } else {
                        scan(k, ev)
                    };
                }
            }
        }
        Near::None
    }
}

/// Entries the timeline has ever held (kept and dropped).
pub(super) fn entries(state: &State) -> u64 {
    state.timeline.len() as u64 + state.timeline.dropped()
}

fn lock(index: &Mutex<Index>) -> MutexGuard<'_, Index> {
    index.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Reads and applies every record of `src` from where it stands, filling `index` as it goes;
/// `progress` hears the byte offset reached a few times a second. Returns the first time
/// (never after zero) and the last.
///
/// # Errors
/// The first malformed record (the index keeps what came before it, `done` stays false).
pub fn check(
    src: &mut Source,
    initial: &State,
    index: &Mutex<Index>,
    mut progress: impl FnMut(u64),
) -> Result<(Offset, Offset), FixtureError> {
    // The check's own timeline holds only what a snapshot keeps; a snapshot gets the
    // console's cap back, so a restored timeline grows as the console's does.
    let mut state = initial.clone();
    let cap = state.timeline.cap();
    state.timeline.set_cap(SNAPSHOT_TIMELINE);
    let mut interval = FIRST_INTERVAL;
    let mut lines = 0u64;
    let (mut start, mut end) = (None::<Offset>, Offset::ZERO);
    // The events since the last snapshot (handed to the index once a stride, not once a
    // line), and the newest event's time.
    let mut stretch = Events::default();
    let mut newest: Option<Offset> = None;
    let mut said = Instant::now();
    let flush = |ix: &mut Index, stretch: Events, lines: u64, end: Offset| {
        ix.tail = stretch;
        ix.lines = lines;
        ix.checked_to = Some(end);
    };
    let res = loop {
        let before = entries(&state);
        let got = src.next_records(&mut |r| {
            state.apply(Event::Record(r));
        });
        let t = match got {
            Ok(Some(t)) => t,
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        };
        lines += 1;
        start.get_or_insert(t);
        end = t;
        if entries(&state) > before && newest != Some(t) {
            stretch.add(t);
            newest = Some(t);
        }
        if lines.is_multiple_of(interval) {
            let mut kept = state.clone();
            kept.timeline.set_cap(cap);
            let mut ix = lock(index);
            flush(&mut ix, Events::default(), lines, end);
            ix.snapshots.push(Snapshot {
                t,
                pos: src.position(),
                state: kept,
                events: std::mem::take(&mut stretch),
            });
            if ix.snapshots.len() > MAX_SNAPSHOTS {
                // Every other one goes, its events going to the stretch after it.
                let mut carry = Events::default();
                let mut drop = false;
                let all = std::mem::take(&mut ix.snapshots);
                for mut s in all {
                    drop = !drop;
                    if drop {
                        carry = carry.then(s.events);
                    } else {
                        s.events = std::mem::take(&mut carry).then(s.events);
                        ix.snapshots.push(s);
                    }
                }
                stretch = carry;
                ix.tail = stretch;
                interval *= 2;
            }
        }
        if lines.is_multiple_of(STRIDE) {
            flush(&mut lock(index), stretch, lines, end);
            if said.elapsed() >= PROGRESS_EVERY {
                progress(src.position().offset);
                said = Instant::now();
            }
        }
    };
    let mut ix = lock(index);
    flush(&mut ix, stretch, lines, end);
    ix.failed = res.is_err();
    res?;
    ix.done = true;
    let start = start.unwrap_or(Offset::ZERO).min(Offset::ZERO);
    Ok((start, end.max(start)))
}

/// What a console needs before its first frame: the first [`FIRST_LINES`] lines checked
/// (`src` is left after them), the first time, and the last line's time read from the end of
/// the file. A file that ends within those lines is checked whole here.
///
/// # Errors
/// A malformed record among the first lines.
pub fn begin(src: &mut Source, initial: State) -> Result<Prepared, FixtureError> {
    let first_pos = src.position();
    let (mut start, mut last) = (None::<Offset>, Offset::ZERO);
    for _ in 0..FIRST_LINES {
        let Some(t) = src.next_records(&mut |_| {})? else {
            let mut again = src.reopen(first_pos).map_err(|e| FixtureError {
                file: src.fixture().file.clone(),
                line: 0,
                column: 0,
                message: format!("cannot read the file again: {e}"),
            })?;
            return prepare(&mut again, initial);
        };
        start.get_or_insert(t);
        last = t;
    }
    let start = start.unwrap_or(Offset::ZERO).min(Offset::ZERO);
    // A last line that does not read is the check's to report, with its place.
    let end = src.last_time().filter(|t| *t >= last).unwrap_or(last);
    Ok(Prepared {
        start,
        end,
        initial,
        first_pos,
        index: Arc::new(Mutex::new(Index::default())),
    })
}

/// Checks the rest of the file on a thread of its own: `src` is a reader at the first record
/// (the check reads everything again, to build the index). `report` hears how far it is
/// (`Checking`), then `Checked` or `Refused` with the first bad line; it returns false when
/// nobody listens any more.
///
/// # Errors
/// The thread cannot be started.
pub fn start_check(
    mut src: Source,
    prep: &Prepared,
    mut report: impl FnMut(ReplayMsg) -> bool + Send + 'static,
) -> std::io::Result<()> {
    let index = prep.index.clone();
    let initial = prep.initial.clone();
    let total = src.len_bytes().max(1);
    std::thread::Builder::new()
        .name("check".into())
        .spawn(move || {
            let mut listening = true;
            let res = check(&mut src, &initial, &index, |at| {
                if listening {
                    let pct = u8::try_from(at.saturating_mul(100) / total).unwrap_or(100);
                    listening = report(ReplayMsg::Checking(pct.min(99)));
                }
            });
            if listening {
                report(match res {
                    Ok(_) => ReplayMsg::Checked,
                    Err(e) => ReplayMsg::Refused(e.to_string()),
                });
            }
        })
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell::fixtures;

    /// A generated fixture of `records` records, with line `bad` (1-based, counting the
    /// header) replaced by a line whose time does not read, and `tail` appended.
    fn fixture(records: u64, bad: Option<usize>, tail: &str) -> tempfile::NamedTempFile {
        let mut text = Vec::new();
        crate::shell::generate::write(&mut text, records, 3).unwrap();
        let text = String::from_utf8(text).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        if let Some(b) = bad {
            lines[b - 1] = r#"{"t":"soon","type":"note","by":"ic","text":"x"}"#;
        }
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), lines.join("\n") + "\n" + tail).unwrap();
        f
    }

    fn open(f: &tempfile::NamedTempFile) -> Source {
        fixtures::open(f.path().to_str().unwrap()).unwrap()
    }

    #[test]
    fn next_and_previous_events_match_every_event_of_the_file() {
        // Long enough for the snapshots to be thinned twice (stretches merged).
        let f = fixture(260_000, None, "");
        let mut src = open(&f);
        let initial = fixtures::initial_state(&src);
        let prep = prepare(&mut src, initial.clone()).unwrap();
        assert!(prep.index().snapshots.len() > 20);
        // Every event's time, read the plain way.
        let mut all = Vec::new();
        let mut state = initial.clone();
        let mut reader = src.reopen(prep.first_pos).unwrap();
        loop {
            let before = entries(&state);
            let Some(t) = reader
                .next_records(&mut |r| {
                    state.apply(Event::Record(r));
                })
                .unwrap()
            else {
                break;
            };
            if entries(&state) > before && all.last() != Some(&t) {
                all.push(t);
            }
        }
        assert_eq!(prep.index().events(), all.len() as u64);
        let mut engine = super::super::Engine::new(
            src.reopen(prep.first_pos).unwrap(),
            prep,
            crate::core::playback::Speed::Max,
        );
        let mut asked = 0;
        for (i, t) in all.iter().enumerate().step_by(97) {
            for here in [Offset(t.0 - 1), *t, Offset(t.0 + 1)] {
                let after = all.iter().find(|x| **x > here).copied();
                let before = all.iter().rev().find(|x| **x < here).copied();
                assert_eq!(
                    engine.event(here, true, true),
                    after,
                    "after {here:?} (event {i})"
                );
                assert_eq!(
                    engine.event(here, false, true),
                    before,
                    "before {here:?} (event {i})"
                );
                asked += 2;
            }
        }
        let (first, last) = (all[0], all[all.len() - 1]);
        assert_eq!(engine.event(Offset(first.0 - 1), false, true), None);
        assert_eq!(engine.event(last, true, true), None);
        assert!(asked > 100, "{asked}");
    }

    #[test]
    fn the_background_check_finds_what_the_whole_check_does() {
        let f = fixture(30_000, None, "# a comment after the last record\n\n");
        let mut whole_src = open(&f);
        let initial = fixtures::initial_state(&whole_src);
        let whole = prepare(&mut whole_src, initial.clone()).unwrap();

        let mut src = open(&f);
        let prep = begin(&mut src, initial).unwrap();
        assert!(!prep.index().done, "a long file is left to the check");
        assert_eq!(
            (prep.start, prep.end),
            (whole.start, whole.end),
            "the end is read from the last line"
        );
        let (tx, rx) = std::sync::mpsc::channel();
        start_check(src.reopen(prep.first_pos).unwrap(), &prep, move |m| {
            tx.send(m).is_ok()
        })
        .unwrap();
        let last = rx.iter().last();
        assert!(matches!(last, Some(ReplayMsg::Checked)), "{last:?}");
        let (a, b) = (prep.index(), whole.index());
        assert!(a.done && !a.failed);
        assert_eq!((a.lines, a.checked_to), (b.lines, b.checked_to));
        assert_eq!(a.events(), b.events());
        assert!(a.events() > 100, "{}", a.events());
        assert_eq!(
            a.snapshots.iter().map(|s| (s.t, s.pos)).collect::<Vec<_>>(),
            b.snapshots.iter().map(|s| (s.t, s.pos)).collect::<Vec<_>>()
        );
        // A snapshot holds a short window of the timeline but the console's cap.
        let s = &a.snapshots[a.snapshots.len() - 1];
        assert!(
            s.state.timeline.len() < SNAPSHOT_TIMELINE * 2,
            "{}",
            s.state.timeline.len()
        );
        assert_eq!(s.state.timeline.cap(), crate::core::state::TIMELINE_CAP);
    }

    #[test]
    fn a_line_broken_early_is_refused_before_the_screen() {
        let f = fixture(10_000, Some(100), "");
        let mut src = open(&f);
        let initial = fixtures::initial_state(&src);
        let Err(e) = begin(&mut src, initial) else {
            panic!("a bad line among the first is refused at once");
        };
        assert_eq!(e.line, 100, "{e}");
        assert!(e.column > 1, "{e}");
    }

    #[test]
    fn a_line_broken_late_is_the_checks_to_refuse_with_its_place() {
        let bad = FIRST_LINES + 5_000;
        let f = fixture(20_000, Some(bad), "");
        let mut src = open(&f);
        let initial = fixtures::initial_state(&src);
        let prep = begin(&mut src, initial).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        start_check(src.reopen(prep.first_pos).unwrap(), &prep, move |m| {
            tx.send(m).is_ok()
        })
        .unwrap();
        let msgs: Vec<ReplayMsg> = rx.iter().collect();
        let Some(ReplayMsg::Refused(e)) = msgs.last() else {
            panic!("{msgs:?}");
        };
        assert!(e.contains(&format!(":{bad}:")), "{e}");
        let ix = prep.index();
        assert!(ix.failed && !ix.done);
        assert_eq!(
            ix.lines,
            u64::try_from(bad).unwrap() - 2,
            "the index stops before the line"
        );
    }

    #[test]
    fn a_small_file_is_checked_whole_before_the_screen() {
        let f = fixture(500, None, "");
        let mut src = open(&f);
        let initial = fixtures::initial_state(&src);
        let prep = begin(&mut src, initial).unwrap();
        assert!(prep.index().done);
        let records = std::fs::read_to_string(f.path()).unwrap().lines().count() - 1;
        assert_eq!(prep.index().lines, records as u64);
    }
}
