//! The control plane's journal: every event it publishes, appended to a file in its state
//! directory before any console sees it, so that a control plane killed at any moment starts
//! again where it was: the same session, the same sequence numbers, the same state.
//!
//! ```text
//!   DIR/lock                          held (flock) while a control plane runs on DIR
//!   DIR/journal-000000000001.ndjson   a fixture: header, snapshot (seq 0), events 1 …
//!   DIR/journal-000000100001.ndjson   a fixture: header, snapshot (seq 100000), events …
//! ```
//!
//! Each segment is a fixture that `warroom replay` plays: the header holds the rollout as the
//! consoles saw it (T0 included), the first record is a `snapshot` of the state before the
//! segment's first event (with the session, and how many events earlier segments held), and
//! every record after it carries its sequence number in `seq`. A segment is closed after
//! [`SEGMENT_EVENTS`] events: the next one starts with a snapshot of the state so far, and
//! segments older than the one before it are deleted (compaction; the snapshot's text and
//! `/metrics` count what was compacted). A restart reads only the newest segment (and the end
//! of the one before it, to let consoles resume), so it costs the same at a thousand events
//! as at a million.
//!
//! Durability: every batch of records is written with one `write()` before it is published,
//! so a killed process loses nothing it published. A batch holding anything but samples and
//! alerts (commands, outcomes, wave moves, ticks, notes) is also `fdatasync`ed before it is
//! published; batches of samples are synced at most [`SYNC_EVERY`] later. A write that fails
//! is cut back off the file, and nothing of it is published until it can be written.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

use crate::core::plan::{Plan, PlanSpec};
use crate::core::record::{Body, Record};
use crate::core::source::{Link, SourceStatus, CONTROL_PLANE};
use crate::core::state::{Event, Image, State, TIMELINE_CAP};
use crate::core::time::{Epoch, Offset};
use crate::format::encode;
use crate::format::protocol::ServerMsg;

use super::event_log::{Published, Shared, LOG_CAP};

/// Events per segment before the journal is compacted into a snapshot and a new segment.
pub const SEGMENT_EVENTS: u64 = 100_000;
/// Longest a batch of samples waits for its `fdatasync`.
pub const SYNC_EVERY: Duration = Duration::from_millis(200);
/// Free space the journal's file system must have for a command to be accepted.
pub const RESERVE: u64 = 1 << 20;
/// The line after every batch (a fixture comment): a restart keeps what comes before the
/// last one.
const BATCH_END: &str = "\n#\n";
/// How much of the previous segment's end a restart reads to refill the catch-up log.
const TAIL_BYTES: u64 = 8 << 20;

/// One line for the journal: an event with its sequence number.
pub struct Line {
    pub text: String,
    /// Whether it must be on disk (`fdatasync`) before it is published.
    pub sync: bool,
}

impl Line {
    /// The journal line of `record`, whose `event` message is `message` (the record's
    /// fixture shape is spliced out of it, `seq` first): serialised once for both.
    #[must_use]
    pub fn of(seq: u64, message: &str, record: &Record) -> Line {
        // `{"type":"event","seq":N,"record":{FIELDS}}` → `{"seq":N,FIELDS}`.
        let fields = message
            .strip_prefix("{\"type\":\"event\",\"seq\":")
            .and_then(|rest| rest.split_once(",\"record\":{"))
            .filter(|(n, _)| n.parse() == Ok(seq))
            .and_then(|(n, rest)| Some((n, rest.strip_suffix('}')?)))
            .filter(|(_, f)| f.len() > 1);
        let text = if let Some((n, fields)) = fields {
            let mut t = String::with_capacity(fields.len() + n.len() + 8);
            t.push_str("{\"seq\":");
            t.push_str(n);
            t.push(',');
            t.push_str(fields);
            t
        } else {
            // Not the shape this build writes: take the long way.
            let mut v: Value = serde_json::from_str(message).unwrap_or(Value::Null);
            let mut r = v["record"].take();
            if let Value::Object(m) = &mut r {
                m.insert("seq".into(), Value::from(seq));
            }
            r.to_string()
        };
        Line {
            text,
            sync: !matches!(record.body, Body::Metric { .. } | Body::Alert { .. }),
        }
    }
}

