//! Parse + apply throughput against a bare serde baseline.
//!
//! A seeded fixture of `RECORDS` records is generated in memory once. Each iteration then
//! runs over the whole set, side by side:
//!
//! * `bare_serde`: `serde_json::from_str::<Raw>` of every record line (the typed struct the
//!   reader itself uses); the lines are split beforehand, outside the timing, so this is the
//!   strictest possible baseline.
//! * `parse_apply`: the real path: `fixture::open` over a `Cursor`, `next_records` for every
//!   line (line reading, UTF-8 and CR checks, serde, time order, decode against the plan)
//!   and `State::apply(Event::Record(..))` for every record. The reader checks whole blocks
//!   of lines (up to 64 KiB) for UTF-8 and stray CRs at once, and reads a plain one-SLO
//!   sample line in one pass straight against the plan (`format::sample`, on the same
//!   `serde_json` tokenizer); every other line goes through `Raw` and `decode`.
//! * `parse_only`: the same reader with the records dropped instead of applied, to show how
//!   the time splits between reading/decoding and applying.
//!
//! After criterion, both are timed again with `Instant` over the full set (median of several
//! repetitions) and the ratio and records/s are printed with PASS/FAIL. Requirements:
//! parse+apply ≥ 2 000 000 records/s on one core, and parse+apply ≤ 1.3 × bare serde.

use std::hint::black_box;
use std::io::Cursor;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput};
use warroom::core::source::{Link, SourceStatus};
use warroom::core::state::{Event, State, TIMELINE_CAP};
use warroom::format::fixture;
use warroom::format::record::Raw;

/// Records generated (the generator adds a few wave lines at wave boundaries).
const RECORDS: u64 = 200_000;
const SEED: u64 = 42;
/// Repetitions of the final `Instant` measurement (the median is reported).
const REPS: usize = 7;
const MIN_RATE: f64 = 2_000_000.0;
const MAX_RATIO: f64 = 1.3;

fn fixture_bytes() -> Vec<u8> {
    let mut out = Vec::with_capacity(usize::try_from(RECORDS).unwrap_or(0) * 80);
    if let Err(e) = warroom::shell::generate::write(&mut out, RECORDS, SEED) {
        eprintln!("generate: {e}");
        std::process::exit(1);
    }
    out
}

/// The record lines: everything after the header line, without blank and comment lines.
fn record_lines(data: &str) -> Vec<&str> {
    data.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .collect()
}

/// Bare serde over every record line; returns a checksum so nothing is optimised away.
fn bare_serde(lines: &[&str]) -> i64 {
    let mut sum = 0i64;
    for line in lines {
        match serde_json::from_str::<Raw<'_>>(line) {
            Ok(raw) => sum = sum.wrapping_add(black_box(&raw).t.0),
            Err(e) => {
                eprintln!("bare serde refused a generated line: {e}");
                std::process::exit(1);
            }
        }
    }
    sum
}

fn open(data: &[u8]) -> fixture::RecordReader<Cursor<&[u8]>> {
    match fixture::open("bench.jsonl", Cursor::new(data)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("open: {e}");
            std::process::exit(1);
        }
    }
}

/// The reader alone (line reading, serde, time order, decode against the plan), records
/// dropped: splits parse+apply into its reading and its applying halves.
fn parse_only(data: &[u8]) -> u64 {
    let mut reader = open(data);
    let mut n = 0u64;
    loop {
        match reader.next_records(&mut |r| {
            black_box(r);
            n += 1;
        }) {
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => {
                eprintln!("parse refused a generated line: {e}");
                std::process::exit(1);
            }
        }
    }
    n
}

