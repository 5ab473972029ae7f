//! Time to the first complete frame: `warroom replay FILE` started in a pseudo-terminal at
//! 120x40, timed from the spawn to the end of the first synchronized update it writes (the
//! whole first screen). Beside each figure, in the same run: the built-in fixture (a few
//! hundred records), the floor that process start and terminal set-up cost on this machine.
//!
//! ```sh
//! cargo bench --bench startup
//! WARROOM_STARTUP_RUNS=21 cargo bench --bench startup     # more spawns per size (default 11)
//! ```
//!
//! Requirements: first frame at most 50 ms for 100k records, at most 100 ms for 1M (medians).

#[path = "bench/mod.rs"]
mod bench;
#[path = "bench/pty.rs"]
mod pty;

use std::time::Duration;

use bench::verdict;

const BIN: &str = env!("CARGO_BIN_EXE_warroom");
const SEED: u64 = 11;

fn fail(what: &str, e: &dyn std::fmt::Display) -> ! {
    eprintln!("{what}: {e}");
    std::process::exit(1)
}

/// Milliseconds to the first whole frame of `runs` spawns of `replay ARGS`, sorted.
fn first_frames(args: &[&str], runs: usize, state: &str) -> Vec<f64> {
    let mut ms: Vec<f64> = (0..runs)
        .map(|_| {
            let mut argv = vec![BIN, "replay"];
            argv.extend_from_slice(args);
            let s = pty::Session::spawn(&argv, 120, 40, &[("XDG_STATE_HOME", state)]);
            let t = s
                .first_frame(Duration::from_secs(30))
                .unwrap_or_else(|| fail("replay", &"no frame in 30 s"));
            if s.end(Duration::from_secs(10)) != Some(0) {
                fail("replay", &"did not end with q");
            }
            t.as_secs_f64() * 1000.0
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    ms
}

fn median(v: &[f64]) -> f64 {
    v[v.len() / 2]
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let runs: usize = std::env::var("WARROOM_STARTUP_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if full { 11 } else { 3 })
        .max(1);
    // `cargo test --benches` only smoke-tests, on small files.
    let sizes: &[(u64, f64)] = if full {
        &[(100_000, 50.0), (1_000_000, 100.0)]
    } else {
        &[(10_000, 50.0)]
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| fail("tempdir", &e));
    let state = dir
        .path()
        .to_str()
        .unwrap_or_else(|| fail("path", &"not UTF-8"));
    let base = first_frames(&[], runs, state);
    println!(
        "built-in fixture: first frame median {:.1} ms (min {:.1}, max {:.1}, {runs} runs)",
        median(&base),
        base[0],
        base[base.len() - 1]
    );
    for &(n, goal) in sizes {
        let path = dir.path().join(format!("gen-{n}.jsonl"));
        bench::generate(&path, n, SEED).unwrap_or_else(|e| fail("generate", &e));
        let file = path.to_str().unwrap_or_else(|| fail("path", &"not UTF-8"));
        let ms = first_frames(&[file], runs, state);
        println!(
            "{n} records: first frame median {:.1} ms (min {:.1}, max {:.1}, {runs} runs)",
            median(&ms),
            ms[0],
            ms[ms.len() - 1]
        );
        println!(
            "requirement first frame at {n} records <= {goal:.0} ms: {} ({:.1} ms median, built-in fixture {:.1} ms in the same run)",
            verdict(median(&ms) <= goal),
            median(&ms),
            median(&base)
        );
    }
}
