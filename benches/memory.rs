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
//! then prints `VmHWM` (peak) and `VmRSS` (now) from `/proc/self/status`, with what the
//! snapshots hold (distinct timeline entries across all snapshot states, counted by address,
//! since full timeline chunks are shared between clones).
//!
//! Sizes: 0 (header only, the fixed cost), 100k and 1M records; set
//! `WARROOM_MEMORY_SIZES=0,100000,1600000` to measure others.
//! Requirement: under 64 MiB after replaying 1M records, and flat between 100k and 1M.

use std::collections::HashSet;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::Command;

use warroom::core::app::App as Console;
use warroom::core::playback::Speed;
use warroom::core::playback::{Mode, ReplayInfo};
use warroom::core::state::Event;
use warroom::core::timeline::Entry;
use warroom::shell::replay::{Prepared, MAX_BATCH};

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

/// Distinct timeline entries held by all snapshots together, and a rough byte estimate
/// (the entry itself plus its text allocation rounded to malloc's 16-byte steps).
fn snapshot_entries(prep: &Prepared) -> (usize, usize) {
    let mut seen: HashSet<*const Entry> = HashSet::new();
    let mut bytes = 0usize;
    for s in &prep.snapshots {
        let tl = &s.state.timeline;
        for e in (0..tl.len()).filter_map(|i| tl.get(i)) {
            if seen.insert(std::ptr::from_ref(e)) {
                bytes += std::mem::size_of::<Entry>() + (e.text.len() + 8).next_multiple_of(16);
            }
        }
    }
    (seen.len(), bytes)
}

fn child(file: &str) {
    let (_, base) = rss();
    let mut src = warroom::shell::fixtures::open(file).unwrap_or_else(|e| fail("open", &e));
    let initial = warroom::shell::fixtures::initial_state(&src);
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
    let (unique, unique_bytes) = snapshot_entries(&prep);
    let snap_entries: usize = prep.snapshots.iter().map(|s| s.state.timeline.len()).sum();
    println!(
        "lines={} applied={} hwm_kib={hwm} rss_kib={now} base_kib={base} after_prepare_kib={after_prepare} snapshots={} snapshot_timeline_entries={snap_entries} unique_snapshot_entries={unique} unique_snapshot_kib={} event_times={} event_times_kib={} timeline={} dropped={} entry_size={} record_size={} batch_capacity={}",
        prep.lines,
        console.state.applied,
        prep.snapshots.len(),
        unique_bytes / 1024,
        prep.event_times.len(),
        prep.event_times.capacity() * std::mem::size_of::<warroom::core::time::Offset>() / 1024,
        console.state.timeline.len(),
        console.state.timeline.dropped(),
        std::mem::size_of::<Entry>(),
        std::mem::size_of::<warroom::core::record::Record>(),
        batch.capacity(),
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

struct Row {
    records: u64,
    hwm: u64,
    rss: u64,
    after_prepare: u64,
    snapshots: u64,
    unique: u64,
    unique_kib: u64,
    event_times_kib: u64,
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
    let sizes: Vec<u64> = match std::env::var("WARROOM_MEMORY_SIZES") {
        Ok(v) => v
            .split(',')
            .map(|s| {
                s.trim()
                    .parse()
                    .unwrap_or_else(|e| fail("WARROOM_MEMORY_SIZES", &e))
            })
            .collect(),
        // `cargo bench` passes --bench; anything else (cargo test --benches) only smoke-tests.
        Err(_) if args.iter().any(|a| a == "--bench") => SIZES.to_vec(),
        Err(_) => vec![0, 10_000],
    };
    let exe = std::env::current_exe().unwrap_or_else(|e| fail("current_exe", &e));
    let dir = tempfile::tempdir().unwrap_or_else(|e| fail("tempdir", &e));
    let mut rows = Vec::new();
    for &n in &sizes {
        let path = dir.path().join(format!("gen-{n}.jsonl"));
        generate(&path, n);
        let bytes = std::fs::metadata(&path).map_or(0, |m| m.len());
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
        std::fs::remove_file(&path).ok();
        let line = text
            .lines()
            .find(|l| l.starts_with("lines="))
            .unwrap_or_default()
            .to_string();
        eprintln!("{n} records ({:.1} MiB file): {line}", mib(bytes / 1024));
        rows.push(Row {
            records: n,
            hwm: kv(&line, "hwm_kib"),
            rss: kv(&line, "rss_kib"),
            after_prepare: kv(&line, "after_prepare_kib"),
            snapshots: kv(&line, "snapshots"),
            unique: kv(&line, "unique_snapshot_entries"),
            unique_kib: kv(&line, "unique_snapshot_kib"),
            event_times_kib: kv(&line, "event_times_kib"),
        });
    }
    println!();
    println!(
        "{:>9}  {:>12}  {:>13}  {:>17}  {:>9}  {:>22}  {:>15}",
        "records",
        "peak RSS MiB",
        "final RSS MiB",
        "after prepare MiB",
        "snapshots",
        "snapshot entries (MiB)",
        "event_times MiB"
    );
    for r in &rows {
        println!(
            "{:>9}  {:>12.1}  {:>13.1}  {:>17.1}  {:>9}  {:>22}  {:>15.1}",
            r.records,
            mib(r.hwm),
            mib(r.rss),
            mib(r.after_prepare),
            r.snapshots,
            format!("{} (~{:.1})", r.unique, mib(r.unique_kib)),
            mib(r.event_times_kib),
        );
    }
    let at = |n: u64| rows.iter().find(|r| r.records == n);
    if let Some(big) = at(1_000_000) {
        let under = mib(big.hwm) < LIMIT_MIB;
        println!(
            "requirement peak < {LIMIT_MIB:.0} MiB at 1000000 records: {} ({:.1} MiB)",
            if under { "PASS" } else { "FAIL" },
            mib(big.hwm)
        );
        if let Some(mid) = at(100_000) {
            let growth = mib(big.hwm) - mib(mid.hwm);
            let flat = growth.abs() <= 0.1 * mib(mid.hwm).max(4.0);
            println!(
                "requirement flat 100000 -> 1000000 records: {} (peak {:+.1} MiB, {:.2}x)",
                if flat { "PASS" } else { "FAIL" },
                growth,
                mib(big.hwm) / mib(mid.hwm).max(f64::MIN_POSITIVE)
            );
        }
    }
}