/// What a restart found in the journal.
pub struct Restored {
    pub session: String,
    /// The rollout's T0, as the consoles were told.
    pub t0: Epoch,
    /// The newest sequence number.
    pub seq: u64,
    /// The state after every event.
    pub state: State,
    /// The newest events (at most [`LOG_CAP`]), for consoles that resume.
    pub log: Vec<Published>,
    /// A torn last line that was cut off, in words.
    pub torn: Option<String>,
    /// Time of the newest record (or the snapshot's).
    pub last_t: Offset,
    /// How long ago the journal was last written (the time the control plane was down).
    pub down: Duration,
    /// The journal's own header line (the rollout with its first T0), for new segments.
    pub header: String,
}

/// The open journal of a running control plane.
pub struct Journal {
    dir: PathBuf,
    _lock: File,
    file: File,
    /// Bytes of the current segment known to be written whole.
    len: u64,
    /// First sequence number of each segment still on disk, oldest first.
    segments: Vec<u64>,
    /// Events in the current segment.
    events: u64,
    header: String,
    session: String,
    /// Events per segment ([`SEGMENT_EVENTS`], or `WARROOM_JOURNAL_SEGMENT_EVENTS`).
    segment_events: u64,
    /// After a compaction failed: the segment's length at which it is tried again.
    retry_at: u64,
    unsynced: Option<Instant>,
    failed: Option<String>,
}

