//! Where commands and what a live console receives are written: the append-only audit log
//! (flushed to disk before a command is sent and after its outcome; never credentials) and
//! the recording (a fixture that `warroom replay` plays back).

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::core::command::Command;
use crate::core::command::OutcomeKind;
use crate::core::plan::Plan;
use crate::core::record::Record;
use crate::core::time::Offset;
use crate::format::encode;

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
        let base = std::env::var_os("XDG_STATE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
            .unwrap_or_else(|| PathBuf::from("."));
        base.join("warroom").join("audit.jsonl")
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

    /// Before sending: who asked for what, why, and on which wave.
    ///
    /// # Errors
    /// The line could not be written and synced; the command must not be sent then.
    pub fn sent(&mut self, cmd: &Command, url: &str) -> std::io::Result<()> {
        self.write(&json!({ "utc": now_utc(), "event": "sent", "id": cmd.id, "action": cmd.action, "actor": cmd.actor, "reason": cmd.reason, "wave": cmd.wave, "control_plane": url }))
    }

    /// After the outcome arrived.
    ///
    /// # Errors
    /// The line could not be written and synced.
    pub fn outcome(
        &mut self,
        cmd: &Command,
        result: OutcomeKind,
        reason: Option<&str>,
    ) -> std::io::Result<()> {
        self.write(&json!({ "utc": now_utc(), "event": "outcome", "id": cmd.id, "action": cmd.action, "actor": cmd.actor, "result": result, "reason": reason }))
    }

    /// A command refused on this console (an observer's seat), never sent.
    ///
    /// # Errors
    /// The line could not be written and synced.
    pub fn refused(&mut self, what: &str, actor: &str) -> std::io::Result<()> {
        self.write(&json!({ "utc": now_utc(), "event": "refused", "what": what, "actor": actor }))
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
    started: bool,
    last: Offset,
}

impl Recorder {
    /// # Errors
    /// The file cannot be created.
    pub fn create(path: &Path) -> std::io::Result<Recorder> {
        Ok(Recorder {
            out: BufWriter::new(File::create(path)?),
            started: false,
            last: Offset(i64::MIN),
        })
    }

    /// Writes the header once (the first plan seen).
    ///
    /// # Errors
    /// Writing failed.
    pub fn plan(&mut self, plan: &Plan) -> std::io::Result<()> {
        if !self.started {
            writeln!(self.out, "{}", encode::header(&plan.spec))?;
            self.started = true;
        }
        Ok(())
    }

    /// Writes records (older than the newest written are skipped: a resynchronising
    /// snapshot repeats what the recording already holds).
    ///
    /// # Errors
    /// Writing failed.
    pub fn records(&mut self, plan: &Plan, records: &[Record]) -> std::io::Result<()> {
        for r in records {
            if r.t < self.last {
                continue;
            }
            writeln!(self.out, "{}", encode::record(r, plan))?;
            self.last = r.t;
        }
        self.out.flush()
    }
}
