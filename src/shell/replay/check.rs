//! The check of a fixture: every line read and applied in order, keeping snapshots of the
//! state and the times of timeline events in an [`Index`], which a playing replay reads while
//! the check goes on. A console starts on [`begin`] (the first lines checked, the last line's
//! time read from the end of the file) and leaves the rest to [`start_check`], on a thread of
//! its own, so the first frame does not wait for a long file.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::core::input::ReplayMsg;
use crate::core::state::{Event, State};
use crate::core::time::Offset;
use crate::format::fixture::FixtureError;
use crate::shell::fixtures::Source;

use super::{
    prepare, EventTimes, Prepared, Snapshot, FIRST_INTERVAL, MAX_SNAPSHOTS, SNAPSHOT_TIMELINE,
};

/// Lines [`begin`] checks before the screen is taken (several screenfuls): a file broken this
/// early is refused with `FILE:LINE:COLUMN` on a terminal left alone.
pub const FIRST_LINES: usize = 4096;
/// Lines between two looks at the clock (for progress) and two updates of the shared index.
const STRIDE: u64 = 4096;
/// How often the check says how far it is.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// What the check has found so far.
#[derive(Default)]
pub struct Index {
    pub snapshots: Vec<Snapshot>,
    pub events: EventTimes,
    /// Record lines checked.
    pub lines: u64,
    /// The time of the last line checked.
    pub checked_to: Option<Offset>,
    /// Every line was read and applied (a refused file never gets here).
    pub done: bool,
    /// A line was refused: the index stops before it.
    pub failed: bool,
}

fn lock(index: &Mutex<Index>) -> MutexGuard<'_, Index> {
    index.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Entries the timeline has ever held (kept and dropped).
fn entries(state: &State) -> u64 {
    state.timeline.len() as u64 + state.timeline.dropped()
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
    // Event times not yet handed to the index (it is locked once a stride, not once a line).
    let mut events: Vec<Offset> = Vec::new();
    let mut said = Instant::now();
    let flush = |ix: &mut Index, events: &mut Vec<Offset>, lines: u64, end: Offset| {
        for t in events.drain(..) {
            ix.events.push(t);
        }
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
        if entries(&state) > before && events.last() != Some(&t) {
            events.push(t);
        }
        if lines.is_multiple_of(interval) {
            let mut kept = state.clone();
            kept.timeline.set_cap(cap);
            let mut ix = lock(index);
            flush(&mut ix, &mut events, lines, end);
            ix.snapshots.push(Snapshot {
                t,
                pos: src.position(),
                state: kept,
            });
            if ix.snapshots.len() > MAX_SNAPSHOTS {
                let mut keep = false;
                ix.snapshots.retain(|_| {
                    keep = !keep;
                    !keep
                });
                interval *= 2;
            }
        }
        if lines.is_multiple_of(STRIDE) {
            flush(&mut lock(index), &mut events, lines, end);
            if said.elapsed() >= PROGRESS_EVERY {
                progress(src.position().offset);
                said = Instant::now();
            }
        }
    };
    let mut ix = lock(index);
    flush(&mut ix, &mut events, lines, end);
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
        assert_eq!(a.events.len(), b.events.len());
        assert!(a.events.len() > 100, "{}", a.events.len());
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