/// Events per segment: `WARROOM_JOURNAL_SEGMENT_EVENTS` when set (at least 100; for small
/// disks and for tests of compaction), else [`SEGMENT_EVENTS`].
fn segment_events() -> u64 {
    std::env::var("WARROOM_JOURNAL_SEGMENT_EVENTS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(SEGMENT_EVENTS, |n| n.max(100))
}

fn segment_name(first: u64) -> String {
    format!("journal-{first:012}.ndjson")
}

fn first_of(name: &str) -> Option<u64> {
    name.strip_prefix("journal-")?
        .strip_suffix(".ndjson")?
        .parse()
        .ok()
}

fn control_plane() -> SourceStatus {
    SourceStatus {
        name: Arc::from(CONTROL_PLANE),
        link: Link::Connected,
    }
}

/// The rollout as a header compares it: everything but T0.
fn comparable(spec: &PlanSpec) -> Value {
    let mut v = serde_json::to_value(spec).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.remove("t0");
    }
    v
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

impl Journal {
    /// Opens the journal in `dir` (created as needed) for `spec`'s rollout, holding its
    /// lock. An empty directory starts a journal for `session`, whose state is `start` at
    /// `t`; a journal already there is read back and returned as [`Restored`].
    ///
    /// # Errors
    /// The directory cannot be used, another control plane holds it, it holds another
    /// rollout's journal, or a line before the last is damaged; the message says which and
    /// where.
    pub fn open(
        dir: &Path,
        spec: &PlanSpec,
        session: &str,
        start: &State,
        t: Offset,
    ) -> Result<(Journal, Option<Restored>), String> {
        let shown = dir.display();
        std::fs::create_dir_all(dir).map_err(|e| format!("--state {shown}: {e}"))?;
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join("lock"))
            .map_err(|e| format!("--state {shown}: {e}"))?;
        if lock.try_lock().is_err() {
            return Err(format!(
                "--state {shown}: another warroom serve is using this state directory"
            ));
        }
        let names: Vec<String> = std::fs::read_dir(dir)
            .map_err(|e| format!("--state {shown}: {e}"))?
            .filter_map(|e| e.ok()?.file_name().to_str().map(str::to_string))
            .collect();
        for stale in names.iter().filter(|n| n.ends_with(".ndjson.part")) {
            let _ = std::fs::remove_file(dir.join(stale));
        }
        let mut segments: Vec<u64> = names.iter().filter_map(|n| first_of(n)).collect();
        segments.sort_unstable();
        let header = encode::header(spec).to_string();
        let Some(&newest) = segments.last() else {
            let mut j = Journal {
                dir: dir.to_path_buf(),
                _lock: lock,
                file: File::open(dir).map_err(|e| format!("--state {shown}: {e}"))?,
                len: 0,
                segments: Vec::new(),
                events: 0,
                header,
                session: session.to_string(),
                segment_events: segment_events(),
                retry_at: 0,
                unsynced: None,
                failed: None,
            };
            j.start_segment(1, start.image(), t, 1, "journal begins")
                .map_err(|e| format!("--state {shown}: {e}"))?;
            return Ok((j, None));
        };
        let path = dir.join(segment_name(newest));
        let restored = read_segment(&path, newest, spec)?;
        let previous = segments.iter().rev().nth(1).copied();
        let mut restored = restored;
        if restored.log.len() < LOG_CAP {
            if let Some(prev) = previous {
                let mut older = tail_of(&dir.join(segment_name(prev)), newest)?;
                let room = LOG_CAP - restored.log.len();
                if older.len() > room {
                    older.drain(..older.len() - room);
                }
                older.append(&mut restored.log);
                restored.log = older;
            }
        }
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let len = file
            .metadata()
            .map_err(|e| format!("{}: {e}", path.display()))?
            .len();
        let events = restored.seq + 1 - newest;
        let j = Journal {
            dir: dir.to_path_buf(),
            _lock: lock,
            file,
            len,
            segments,
            events,
            header: restored.header.clone(),
            session: restored.session.clone(),
            segment_events: segment_events(),
            retry_at: 0,
            unsynced: None,
            failed: None,
        };
        Ok((j, Some(restored)))
    }

    /// Writes a new segment that starts after `seq` with a snapshot of the state then.
    /// Writes a new segment that starts after `first - 1` with `image`; segments before
    /// `keep_from` are about to be deleted (its text counts them as compacted).
    fn start_segment(
        &mut self,
        first: u64,
        image: Image,
        t: Offset,
        keep_from: u64,
        why: &str,
    ) -> std::io::Result<()> {
        let path = self.dir.join(segment_name(first));
        let snapshot = Record {
            t,
            source: Some(CONTROL_PLANE.into()),
            body: Body::Snapshot {
                session: self.session.as_str().into(),
                text: format!(
                    "{why}: session {}, events from seq {first}; {} earlier events compacted",
                    self.session,
                    keep_from - 1
                )
                .into(),
                image: Box::new(image),
            },
        };
        let plan_free = snapshot_line(first - 1, &snapshot);
        // Written whole under another name first: a crash in the middle leaves only a file
        // that is not a segment (and is removed at the next start). The handle appended to
        // from here on is opened before the rename, so once the rename is done, so is the
        // switch.
        let part = path.with_extension("ndjson.part");
        let text = format!("{}\n{plan_free}\n#\n", self.header);
        let written = (|| {
            let mut file = OpenOptions::new()
                .create(true)
                .truncate(true)
                .write(true)
                .open(&part)?;
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            let handle = OpenOptions::new().append(true).open(&part)?;
            std::fs::rename(&part, &path)?;
            Ok(handle)
        })();
        let handle = match written {
            Ok(h) => h,
            Err(e) => {
                let _ = std::fs::remove_file(&part);
                return Err(e);
            }
        };
        let _ = sync_dir(&self.dir);
        self.file = handle;
        self.len = text.len() as u64;
        self.events = 0;
        self.retry_at = 0;
        self.segments.push(first);
        Ok(())
    }

    /// Appends one batch of lines with one write; syncs it when a line asks for that.
    /// Nothing of a batch that fails stays in the file.
    ///
    /// # Errors
    /// The write or the sync failed; the journal refuses commands until a write succeeds.
    pub fn append(&mut self, lines: &[Line]) -> Result<(), String> {
        if lines.is_empty() {
            return Ok(());
        }
        let mut buf =
            String::with_capacity(lines.iter().map(|l| l.text.len() + 1).sum::<usize>() + 2);
        for l in lines {
            buf.push_str(&l.text);
            buf.push('\n');
        }
        buf.push_str("#\n");
        let sync = lines.iter().any(|l| l.sync)
            || self.unsynced.is_some_and(|u| u.elapsed() >= SYNC_EVERY);
        let wrote = self.file.write_all(buf.as_bytes()).and_then(|()| {
            if sync {
                self.file.sync_data()
            } else {
                Ok(())
            }
        });
        if let Err(e) = wrote {
            // A part of the batch may be in the file: cut it off again.
            let _ = self.file.set_len(self.len);
            let why = format!(
                "the journal in {} cannot be written: {e}",
                self.dir.display()
            );
            self.failed = Some(why.clone());
            return Err(why);
        }
        self.len += buf.len() as u64;
        self.events += lines.len() as u64;
        if sync {
            self.unsynced = None;
        } else {
            self.unsynced.get_or_insert_with(Instant::now);
        }
        self.failed = None;
        Ok(())
    }

    /// Syncs samples written more than [`SYNC_EVERY`] ago.
    pub fn sync_due(&mut self) {
        if self.unsynced.is_some_and(|u| u.elapsed() >= SYNC_EVERY) && self.file.sync_data().is_ok()
        {
            self.unsynced = None;
        }
    }

    /// Whether a command can be accepted: the journal's last write worked and its file
    /// system has room for it.
    ///
    /// # Errors
    /// Why not, in words for the console.
    pub fn can_accept(&self) -> Result<(), String> {
        if let Some(why) = &self.failed {
            return Err(format!("commands are refused until it can be: {why}"));
        }
        room(&self.dir)
    }

    /// Whether the last write failed.
    #[must_use]
    pub fn failed(&self) -> bool {
        self.failed.is_some()
    }

    /// Whether the current segment is full.
    #[must_use]
    pub fn full(&self) -> bool {
        self.events >= self.segment_events.max(self.retry_at)
    }

    /// Closes the current segment: a new one starts after `seq` with `image` (the state
    /// after `seq`, at `t`), and segments older than the previous one are deleted.
    ///
    /// # Errors
    /// The new segment cannot be written; the current one stays in use.
    pub fn compact(&mut self, seq: u64, image: Image, t: Offset) -> Result<(), String> {
        // The old segment's samples go to disk before anything of it may be deleted later.
        let synced = self
            .file
            .sync_data()
            .map_err(|e| e.to_string())
            .and_then(|()| room(&self.dir));
        let keep_from = self.segments.last().copied().unwrap_or(1);
        if let Err(e) = synced.and_then(|()| {
            self.start_segment(seq + 1, image, t, keep_from, "journal compacted")
                .map_err(|e| e.to_string())
        }) {
            // Not again at every event: after another tenth of a segment.
            self.retry_at = self.events + self.segment_events / 10;
            return Err(format!("compacting the journal: {e}"));
        }
        for s in self.segments.iter().filter(|s| **s < keep_from) {
            let _ = std::fs::remove_file(self.dir.join(segment_name(*s)));
        }
        self.segments.retain(|s| *s >= keep_from);
        let _ = sync_dir(&self.dir);
        Ok(())
    }

    /// Events in the segment now written to (what a restart replays).
    #[must_use]
    pub fn in_segment(&self) -> u64 {
        self.events
    }

    /// Events compacted away so far: every one before the oldest segment kept (segments
    /// are deleted only by compaction).
    #[must_use]
    pub fn compacted(&self) -> u64 {
        self.segments.first().map_or(0, |first| first - 1)
    }

    /// The directory.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The segment now written to.
    #[must_use]
    pub fn current(&self) -> PathBuf {
        self.dir
            .join(segment_name(self.segments.last().copied().unwrap_or(1)))
    }
}

