//! The `exec` actuator: one command per verb, run directly (an argument list, never a shell
//! line), with the command's context in its environment. Exit status 0 is applied; any other
//! is failed with the end of what it printed; no exit within the timeout kills its whole
//! process group and the outcome is unknown.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

use crate::core::command::Verb;
use crate::core::time::Span;
use crate::server::scenario::{Actuated, Actuation};

/// Most output kept per stream, in bytes (the end is kept).
const KEPT: usize = 16 * 1024;
/// How long output is still read once the command has exited (a child it left behind may
/// hold the pipes open).
const DRAIN: Duration = Duration::from_millis(200);

/// Commands per verb; a verb without one is carried out by the conductor alone.
pub struct Exec {
    verbs: BTreeMap<Verb, Vec<String>>,
    /// Reads the target back (after a restart): exit 0 done, 1 not done, else unknown.
    observe: Option<Vec<String>>,
    /// Where the running command's process group is written, so that a control plane
    /// restarted after a crash waits for a command its predecessor left running.
    pid_file: Option<PathBuf>,
    timeout: Span,
    dir: PathBuf,
}

impl Exec {
    #[must_use]
    pub fn new(verbs: BTreeMap<Verb, Vec<String>>, timeout: Span, dir: PathBuf) -> Exec {
        Exec {
            verbs,
            observe: None,
            pid_file: None,
            timeout,
            dir,
        }
    }

    /// This actuator with a command that reads the target back.
    #[must_use]
    pub fn with_observe(mut self, argv: Option<Vec<String>>) -> Exec {
        self.observe = argv;
        self
    }

    /// This actuator, writing the running command's process group to `path`.
    #[must_use]
    pub fn with_pid_file(mut self, path: Option<PathBuf>) -> Exec {
        self.pid_file = path;
        self
    }

    /// Waits (up to the timeout, then kills it) for a command that a previous control
    /// plane started and left running when it died, so that what is read back is final.
    async fn wait_for_orphan(&self) {
        let Some(path) = &self.pid_file else { return };
        // "PGID BOOT-ID": a group from before a reboot is another process's by now.
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let mut parts = text.split_whitespace();
        let pid = parts.next().and_then(|p| p.parse::<i32>().ok());
        let same_boot = parts.next() == Some(boot_id().as_str());
        let Some(pid) = pid
            .filter(|_| same_boot)
            .and_then(rustix::process::Pid::from_raw)
        else {
            let _ = std::fs::remove_file(path);
            return;
        };
        let alive = || rustix::process::test_kill_process_group(pid).is_ok();
        let deadline = tokio::time::Instant::now() + self.timeout.as_duration();
        while alive() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if alive() {
            let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
        }
        let _ = std::fs::remove_file(path);
    }

    /// Whether the actuation's change is in the target, by the plan's `observe` command
    /// (run with the actuation's environment and `WARROOM_OBSERVE=1`).
    pub async fn observe(&self, a: &Actuation) -> super::Observed {
        self.wait_for_orphan().await;
        let Some(argv) = self.observe.clone() else {
            return super::Observed::Cannot {
                reason: "the exec actuator has no observe command to read the target back".into(),
            };
        };
        let (said, code) = self.run(&argv, a, true).await;
        match (said, code) {
            (Actuated::Applied { output }, _) => super::Observed::Done { output },
            (Actuated::Failed { .. }, Some(1)) => super::Observed::NotDone,
            (Actuated::Failed { reason } | Actuated::Unknown { reason }, _) => {
                super::Observed::Cannot {
                    reason: format!("observe: {reason}"),
                }
            }
        }
    }

    /// The program of an argument list: a relative path with a `/` is the plan's
    /// directory's; a bare name is looked up on `PATH`.
    fn program(&self, arg0: &str) -> PathBuf {
        let p = Path::new(arg0);
        if arg0.contains('/') && p.is_relative() {
            self.dir.join(p)
        } else {
            p.to_path_buf()
        }
    }

    /// Runs the verb's command and says how it went.
    pub async fn actuate(&self, a: &Actuation) -> Actuated {
        let Some(argv) = self.verbs.get(&a.verb).cloned() else {
            return Actuated::Applied {
                output: String::new(),
            };
        };
        self.run(&argv, a, false).await.0
    }

