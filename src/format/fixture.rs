//! Fixture format v1: a header (the first JSON value, which may span several lines) and then
//! one record per line. Errors name `FILE:LINE:COLUMN` and what is wrong.

use std::fmt;
use std::io::BufRead;
use std::sync::Arc;

use serde::Deserialize;

use crate::core::plan::{Plan, PlanSpec};
use crate::core::record::{Body, Record};
use crate::core::sanitize::sanitize;
use crate::core::time::Offset;

use super::locate::{line_col, locate, steps};
use super::record::{column_of, decode, is_known_key, Raw, Strictness};
use super::sample::sample;
use super::strict::Strict;

/// The format version this build writes, and the newest minor it fully understands.
pub const VERSION: (u32, u32) = (1, 2);

/// Longest record line accepted; longer lines are refused, not truncated.
pub const MAX_LINE: usize = 1 << 20;
/// Longest `snapshot` record line: a whole state image, as large as an image may be.
pub const MAX_SNAPSHOT_LINE: usize = crate::core::state::MAX_IMAGE + (64 << 10);

/// A refusal with its place: `FILE:LINE:COLUMN: message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FixtureError {
    pub file: Arc<str>,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for FixtureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Messages may quote the fixture (serde's "unknown variant `…`") and the file name is
        // whatever was given: never let either carry escape sequences to the terminal.
        let file = crate::core::sanitize::sanitize(&self.file);
        let message = crate::core::sanitize::sanitize(&self.message);
        if self.line == 0 {
            write!(f, "{file}: {message}")
        } else {
            write!(f, "{file}:{}:{}: {message}", self.line, self.column)
        }
    }
}

#[derive(Deserialize)]
struct VersionProbe {
    warroom: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    #[allow(dead_code)]
    warroom: String,
    rollout: PlanSpec,
}

/// What the header told us.
#[derive(Clone, Debug)]
pub struct Fixture {
    pub file: Arc<str>,
    pub plan: Arc<Plan>,
    pub version: (u32, u32),
    pub strictness: Strictness,
}

/// Reads records one line at a time, checking each against the plan and the one before it.
pub struct RecordReader<R> {
    input: R,
    fixture: Fixture,
    line: usize,
    offset: u64,
    prev_t: Option<Offset>,
    buf: Vec<u8>,
    /// Whole lines taken from `input` at once, checked together: valid UTF-8, and no CR
    /// except right before a line feed. Read from `at` on.
    block: String,
    at: usize,
    /// The inject the last record line belongs to (`"inject": "NAME"`).
    inject: Option<Box<str>>,
}

/// The most taken into [`RecordReader::block`] at once.
const BLOCK: usize = 64 << 10;

/// The whole lines at the head of `avail` that need no check of their own: valid UTF-8,
/// with every CR right before a line feed. A line that is not stays out (with every line
/// after it), to be read and refused with its place on its own.
fn clean_lines(avail: &[u8]) -> &str {
    let window = &avail[..avail.len().min(BLOCK)];
    let Some(last) = memchr::memrchr(b'\n', window) else {
        return "";
    };
    let whole = &window[..=last];
    let text = match std::str::from_utf8(whole) {
        Ok(text) => text,
        Err(e) => {
            let end = memchr::memrchr(b'\n', &whole[..e.valid_up_to()]).map_or(0, |i| i + 1);
            std::str::from_utf8(&whole[..end]).unwrap_or("")
        }
    };
    let bytes = text.as_bytes();
    match memchr::memchr_iter(b'\r', bytes).find(|&i| bytes.get(i + 1) != Some(&b'\n')) {
        // Cut after a line feed: a character boundary.
        Some(cr) => text
            .get(..memchr::memrchr(b'\n', &bytes[..cr]).map_or(0, |i| i + 1))
            .unwrap_or(""),
        None => text,
    }
}

/// Where a reader is, so that another can resume there (replay seeks use this).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    /// Lines consumed so far (the next line is `line + 1`).
    pub line: usize,
    /// Byte offset of the next line.
    pub offset: u64,
    pub prev_t: Option<Offset>,
}