/// Whether the file system of `dir` has the [`RESERVE`] a command needs.
///
/// # Errors
/// How much it has, in words for the console.
pub fn room(dir: &Path) -> Result<(), String> {
    match rustix::fs::statvfs(dir) {
        Ok(s) => {
            let free = s.f_bavail.saturating_mul(s.f_frsize);
            if free < RESERVE {
                return Err(format!(
                    "commands are refused: the journal's file system ({}) has {} KiB free, and \
                     a command is accepted only with {} KiB free to record it",
                    dir.display(),
                    free / 1024,
                    RESERVE / 1024
                ));
            }
            Ok(())
        }
        Err(_) => Ok(()),
    }
}

/// The snapshot record's line (its image needs no plan to encode).
fn snapshot_line(seq: u64, r: &Record) -> String {
    let Body::Snapshot {
        session,
        text,
        image,
    } = &r.body
    else {
        return String::new();
    };
    serde_json::json!({
        "seq": seq,
        "t": crate::core::time::exact_offset(r.t),
        "type": "snapshot",
        "session": session,
        "text": text,
        "state": image.encode(),
        "source": CONTROL_PLANE,
    })
    .to_string()
}

/// Reads the newest segment back: checks that it is `spec`'s rollout, cuts a torn last line
/// off the file, and rebuilds the state and the catch-up log.
fn read_segment(path: &Path, first: u64, spec: &PlanSpec) -> Result<Restored, String> {
    let shown = path.display().to_string();
    let mut bytes = std::fs::read(path).map_err(|e| format!("{shown}: {e}"))?;
    let modified = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .unwrap_or_else(|_| SystemTime::now());
    let down = SystemTime::now()
        .duration_since(modified)
        .unwrap_or_default();
    let mut torn = None;
    // Every batch ends with a `#` line: what follows the last one is a batch the crash cut
    // off in the middle of its write (never published, since publishing waits for the write).
    let keep =
        memchr::memmem::rfind(&bytes, BATCH_END.as_bytes()).map_or(0, |i| i + BATCH_END.len());
    if keep < bytes.len() {
        let cut = &bytes[keep..];
        let lines = cut.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count();
        let (n, whole) = (cut.len(), cut.ends_with(b"\n"));
        cut_to(path, keep as u64)?;
        bytes.truncate(keep);
        torn = Some(format!(
            "the journal's last batch was cut off mid-write ({n} bytes, {lines} {}{}, {}); it \
             was removed",
            if lines == 1 { "line" } else { "lines" },
            if whole { "" } else { ", the last one partial" },
            segment_name(first)
        ));
    }
    let mut reader = crate::format::fixture::open(&shown, std::io::Cursor::new(&bytes[..]))
        .map_err(|e| e.to_string())?;
    let plan: Arc<Plan> = reader.fixture().plan.clone();
    if comparable(&plan.spec) != comparable(spec) {
        return Err(format!(
            "{shown}: this journal is of another plan (rollout {:?}); move its directory away \
             or pass another --state to start this rollout afresh",
            plan.spec.id
        ));
    }
    let found = replay(&mut reader, &plan, &shown)?;
    let Replayed {
        state,
        session,
        last_t,
        count,
    } = found;
    let state = state.ok_or_else(|| format!("{shown}: no snapshot record"))?;
    let seq = first - 1 + count;
    let log = tail_lines(&bytes, first, seq.saturating_sub(LOG_CAP as u64) + 1);
    if log.last().is_some_and(|p| p.seq != seq) {
        return Err(format!(
            "{shown}: the events' seq numbers do not follow on from the segment's start"
        ));
    }
    let header = bytes
        .split(|b| *b == b'\n')
        .next()
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .unwrap_or_default();
    Ok(Restored {
        header,
        session,
        t0: plan.spec.t0,
        seq,
        state,
        log,
        torn,
        last_t,
        down,
    })
}