    /// Runs an argument list with the actuation's environment; the answer and the exit code.
    async fn run(&self, argv: &[String], a: &Actuation, observe: bool) -> (Actuated, Option<i32>) {
        let Some((arg0, args)) = argv.split_first() else {
            return (
                Actuated::Applied {
                    output: String::new(),
                },
                Some(0),
            );
        };
        let program = self.program(arg0);
        let mut cmd = Command::new(&program);
        cmd.args(args)
            .envs(environment(a))
            .envs(observe.then_some(("WARROOM_OBSERVE", "1")))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                return (
                    Actuated::Failed {
                        reason: format!("cannot run {}: {e}", program.display()),
                    },
                    None,
                )
            }
        };
        let group = child.id();
        if let (Some(path), Some(pid), false) = (&self.pid_file, group, observe) {
            // Whole or not at all: written aside, then renamed.
            let part = path.with_extension("pid.part");
            if std::fs::write(&part, format!("{pid} {}\n", boot_id())).is_ok() {
                let _ = std::fs::rename(&part, path);
            }
        }
        let out = tokio::spawn(keep_end(child.stdout.take()));
        let err = tokio::spawn(keep_end(child.stderr.take()));
        let status = tokio::time::timeout(self.timeout.as_duration(), child.wait()).await;
        if status.is_err() {
            kill_group(group);
            let _ = child.wait().await;
        }
        if let (Some(path), false) = (&self.pid_file, observe) {
            let _ = std::fs::remove_file(path);
        }
        let stdout = finish(out).await;
        let stderr = finish(err).await;
        let code = match &status {
            Ok(Ok(st)) => st.code(),
            _ => None,
        };
        let answer = match status {
            Err(_) => Actuated::Unknown {
                reason: format!(
                    "no answer within {} (killed){}",
                    self.timeout,
                    said(&stderr, &stdout).map_or(String::new(), |s| format!(": {s}"))
                ),
            },
            Ok(Err(e)) => Actuated::Unknown {
                reason: format!("lost track of {}: {e}", program.display()),
            },
            Ok(Ok(st)) if st.success() => Actuated::Applied {
                output: said(&stdout, &stderr).unwrap_or_default(),
            },
            Ok(Ok(st)) => {
                let how = st.code().map_or_else(
                    || {
                        use std::os::unix::process::ExitStatusExt;
                        format!("killed by signal {}", st.signal().unwrap_or(0))
                    },
                    |c| format!("exit status {c}"),
                );
                Actuated::Failed {
                    reason: match said(&stderr, &stdout) {
                        Some(s) => format!("{how}: {s}"),
                        None => how,
                    },
                }
            }
        };
        (answer, code)
    }
}

/// This boot's id (Linux), so that a process group noted before a reboot is not waited for.
fn boot_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// The command's context, as documented in docs/plan-format.md.
#[must_use]
pub fn environment(a: &Actuation) -> Vec<(&'static str, String)> {
    let (wave, name) = a.wave.clone().unwrap_or_default();
    vec![
        ("WARROOM_VERB", a.verb.word().to_string()),
        ("WARROOM_ROLLOUT", a.rollout.clone()),
        ("WARROOM_WAVE", wave),
        ("WARROOM_WAVE_NAME", name),
        ("WARROOM_TRAFFIC", number(a.traffic)),
        ("WARROOM_PREVIOUS_TRAFFIC", number(a.previous_traffic)),
        ("WARROOM_ACTOR", a.actor.to_string()),
        (
            "WARROOM_REASON",
            a.reason.as_deref().unwrap_or_default().to_string(),
        ),
        ("WARROOM_COMMAND_ID", a.id.to_string()),
        (
            "WARROOM_COMPLETE",
            if a.complete { "1" } else { "0" }.into(),
        ),
    ]
}

/// `25`, not `25.0`; `12.5` as it is.
#[must_use]
pub fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// The first stream's text, else the second's; `None` when both are blank.
fn said(first: &str, second: &str) -> Option<String> {
    [first, second]
        .into_iter()
        .find(|s| !s.trim().is_empty())
        .map(|s| s.trim().to_string())
}

/// Reads a pipe to its end, keeping the last [`KEPT`] bytes.
async fn keep_end<R: AsyncRead + Unpin>(pipe: Option<R>) -> Vec<u8> {
    let Some(mut pipe) = pipe else {
        return Vec::new();
    };
    let mut kept = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match pipe.read(&mut buf).await {
            Ok(0) | Err(_) => return kept,
            Ok(n) => {
                kept.extend_from_slice(&buf[..n]);
                if kept.len() > 2 * KEPT {
                    kept.drain(..kept.len() - KEPT);
                }
            }
        }
    }
}

/// What a reader kept, waiting at most [`DRAIN`] for it once the command is done.
async fn finish(reader: tokio::task::JoinHandle<Vec<u8>>) -> String {
    let abort = reader.abort_handle();
    let bytes = tokio::time::timeout(DRAIN, reader)
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_else(|| {
            abort.abort();
            Vec::new()
        });
    let start = bytes.len().saturating_sub(KEPT);
    String::from_utf8_lossy(&bytes[start..]).into_owned()
}

/// SIGKILL to the command's process group (it was made its own group's leader).
fn kill_group(pid: Option<u32>) {
    let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()) else {
        return;
    };
    if let Some(pid) = rustix::process::Pid::from_raw(pid) {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}
