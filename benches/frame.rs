//! Cost of one full frame at 200×60, with 10k, 100k and 1M timeline entries.
//!
//! The console is the replay-mode console `warroom snapshot` draws (`shell::snapshot::still`).
//! Its state is built from the generated header's plan with a timeline cap of 2 000 000, a
//! short generated prefix (so waves, SLO gauges, alerts and the checklist have content),
//! then note records until the timeline holds exactly the wanted number of entries.
//!
//! A frame is what the console's loop does on a terminal: `synchronized_draw` of
//! `view::render(f, &console, &look)` on the terminal's own backend (`shell::screen::Screen`)
//! writing into `io::sink()`: render into the back buffer, diff against the front buffer,
//! encode the diff as the bytes a terminal is sent, swap. Two variants:
//!
//! * `alternate`: one terminal; consecutive frames alternate between two consoles, the
//!   second 1.5 s later with one more note, so every frame's diff carries the header clocks,
//!   data age, replay position, entry count and the whole visible timeline shifted by a row
//!   (a playing replay where something happens every frame). A clock move alone changes a
//!   single cell at this size, which would make the diff nearly empty.
//! * `fresh`: a new terminal per frame (created and dropped outside the timing), so the diff is the
//!   whole screen against an empty buffer (the worst case: first frame, resize).
//!
//! Instructions per frame are counted by valgrind (cachegrind, no cache simulation) in a
//! child of this binary (`--count-frames N ENTRIES`): two runs that draw a few and a few
//! more alternating frames, the difference divided by the extra frames, so building the
//! console is not counted. valgrind comes from Debian through `scripts/test-deps.sh`.
//!
//! Requirements: median ≤ 0.5 ms per frame (alternating, at 100k entries), ≤ 5 M instructions
//! per frame at 100k entries, and the same cost at 10k and at 1M entries (the slower of the
//! two within 10 % of the faster).

use std::hint::black_box;
use std::io::Cursor;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BatchSize, BenchmarkId, Criterion};
use ratatui::Terminal;
use warroom::core::app::App as Console;
use warroom::core::record::{Body, Record};
use warroom::core::source::{Link, SourceStatus};
use warroom::core::state::{Event, State};
use warroom::core::time::{Offset, Span};
use warroom::format::fixture;
use warroom::shell::screen::Screen;
use warroom::shell::terminal::synchronized_draw;
use warroom::view;
use warroom::view::look::Look;

#[path = "bench/mod.rs"]
mod bench;
use bench::verdict;

const COLS: u16 = 200;
const ROWS: u16 = 60;
const CAP: usize = 2_000_000;
/// Records of generated prefix applied before the notes.
const PREFIX: u64 = 2_000;
const SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];
/// The size the time and instruction goals name.
const GOAL_SIZE: usize = 100_000;
/// Sizes whose instructions are counted (under valgrind a frame is some 50 times slower,
/// building a console too).
const COUNT_SIZES: [usize; 2] = [10_000, 100_000];
/// Frames drawn in the two counted runs.
const COUNT_FEW: usize = 5;
const COUNT_MORE: usize = 25;
const MAX_INSTRUCTIONS: f64 = 5_000_000.0;
/// Most the slowest size may take over the fastest.
const MAX_SPREAD: f64 = 1.10;
/// Frames of each size timed one by one for the printed medians, the sizes taking turns.
const FRAMES: usize = 3_000;
/// Frames of one size drawn before the next size takes its turn.
const TURN: usize = 100;
/// Note texts, cycled, so that neighbouring timeline rows differ and a one-row scroll
/// changes every visible row.
const NOTES: [(&str, &str); 5] = [
    ("observer", "Traffic steady, dashboards reviewed"),
    ("Incident Commander", "Holding wave until the p99 regression in eu-west is understood"),
    ("sre-oncall", "Shard 7 restarted"),
    ("Operations Lead", "Customer support reports no new tickets since the last wave started; keeping watch on the status page"),
    ("db", "Replica lag back under 200 ms"),
];
const MAX_FRAME: Duration = Duration::from_micros(500);

fn fail(what: &str, e: &dyn std::fmt::Display) -> ! {
    eprintln!("{what}: {e}");
    std::process::exit(1)
}