/// What a segment's records rebuilt.
struct Replayed {
    state: Option<State>,
    session: String,
    last_t: Offset,
    count: u64,
}

/// Applies a segment's records: its snapshot, then every event.
fn replay<R: std::io::BufRead>(
    reader: &mut crate::format::fixture::RecordReader<R>,
    plan: &Arc<Plan>,
    shown: &str,
) -> Result<Replayed, String> {
    let mut out = Replayed {
        state: None,
        session: String::new(),
        last_t: Offset::ZERO,
        count: 0,
    };
    let mut records = Vec::new();
    loop {
        records.clear();
        // A batch cut off mid-write has been removed already: a bad line is damage.
        if reader
            .next_records(&mut |r| records.push(r))
            .map_err(|e| e.to_string())?
            .is_none()
        {
            break;
        }
        for r in records.drain(..) {
            out.last_t = r.t;
            match (&mut out.state, r.body) {
                (
                    None,
                    Body::Snapshot {
                        session,
                        text: _,
                        image,
                    },
                ) => {
                    out.session = session.to_string();
                    out.state = Some(
                        State::from_image(plan.clone(), control_plane(), TIMELINE_CAP, *image)
                            .map_err(|e| format!("{shown}: {e}"))?,
                    );
                }
                (None, _) => {
                    return Err(format!(
                        "{shown}: a journal segment starts with a snapshot record"
                    ))
                }
                (Some(s), body) => {
                    out.count += 1;
                    s.apply(Event::Record(Record {
                        t: r.t,
                        source: r.source,
                        body,
                    }));
                }
            }
        }
    }
    Ok(out)
}

