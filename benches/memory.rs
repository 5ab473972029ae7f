//! Resident memory of the replay preparation path, per fixture size.
//!
//! The parent generates seeded fixtures to temporary files, then for each size re-runs this
//! binary (`std::env::current_exe()`) as a child with `--child FILE`, so every size is
//! measured in a fresh process. The child does what `warroom replay FILE` does before and
//! after the terminal comes up:
//!
//! 1. `shell::load::open` and `shell::replay::prepare` (validates and applies every line,
//!    keeps the snapshots and the event times), keeping the `Prepared` alive as the engine
//!    does;
//! 2. reopens the source at the first record and applies every record into the console's
//!    state (in batches of `MAX_BATCH`, as playback at "max" speed feeds them);
//!
//! then prints `VmHWM` (peak) and `VmRSS` (now) from `/proc/self/status`.
//! Requirement: under 64 MiB after replaying 1M records, and flat between 100k and 1M.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::Command;

use warroom::core::console::{Console, Mode, ReplayInfo};
use warroom::core::playback::Speed;
use warroom::core::state::Event;
use warroom::shell::replay::MAX_BATCH;

const SIZES: [u64; 3] = [0, 100_000, 1_000_000];
const SEED: u64 = 42;
const LIMIT_MIB: f64 = 64.0;

fn fail(what: &str, e: &dyn std::fmt::Display) -> ! {
    eprintln!("{what}: {e}");
    std::process::exit(1)
}

/// `VmHWM` and `VmRSS` in KiB.
fn rss() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

fn child(file: &str) {
    let (_, base) = rss();
    let mut src = warroom::shell::load::open(file).unwrap_or_else(|e| fail("open", &e));
    let initial = warroom::shell::headless::initial_state(&src);
    let prep = warroom::shell::replay::prepare(&mut src, initial.clone())
        .unwrap_or_else(|e| fail("prepare", &e));
    let (_, after_prepare) = rss();
    let mut src = src
        .reopen(prep.first_pos)
        .unwrap_or_else(|e| fail("reopen", &e));
    let info = ReplayInfo {
        speed: Speed::Max,
        playing: true,
        start: prep.start,
        end: prep.end,
    };
    let mut console = Console::new(initial, Mode::Replay(info));
    let mut batch = Vec::with_capacity(1024);
    loop {
        let more = src
            .next_records(&mut |r| batch.push(r))
            .unwrap_or_else(|e| fail("read", &e));
        if batch.len() >= MAX_BATCH || more.is_none() {
            for r in batch.drain(..) {
                console.state.apply(Event::Record(r));
            }
        }
        if more.is_none() {
            break;
        }
    }
    console.state.apply(Event::Clock(prep.end));
    let (hwm, now) = rss();
    let snap_states = prep.snapshots.len();
    let snap_entries: usize = prep.snapshots.iter().map(|s| s.state.timeline.len()).sum();
    println!(
        "lines={} applied={} hwm_kib={hwm} rss_kib={now} base_kib={base} after_prepare_kib={after_prepare} snapshots={snap_states} snapshot_timeline_entries={snap_entries} event_times={} event_times_cap={} timeline={} dropped={}",
        prep.lines,
        console.state.applied,
        prep.event_times.len(),
        prep.event_times.capacity(),
        console.state.timeline.len(),
        console.state.timeline.dropped(),
    );
    drop(prep);
}

fn generate(path: &Path, records: u64) {
    let file = std::fs::File::create(path).unwrap_or_else(|e| fail("create", &e));
    let mut out = BufWriter::new(file);
    if let Err(e) =
        warroom::shell::generate::write(&mut out, records, SEED).and_then(|()| out.flush())
    {
        fail("generate", &e);
    }
}

fn kv(line: &str, key: &str) -> u64 {
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(key)?.strip_prefix('=')?.parse().ok())
        .unwrap_or(0)
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        match args.get(i + 1) {
            Some(f) => child(f),
            None => fail("usage", &"--child FILE"),
        }
        return;
    }
    // `cargo test --benches` runs bench binaries too: only smoke-test there.
    let sizes: &[u64] = if args.iter().any(|a| a == "--bench") {
        &SIZES
    } else {
        &[0, 10_000]
    };
    let exe = std::env::current_exe().unwrap_or_else(|e| fail("current_exe", &e));
    let dir = tempfile::tempdir().unwrap_or_else(|e| fail("tempdir", &e));
    let mut rows = Vec::new();
    for &n in sizes {
        let path = dir.path().join(format!("gen-{n}.jsonl"));
        generate(&path, n);
        let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let out = Command::new(&exe)
            .arg("--child")
            .arg(&path)
            .output()
            .unwrap_or_else(|e| fail("child", &e));
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if !out.status.success() {
            eprintln!("{}", String::from_utf8_lossy(&out.stderr));
            fail("child", &out.status);
        }
        let line = text
            .lines()
            .find(|l| l.starts_with("lines="))
            .unwrap_or_default()
            .to_string();
        eprintln!("{n} records ({:.1} MiB file): {line}", mib(bytes / 1024));
        rows.push((
            n,
            kv(&line, "hwm_kib"),
            kv(&line, "rss_kib"),
            kv(&line, "after_prepare_kib"),
            kv(&line, "base_kib"),
        ));
    }
    println!();
    println!(
        "{:>9}  {:>14}  {:>15}  {:>22}  {:>14}",
        "records", "peak RSS MiB", "final RSS MiB", "RSS after prepare MiB", "start RSS MiB"
    );
    for (n, hwm, now, prep, base) in &rows {
        println!(
            "{n:>9}  {:>14.1}  {:>15.1}  {:>22.1}  {:>14.1}",
            mib(*hwm),
            mib(*now),
            mib(*prep),
            mib(*base)
        );
    }
    if rows.len() >= 2 {
        let big = rows[rows.len() - 1];
        let mid = rows[rows.len() - 2];
        let under = mib(big.1) < LIMIT_MIB;
        let growth = mib(big.1) - mib(mid.1);
        println!(
            "requirement peak < {LIMIT_MIB:.0} MiB at {} records: {} ({:.1} MiB)",
            big.0,
            if under { "PASS" } else { "FAIL" },
            mib(big.1)
        );
        println!(
            "peak growth {} -> {} records: {growth:+.1} MiB ({:.2}x)",
            mid.0,
            big.0,
            mib(big.1) / mib(mid.1).max(f64::MIN_POSITIVE)
        );
    }
}