/// A replay console whose timeline holds exactly `entries` entries.
fn console(entries: usize) -> Console {
    let mut prefix = Vec::new();
    if let Err(e) = warroom::shell::generate::write(&mut prefix, PREFIX, 7) {
        fail("generate", &e);
    }
    let mut reader = fixture::open("frame.jsonl", Cursor::new(prefix.as_slice()))
        .unwrap_or_else(|e| fail("open", &e));
    let source = SourceStatus {
        name: Arc::from("fixture"),
        link: Link::Replay,
    };
    let mut state = State::new(reader.fixture().plan.clone(), source, CAP);
    loop {
        match reader.next_records(&mut |r| {
            if state.timeline.len() < entries {
                state.apply(Event::Record(r));
            }
        }) {
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => fail("prefix", &e),
        }
    }
    let mut t = state.now.max(Offset::ZERO);
    let mut i = 0u64;
    while state.timeline.len() < entries {
        t = t.saturating_add(Span(1_500));
        i += 1;
        let (by, what) = NOTES[usize::try_from(i).unwrap_or(0) % NOTES.len()];
        let text = format!("{what} (#{i})").into_boxed_str();
        state.apply(Event::Record(Record {
            t,
            source: None,
            body: Body::Note {
                by: Some(by.into()),
                text,
            },
        }));
    }
    assert_eq!(state.timeline.len(), entries, "timeline length");
    assert_eq!(state.timeline.dropped(), 0, "nothing dropped");
    warroom::shell::snapshot::still(state, Offset::ZERO, t.saturating_add(Span(3_600_000)))
}

/// The same console 1.5 s later with one more note: the header clocks, data age, replay
/// position and entry count move, and every visible timeline row shifts up by one.
fn tick(c: &Console) -> Console {
    let mut next = c.clone();
    let t = next.state.now.saturating_add(Span(1_500));
    let text = "Tick: one more note, so the timeline scrolls by a row".into();
    next.state.apply(Event::Record(Record {
        t,
        source: None,
        body: Body::Note {
            by: Some("observer".into()),
            text,
        },
    }));
    next
}

type Term = Terminal<Screen<std::io::Sink>>;

fn terminal() -> Term {
    Terminal::new(Screen::fixed(std::io::sink(), COLS, ROWS))
        .unwrap_or_else(|e| fail("terminal", &e))
}

fn draw(term: &mut Term, c: &Console, look: &Look) {
    if let Err(e) = synchronized_draw(term, &|f| view::render(f, c, look)) {
        fail("draw", &e);
    }
}

/// Median per-frame time over `FRAMES` frames of each console pair, the pairs taking turns
/// every `TURN` frames (so that a slower stretch of the machine falls on all of them alike,
/// while each frame finds the caches as a console drawing frame after frame does):
/// alternating on one terminal per pair, or each on a fresh terminal (created outside the
/// timing).
fn median_frames(pairs: &[&[Console; 2]], look: &Look, fresh: bool) -> Vec<Duration> {
    let mut terms: Vec<_> = pairs
        .iter()
        .map(|pair| {
            let mut term = terminal();
            draw(&mut term, &pair[1], look);
            term
        })
        .collect();
    let mut times = vec![Vec::with_capacity(FRAMES); pairs.len()];
    for block in 0..FRAMES / TURN {
        for (k, pair) in pairs.iter().enumerate() {
            for i in block * TURN..(block + 1) * TURN {
                let c = if fresh { &pair[0] } else { &pair[i % 2] };
                if fresh {
                    terms[k] = terminal();
                }
                let t = Instant::now();
                draw(&mut terms[k], black_box(c), look);
                times[k].push(t.elapsed());
            }
        }
    }
    times
        .into_iter()
        .map(|mut t| {
            t.sort_unstable();
            t[t.len() / 2]
        })
        .collect()
}

/// The same alternating frames on ratatui's `TestBackend`, which keeps the diff and encodes
/// nothing: the baseline that shows what encoding for a terminal costs, in the same process.
fn median_baseline(pair: &[Console; 2], look: &Look) -> Duration {
    let mut term = Terminal::new(ratatui::backend::TestBackend::new(COLS, ROWS))
        .unwrap_or_else(|e| fail("terminal", &e));
    let mut times = Vec::with_capacity(FRAMES);
    for i in 0..=FRAMES {
        let t = Instant::now();
        if let Err(e) = term.draw(|f| view::render(f, black_box(&pair[i % 2]), look)) {
            fail("draw", &e);
        }
        if i > 0 {
            times.push(t.elapsed());
        }
    }
    times.sort_unstable();
    times[times.len() / 2]
}

