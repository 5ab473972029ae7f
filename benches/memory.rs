//! Peak memory of the real binary, per fixture size, on both paths a person uses:
//!
//! - on screen: `warroom replay FILE --speed max` in a pseudo-terminal at 120x40 until it has
//!   played every record and sits idle at the end, then `VmHWM` from /proc;
//! - headless: `warroom replay FILE --headless` with its output thrown away, its peak from
//!   `getrusage(RUSAGE_CHILDREN)` of a helper process that started it and waited for it.
//!
//! Sizes: 100k, 1M and 3M records (`WARROOM_MEMORY_SIZES=100000,1000000` for others).
//! Requirements: at most 32 MiB at 1M records, and flat within 10 % from the smallest size
//! to the largest, on both paths.
//!
//! Beside them, the library's replay path in a child of this binary (`--child FILE`): the
//! check (snapshots kept as the engine keeps them) and every record applied into a console's
//! state, with what the snapshots and the console's packed timeline hold: where memory
//! goes, when a figure above moves.

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use warroom::core::app::App as Console;
use warroom::core::playback::Speed;
use warroom::core::playback::{Mode, ReplayInfo};
use warroom::core::state::Event;
use warroom::core::timeline::Entry;
use warroom::shell::replay::{Prepared, MAX_BATCH};

#[path = "bench/mod.rs"]
mod bench;
#[path = "bench/pty.rs"]
mod pty;

use bench::verdict;

const SIZES: [u64; 3] = [100_000, 1_000_000, 3_000_000];
const SEED: u64 = 42;
const LIMIT_MIB: f64 = 32.0;
/// Most growth from the smallest size to the largest.
const FLAT: f64 = 0.10;

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

/// Distinct timeline entries held by all snapshots together and their heap bytes: a packed
/// chunk shared by several snapshots counts once (its metadata, compressed texts and source
/// table as it holds them), each snapshot's unpacked newest entries count as their 48 bytes
/// and their text.
fn snapshot_entries(prep: &Prepared) -> (usize, usize) {
    let mut seen: HashSet<usize> = HashSet::new();
    let (mut entries, mut bytes) = (0usize, 0usize);
    for s in &prep.index().snapshots {
        let tl = &s.state.timeline;
        let mut packed = 0;
        for (id, n, heap) in tl.packed_chunks() {
            packed += n;
            if seen.insert(id) {
                entries += n;
                bytes += heap;
            }
        }
        for e in (packed..tl.len()).filter_map(|i| tl.get(i)) {
            entries += 1;
            bytes += std::mem::size_of::<Entry>() + e.text().len();
        }
    }
    (entries, bytes)
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
    let (packed, packed_bytes) = console
        .state
        .timeline
        .packed_chunks()
        .fold((0, 0), |(n, b), (_, en, eb)| (n + en, b + eb));
    let ix = prep.index();
    let snap_entries: usize = ix.snapshots.iter().map(|s| s.state.timeline.len()).sum();
    println!(
        "lines={} applied={} hwm_kib={hwm} rss_kib={now} base_kib={base} after_prepare_kib={after_prepare} snapshots={} snapshot_timeline_entries={snap_entries} unique_snapshot_entries={unique} unique_snapshot_kib={} events={} timeline={} timeline_packed={packed} timeline_packed_kib={} dropped={} entry_size={} record_size={} batch_capacity={}",
        ix.lines,
        console.state.applied,
        ix.snapshots.len(),
        unique_bytes / 1024,
        ix.events(),
        console.state.timeline.len(),
        packed_bytes / 1024,
        console.state.timeline.dropped(),
        std::mem::size_of::<Entry>(),
        std::mem::size_of::<warroom::core::record::Record>(),
        batch.capacity(),
    );
    drop(ix);
    drop(prep);
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

struct Row {
    records: u64,
    /// The real binary's peaks, on screen and headless.
    screen: u64,
    headless: u64,
    /// The library path's peak and what it holds.
    hwm: u64,
    after_prepare: u64,
    snapshots: u64,
    unique: u64,
    unique_kib: u64,
    /// The console's packed timeline chunks.
    timeline_kib: u64,
}

const BIN: &str = env!("CARGO_BIN_EXE_warroom");

/// The headless replay's peak, in KiB, from a fresh helper process.
fn headless_peak(exe: &Path, file: &Path) -> u64 {
    let out = Command::new(exe)
        .arg("--peak-of")
        .args([BIN, "replay", "--headless"])
        .arg(file)
        .output()
        .unwrap_or_else(|e| fail("helper", &e));
    if !out.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&out.stderr));
        fail("helper", &out.status);
    }
    bench::kv(&String::from_utf8_lossy(&out.stdout), "peak_kib")
}