/// Reads the header from `input` and returns a reader positioned at the first record.
///
/// # Errors
/// A malformed header, an unsupported version or a plan that does not hold together.
#[expect(
    clippy::too_many_lines,
    reason = "the header is read and checked in the order its errors are documented"
)]
pub fn open<R: BufRead>(file: &str, mut input: R) -> Result<RecordReader<R>, FixtureError> {
    let file: Arc<str> = file.into();
    let at = |line, column, message: String| FixtureError {
        file: file.clone(),
        line,
        column,
        message,
    };
    let mut text = String::new();
    let mut lines = 0usize;
    let mut offset = 0u64;
    let mut depth = Depth::default();
    let mut first_line = 0usize;
    let mut raw = Vec::new();
    loop {
        raw.clear();
        let n = read_line_capped(&mut input, &mut raw, 16 * MAX_LINE)
            .map_err(|e| at(lines + 1, 1, format!("cannot read: {e}")))?;
        if n == 0 {
            return Err(if depth.started {
                at(
                    first_line,
                    1,
                    "the header object that starts here is never closed (unbalanced braces)".into(),
                )
            } else {
                at(lines.max(1), 1, "empty file: expected a header such as {\"warroom\": \"1.0\", \"rollout\": {…}}".into())
            });
        }
        lines += 1;
        offset += n as u64;
        let mut bytes = raw.as_slice();
        if lines == 1 {
            // Editors on some systems save a byte-order mark; it carries no meaning here.
            bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        }
        if let Some(i) = lone_cr(bytes) {
            return Err(at(lines, char_col(bytes, i), CR_ONLY.into()));
        }
        let new = std::str::from_utf8(bytes).map_err(|e| {
            at(
                lines,
                char_col(bytes, e.valid_up_to()),
                "not valid UTF-8".into(),
            )
        })?;
        let trimmed = new.trim_start();
        if trimmed.starts_with('#') {
            if depth.started {
                return Err(at(
                    lines,
                    new.len() - trimmed.len() + 1,
                    "comment lines (#) are not allowed inside the header".into(),
                ));
            }
            continue;
        }
        if !depth.started {
            if trimmed.is_empty() {
                continue;
            }
            if !trimmed.starts_with('{') {
                let col = new.len() - trimmed.len() + 1;
                return Err(at(
                    lines,
                    col,
                    "expected the header object ({\"warroom\": \"1.0\", \"rollout\": {…}}) first"
                        .into(),
                ));
            }
            first_line = lines;
        }
        text.push_str(new);
        if depth.feed(new.as_bytes()) {
            break;
        }
        if text.len() > 16 * MAX_LINE {
            return Err(at(first_line, 1, "the header is larger than 16 MiB".into()));
        }
    }
    let header_at = |byte: usize| {
        let (l, c) = line_col(&text, byte);
        (first_line + l - 1, c)
    };
    let json_err = |prefix: String, e: &serde_json::Error| {
        let line_text = text.lines().nth(e.line().saturating_sub(1)).unwrap_or("");
        at(
            first_line + e.line().saturating_sub(1),
            byte_col_to_char(line_text, e.column()),
            format!("{prefix}{}", bare(e)),
        )
    };
    let probe: VersionProbe =
        serde_json::from_str(&text).map_err(|e| json_err(String::new(), &e))?;
    let version_text = match probe.warroom {
        Some(serde_json::Value::String(s)) => s,
        Some(other) => {
            let (l, c) = header_at(locate(&text, &steps("warroom")).unwrap_or(0));
            return Err(at(
                l,
                c,
                format!("\"warroom\" must be a version string such as \"1.0\", not {other}"),
            ));
        }
        None => {
            return Err(at(
                first_line,
                1,
                "not a warroom fixture: the header needs \"warroom\": \"1.0\"".into(),
            ))
        }
    };
    let version = parse_version(&version_text).ok_or_else(|| {
        let (l, c) = header_at(locate(&text, &steps("warroom")).unwrap_or(0));
        at(
            l,
            c,
            format!("bad version {version_text:?} (expected MAJOR.MINOR, e.g. \"1.0\")"),
        )
    })?;
    if version.0 != VERSION.0 {
        let (l, c) = header_at(locate(&text, &steps("warroom")).unwrap_or(0));
        return Err(at(
            l,
            c,
            format!("version {version_text} is not supported: this warroom reads 1.x"),
        ));
    }
    let mut de = serde_json::Deserializer::from_str(&text);
    let header: Header = serde_path_to_error::deserialize(Strict(&mut de)).map_err(|e| {
        let path = e.path().to_string();
        let prefix = if path.is_empty() || path == "." {
            String::new()
        } else {
            format!("{path}: ")
        };
        json_err(prefix, e.inner())
    })?;
    let plan = Plan::new(header.rollout).map_err(|e| {
        let (l, c) = header_at(locate(&text, &steps(&format!("rollout.{}", e.path))).unwrap_or(0));
        at(l, c, format!("rollout.{}: {}", e.path, e.message))
    })?;
    let strictness = if version.1 > VERSION.1 {
        Strictness::Lenient
    } else {
        Strictness::Strict
    };
    let fixture = Fixture {
        file,
        plan: Arc::new(plan),
        version,
        strictness,
    };
    Ok(RecordReader {
        input,
        fixture,
        line: lines,
        offset,
        prev_t: None,
        buf: Vec::with_capacity(256),
        block: String::new(),
        at: 0,
        inject: None,
    })
}

