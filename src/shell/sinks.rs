//! Where commands and what a live console receives are written: the append-only audit log
//! (flushed to disk before a command is sent and after its outcome; never credentials) and
//! the recording (a fixture that `warroom replay` plays back), and [`Sinks`], which executes
//! the effects the console asks for, in their order, and reports every failure back as an
//! input rather than dropping it.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::json;

use tokio::sync::mpsc;

use crate::core::command::Command;
use crate::core::effects::{AuditEntry, Effects, RecordOut};
use crate::core::input::{Input, Sink};
use crate::core::plan::Plan;
use crate::core::playback::ReplayCtl;
use crate::core::record::Record;
use crate::core::time::Epoch;
use crate::core::time::Offset;
use crate::format::encode;
use crate::format::ndjson;

/// warroom's state directory: `$XDG_STATE_HOME/warroom`, else `~/.local/state/warroom`.
#[must_use]
pub fn state_home() -> PathBuf {
    std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(|| PathBuf::from("."))
        .join("warroom")
}

/// The audit log: JSON Lines, appended, each line flushed and synced before going on.
pub struct Audit {
    file: File,
    path: PathBuf,
}

impl Audit {
    /// Opens (creating folders as needed) the log for appending.
    ///
    /// # Errors
    /// The file cannot be created or opened.
    pub fn open(path: &Path) -> std::io::Result<Audit> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Audit {
            file,
            path: path.to_path_buf(),
        })
    }

    /// `$XDG_STATE_HOME/warroom/audit.jsonl`, else `~/.local/state/warroom/audit.jsonl`.
    #[must_use]
    pub fn default_path() -> PathBuf {
        state_home().join("audit.jsonl")
    }

    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn write(&mut self, line: &serde_json::Value) -> std::io::Result<()> {
        let mut text = line.to_string();
        text.push('\n');
        self.file.write_all(text.as_bytes())?;
        self.file.flush()?;
        self.file.sync_data()
    }

    /// One line about a command: when, what happened to it, the command's own fields, and
    /// whatever `more` says.
    fn command_line(
        &mut self,
        event: &str,
        cmd: &Command,
        more: serde_json::Value,
    ) -> std::io::Result<()> {
        let mut line = json!({ "utc": now_utc(), "event": event, "id": cmd.id, "action": cmd.action, "actor": cmd.actor, "reason": cmd.reason, "wave": cmd.wave, "item": cmd.item, "session": cmd.session });
        if let (Some(l), serde_json::Value::Object(m)) = (line.as_object_mut(), more) {
            l.extend(m);
        }
        self.write(&line)
    }

    /// Writes one entry; `url` is the control plane's address.
    ///
    /// # Errors
    /// The line could not be written and synced (for `Confirmed`: the command must not be
    /// sent then).
    pub fn entry(&mut self, entry: &AuditEntry, url: &str) -> std::io::Result<()> {
        match entry {
            AuditEntry::Confirmed(c) => {
                self.command_line("confirmed", c, json!({ "control_plane": url }))
            }
            AuditEntry::Sent { command, attempt } => {
                self.command_line("sent", command, json!({ "attempt": attempt }))
            }
            AuditEntry::NotSent { command, reason } => {
                self.command_line("not_sent", command, json!({ "why": reason }))
            }
            AuditEntry::Unknown { command, reason } => {
                self.command_line("outcome_unknown", command, json!({ "why": reason }))
            }
            AuditEntry::Outcome {
                command,
                result,
                reason,
            } => self.command_line(
                "outcome",
                command,
                json!({ "result": result, "outcome_reason": reason }),
            ),
            AuditEntry::Refused { what, actor } => self.write(
                &json!({ "utc": now_utc(), "event": "refused", "what": what, "actor": actor }),
            ),
        }
    }
}

fn now_utc() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A recording: a fixture header, then every record as received (never going back in time).
pub struct Recorder {
    out: BufWriter<File>,
    /// The plan of the header: records are written against it.
    plan: Option<Arc<Plan>>,
    last: Offset,
}

