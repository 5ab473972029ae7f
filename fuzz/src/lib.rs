//! What the fuzz targets share: the shipped fixtures' headers, read once, so that a target
//! can read fuzzed record lines against a real plan without parsing a header every run.

use std::io::Cursor;
use std::sync::{Arc, OnceLock};

use warroom::core::app::App;
use warroom::core::input::{Input, ReplayMsg};
use warroom::core::intent::Key;
use warroom::core::plan::Plan;
use warroom::core::playback::{Mode, ReplayInfo, Speed};
use warroom::core::record::Record;
use warroom::core::source::{Link, SourceStatus};
use warroom::core::state::{State, TIMELINE_CAP};
use warroom::core::time::Offset;
use warroom::format::fixture::{self, Fixture, Position, RecordReader};
use warroom::format::record::Strictness;
use warroom::shell::snapshot;
use warroom::view::glyphs;
use warroom::view::look::Look;
use warroom::view::theme::Theme;

/// The fixtures under `fixtures/`, compiled in.
pub const FIXTURES: [(&str, &str); 5] = [
    (
        "batch-patches-wave3-rollback.jsonl",
        include_str!("../../fixtures/batch-patches-wave3-rollback.jsonl"),
    ),
    (
        "edgeplug-fleet-rollback-tabletop.jsonl",
        include_str!("../../fixtures/edgeplug-fleet-rollback-tabletop.jsonl"),
    ),
    (
        "multi-sonicator-firmware-rollout.jsonl",
        include_str!("../../fixtures/multi-sonicator-firmware-rollout.jsonl"),
    ),
    (
        "orchestrator-blue-green-cutover-rollback.jsonl",
        include_str!("../../fixtures/orchestrator-blue-green-cutover-rollback.jsonl"),
    ),
    (
        "trackshift-progressive-delivery.jsonl",
        include_str!("../../fixtures/trackshift-progressive-delivery.jsonl"),
    ),
];

/// A fixture's header as read, and where its first record line starts.
#[derive(Clone)]
pub struct Header {
    pub fixture: Fixture,
    pub records_at: Position,
}

/// Every shipped fixture's header, read by `fixture::open` the first time it is asked for.
///
/// # Panics
/// If a shipped fixture's header is refused (the main crate's tests would fail too).
pub fn headers() -> &'static [Header] {
    static HEADERS: OnceLock<Vec<Header>> = OnceLock::new();
    HEADERS.get_or_init(|| {
        FIXTURES
            .iter()
            .map(|(name, text)| {
                let reader = fixture::open(name, Cursor::new(text.as_bytes()))
                    .unwrap_or_else(|e| panic!("shipped fixture refused: {e}"));
                let at = reader.position();
                Header {
                    fixture: reader.fixture().clone(),
                    records_at: Position {
                        line: at.line,
                        offset: 0,
                        prev_t: None,
                    },
                }
            })
            .collect()
    })
}

/// The header `sel` picks: its low bits choose the fixture, bit 3 reads the lines as a newer
/// minor version would be (lenient: unknown types and keys are tolerated).
#[must_use]
pub fn header(sel: u8) -> Header {
    let all = headers();
    let mut h = all[usize::from(sel & 7) % all.len()].clone();
    if sel & 8 != 0 {
        h.fixture.version = (fixture::VERSION.0, fixture::VERSION.1 + 1);
        h.fixture.strictness = Strictness::Lenient;
    }
    h
}

/// A plan from a shipped fixture, picked by `sel`.
#[must_use]
pub fn plan(sel: usize) -> Arc<Plan> {
    let all = headers();
    all[sel % all.len()].fixture.plan.clone()
}

/// A reader of `lines` as the record lines after header `h`.
#[must_use]
pub fn records<'a>(h: &Header, lines: &'a [u8]) -> RecordReader<Cursor<&'a [u8]>> {
    RecordReader::resume(Cursor::new(lines), h.fixture.clone(), h.records_at)
}

/// Reads the lines of `reader` (at most `most` of them), handing each line's records to `out`,
/// and carries on after a refused line, as a test of the reader (the console stops at the
/// first).
///
/// # Panics
/// If a refusal does not name a line and a column.
pub fn read_all<R: std::io::BufRead>(
    reader: &mut RecordReader<R>,
    most: usize,
    mut out: impl FnMut(Offset, Vec<Record>),
) {
    for _ in 0..most {
        let mut batch = Vec::new();
        match reader.next_records(&mut |r| batch.push(r)) {
            Ok(None) => return,
            Ok(Some(t)) => out(t, batch),
            Err(e) => {
                assert!(
                    e.line >= 1 && e.column >= 1,
                    "refusal without a place: {e:?}"
                );
                let _ = e.to_string();
            }
        }
    }
}

/// A fresh state for `plan`, as a fixture's replay starts it.
#[must_use]
pub fn fresh_state(plan: Arc<Plan>) -> State {
    State::new(
        plan,
        SourceStatus {
            name: Arc::from(warroom::core::source::FIXTURE),
            link: Link::Replay,
        },
        TIMELINE_CAP,
    )
}

/// A replay console over `plan`, paused at its start.
#[must_use]
pub fn replay_app(plan: Arc<Plan>) -> App {
    App::new(fresh_state(plan), Mode::Replay(PAUSED))
}

/// How a still picture plays: paused, at the speed a replay starts at.
pub const PAUSED: ReplayInfo = ReplayInfo {
    speed: Speed::Times(60.0),
    playing: false,
    start: Offset::ZERO,
    end: Offset::ZERO,
};

