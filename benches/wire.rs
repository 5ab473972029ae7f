//! Bytes on the wire: the real binary in a pseudo-terminal at 120x40, beside htop and bottom
//! in the same pseudo-terminal, measured the same way (every byte read from the terminal's
//! master side; an update is a burst of output with 20 ms of quiet around it; CPU from
//! /proc; the first 5 s, the start-up paint, left out of every figure).
//!
//! ```sh
//! cargo bench --bench wire
//! WARROOM_WIRE_SECONDS=120 cargo bench --bench wire     # longer runs (default 60 s)
//! ```
//!
//! htop and strace (Debian) and bottom (`cargo install bottom --locked`) are installed by
//! `scripts/bench-deps.sh` when they are missing; a peer that cannot be installed fails its
//! lines (the figure was not measured). The writes a frame takes are counted with strace.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use portable_pty::{native_pty_system, CommandBuilder, PtySize};

#[path = "bench/pty.rs"]
mod pty;
use pty::{cpu_seconds, FRAME_END};

const COLS: u16 = 120;
const ROWS: u16 = 40;
/// Left out of every figure: the start-up paint.
const SETTLE: Duration = Duration::from_secs(5);
/// Output separated by less than this is one update.
const BURST_GAP: Duration = Duration::from_millis(20);

struct Run {
    name: String,
    seconds: f64,
    bytes: usize,
    updates: usize,
    frames: usize,
    cpu_percent: Option<f64>,
}

impl Run {
    fn bytes_per_s(&self) -> f64 {
        self.bytes as f64 / self.seconds
    }
    fn bytes_per_update(&self) -> f64 {
        self.bytes as f64 / self.updates.max(1) as f64
    }
}

/// Installs htop, strace and bottom when they are missing (`scripts/bench-deps.sh`);
/// returns the path of `btm`.
fn bench_deps() -> Option<String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/bench-deps.sh");
    match std::process::Command::new(script).output() {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| l.strip_prefix("BTM=").map(str::to_string)),
        Ok(out) => {
            eprintln!("{script}: {}", String::from_utf8_lossy(&out.stderr).trim());
            None
        }
        Err(e) => {
            eprintln!("{script}: {e}");
            None
        }
    }
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|p| p.join(program).is_file()))
}

/// Runs `argv` in a pseudo-terminal for `total`, and measures what it writes after `SETTLE`.
fn measure(name: &str, argv: &[&str], total: Duration, state: &Path) -> Run {
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: ROWS,
            cols: COLS,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("a pseudo-terminal");
    let mut cmd = CommandBuilder::new(argv[0]);
    cmd.args(&argv[1..]);
    cmd.env("TERM", "xterm-256color");
    cmd.env("XDG_STATE_HOME", state);
    cmd.env("XDG_CONFIG_HOME", state);
    let mut child = pty.slave.spawn_command(cmd).expect("the program starts");
    drop(pty.slave);
    let pid = child.process_id().expect("a process id");
    let mut reader = pty
        .master
        .try_clone_reader()
        .expect("the terminal's output");
    let mut writer = pty.master.take_writer().expect("the terminal's input");
    let (tx, rx) = mpsc::channel::<(Instant, Vec<u8>)>();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || tx.send((Instant::now(), buf[..n].to_vec())).is_err() {
                break;
            }
        }
    });
    let start = Instant::now();
    let (from, to) = (start + SETTLE, start + total);
    let mut cpu_from = None;
    let (mut bytes, mut updates, mut frames) = (0, 0, 0);
    let mut last: Option<Instant> = None;
    loop {
        let now = Instant::now();
        if now >= to {
            break;
        }
        if cpu_from.is_none() && now >= from {
            cpu_from = cpu_seconds(pid);
        }
        let wait = if cpu_from.is_none() { from.min(to) } else { to };
        let Ok((at, chunk)) = rx.recv_timeout(wait.saturating_duration_since(now)) else {
            continue;
        };
        // Answer what a terminal would be asked: the cursor's place, the device's kind.
        if chunk.windows(4).any(|w| w == b"\x1b[6n") {
            let _ = writer.write_all(b"\x1b[1;1R");
        }
        if chunk.windows(3).any(|w| w == b"\x1b[c") {
            let _ = writer.write_all(b"\x1b[?62;22c");
        }
        let ends = chunk
            .windows(FRAME_END.len())
            .filter(|w| *w == FRAME_END)
            .count();
        if at < from {
            last = Some(at);
            continue;
        }
        if last.is_none_or(|l| at.duration_since(l) >= BURST_GAP) {
            updates += 1;
        }
        last = Some(at);
        bytes += chunk.len();
        frames += ends;
    }
    let cpu_to = cpu_seconds(pid);
    let _ = child.kill();
    let _ = child.wait();
    let seconds = total.saturating_sub(SETTLE).as_secs_f64();
    let cpu_percent = cpu_from.zip(cpu_to).map(|(a, b)| (b - a) / seconds * 100.0);
    Run {
        name: name.to_string(),
        seconds,
        bytes,
        updates,
        frames,
        cpu_percent,
    }
}