impl Recorder {
    /// # Errors
    /// The file cannot be created.
    pub fn create(path: &Path) -> std::io::Result<Recorder> {
        Ok(Recorder {
            out: BufWriter::new(File::create(path)?),
            plan: None,
            last: Offset(i64::MIN),
        })
    }

    /// Writes the header once (the first plan seen).
    ///
    /// # Errors
    /// Writing failed.
    pub fn plan(&mut self, plan: &Arc<Plan>) -> std::io::Result<()> {
        if self.plan.is_none() {
            writeln!(self.out, "{}", encode::header(&plan.spec))?;
            self.plan = Some(plan.clone());
        }
        Ok(())
    }

    /// Writes records. A fixture never goes back in time: a record older than the newest
    /// written (a control plane that published out of order) is written at that newest time.
    ///
    /// # Errors
    /// Writing failed.
    pub fn records(&mut self, records: &[Record]) -> std::io::Result<()> {
        let Some(plan) = self.plan.clone() else {
            return Ok(());
        };
        for r in records {
            if r.t < self.last {
                let mut r = r.clone();
                r.t = self.last;
                writeln!(self.out, "{}", encode::record(&r, &plan))?;
            } else {
                writeln!(self.out, "{}", encode::record(r, &plan))?;
                self.last = r.t;
            }
        }
        self.out.flush()
    }
}

/// Where effects go. Every part is optional: a replay has no connection, a headless run no
/// screen, a console without `--record` no recorder.
#[derive(Default)]
pub struct Sinks {
    /// Steering of the replay engine.
    pub replay: Option<std::sync::mpsc::Sender<ReplayCtl>>,
    /// Commands for the connection to the control plane.
    pub commands: Option<mpsc::Sender<Command>>,
    pub audit: Option<Audit>,
    pub recorder: Option<Recorder>,
    /// Headless output: one NDJSON line per change.
    pub output: Option<Box<dyn Write + Send>>,
    /// The control plane's address (for the audit log).
    pub url: String,
    /// Where posted status updates are saved, and whether they are copied to the clipboard.
    pub status: Option<StatusSink>,
}

/// Where a posted status update goes besides the timeline: a file in `dir`, and (unless
/// `clipboard` is off) the operator's clipboard, over SSH too, with the OSC 52 sequence.
#[derive(Clone, Debug)]
pub struct StatusSink {
    pub dir: PathBuf,
    pub clipboard: bool,
}

impl StatusSink {
    /// `$XDG_STATE_HOME/warroom/status`, else `~/.local/state/warroom/status`.
    #[must_use]
    pub fn default_dir() -> PathBuf {
        state_home().join("status")
    }

    /// Saves the update (never over an older one) and copies it.
    ///
    /// # Errors
    /// The directory or the file cannot be written, or the terminal refused the copy.
    pub fn write(&self, out: &crate::core::effects::StatusOut) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(&self.dir)?;
        let path = self.dir.join(&out.name);
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        f.write_all(out.text.as_bytes())?;
        f.write_all(b"\n")?;
        f.sync_all()?;
        if self.clipboard {
            let mut term = std::io::stdout().lock();
            term.write_all(osc52(&out.text).as_bytes())?;
            term.flush()?;
        }
        Ok(path)
    }
}

/// The OSC 52 sequence that puts `text` on the clipboard of the terminal the operator sits
/// at (through SSH and tmux with `set-clipboard on`): base64, so nothing in it reaches the
/// terminal as a control character.
#[must_use]
pub fn osc52(text: &str) -> String {
    use base64::Engine as _;
    format!(
        "\x1b]52;c;{}\x07",
        base64::engine::general_purpose::STANDARD.encode(text)
    )
}

