//! The real binary in a pseudo-terminal, as a person at a terminal runs it: what the startup,
//! memory and wire benches measure it through.
#![allow(dead_code, reason = "each bench uses the part it needs")]

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{native_pty_system, Child, CommandBuilder, PtySize};

/// The end of a synchronized update: a whole frame has been written.
pub const FRAME_END: &[u8] = b"\x1b[?2026l";

/// CPU seconds the process has used so far (user and system), from /proc.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    // Fields 14 and 15 of the line, counted from the state (field 3) here; in clock ticks,
    // which Linux reports at 100 a second.
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// A field of /proc/PID/status in KiB (`VmHWM`, `VmRSS`).
pub fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// What the terminal has read so far.
#[derive(Default)]
struct Seen {
    bytes: Vec<u8>,
    /// When the first whole frame ended.
    first_frame: Option<Instant>,
}

/// The program running in a pseudo-terminal of its own.
pub struct Session {
    pub started: Instant,
    child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    seen: Arc<Mutex<Seen>>,
    _master: Box<dyn portable_pty::MasterPty + Send>,
}

impl Session {
    /// Starts `argv` at `cols` × `rows` with `TERM=xterm-256color` and `env`, reading all it
    /// writes.
    ///
    /// # Panics
    /// When the pseudo-terminal or the program cannot be started.
    pub fn spawn(argv: &[&str], cols: u16, rows: u16, env: &[(&str, &str)]) -> Session {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("openpty");
        let mut cmd = CommandBuilder::new(argv[0]);
        cmd.args(&argv[1..]);
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("NO_COLOR");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let started = Instant::now();
        let child = pair.slave.spawn_command(cmd).expect("spawn in the pty");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer = pair.master.take_writer().expect("pty writer");
        let seen = Arc::new(Mutex::new(Seen::default()));
        let s = Arc::clone(&seen);
        std::thread::spawn(move || {
            let mut buf = [0u8; 16384];
            while let Ok(n @ 1..) = reader.read(&mut buf) {
                let now = Instant::now();
                let mut s = s.lock().expect("pty buffer");
                let from = s.bytes.len().saturating_sub(FRAME_END.len());
                s.bytes.extend_from_slice(&buf[..n]);
                if s.first_frame.is_none()
                    && s.bytes[from..]
                        .windows(FRAME_END.len())
                        .any(|w| w == FRAME_END)
                {
                    s.first_frame = Some(now);
                }
            }
        });
        Session {
            started,
            child,
            writer,
            seen,
            _master: pair.master,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.process_id().expect("the child's pid")
    }

    /// How long after the start the first whole frame ended, waiting at most `timeout`.
    pub fn first_frame(&self, timeout: Duration) -> Option<Duration> {
        let until = Instant::now() + timeout;
        while Instant::now() < until {
            if let Some(t) = self.seen.lock().expect("pty buffer").first_frame {
                return Some(t - self.started);
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        None
    }

    /// Waits until the program has used no CPU for `quiet` (it has done its work and sits
    /// idle), at most `timeout`; false when it never settled.
    pub fn wait_idle(&self, quiet: Duration, timeout: Duration) -> bool {
        let (pid, until) = (self.pid(), Instant::now() + timeout);
        let mut last = (cpu_seconds(pid), Instant::now());
        while Instant::now() < until {
            std::thread::sleep(Duration::from_millis(50));
            let now = cpu_seconds(pid);
            if now != last.0 {
                last = (now, Instant::now());
            } else if last.1.elapsed() >= quiet {
                return true;
            }
        }
        false
    }

    /// Types `keys`.
    pub fn keys(&mut self, keys: &[u8]) {
        // A program that already ended no longer reads; that is for `end` to tell.
        let _ = self
            .writer
            .write_all(keys)
            .and_then(|()| self.writer.flush());
    }

    /// Presses `q` and waits for the program to end (killing it after `timeout`): its exit
    /// code, `None` when it had to be killed.
    pub fn end(mut self, timeout: Duration) -> Option<u32> {
        self.keys(b"q");
        let until = Instant::now() + timeout;
        while Instant::now() < until {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status.exit_code());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        None
    }
}