fn cut_to(path: &Path, len: u64) -> Result<(), String> {
    let f = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    f.set_len(len)
        .and_then(|()| f.sync_all())
        .map_err(|e| format!("{}: cutting off the torn line: {e}", path.display()))
}

/// The events with `seq >= from` among `bytes`' record lines (a segment that starts at
/// `first`, or the end of one), as the catch-up log holds them.
fn tail_lines(bytes: &[u8], first: u64, from: u64) -> Vec<Published> {
    let mut out = Vec::new();
    // Lines from the end until one is older than `from`.
    let mut end = bytes.len();
    let mut lines: Vec<&[u8]> = Vec::new();
    while end > 0 {
        let start = memchr::memrchr(b'\n', &bytes[..end - 1]).map_or(0, |i| i + 1);
        let line = &bytes[start..end];
        end = start;
        let Some(seq) = seq_of(line) else { continue };
        if seq < from || seq < first {
            break;
        }
        lines.push(line);
    }
    for line in lines.into_iter().rev() {
        // A line torn by a power loss at an old segment's end is not an event to resume with.
        let Ok(mut v) = serde_json::from_slice::<Value>(line) else {
            continue;
        };
        let Some(seq) = v
            .as_object_mut()
            .and_then(|m| m.remove("seq"))
            .and_then(|s| s.as_u64())
        else {
            continue;
        };
        let message: Shared = serde_json::to_string(&ServerMsg::Event { seq, record: v })
            .unwrap_or_default()
            .into();
        out.push(Published { seq, message });
    }
    out
}

/// The `seq` of an event line, cheaply (`None` for the header, the snapshot and others).
fn seq_of(line: &[u8]) -> Option<u64> {
    let i = memchr::memmem::find(line, b"\"seq\":")?;
    if memchr::memmem::find(line, b"\"type\":\"snapshot\"").is_some() {
        return None;
    }
    let digits: &[u8] = &line[i + 6..];
    let n = digits.iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&digits[..n]).ok()?.parse().ok()
}