/// What a CR that does not end a CRLF pair means in a file read line by line.
const CR_ONLY: &str = "a line break of CR alone: the file uses CR-only line endings (classic \
                       Mac OS); save it with LF or CRLF line endings";

/// Where the first CR is that no LF follows, but for one that ends the text: JSON allows no
/// raw CR inside a string, so between tokens it can only be a line break of an old Mac file.
fn lone_cr(bytes: &[u8]) -> Option<usize> {
    memchr::memchr_iter(b'\r', bytes).find(|&i| bytes.get(i + 1).is_some_and(|&b| b != b'\n'))
}

/// `serde_json`'s message without its own " at line L column C" suffix, a wrong type said
/// in JSON's words (`expected an object, found an array`).
fn bare(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    let msg = msg.split(" at line ").next().unwrap_or(&msg);
    super::types::reword(msg, super::types::Format::Json)
}

/// 1-based char column of a 1-based byte column in `line`.
fn byte_col_to_char(line: &str, byte_col: usize) -> usize {
    let b = byte_col.saturating_sub(1).min(line.len());
    let mut b2 = b;
    while b2 > 0 && !line.is_char_boundary(b2) {
        b2 -= 1;
    }
    line[..b2].chars().count() + 1
}

/// 1-based char column of byte offset `valid` in possibly invalid UTF-8.
fn char_col(bytes: &[u8], valid: usize) -> usize {
    std::str::from_utf8(&bytes[..valid]).map_or(valid + 1, |s| s.chars().count() + 1)
}