/// The real path: open, read and decode every line, apply every record. Returns the state.
fn parse_apply(data: &[u8]) -> State {
    let mut reader = open(data);
    let source = SourceStatus {
        name: Arc::from("fixture"),
        link: Link::Replay,
    };
    let mut state = State::new(reader.fixture().plan.clone(), source, TIMELINE_CAP);
    loop {
        match reader.next_records(&mut |r| {
            state.apply(Event::Record(r));
        }) {
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => {
                eprintln!("parse+apply refused a generated line: {e}");
                std::process::exit(1);
            }
        }
    }
    state
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

/// `reps` passes of one side alone; prints the median.
fn passes(name: &str, reps: usize, lines: &[&str], data: &[u8]) {
    let mut times = Vec::with_capacity(reps);
    for _ in 0..reps.max(1) {
        let t = Instant::now();
        match name {
            "bare_serde" => drop(black_box(bare_serde(lines))),
            "parse_only" => drop(black_box(parse_only(data))),
            "parse_apply" => drop(black_box(parse_apply(data))),
            other => {
                eprintln!("--pass takes bare_serde, parse_only or parse_apply, not {other:?}");
                std::process::exit(2);
            }
        }
        times.push(t.elapsed());
    }
    println!(
        "{name}: median of {} passes {:.1} ms",
        times.len(),
        median(times).as_secs_f64() * 1e3
    );
}

fn main() {
    let data = fixture_bytes();
    let text = match std::str::from_utf8(&data) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("generated fixture is not UTF-8: {e}");
            std::process::exit(1);
        }
    };
    let lines = record_lines(text);
    let n = lines.len() as u64;
    // `--pass NAME [N]`: N passes (default 1) of one side and nothing else, for an
    // instruction profiler (`valgrind --tool=callgrind target/release/deps/parse_apply-*
    // --pass parse_apply`); prints the median pass.
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--pass") {
        let name = args.get(i + 1).map_or("", String::as_str);
        let reps = args.get(i + 2).and_then(|n| n.parse().ok()).unwrap_or(1);
        passes(name, reps, &lines, &data);
        return;
    }
    // Sanity: the real path applies exactly one record per line for this generator.
    let applied = parse_apply(&data).applied;
    assert_eq!(applied, n, "records applied vs record lines");

    let mut c = Criterion::default().sample_size(10).configure_from_args();
    {
        let mut g = c.benchmark_group("parse_apply");
        g.throughput(Throughput::Elements(n));
        // One iteration is a whole pass over the set (~0.1-0.3 s): flat sampling keeps
        // the sample count at sample_size instead of 1+2+…+10 iterations.
        g.sampling_mode(SamplingMode::Flat);
        g.bench_function("bare_serde", |b| b.iter(|| bare_serde(black_box(&lines))));
        g.bench_function("parse_only", |b| b.iter(|| parse_only(black_box(&data))));
        g.bench_function("parse_apply", |b| b.iter(|| parse_apply(black_box(&data))));
        g.finish();
    }
    c.final_summary();

    // `cargo test --benches` / `--list` run the binary in a quick mode: skip the long pass.
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }

    let (mut serde_t, mut parse_t, mut apply_t) = (
        Vec::with_capacity(REPS),
        Vec::with_capacity(REPS),
        Vec::with_capacity(REPS),
    );
    for _ in 0..REPS {
        let t = Instant::now();
        black_box(bare_serde(black_box(&lines)));
        serde_t.push(t.elapsed());
        let t = Instant::now();
        black_box(parse_only(black_box(&data)));
        parse_t.push(t.elapsed());
        let t = Instant::now();
        black_box(parse_apply(black_box(&data)));
        apply_t.push(t.elapsed());
    }
    let (s, p, a) = (median(serde_t), median(parse_t), median(apply_t));
    let ratio = a.as_secs_f64() / s.as_secs_f64();
    let rate = n as f64 / a.as_secs_f64();
    let serde_rate = n as f64 / s.as_secs_f64();
    println!();
    println!(
        "{n} records, {} bytes, median of {REPS} passes each (std::time::Instant):",
        data.len()
    );
    println!(
        "bare serde  {:>9.1} ms  ({serde_rate:.0} records/s)",
        s.as_secs_f64() * 1e3
    );
    println!(
        "parse only  {:>9.1} ms  ({:.0} records/s, {:.2}x bare serde)",
        p.as_secs_f64() * 1e3,
        n as f64 / p.as_secs_f64(),
        p.as_secs_f64() / s.as_secs_f64()
    );
    println!(
        "parse+apply {:>9.1} ms  ({rate:.0} records/s)",
        a.as_secs_f64() * 1e3
    );
    println!("ratio parse+apply / bare serde = {ratio:.2}");
    println!("parse+apply records/s = {rate:.0}");
    let ok_rate = rate >= MIN_RATE;
    let ok_ratio = ratio <= MAX_RATIO;
    println!(
        "requirement parse+apply >= {MIN_RATE:.0} records/s on one core: {} ({rate:.0} records/s)",
        if ok_rate { "PASS" } else { "FAIL" }
    );
    println!(
        "requirement parse+apply <= {MAX_RATIO:.2} x bare serde typed parsing of the same lines: {} ({ratio:.2} x; parse only {:.2} x)",
        if ok_ratio { "PASS" } else { "FAIL" },
        p.as_secs_f64() / s.as_secs_f64()
    );
}
