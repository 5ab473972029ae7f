//! What the benchmarks share.

/// The word a requirement line ends with.
pub fn verdict(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "FAIL"
    }
}

/// Writes a seeded generated fixture of `records` records to `path`.
#[allow(
    dead_code,
    reason = "only the benches that make their own files use it"
)]
pub fn generate(path: &std::path::Path, records: u64, seed: u64) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    warroom::shell::generate::write(&mut out, records, seed)?;
    out.flush()
}

/// `--peak-of ARGS…`, run by a bench in a fresh copy of itself: runs ARGS with its output
/// thrown away (ARGS must succeed) and prints `peak_kib=` the peak resident memory of it (the
/// only child this process waits for) and `wall_ms=` how long it took.
#[allow(dead_code, reason = "only the benches that measure a whole run use it")]
pub fn peak_of(argv: &[String]) {
    let started = std::time::Instant::now();
    let status = std::process::Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .status();
    let wall = started.elapsed();
    match status {
        Ok(s) if s.success() => {}
        other => {
            eprintln!("{argv:?}: {other:?}");
            std::process::exit(1);
        }
    }
    let usage = match nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN) {
        Ok(u) => u,
        Err(e) => {
            eprintln!("getrusage: {e}");
            std::process::exit(1);
        }
    };
    // Linux gives ru_maxrss in KiB.
    println!("peak_kib={} wall_ms={}", usage.max_rss(), wall.as_millis());
}

/// The number after `key=` in a line of `key=value` words (0 when it is not there).
#[allow(
    dead_code,
    reason = "only the benches that read a helper's line use it"
)]
pub fn kv(line: &str, key: &str) -> u64 {
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(key)?.strip_prefix('=')?.parse().ok())
        .unwrap_or(0)
}