/// Under strace for `total`: how many `write()` calls warroom's demo made to the terminal,
/// and how many of them came less than 2 ms after the one before (a frame split in two:
/// frames are at least 16 ms apart).
fn split_frames(bin: &str, total: Duration, state: &Path) -> Option<(usize, usize)> {
    if !on_path("strace") {
        return None;
    }
    let log = state.join("strace.log");
    let log_s = log.to_str()?;
    measure(
        "strace",
        &[
            "strace",
            "-f",
            "-qq",
            "-ttt",
            "-s",
            "0",
            "-e",
            "trace=write,writev",
            "-o",
            log_s,
            bin,
            "demo",
        ],
        total,
        state,
    );
    let text = std::fs::read_to_string(&log).ok()?;
    let times: Vec<f64> = text
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let (_pid, at, call) = (fields.next()?, fields.next()?, fields.next()?);
            (call.starts_with("write(1,") || call.starts_with("writev(1,"))
                .then(|| at.parse().ok())
                .flatten()
        })
        .collect();
    let split = times.windows(2).filter(|w| w[1] - w[0] < 0.002).count();
    Some((times.len(), split))
}

/// A rollout in which nothing happens for a day once its first wave starts: a playing
/// replay of it moves only the clocks.
const QUIET: &str = r#"{"warroom": "1.0", "rollout": {"id": "quiet", "service": "svc", "from": "v1", "to": "v2", "strategy": "canary", "t0": "2025-02-03T09:00:00Z", "waves": [{"id": "w1", "name": "Wave 1", "traffic": 10, "bake": "30m"}], "slos": [{"id": "err", "name": "Error rate", "unit": "%", "direction": "lower", "target": 2, "warning": 5, "critical": 10}]}}
{"t":"T+0s","type":"wave","wave":"w1","state":"active"}
{"t":"T+1s","type":"metric","slo":"err","value":0.4}
{"t":"T+1d","type":"note","text":"a day later"}
"#;

mod bench;
use bench::verdict;

fn main() {
    let total = Duration::from_secs(
        std::env::var("WARROOM_WIRE_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(60)
            .max(10),
    );
    let bin = env!("CARGO_BIN_EXE_warroom");
    let state = tempfile::tempdir().expect("a state directory");
    let quiet = state.path().join("quiet.jsonl");
    std::fs::write(&quiet, QUIET).expect("the quiet fixture");
    let quiet = quiet.to_str().expect("a UTF-8 path");
    let mut runs = vec![
        measure("warroom demo", &[bin, "demo"], total, state.path()),
        measure(
            "warroom replay (quiet, --speed 60)",
            &[bin, "replay", quiet, "--speed", "60", "--idle-limit", "0"],
            total,
            state.path(),
        ),
    ];
    let btm_path = bench_deps();
    let htop = on_path("htop").then(|| {
        let r = measure("htop -d 5", &["htop", "-d", "5"], total, state.path());
        runs.push(r);
        runs.len() - 1
    });
    let btm = btm_path.as_deref().map(|path| {
        let r = measure(
            "btm --rate 500",
            &[path, "--rate", "500"],
            total,
            state.path(),
        );
        runs.push(r);
        runs.len() - 1
    });
    let seconds = total.saturating_sub(SETTLE).as_secs();
    println!("\nIn a pseudo-terminal at {COLS}x{ROWS}, {seconds} s after the first 5 s:\n");
    println!("| program | bytes/s | updates/s | bytes/update | synchronized frames/s | CPU % |");
    println!("|---|---|---|---|---|---|");
    for r in &runs {
        println!(
            "| {} | {:.0} | {:.2} | {:.0} | {:.2} | {} |",
            r.name,
            r.bytes_per_s(),
            r.updates as f64 / r.seconds,
            r.bytes_per_update(),
            r.frames as f64 / r.seconds,
            r.cpu_percent.map_or("-".into(), |c| format!("{c:.2}")),
        );
    }
    println!();
    let demo = &runs[0];
    for (peer, name) in [(htop, "htop -d 5"), (btm, "btm --rate 500")] {
        match peer {
            Some(i) => {
                let p = &runs[i];
                println!(
                    "requirement demo bytes/update < {name}'s: {} ({:.0} against {:.0})",
                    verdict(demo.bytes_per_update() < p.bytes_per_update()),
                    demo.bytes_per_update(),
                    p.bytes_per_update()
                );
                if let (Some(a), Some(b)) = (demo.cpu_percent, p.cpu_percent) {
                    println!(
                        "requirement demo CPU < {name}'s: {} ({a:.2} % against {b:.2} %)",
                        verdict(a < b)
                    );
                }
            }
            None => println!(
                "requirement demo bytes/update < {name}'s: FAIL (not measured: {name} is not installed, see target/bench-deps.log)"
            ),
        }
    }
    let q = &runs[1];
    println!(
        "requirement quiet playing replay <= 500 B/s: {} ({:.0} B/s)",
        verdict(q.bytes_per_s() <= 500.0),
        q.bytes_per_s()
    );
    let per_s = q.updates as f64 / q.seconds;
    println!(
        "requirement quiet playing replay <= 4 redraws/s: {} ({per_s:.2} updates/s)",
        verdict(per_s <= 4.0 + 0.05)
    );
    match split_frames(bin, Duration::from_secs(20), state.path()) {
        Some((writes, split)) if writes > 0 => println!(
            "requirement one write() per frame: {} ({writes} writes to the terminal in 20 s, {split} of them less than 2 ms after the one before)",
            verdict(split == 0)
        ),
        Some(_) => println!("requirement one write() per frame: FAIL (no write seen under strace)"),
        None => println!("requirement one write() per frame: FAIL (not measured: strace is not installed, see target/bench-deps.log)"),
    }
}