/// The on-screen replay's peak, in KiB: played at "max" until it sits idle at the end.
fn screen_peak(file: &Path, state: &Path) -> u64 {
    let file = file.to_str().unwrap_or_else(|| fail("path", &"not UTF-8"));
    let state = state.to_str().unwrap_or_else(|| fail("path", &"not UTF-8"));
    let s = pty::Session::spawn(
        &[BIN, "replay", file, "--speed", "max"],
        120,
        40,
        &[("XDG_STATE_HOME", state)],
    );
    if !s.wait_idle(Duration::from_secs(1), Duration::from_secs(300)) {
        fail("the on-screen replay", &"never settled at the end");
    }
    let peak = pty::status_kib(s.pid(), "VmHWM").unwrap_or_else(|| fail("/proc", &"no VmHWM"));
    if s.end(Duration::from_secs(10)) != Some(0) {
        fail("the on-screen replay", &"did not end with q");
    }
    peak
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
    if let Some(i) = args.iter().position(|a| a == "--peak-of") {
        bench::peak_of(&args[i + 1..]);
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
        Err(_) => vec![1_000, 10_000],
    };
    let exe = std::env::current_exe().unwrap_or_else(|e| fail("current_exe", &e));
    let dir = tempfile::tempdir().unwrap_or_else(|e| fail("tempdir", &e));
    let mut rows = Vec::new();
    for &n in &sizes {
        let path = dir.path().join(format!("gen-{n}.jsonl"));
        bench::generate(&path, n, SEED).unwrap_or_else(|e| fail("generate", &e));
        let bytes = std::fs::metadata(&path).map_or(0, |m| m.len());
        let screen = screen_peak(&path, dir.path());
        let headless = headless_peak(&exe, &path);
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
        eprintln!("{n} records ({:.1} MiB file): on screen {:.1} MiB, headless {:.1} MiB; library path: {line}", mib(bytes / 1024), mib(screen), mib(headless));
        rows.push(Row {
            records: n,
            screen,
            headless,
            hwm: bench::kv(&line, "hwm_kib"),
            after_prepare: bench::kv(&line, "after_prepare_kib"),
            snapshots: bench::kv(&line, "snapshots"),
            unique: bench::kv(&line, "unique_snapshot_entries"),
            unique_kib: bench::kv(&line, "unique_snapshot_kib"),
            timeline_kib: bench::kv(&line, "timeline_packed_kib"),
        });
    }
    report(&rows);
}

/// The table, then the requirement lines.
fn report(rows: &[Row]) {
    println!();
    println!(
        "{:>9}  {:>16}  {:>17}  {:>16}  {:>17}  {:>9}  {:>22}  {:>19}",
        "records",
        "on screen (MiB)",
        "headless (MiB)",
        "library (MiB)",
        "after check (MiB)",
        "snapshots",
        "snapshot entries (MiB)",
        "packed timeline MiB"
    );
    for r in rows {
        println!(
            "{:>9}  {:>16.1}  {:>17.1}  {:>16.1}  {:>17.1}  {:>9}  {:>22}  {:>19.2}",
            r.records,
            mib(r.screen),
            mib(r.headless),
            mib(r.hwm),
            mib(r.after_prepare),
            r.snapshots,
            format!("{} (~{:.1})", r.unique, mib(r.unique_kib)),
            mib(r.timeline_kib),
        );
    }
    for (path, peak) in [
        ("on screen", (|r: &Row| r.screen) as fn(&Row) -> u64),
        ("headless", |r: &Row| r.headless),
    ] {
        if let Some(big) = rows.iter().find(|r| r.records == 1_000_000) {
            println!(
                "requirement {path} peak RSS <= {LIMIT_MIB:.0} MiB at 1000000 records: {} ({:.1} MiB)",
                verdict(mib(peak(big)) <= LIMIT_MIB),
                mib(peak(big))
            );
        }
        if let (Some(small), Some(large)) = (rows.first(), rows.last()) {
            if small.records < large.records {
                let (a, b) = (mib(peak(small)), mib(peak(large)));
                let growth = b / a - 1.0;
                println!(
                    "requirement {path} peak RSS flat within {:.0} % from {} to {} records: {} ({a:.1} -> {b:.1} MiB, {:+.1} %)",
                    FLAT * 100.0,
                    small.records,
                    large.records,
                    verdict(growth <= FLAT),
                    growth * 100.0
                );
            }
        }
    }
}
