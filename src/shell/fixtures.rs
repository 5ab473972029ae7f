//! Opening fixtures from disk (or the ones built into the binary) and reading them whole.

use std::fs::File;
use std::io::{BufReader, Cursor};
use std::path::Path;

use crate::core::app::App;
use crate::core::effects::Effects;
use crate::core::input::{Input, ReplayMsg};
use crate::core::playback::{Mode, ReplayInfo, Speed};
use crate::core::record::Record;
use crate::core::source::Link;
use crate::core::source::SourceStatus;
use crate::core::state::State;
use crate::core::state::TIMELINE_CAP;
use crate::core::time::Offset;
use crate::format::fixture::{self, FixtureError, RecordReader};
use std::sync::Arc;

/// Fixtures compiled into the binary, by name: `warroom replay` with no file plays the first.
pub const BUILTIN: &[(&str, &str)] = &[(
    "batch-patches-wave3-rollback",
    include_str!("../../fixtures/batch-patches-wave3-rollback.jsonl"),
)];

/// A reader over a file on disk, or over a built-in fixture when `name` is `builtin:NAME`.
///
/// # Errors
/// The file cannot be opened, or its header is refused.
pub fn open(name: &str) -> Result<Source, FixtureError> {
    if let Some(b) = name.strip_prefix("builtin:") {
        let (_, text) = BUILTIN
            .iter()
            .find(|(n, _)| *n == b)
            .ok_or_else(|| FixtureError {
                file: name.into(),
                line: 0,
                column: 0,
                message: format!(
                    "no built-in fixture {b:?} (built in: {})",
                    BUILTIN
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })?;
        return fixture::open(name, Cursor::new(text.as_bytes())).map(Source::Builtin);
    }
    let f = File::open(Path::new(name)).map_err(|e| FixtureError {
        file: name.into(),
        line: 0,
        column: 0,
        message: format!("cannot open: {e}"),
    })?;
    fixture::open(name, BufReader::with_capacity(1 << 16, f)).map(Source::File)
}

/// Either kind of fixture input.
pub enum Source {
    File(RecordReader<BufReader<File>>),
    Builtin(RecordReader<Cursor<&'static [u8]>>),
}

impl Source {
    #[must_use]
    pub fn fixture(&self) -> &fixture::Fixture {
        match self {
            Source::File(r) => r.fixture(),
            Source::Builtin(r) => r.fixture(),
        }
    }

    /// See [`RecordReader::next_records`].
    ///
    /// # Errors
    /// The first malformed line.
    pub fn next_records(
        &mut self,
        out: &mut impl FnMut(Record),
    ) -> Result<Option<crate::core::time::Offset>, FixtureError> {
        match self {
            Source::File(r) => r.next_records(out),
            Source::Builtin(r) => r.next_records(out),
        }
    }

    /// See [`fixture::RecordReader::inject`].
    #[must_use]
    pub fn inject(&self) -> Option<&str> {
        match self {
            Source::File(r) => r.inject(),
            Source::Builtin(r) => r.inject(),
        }
    }

    /// A second reader of the same input, continuing from `pos` (a position this input reported).
    ///
    /// # Errors
    /// The file cannot be reopened.
    pub fn reopen(&self, pos: fixture::Position) -> std::io::Result<Source> {
        use std::io::{Seek, SeekFrom};
        match self {
            Source::File(r) => {
                let f = r.fixture().clone();
                let mut file = File::open(Path::new(&*f.file))?;
                file.seek(SeekFrom::Start(pos.offset))?;
                Ok(Source::File(RecordReader::resume(
                    BufReader::with_capacity(1 << 16, file),
                    f,
                    pos,
                )))
            }
            Source::Builtin(r) => {
                let f = r.fixture().clone();
                let text = builtin_text(&f.file);
                let mut c = Cursor::new(text.as_bytes());
                c.set_position(pos.offset);
                Ok(Source::Builtin(RecordReader::resume(c, f, pos)))
            }
        }
    }

    /// The input's length in bytes (for progress), 0 when it cannot be told.
    #[must_use]
    pub fn len_bytes(&self) -> u64 {
        match self {
            Source::File(r) => {
                std::fs::metadata(Path::new(&*r.fixture().file)).map_or(0, |m| m.len())
            }
            Source::Builtin(r) => builtin_text(&r.fixture().file).len() as u64,
        }
    }

    /// The time of the last record line, read from the end of the input without reading the
    /// rest; `None` when the last line is not a record that reads (the check says why).
    #[must_use]
    pub fn last_time(&self) -> Option<crate::core::time::Offset> {
        use std::io::{Read, Seek, SeekFrom};
        /// Enough for any record line but a snapshot's.
        const TAIL: u64 = 1 << 16;
        let (tail, whole) = match self {
            Source::File(r) => {
                let mut file = File::open(Path::new(&*r.fixture().file)).ok()?;
                let len = file.metadata().ok()?.len();
                let from = len.saturating_sub(TAIL);
                file.seek(SeekFrom::Start(from)).ok()?;
                let mut buf = Vec::new();
                file.take(TAIL).read_to_end(&mut buf).ok()?;
                (buf, from == 0)
            }
            Source::Builtin(r) => {
                let text = builtin_text(&r.fixture().file).as_bytes();
                let from = text.len().saturating_sub(TAIL as usize);
                (text[from..].to_vec(), from == 0)
            }
        };
        let mut lines: Vec<&[u8]> = tail.split(|b| *b == b'\n').collect();
        if !whole {
            // The first piece may be the end of a longer line.
            lines.remove(0);
        }
        let line = lines.into_iter().rev().find(|l| {
            let l = l.trim_ascii();
            !l.is_empty() && !l.starts_with(b"#")
        })?;
        let fixture = self.fixture().clone();
        let at = fixture::Position {
            line: 0,
            offset: 0,
            prev_t: None,
        };
        let mut reader = RecordReader::resume(Cursor::new(line), fixture, at);
        reader.next_records(&mut |_| {}).ok().flatten()
    }

    #[must_use]
    pub fn position(&self) -> fixture::Position {
        match self {
            Source::File(r) => r.position(),
            Source::Builtin(r) => r.position(),
        }
    }
}

/// The text of the built-in fixture a reader named `builtin:NAME` reads.
fn builtin_text(file: &str) -> &'static str {
    let name = file.strip_prefix("builtin:").unwrap_or(file);
    BUILTIN
        .iter()
        .find(|(n, _)| *n == name)
        .map_or("", |(_, t)| *t)
}

/// A fresh state for a fixture's plan.
#[must_use]
pub fn initial_state(src: &Source) -> State {
    let f = src.fixture();
    State::new(
        f.plan.clone(),
        SourceStatus {
            name: Arc::from(crate::core::source::FIXTURE),
            link: Link::Replay,
        },
        TIMELINE_CAP,
    )
}

/// Reads every record of `src` and applies them to `app` the way the replay engine does (a
/// batch per line, then the clock to that line's time), handing each batch's effects to
/// `each`, which returns `false` to stop early, and telling `progress` the byte offset after
/// each line. Lines after `until` are read and checked but not applied. Returns the first
/// and last record times (`None`: no records).
///
/// # Errors
/// The first malformed record: the file is refused where it goes wrong.
pub fn fold(
    src: &mut Source,
    app: &mut App,
    until: Option<Offset>,
    mut each: impl FnMut(&mut App, Effects) -> bool,
    mut progress: impl FnMut(u64),
) -> Result<Option<(Offset, Offset)>, FixtureError> {
    let info = match app.mode {
        Mode::Replay(i) => i,
        Mode::Live => ReplayInfo {
            speed: Speed::Max,
            playing: true,
            start: Offset::ZERO,
            end: Offset::ZERO,
        },
    };
    let mut span: Option<(Offset, Offset)> = None;
    let mut going = true;
    loop {
        let mut batch = Vec::new();
        let Some(t) = src.next_records(&mut |r| batch.push(r))? else {
            break;
        };
        progress(src.position().offset);
        span = Some((span.map_or(t, |s| s.0), t));
        if going && until.is_none_or(|u| t <= u) {
            let fx = app.apply(Input::Replay(ReplayMsg::Batch {
                records: batch,
                clock: t,
                info,
            }));
            going = each(app, fx);
        }
    }
    Ok(span)
}

/// The state at the end of a fixture (or a recording): every record applied.
///
/// # Errors
/// The first malformed record.
pub fn play_through(mut src: Source) -> Result<State, FixtureError> {
    let mut app = App::new(initial_state(&src), Mode::Live);
    fold(&mut src, &mut app, None, |_, _| true, |_| {})?;
    Ok(app.state)
}
