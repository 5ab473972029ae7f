//! `/` search over a full 20,000-entry timeline (the console's cap): the cost of one
//! keystroke, which searches back from the newest entry and counts every match, through
//! the same reducer the console runs (`App::apply(Input::Key(..))`).
//!
//! Three queries, each typed one key at a time:
//! * `shard 7 restarted`: matches every fifth entry (found at once; the count walks all);
//! * `#1`: matches the oldest entries too (the count walks all, many matches);
//! * `zz-nothing`: matches nothing (the step and the count both walk all 20,000).
//!
//! Requirement: the slowest keystroke's median ≤ one frame budget (16 ms, the loop's
//! `FRAME_BUDGET`), and it is shown beside the median of a whole 200×60 frame measured in the
//! same run, as a ratio.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ratatui::backend::TestBackend;
use ratatui::Terminal;
use warroom::core::app::App;
use warroom::core::input::Input;
use warroom::core::intent::Key;
use warroom::core::record::{Body, Record};
use warroom::core::source::{Link, SourceStatus};
use warroom::core::state::{Event, State, TIMELINE_CAP};
use warroom::core::time::{Offset, Span};
use warroom::format::fixture;
use warroom::view;
use warroom::view::look::Look;

const ENTRIES: usize = 20_000;
const RUNS: usize = 60;
const BUDGET: Duration = Duration::from_millis(16);
const NOTES: [&str; 5] = [
    "Traffic steady, dashboards reviewed",
    "Holding wave until the p99 regression in eu-west is understood",
    "Shard 7 restarted",
    "Customer support reports no new tickets since the last wave started; keeping watch",
    "Replica lag back under 200 ms",
];

fn fail(what: &str, e: &dyn std::fmt::Display) -> ! {
    eprintln!("{what}: {e}");
    std::process::exit(1)
}

fn console() -> App {
    let mut header = Vec::new();
    if let Err(e) = warroom::shell::generate::write(&mut header, 0, 7) {
        fail("generate", &e);
    }
    let reader = fixture::open("search.jsonl", std::io::Cursor::new(header.as_slice()))
        .unwrap_or_else(|e| fail("open", &e));
    let source = SourceStatus {
        name: Arc::from("fixture"),
        link: Link::Replay,
    };
    let mut state = State::new(reader.fixture().plan.clone(), source, TIMELINE_CAP);
    let mut t = Offset::ZERO;
    for i in 0..ENTRIES {
        t = t.saturating_add(Span(1_500));
        state.apply(Event::Record(Record {
            t,
            source: None,
            body: Body::Note {
                by: Some("observer".into()),
                text: format!("{} (#{i})", NOTES[i % NOTES.len()]).into(),
            },
        }));
    }
    if state.timeline.len() + usize::try_from(state.timeline.dropped()).unwrap_or(0) < ENTRIES {
        fail("timeline", &"too few entries");
    }
    warroom::shell::snapshot::still(state, Offset::ZERO, t)
}

/// Median time of one keystroke of `query` typed into the `/` line, over every keystroke of
/// every run.
fn keystroke(base: &App, query: &str) -> (Duration, usize) {
    let mut times = Vec::with_capacity(RUNS * query.len());
    let mut total = 0;
    for _ in 0..RUNS {
        let mut app = base.clone();
        app.apply(Input::Key(Key::Char('/')));
        for ch in query.chars() {
            let t = Instant::now();
            black_box(app.apply(Input::Key(Key::Char(ch))));
            times.push(t.elapsed());
        }
        total = app.ui.search.as_ref().map_or(0, |s| s.total);
    }
    times.sort_unstable();
    (times[times.len() / 2], total)
}

fn frame(app: &App, look: &Look) -> Duration {
    let mut term =
        Terminal::new(TestBackend::new(200, 60)).unwrap_or_else(|e| fail("terminal", &e));
    let mut times = Vec::with_capacity(RUNS * 10);
    for _ in 0..RUNS * 10 {
        let t = Instant::now();
        if let Err(e) = term.draw(|f| view::render(f, black_box(app), look)) {
            fail("draw", &e);
        }
        times.push(t.elapsed());
    }
    times.sort_unstable();
    times[times.len() / 2]
}

fn main() {
    let look = Look::load("dark", false, false).unwrap_or_else(|e| fail("theme", &e));
    let base = console();
    println!(
        "{} entries on the timeline; {RUNS} runs of each query, one key at a time",
        base.state.timeline.len()
    );
    let mut worst = Duration::ZERO;
    for query in ["shard 7 restarted", "#1", "zz-nothing"] {
        let (median, matches) = keystroke(&base, query);
        worst = worst.max(median);
        println!(
            "  /{query}: {matches} matches, median {:.3} ms per keystroke",
            median.as_secs_f64() * 1e3
        );
    }
    let mut searching = base.clone();
    for k in "/shard".chars() {
        searching.apply(Input::Key(Key::Char(k)));
    }
    let f = frame(&searching, &look);
    println!(
        "  a 200x60 frame with the search highlighted: median {:.3} ms",
        f.as_secs_f64() * 1e3
    );
    let ok = worst <= BUDGET;
    println!(
        "requirement search over {ENTRIES} entries, slowest query's median keystroke <= {} ms (one frame budget): {} ({:.3} ms, {:.1} x a 200x60 frame)",
        BUDGET.as_millis(),
        if ok { "PASS" } else { "FAIL" },
        worst.as_secs_f64() * 1e3,
        worst.as_secs_f64() / f.as_secs_f64().max(1e-9),
    );
    if !ok {
        std::process::exit(1);
    }
}