/// The end of an older segment: its events before `before`.
fn tail_of(path: &Path, before: u64) -> Result<Vec<Published>, String> {
    let shown = path.display();
    let mut f = File::open(path).map_err(|e| format!("{shown}: {e}"))?;
    let len = f.metadata().map_err(|e| format!("{shown}: {e}"))?.len();
    let from = len.saturating_sub(TAIL_BYTES);
    f.seek(SeekFrom::Start(from))
        .map_err(|e| format!("{shown}: {e}"))?;
    let mut bytes = Vec::new();
    f.read_to_end(&mut bytes)
        .map_err(|e| format!("{shown}: {e}"))?;
    if from > 0 {
        // The first line read may be a part of one.
        let skip = memchr::memchr(b'\n', &bytes).map_or(bytes.len(), |i| i + 1);
        bytes.drain(..skip);
    }
    let mut out = tail_lines(&bytes, 0, before.saturating_sub(LOG_CAP as u64));
    out.retain(|p| p.seq < before);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::record::{Body, Record};
    use crate::server::event_log::EventLog;

    /// The Batch Patches plan and a fresh event log on it.
    fn demo() -> (Arc<Plan>, EventLog) {
        let plan = crate::server::scenario::Scenario::batch_patches_demo(7)
            .plan()
            .clone();
        let log = EventLog::new(plan.clone());
        (plan, log)
    }

    /// Publishes `records` as the control plane does: journaled, then committed.
    fn write(j: &mut Journal, log: &mut EventLog, records: Vec<Record>) -> u64 {
        let mut staged = log.stage(records, true);
        let lines: Vec<Line> = staged.iter_mut().filter_map(|s| s.line.take()).collect();
        j.append(&lines).unwrap();
        log.commit(staged)
    }

    /// A journal line is the event's record with its `seq`, whatever the record holds.
    #[test]
    fn a_line_is_the_record_with_its_seq() {
        let (plan, mut log) = demo();
        let records = vec![
            Record {
                t: Offset(1500),
                source: None,
                body: Body::Metric {
                    slo: 0,
                    value: Some(0.25),
                },
            },
            Record {
                t: Offset(2000),
                source: Some("ops \"quoted\" \u{1b}[31m".into()),
                body: Body::Note {
                    by: Some("ana".into()),
                    text: "a } brace, a \\ backslash and \"quotes\"".into(),
                },
            },
        ];
        for s in log.stage(records.clone(), true) {
            let line = s.line.unwrap();
            let mut v: Value = serde_json::from_str(&line.text).unwrap();
            assert_eq!(v["seq"], s.seq);
            v.as_object_mut().unwrap().remove("seq");
            assert_eq!(v, crate::format::encode::record(&s.record, &plan));
            assert_eq!(line.sync, matches!(s.record.body, Body::Note { .. }));
        }
    }

    /// A batch the crash cut off in the middle of its write (whole lines and a partial one,
    /// no end line) is removed as a whole: none of it was published.
    #[test]
    fn a_batch_cut_off_mid_write_is_removed_whole() {
        let dir = tempfile::tempdir().unwrap();
        let (plan, mut log) = demo();
        let (mut j, _) =
            Journal::open(dir.path(), &plan.spec, "s-1", log.state(), Offset::ZERO).unwrap();
        let note = |i: i64| Record {
            t: Offset(i * 1000),
            source: Some("ops".into()),
            body: Body::Note {
                by: None,
                text: format!("note {i}").into(),
            },
        };
        for batch in [vec![note(1)], vec![note(2), note(3)]] {
            write(&mut j, &mut log, batch);
        }
        let path = j.current();
        drop(j);
        let whole = std::fs::read(&path).unwrap();
        // Two whole lines of a third batch and a part of its third.
        let cut = "{\"seq\":4,\"t\":\"T+4s\",\"type\":\"note\",\"text\":\"a\"}\n{\"seq\":5,\"t\":\"T+5s\",\"type\":\"note\",\"text\":\"b\"}\n{\"seq\":6,\"t\":";
        std::fs::write(&path, [whole.as_slice(), cut.as_bytes()].concat()).unwrap();
        let (_, restored) =
            Journal::open(dir.path(), &plan.spec, "s-2", log.state(), Offset::ZERO).unwrap();
        let r = restored.unwrap();
        assert_eq!(r.seq, 3, "the cut batch is not replayed");
        assert_eq!(std::fs::read(&path).unwrap(), whole);
        let torn = r.torn.unwrap();
        assert!(torn.contains("last batch was cut off mid-write"), "{torn}");
        assert!(torn.contains("3 lines, the last one partial"), "{torn}");
    }

    /// A journal compacted with a full timeline (20,000 long notes: an image of several MiB,
    /// a snapshot line far over the 1 MiB of a record line) reads back to the same state.
    #[test]
    fn a_snapshot_of_a_full_timeline_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let (plan, mut log) = demo();
        let (mut j, restored) =
            Journal::open(dir.path(), &plan.spec, "s-1", log.state(), Offset::ZERO).unwrap();
        assert!(restored.is_none());
        // Text that does not deflate to nothing: an image as large as a real one can be.
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut noise = move || {
            (0..12)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    format!("{x:016x}")
                })
                .collect::<Vec<_>>()
                .join(" ")
        };
        let records: Vec<Record> = (0..TIMELINE_CAP as i64 + 10)
            .map(|i| Record {
                t: Offset(i * 1000),
                source: Some("ops".into()),
                body: Body::Note {
                    by: Some(format!("person-{i}").into()),
                    text: format!("{i}: {}", noise()).into(),
                },
            })
            .collect();
        let seq = write(&mut j, &mut log, records);
        let image = log.state().image();
        let at = log.state().last_record.unwrap();
        j.compact(seq, image, at).unwrap();
        let snapshot_line = std::fs::read_to_string(j.current())
            .unwrap()
            .lines()
            .nth(1)
            .unwrap()
            .len();
        assert!(
            snapshot_line > crate::format::fixture::MAX_LINE,
            "{snapshot_line}"
        );
        drop(j);
        let (_, restored) =
            Journal::open(dir.path(), &plan.spec, "s-2", log.state(), Offset::ZERO).unwrap();
        let r = restored.unwrap();
        assert_eq!(r.session, "s-1");
        assert_eq!(r.seq, seq);
        assert_eq!(r.state.image(), log.state().image());
        assert_eq!(
            r.log.len(),
            LOG_CAP,
            "the catch-up log is refilled from the old segment"
        );
        assert_eq!(r.log.last().unwrap().seq, seq);
    }
}