fn parse_version(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// Tracks brace depth outside strings, to find where a multi-line header ends.
#[derive(Default)]
struct Depth {
    level: i64,
    in_string: bool,
    escaped: bool,
    started: bool,
}

impl Depth {
    /// Feeds bytes; true once the top-level value has closed.
    fn feed(&mut self, bytes: &[u8]) -> bool {
        for &b in bytes {
            if self.in_string {
                match (self.escaped, b) {
                    (true, _) => self.escaped = false,
                    (false, b'\\') => self.escaped = true,
                    (false, b'"') => self.in_string = false,
                    _ => {}
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => {
                    self.level += 1;
                    self.started = true;
                }
                b'}' | b']' => {
                    self.level -= 1;
                    if self.started && self.level == 0 {
                        return true;
                    }
                }
                _ => {}
            }
        }
        false
    }
}

impl<R: BufRead> RecordReader<R> {
    #[must_use]
    pub fn fixture(&self) -> &Fixture {
        &self.fixture
    }

    #[must_use]
    pub fn position(&self) -> Position {
        Position {
            line: self.line,
            offset: self.offset,
            prev_t: self.prev_t,
        }
    }

    /// A reader over `input` that continues from `pos` (which another reader of the same file
    /// reported).
    pub fn resume(input: R, fixture: Fixture, pos: Position) -> RecordReader<R> {
        RecordReader {
            input,
            fixture,
            line: pos.line,
            offset: pos.offset,
            prev_t: pos.prev_t,
            buf: Vec::with_capacity(256),
            block: String::new(),
            at: 0,
            inject: None,
        }
    }

    /// The inject the record line just read belongs to, if the fixture marks it as one.
    #[must_use]
    pub fn inject(&self) -> Option<&str> {
        self.inject.as_deref()
    }

    /// Reads the next record line and hands its records to `out`. Returns the line's `t`, or
    /// `None` at the end of the input. Blank lines and lines starting with `#` are skipped.
    ///
    /// # Errors
    /// The first malformed line, with its place.
    pub fn next_records(
        &mut self,
        out: &mut impl FnMut(Record),
    ) -> Result<Option<Offset>, FixtureError> {
        loop {
            let at = Line {
                fixture: &self.fixture,
                number: self.line + 1,
                prev_t: self.prev_t,
            };
            let inject = &mut self.inject;
            let (read, used) = if self.at < self.block.len() {
                // Fastest path: the next line is in the block, checked already. The block
                // holds whole lines only.
                let rest = &self.block[self.at..];
                let i = memchr::memchr(b'\n', rest.as_bytes()).unwrap_or(rest.len());
                let read = at.read_text(&rest[..i], out, inject);
                self.at += i + 1;
                (read, i + 1)
            } else {
                let avail = self
                    .input
                    .fill_buf()
                    .map_err(|e| at.err(1, format!("cannot read: {e}")))?;
                if avail.is_empty() {
                    return Ok(None);
                }
                let clean = clean_lines(avail);
                if !clean.is_empty() {
                    self.block.clear();
                    self.block.push_str(clean);
                    self.at = 0;
                    let n = clean.len();
                    self.input.consume(n);
                    continue;
                }
                match memchr::memchr(b'\n', avail) {
                    // Fast path: the whole line is already in the reader's buffer (a line
                    // the block left out); parse it there.
                    Some(i) if i < MAX_LINE => {
                        let read = at.read(&avail[..i], out, inject);
                        self.input.consume(i + 1);
                        (read, i + 1)
                    }
                    _ => {
                        // The line runs past the buffer: copy it out, up to the cap.
                        self.buf.clear();
                        let n = read_line_capped(&mut self.input, &mut self.buf, MAX_SNAPSHOT_LINE)
                            .map_err(|e| at.err(1, format!("cannot read: {e}")))?;
                        let snapshot = n <= MAX_SNAPSHOT_LINE
                            && memchr::memmem::find(&self.buf, b"\"type\":\"snapshot\"").is_some();
                        let read = if n > MAX_LINE && !snapshot {
                            Err(at.err(1, format!("line is longer than {MAX_LINE} bytes")))
                        } else {
                            at.read(&self.buf, out, inject)
                        };
                        (read, n)
                    }
                }
            };
            self.line += 1;
            self.offset += used as u64;
            if let Some(t) = read? {
                self.prev_t = Some(t);
                return Ok(Some(t));
            }
        }
    }
}

/// Longest inject name, in bytes.
pub const MAX_INJECT_NAME: usize = 64;

/// An inject's name as the facilitator types it: one word of plain text.
fn inject_name(name: &str) -> Result<Box<str>, String> {
    if name.is_empty() || name.len() > MAX_INJECT_NAME {
        return Err(format!(
            "an inject's name is 1 to {MAX_INJECT_NAME} bytes (this one is {})",
            name.len()
        ));
    }
    if name.chars().any(|c| {
        c.is_whitespace()
            || c.is_control()
            || *crate::core::sanitize::sanitize(&c.to_string()) != *c.to_string()
    }) {
        return Err(format!(
            "inject {:?}: a name is one word of plain text (it is typed as :release NAME)",
            crate::core::sanitize::sanitize(name)
        ));
    }
    Ok(name.into())
}

/// One line being read, with what it needs to judge and to report itself.
struct Line<'f> {
    fixture: &'f Fixture,
    number: usize,
    prev_t: Option<Offset>,
}

impl Line<'_> {
    /// Decodes one line (without its newline); `None` for blank and comment lines.
    fn read(
        &self,
        line: &[u8],
        out: &mut impl FnMut(Record),
        inject: &mut Option<Box<str>>,
    ) -> Result<Option<Offset>, FixtureError> {
        let mut bytes = line;
        while let [rest @ .., b'\n' | b'\r'] = bytes {
            bytes = rest;
        }
        if let Some(i) = memchr::memchr(b'\r', bytes) {
            return Err(self.err(char_col(bytes, i), CR_ONLY.into()));
        }
        let lead = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
        if matches!(bytes.get(lead), None | Some(b'#')) {
            return Ok(None);
        }
        // Checking UTF-8 over the whole line at once is faster than string by string.
        let text = self.text_of(bytes)?;
        self.read_text(text, out, inject)
    }

    /// Decodes one line of text whose only CRs, if any, end it.
    fn read_text(
        &self,
        line: &str,
        out: &mut impl FnMut(Record),
        inject: &mut Option<Box<str>>,
    ) -> Result<Option<Offset>, FixtureError> {
        let text = line.trim_end_matches('\r');
        let lead = text.bytes().take_while(u8::is_ascii_whitespace).count();
        match text.as_bytes().get(lead) {
            None | Some(b'#') => return Ok(None),
            Some(b'{') => {}
            Some(_) => {
                // Whitespace is ASCII: its bytes are its characters.
                return Err(self.err(
                    lead + 1,
                    "a record must be one JSON object on one line ({\"t\": …, \"type\": …})".into(),
                ));
            }
        }
        if let Some(s) = sample(text, &self.fixture.plan) {
            self.in_order(text, s.t)?;
            *inject = self.inject_of(text, s.inject)?;
            out(Record {
                t: s.t,
                source: s.source.map(sanitize),
                body: Body::Metric {
                    slo: s.slo,
                    value: s.value,
                },
            });
            return Ok(Some(s.t));
        }
        let owned;
        let raw: Raw<'_> = match serde_json::from_str(text) {
            Ok(raw) => raw,
            Err(e)
                if self.fixture.strictness == Strictness::Lenient
                    && e.to_string().starts_with("unknown field") =>
            {
                owned = known_fields_only(text).ok_or_else(|| self.json_err(text, &e))?;
                serde_json::from_str(&owned).map_err(|e| self.json_err(text, &e))?
            }
            Err(e) => return Err(self.json_err(text, &strict_error(text).unwrap_or(e))),
        };
        self.in_order(text, raw.t)?;
        decode(&raw, &self.fixture.plan, self.fixture.strictness, out)
            .map_err(|p| self.err(column_of(text, p.key), p.message))?;
        *inject = self.inject_of(text, raw.inject.as_deref())?;
        Ok(Some(raw.t))
    }

    /// Refuses a record earlier than the one before it.
    fn in_order(&self, text: &str, t: Offset) -> Result<(), FixtureError> {
        match self.prev_t {
            Some(prev) if t < prev => Err(self.err(
                column_of(text, "t"),
                format!(
                    "time goes backwards: {} is before the previous record's {}",
                    t.t_label(),
                    prev.t_label()
                ),
            )),
            _ => Ok(()),
        }
    }

    /// The inject a record line names, checked.
    fn inject_of(&self, text: &str, name: Option<&str>) -> Result<Option<Box<str>>, FixtureError> {
        name.map(|n| inject_name(n).map_err(|m| self.err(column_of(text, "inject"), m)))
            .transpose()
    }

    /// The line as text, or the place where it stops being UTF-8.
    fn text_of<'b>(&self, bytes: &'b [u8]) -> Result<&'b str, FixtureError> {
        std::str::from_utf8(bytes)
            .map_err(|e| self.err(char_col(bytes, e.valid_up_to()), "not valid UTF-8".into()))
    }

    fn json_err(&self, line: &str, e: &serde_json::Error) -> FixtureError {
        if e.is_eof() {
            return self.err(
                line.chars().count() + 1,
                format!("{}: the record ends before its closing brace (each record is one complete JSON object on one line)", bare(e)),
            );
        }
        self.err(byte_col_to_char(line, e.column()), bare(e))
    }

    fn err(&self, column: usize, message: String) -> FixtureError {
        FixtureError {
            file: self.fixture.file.clone(),
            line: self.number,
            column,
            message,
        }
    }
}