fn look() -> Look {
    let theme = view::theme::Theme::load("dark").unwrap_or_else(|e| fail("theme", &e));
    Look {
        theme,
        glyphs: view::glyphs::UNICODE,
    }
}

/// `--count-frames N ENTRIES`: draws one frame, then `N` alternating ones, and exits (run
/// under valgrind by [`instructions_per_frame`]).
fn count_frames(args: &[String]) {
    let (Some(n), Some(entries)) = (
        args.first().and_then(|a| a.parse::<usize>().ok()),
        args.get(1).and_then(|a| a.parse::<usize>().ok()),
    ) else {
        fail("usage", &"--count-frames N ENTRIES")
    };
    let look = look();
    let a = console(entries);
    let b = tick(&a);
    let pair = [a, b];
    let mut term = terminal();
    draw(&mut term, &pair[1], &look);
    for i in 0..n {
        draw(&mut term, black_box(&pair[i % 2]), &look);
    }
}

/// Instructions a child drawing `frames` frames at `entries` entries runs, by valgrind.
fn instructions(frames: usize, entries: usize) -> Result<u64, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = std::process::Command::new("valgrind")
        .args([
            "--tool=cachegrind",
            "--cache-sim=no",
            "--cachegrind-out-file=/dev/null",
        ])
        .arg(&exe)
        .args(["--count-frames", &frames.to_string(), &entries.to_string()])
        .output()
        .map_err(|e| format!("valgrind: {e}"))?;
    let err = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!("valgrind exited {}: {}", out.status, err.trim()));
    }
    err.lines()
        .find_map(|l| {
            l.split_once("I   refs:")
                .map(|(_, n)| n.trim().replace(',', ""))
        })
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("no instruction count in valgrind's output: {}", err.trim()))
}

/// Instructions per alternating frame at `entries` entries: the difference of two counted
/// runs over the frames between them.
fn instructions_per_frame(entries: usize) -> Result<f64, String> {
    let few = instructions(COUNT_FEW, entries)?;
    let more = instructions(COUNT_MORE, entries)?;
    #[allow(clippy::cast_precision_loss)]
    Ok(more.saturating_sub(few) as f64 / (COUNT_MORE - COUNT_FEW) as f64)
}