impl Sinks {
    /// Executes `fx` (audit, send, record, changes, replay, in that order). What failed comes
    /// back as inputs for the console: a command whose audit line could not be written is not
    /// sent; a recording that cannot be written stops; a closed output ends a headless run.
    pub fn execute(&mut self, fx: Effects, epoch: Epoch) -> Vec<Input> {
        let mut back = Vec::new();
        let mut unlogged: Vec<String> = Vec::new();
        if let Some(a) = self.audit.as_mut() {
            for entry in &fx.audit {
                let command = match entry {
                    AuditEntry::Confirmed(c) => Some(c.id.clone()),
                    _ => None,
                };
                if let Err(e) = a.entry(entry, &self.url) {
                    unlogged.extend(command.clone());
                    back.push(Input::SinkFailed {
                        sink: Sink::Audit,
                        error: e.to_string(),
                        command,
                    });
                }
            }
        }
        if let Some(tx) = self.commands.as_ref() {
            for c in fx.send {
                if unlogged.contains(&c.id) {
                    continue;
                }
                let id = c.id.clone();
                if tx.try_send(c).is_err() {
                    back.push(Input::SinkFailed {
                        sink: Sink::Connection,
                        error: "its queue is full".into(),
                        command: Some(id),
                    });
                }
            }
        }
        if let Some(rec) = self.recorder.as_mut() {
            let mut written = Ok(());
            for r in &fx.record {
                written = match r {
                    RecordOut::Header(plan) => rec.plan(plan),
                    RecordOut::Records(records) => rec.records(records),
                };
                if written.is_err() {
                    break;
                }
            }
            if let Err(e) = written {
                self.recorder = None;
                back.push(Input::SinkFailed {
                    sink: Sink::Recording,
                    error: format!("{e}; recording stopped"),
                    command: None,
                });
            }
        }
        if let Some(out) = self.output.as_mut() {
            let written = fx
                .changes
                .iter()
                .try_for_each(|c| ndjson::write_change(out, epoch, c))
                .and_then(|()| out.flush());
            if let Err(e) = written {
                self.output = None;
                back.push(if e.kind() == std::io::ErrorKind::BrokenPipe {
                    Input::Quit
                } else {
                    Input::SinkFailed {
                        sink: Sink::Output,
                        error: e.to_string(),
                        command: None,
                    }
                });
            }
        }
        if let (Some(out), Some(sink)) = (fx.status.as_ref(), self.status.as_ref()) {
            if let Err(e) = sink.write(out) {
                back.push(Input::SinkFailed {
                    sink: Sink::Status,
                    error: format!("{}: {e}", sink.dir.join(&out.name).display()),
                    command: None,
                });
            }
        }
        if let (Some(ctl), Some(tx)) = (fx.replay, self.replay.as_ref()) {
            // The engine is gone only when the program is ending.
            tx.send(ctl).ok();
        }
        back
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::effects::StatusOut;

    #[test]
    fn a_status_update_is_saved_whole_and_never_over_another() {
        let dir = tempfile::tempdir().unwrap();
        let sink = StatusSink {
            dir: dir.path().join("status"),
            clipboard: false,
        };
        let out = StatusOut {
            name: "r-20240227T135901Z.txt".into(),
            text: "STATUS UPDATE · r\nTIMESTAMP: 13:59:01 UTC\n\x1b[2J".into(),
        };
        let path = sink.write(&out).unwrap();
        assert_eq!(path, dir.path().join("status/r-20240227T135901Z.txt"));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("{}\n", out.text)
        );
        let again = sink.write(&out).unwrap_err();
        assert_eq!(again.kind(), std::io::ErrorKind::AlreadyExists);
    }

    #[test]
    fn the_clipboard_copy_carries_no_control_character_of_the_text() {
        use base64::Engine as _;
        let seq = osc52("a\x1b]52;c;evil\x07\nb");
        let body = seq
            .strip_prefix("\x1b]52;c;")
            .and_then(|s| s.strip_suffix('\x07'))
            .unwrap();
        assert!(body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)));
        let back = base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap();
        assert_eq!(back, b"a\x1b]52;c;evil\x07\nb");
    }
}