/// The refused line read again through [`Strict`], which names an enum's values where the
/// JSON reader says only "expected value" (`"action": 5`). Only on the error path: the
/// reader of every line stays the plain one.
fn strict_error(line: &str) -> Option<serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(line);
    Raw::deserialize(Strict(&mut de)).err()
}

/// Re-encodes a record with unknown keys dropped (lenient reading of newer minor versions).
fn known_fields_only(line: &str) -> Option<String> {
    let mut v: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line).ok()?;
    v.retain(|k, _| is_known_key(k));
    serde_json::to_string(&v).ok()
}

/// Like `read_until(b'\n')` but stops storing after `cap` bytes (still consuming the line),
/// so a hostile file cannot make one line eat all memory. Returns bytes consumed.
fn read_line_capped<R: BufRead>(
    r: &mut R,
    buf: &mut Vec<u8>,
    cap: usize,
) -> std::io::Result<usize> {
    let mut total = 0;
    loop {
        let (done, used) = {
            let avail = r.fill_buf()?;
            if avail.is_empty() {
                return Ok(total);
            }
            if let Some(i) = memchr::memchr(b'\n', avail) {
                if buf.len() < cap {
                    buf.extend_from_slice(&avail[..=i.min(cap - buf.len())]);
                }
                (true, i + 1)
            } else {
                if buf.len() < cap {
                    let take = avail.len().min(cap - buf.len());
                    buf.extend_from_slice(&avail[..take]);
                }
                (false, avail.len())
            }
        };
        r.consume(used);
        total += used;
        if done {
            return Ok(total);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::BufReader;

    use super::*;

    /// A generated fixture of `records` lines, as text.
    fn generated(records: u64) -> String {
        let mut out = Vec::new();
        crate::shell::generate::write(&mut out, records, 3).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// Every record and the position after each, or the first error.
    fn read_all(
        bytes: &[u8],
        capacity: usize,
    ) -> Result<Vec<(Vec<Record>, Position)>, FixtureError> {
        let mut reader = open("f.jsonl", BufReader::with_capacity(capacity, bytes))?;
        let mut out = Vec::new();
        loop {
            let mut records = Vec::new();
            match reader.next_records(&mut |r| records.push(r))? {
                Some(_) => out.push((records, reader.position())),
                None => return Ok(out),
            }
        }
    }

    #[test]
    fn lines_read_alike_through_any_buffer_and_either_line_ending() {
        let text = generated(6000);
        assert!(text.len() > 4 * BLOCK, "{} bytes", text.len());
        let lf = read_all(text.as_bytes(), 1 << 16).unwrap();
        assert_eq!(lf.len(), text.lines().count() - 1);
        // Each position is the byte after its line, lines counted from the header.
        let mut offset = 0u64;
        for (n, line) in text.split_inclusive('\n').enumerate() {
            offset += line.len() as u64;
            if n > 0 {
                assert_eq!(lf[n - 1].1.offset, offset, "line {}", n + 1);
                assert_eq!(lf[n - 1].1.line, n + 1);
            }
        }
        for capacity in [97, 4096, BLOCK + 13, 1 << 20] {
            let again = read_all(text.as_bytes(), capacity).unwrap();
            assert!(again == lf, "buffer of {capacity} bytes");
        }
        let crlf = text.replace('\n', "\r\n");
        let read = read_all(crlf.as_bytes(), 1 << 16).unwrap();
        assert_eq!(read.len(), lf.len());
        for ((a, _), (b, _)) in read.iter().zip(&lf) {
            assert_eq!(a, b);
        }
        // A comment that is not UTF-8, deep in the file, is still only a comment.
        let mut bytes = text.clone().into_bytes();
        let at = memchr::memchr(b'\n', &bytes[3 * BLOCK..]).unwrap() + 3 * BLOCK + 1;
        bytes.splice(at..at, b"# caf\xe9\n".iter().copied());
        let read = read_all(&bytes, 1 << 16).unwrap();
        assert_eq!(read.len(), lf.len());
    }

    /// The file with `bad` put in place of line `n` (1-based), read until it fails.
    fn refused(text: &str, n: usize, bad: &[u8], capacity: usize) -> FixtureError {
        let mut bytes = Vec::new();
        for (i, line) in text.split_inclusive('\n').enumerate() {
            if i + 1 == n {
                bytes.extend_from_slice(bad);
                bytes.push(b'\n');
            } else {
                bytes.extend_from_slice(line.as_bytes());
            }
        }
        read_all(&bytes, capacity).unwrap_err()
    }

    #[test]
    fn a_broken_line_deep_in_the_file_is_named_by_its_place() {
        let text = generated(6000);
        let n = 5123;
        for capacity in [4096, 1 << 16, 1 << 20] {
            let e = refused(
                &text,
                n,
                b"{\"t\":9e9,\"type\":\"note\",\"text\":\"caf\xe9\"}",
                capacity,
            );
            assert_eq!((e.line, e.column), (n, 35), "{e}");
            assert_eq!(e.message, "not valid UTF-8");
            let e = refused(
                &text,
                n,
                b"{\"t\":9e9,\r\"type\":\"note\",\"text\":\"x\"}",
                capacity,
            );
            assert_eq!(
                (e.line, e.column, e.message.as_str()),
                (n, 10, CR_ONLY),
                "{e}"
            );
            let e = refused(&text, n, b"  [1]", capacity);
            assert_eq!((e.line, e.column), (n, 3), "{e}");
            let e = refused(
                &text,
                n,
                b"{\"t\":1,\"type\":\"note\",\"text\":\"early\"}",
                capacity,
            );
            assert_eq!(e.line, n, "{e}");
            assert!(e.message.starts_with("time goes backwards"), "{e}");
        }
    }
}
