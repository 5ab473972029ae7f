//! `warroom report` on a big recording: a generated 1,000,000-record file (the shape of a
//! console's `--record`), written as HTML, run by a fresh helper process that times it and
//! reads its peak resident memory from `getrusage(RUSAGE_CHILDREN)`. Beside it, in the same
//! run and the same way: `warroom check` of the same file, the floor of reading and checking
//! every record.
//!
//! ```sh
//! cargo bench --bench report
//! WARROOM_REPORT_RECORDS=3000000 cargo bench --bench report
//! ```
//!
//! Requirements: the report finishes in under 3 s and peaks under 200 MiB (medians of the
//! runs).

#[path = "bench/mod.rs"]
mod bench;

use std::path::Path;
use std::process::Command;

use bench::verdict;

const BIN: &str = env!("CARGO_BIN_EXE_warroom");
const SEED: u64 = 5;
const LIMIT_S: f64 = 3.0;
const LIMIT_MIB: f64 = 200.0;

fn fail(what: &str, e: &dyn std::fmt::Display) -> ! {
    eprintln!("{what}: {e}");
    std::process::exit(1)
}

/// (wall ms, peak KiB) of one run of `warroom ARGS` in a fresh helper.
fn measure(exe: &Path, args: &[&str]) -> (u64, u64) {
    let out = Command::new(exe)
        .arg("--peak-of")
        .arg(BIN)
        .args(args)
        .output()
        .unwrap_or_else(|e| fail("helper", &e));
    if !out.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&out.stderr));
        fail("helper", &out.status);
    }
    let text = String::from_utf8_lossy(&out.stdout);
    (bench::kv(&text, "wall_ms"), bench::kv(&text, "peak_kib"))
}

fn median(mut v: Vec<u64>) -> u64 {
    v.sort_unstable();
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--peak-of") {
        bench::peak_of(&args[i + 1..]);
        return;
    }
    let full = args.iter().any(|a| a == "--bench");
    let records: u64 = match std::env::var("WARROOM_REPORT_RECORDS") {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|e| fail("WARROOM_REPORT_RECORDS", &e)),
        // `cargo test --benches` only smoke-tests.
        Err(_) if full => 1_000_000,
        Err(_) => 10_000,
    };
    let runs = if full { 5 } else { 1 };
    let exe = std::env::current_exe().unwrap_or_else(|e| fail("current_exe", &e));
    let dir = tempfile::tempdir().unwrap_or_else(|e| fail("tempdir", &e));
    let file = dir.path().join("recording.jsonl");
    bench::generate(&file, records, SEED).unwrap_or_else(|e| fail("generate", &e));
    let file = file.to_str().unwrap_or_else(|| fail("path", &"not UTF-8"));
    let page = dir.path().join("report.html");
    let page = page.to_str().unwrap_or_else(|| fail("path", &"not UTF-8"));
    let (mut rep_ms, mut rep_kib, mut chk_ms) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let (ms, kib) = measure(&exe, &["report", file, "-o", page]);
        rep_ms.push(ms);
        rep_kib.push(kib);
        chk_ms.push(measure(&exe, &["check", file]).0);
    }
    let html = std::fs::metadata(page).map_or(0, |m| m.len());
    let (ms, kib, check) = (median(rep_ms), median(rep_kib), median(chk_ms));
    let s = ms as f64 / 1000.0;
    let mib = kib as f64 / 1024.0;
    println!(
        "report of {records} records: {s:.2} s, peak {mib:.1} MiB, {:.1} MiB of HTML; check of the same file {:.2} s (report/check {:.2})",
        html as f64 / 1_048_576.0,
        check as f64 / 1000.0,
        ms as f64 / check.max(1) as f64
    );
    println!(
        "requirement report at {records} records < {LIMIT_S} s: {} ({s:.2} s median of {runs})",
        verdict(s < LIMIT_S)
    );
    println!(
        "requirement report peak RSS < {LIMIT_MIB} MiB at {records} records: {} ({mib:.1} MiB)",
        verdict(mib < LIMIT_MIB)
    );
}