/// Applies one line's records to `app` the way the replay engine does: a batch, then the
/// clock at the line's time.
pub fn apply_line(app: &mut App, t: Offset, records: Vec<Record>) {
    app.apply(Input::Replay(ReplayMsg::Batch {
        records,
        clock: t,
        info: PAUSED,
    }));
}

/// Every shipped fixture's plan at its start and at its end (every record applied).
///
/// # Panics
/// If a shipped fixture is refused.
pub fn states() -> &'static [State] {
    static STATES: OnceLock<Vec<State>> = OnceLock::new();
    STATES.get_or_init(|| {
        let mut out: Vec<State> = headers()
            .iter()
            .map(|h| fresh_state(h.fixture.plan.clone()))
            .collect();
        for (name, text) in FIXTURES {
            let mut reader = fixture::open(name, Cursor::new(text.as_bytes()))
                .unwrap_or_else(|e| panic!("shipped fixture refused: {e}"));
            let mut app = replay_app(reader.fixture().plan.clone());
            loop {
                let mut batch = Vec::new();
                match reader.next_records(&mut |r| batch.push(r)) {
                    Ok(Some(t)) => apply_line(&mut app, t, batch),
                    Ok(None) => break,
                    Err(e) => panic!("shipped fixture refused: {e}"),
                }
            }
            out.push(app.state);
        }
        out
    })
}

/// An HTTP answer written as its status on the first line and then its body; a first line
/// that is not a status means 200 (and is part of the body).
#[must_use]
pub fn http_answer(text: &str) -> (u16, &str) {
    match text.split_once('\n') {
        Some((status, body)) => match status.trim().parse() {
            Ok(s) => (s, body),
            Err(_) => (200, text),
        },
        None => (200, text),
    }
}

/// The text `Image::decode` reads for an image whose bytes before compression are `bytes`.
///
/// # Panics
/// Never in practice: deflating into memory does not fail.
#[must_use]
pub fn image_text(bytes: &[u8]) -> String {
    use base64::Engine as _;
    use std::io::Write as _;
    let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    let packed = z
        .write_all(bytes)
        .and_then(|()| z.finish())
        .expect("deflating into memory");
    base64::engine::general_purpose::STANDARD.encode(packed)
}

/// An image's bytes before compression: the inverse of [`image_text`] (seeds are made so).
///
/// # Panics
/// If `text` is not base64 of deflated bytes.
#[must_use]
pub fn image_bytes(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    use std::io::Read as _;
    let packed = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .expect("an image is base64");
    let mut bytes = Vec::new();
    flate2::read::DeflateDecoder::new(&packed[..])
        .read_to_end(&mut bytes)
        .expect("an image inflates");
    bytes
}

/// The built-in themes, by name.
pub const THEMES: [&str; 5] = ["dark", "light", "mono", "high-contrast", "colorblind"];

/// A look picked by `sel`: bits 0–2 the theme (modulo the five built in), bit 3 ASCII glyphs.
/// The looks are made the first time one is asked for.
///
/// # Panics
/// If a built-in theme is refused.
#[must_use]
pub fn look(sel: u8) -> &'static Look {
    static LOOKS: OnceLock<Vec<Look>> = OnceLock::new();
    let looks = LOOKS.get_or_init(|| {
        let mut v = Vec::new();
        for ascii in [false, true] {
            for name in THEMES {
                v.push(Look {
                    theme: Theme::load(name)
                        .unwrap_or_else(|e| panic!("built-in theme refused: {e}")),
                    glyphs: if ascii {
                        glyphs::ASCII
                    } else {
                        glyphs::UNICODE
                    },
                });
            }
        }
        v
    });
    let theme = usize::from(sel & 7) % THEMES.len();
    let ascii = usize::from(sel & 8 != 0);
    &looks[ascii * THEMES.len() + theme]
}

/// Draws `app` into an off-screen buffer of `cols` × `rows`, as `warroom snapshot` does.
///
/// # Panics
/// If the view panics, or the off-screen backend fails.
pub fn draw(app: &App, look: &Look, cols: u16, rows: u16) {
    let buf = snapshot::draw(app, look, cols, rows).expect("drawing off screen");
    assert_eq!(
        (buf.area.width, buf.area.height),
        (cols, rows),
        "the screen is the size asked for"
    );
}

/// A key picked by a byte: the named keys first, printable ASCII as itself, and above that a
/// few characters a terminal may deliver that are wide, combining or right-to-left.
#[must_use]
pub fn key(b: u8) -> Key {
    const NAMED: [Key; 16] = [
        Key::Left,
        Key::Right,
        Key::ShiftLeft,
        Key::ShiftRight,
        Key::Up,
        Key::Down,
        Key::PageUp,
        Key::PageDown,
        Key::Home,
        Key::End,
        Key::Tab,
        Key::BackTab,
        Key::Esc,
        Key::Enter,
        Key::Backspace,
        Key::CtrlC,
    ];
    const OTHER: [char; 8] = ['é', 'ß', '界', '\u{301}', '\u{200b}', '\u{202e}', '😀', 'Ω'];
    match b {
        0..=15 => NAMED[usize::from(b)],
        0x20..=0x7e => Key::Char(char::from(b)),
        _ => Key::Char(OTHER[usize::from(b) % OTHER.len()]),
    }
}