/// valgrind on the PATH, installed by the project's script if it is not.
fn valgrind() -> Result<(), String> {
    let found = || {
        std::process::Command::new("valgrind")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if found() {
        return Ok(());
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/test-deps.sh");
    let status = std::process::Command::new(script)
        .arg("valgrind")
        .status()
        .map_err(|e| format!("{script}: {e}"))?;
    if status.success() && found() {
        Ok(())
    } else {
        Err(format!("{script} valgrind did not install it ({status})"))
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--count-frames") {
        count_frames(&args[i + 1..]);
        return;
    }
    let look = look();
    let pairs: Vec<(usize, [Console; 2])> = SIZES
        .iter()
        .map(|&n| {
            let a = console(n);
            let b = tick(&a);
            (n, [a, b])
        })
        .collect();

    // The alternation must really change the screen, or the diff would be (nearly) empty.
    let buf = |c: &Console| {
        warroom::shell::snapshot::draw(c, &look, COLS, ROWS)
            .unwrap_or_else(|e| fail("snapshot draw", &e))
    };
    for (n, [a, b]) in &pairs {
        let (a, b) = (buf(a), buf(b));
        let changed = a.diff(&b).len();
        let drawn = a
            .content()
            .iter()
            .filter(|cell| cell.symbol() != " ")
            .count();
        assert!(
            changed > 100,
            "the two alternating consoles draw almost the same screen ({changed} cells differ)"
        );
        println!("{n} entries: alternating frames differ in {changed} of {} cells ({drawn} non-blank) at {COLS}x{ROWS}", a.content().len());
    }

    let mut c = Criterion::default().sample_size(50).configure_from_args();
    {
        let mut g = c.benchmark_group("frame_200x60");
        for (n, pair) in &pairs {
            g.bench_with_input(BenchmarkId::new("alternate", n), pair, |b, pair| {
                let mut term = terminal();
                let mut i = 0usize;
                b.iter(|| {
                    i += 1;
                    draw(&mut term, black_box(&pair[i % 2]), &look);
                });
            });
            g.bench_with_input(BenchmarkId::new("fresh", n), pair, |b, pair| {
                b.iter_batched(
                    terminal,
                    // Returned, so the terminal is dropped outside the timing too.
                    |mut term| {
                        draw(&mut term, black_box(&pair[0]), &look);
                        term
                    },
                    BatchSize::SmallInput,
                );
            });
        }
        g.finish();
    }
    c.final_summary();

    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }

    figures(&pairs, &look);
}

/// The medians timed one by one, the instruction counts and the requirement lines.
fn figures(pairs: &[(usize, [Console; 2])], look: &Look) {
    println!();
    println!("median of {FRAMES} frames each, the sizes taking turns, {COLS}x{ROWS}, std::time::Instant:");
    let mut spreads = Vec::new();
    let mut at_goal = Duration::ZERO;
    for (mode, fresh) in [("alternate", false), ("fresh", true)] {
        let all: Vec<&[Console; 2]> = pairs.iter().map(|(_, pair)| pair).collect();
        let medians: Vec<(usize, Duration)> = pairs
            .iter()
            .map(|(n, _)| *n)
            .zip(median_frames(&all, look, fresh))
            .collect();
        for (n, m) in &medians {
            println!(
                "  {mode:<9} {n:>9} entries: {:>8.1} µs per frame",
                m.as_secs_f64() * 1e6
            );
            if !fresh && *n == GOAL_SIZE {
                at_goal = *m;
            }
        }
        let (small, big) = (medians[0].1, medians[medians.len() - 1].1);
        let spread =
            big.as_secs_f64().max(small.as_secs_f64()) / big.as_secs_f64().min(small.as_secs_f64());
        println!(
            "  {mode:<9} ratio 1M / 10k = {:.2}",
            big.as_secs_f64() / small.as_secs_f64()
        );
        spreads.push((mode, spread));
    }
    let (n, pair) = &pairs[0];
    let (ours, base) = (
        median_frames(&[pair], look, false)[0],
        median_baseline(pair, look),
    );
    println!(
        "  alternate {n:>9} entries: {:.1} µs with the terminal's encoding, {:.1} µs on TestBackend (no encoding): ratio {:.2}",
        ours.as_secs_f64() * 1e6,
        base.as_secs_f64() * 1e6,
        ours.as_secs_f64() / base.as_secs_f64()
    );
    println!();
    println!(
        "instructions per alternating frame (valgrind, {COUNT_MORE} frames minus {COUNT_FEW}):"
    );
    let counted: Result<Vec<(usize, f64)>, String> = valgrind().and_then(|()| {
        COUNT_SIZES
            .iter()
            .map(|&n| instructions_per_frame(n).map(|i| (n, i)))
            .collect()
    });
    if let Ok(counted) = &counted {
        for (n, i) in counted {
            println!(
                "  alternate {n:>9} entries: {:>6.2} M instructions per frame",
                i / 1e6
            );
        }
    }
    println!(
        "requirement median <= 0.5 ms per frame at {GOAL_SIZE} entries (alternating): {} ({:.3} ms)",
        verdict(at_goal <= MAX_FRAME),
        at_goal.as_secs_f64() * 1e3
    );
    match &counted {
        Ok(counted) => {
            let i = counted
                .iter()
                .find(|(n, _)| *n == GOAL_SIZE)
                .map_or(f64::INFINITY, |c| c.1);
            println!(
                "requirement <= 5 M instructions per frame at {GOAL_SIZE} entries: {} ({:.2} M)",
                verdict(i <= MAX_INSTRUCTIONS),
                i / 1e6
            );
        }
        Err(e) => println!(
            "requirement <= 5 M instructions per frame at {GOAL_SIZE} entries: FAIL (not counted: {e})"
        ),
    }
    for (mode, spread) in spreads {
        println!(
            "requirement {mode} frame flat from 10000 to 1000000 entries (slower <= {MAX_SPREAD:.2} x faster): {} ({spread:.2} x)",
            verdict(spread <= MAX_SPREAD)
        );
    }
}
