//! The incident timeline: append-only, bounded, cheap to clone (replay keeps snapshots of the
//! whole state), and cheap to read from the end (the screen draws only the visible rows).
//!
//! Entries are pushed as [`Entry`] values and read back as [`EntryRef`]s. A full chunk of 256
//! entries is packed: its texts one after another, LZ4-compressed, in one allocation, each
//! entry's time, kind, severity and source in 16 bytes beside them, its distinct sources once.
//! An entry there costs 16 bytes and its share of the compressed texts, against 48 bytes and
//! an allocation of its own while it is in the newest chunk.
//!
//! A packed chunk's texts are opened (decompressed) when one of them is first read, which
//! only a reader that wants the text does ([`EntryRef::text`]; time, kind and severity are
//! read without it), and closed again at the timeline's next change: between two changes the
//! screen opens the chunks it shows, a search the ones it reads.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering as Atomic};
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use super::severity::Severity;
use super::time::Offset;

/// Entries per shared chunk. Full chunks are immutable and shared between clones.
const CHUNK: usize = 256;

/// What kind of thing an entry records; the filter works on these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Wave,
    Slo,
    Check,
    Alert,
    Note,
    Command,
    Incident,
    Source,
    Other,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Kind::Wave,
        Kind::Slo,
        Kind::Check,
        Kind::Alert,
        Kind::Note,
        Kind::Command,
        Kind::Incident,
        Kind::Source,
        Kind::Other,
    ];

    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Kind::Wave => "wave",
            Kind::Slo => "slo",
            Kind::Check => "check",
            Kind::Alert => "alert",
            Kind::Note => "note",
            Kind::Command => "command",
            Kind::Incident => "incident",
            Kind::Source => "source",
            Kind::Other => "other",
        }
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// One row of the timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub t: Offset,
    pub kind: Kind,
    pub severity: Severity,
    pub source: Arc<str>,
    pub text: Box<str>,
    /// Made by this console (its connection, its own metric sources, its notices) rather than
    /// by a record from the feed: kept when the feed's history is rebuilt from a snapshot.
    #[serde(skip)]
    pub local: bool,
}

/// An entry as the timeline holds it: read it where it lies, or [`EntryRef::to_entry`] for an
/// owned copy.
#[derive(Clone, Copy)]
pub struct EntryRef<'a> {
    pub t: Offset,
    pub kind: Kind,
    pub severity: Severity,
    pub source: &'a Arc<str>,
    text: Text<'a>,
    pub local: bool,
}

impl<'a> EntryRef<'a> {
    /// Its text (opening its chunk's texts if they are packed and not open yet).
    #[must_use]
    pub fn text(&self) -> &'a str {
        self.text.get()
    }

    #[must_use]
    pub fn to_entry(&self) -> Entry {
        Entry {
            t: self.t,
            kind: self.kind,
            severity: self.severity,
            source: Arc::clone(self.source),
            text: self.text().into(),
            local: self.local,
        }
    }
}

impl PartialEq for EntryRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.t == other.t
            && self.kind == other.kind
            && self.severity == other.severity
            && self.source == other.source
            && self.local == other.local
            && self.text() == other.text()
    }
}

impl std::fmt::Debug for EntryRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EntryRef")
            .field("t", &self.t)
            .field("kind", &self.kind)
            .field("severity", &self.severity)
            .field("source", self.source)
            .field("text", &self.text())
            .field("local", &self.local)
            .finish()
    }
}

/// Where an entry's text lies: in the entry, or in a packed chunk's texts.
#[derive(Clone, Copy)]
enum Text<'a> {
    Plain(&'a str),
    Packed {
        slot: &'a Slot,
        /// The timeline's note that some chunk is open.
        opened: &'a AtomicBool,
        start: u32,
        end: u32,
    },
}

impl<'a> Text<'a> {
    fn get(self) -> &'a str {
        match self {
            Text::Plain(s) => s,
            Text::Packed {
                slot,
                opened,
                start,
                end,
            } => slot
                .open(opened)
                .get(start as usize..end as usize)
                .unwrap_or_default(),
        }
    }
}

impl Entry {
    #[must_use]
    pub fn as_ref(&self) -> EntryRef<'_> {
        EntryRef {
            t: self.t,
            kind: self.kind,
            severity: self.severity,
            source: &self.source,
            text: Text::Plain(&self.text),
            local: self.local,
        }
    }
}

/// Everything of a packed entry but its text: 16 bytes.
#[derive(Clone, Copy, Debug)]
struct Meta {
    t: Offset,
    /// Where its text ends in the chunk's text (it starts where the one before ends).
    end: u32,
    kind: Kind,
    severity: Severity,
    /// Index into the chunk's sources (a chunk has at most 256 entries, so 256 sources).
    source: u8,
    local: bool,
}

/// A full chunk, packed and immutable.
#[derive(Debug)]
struct Packed {
    meta: Box<[Meta]>,
    /// The texts one after another, LZ4-compressed.
    text: Box<[u8]>,
    /// Their length, uncompressed.
    text_len: u32,
    sources: Box<[Arc<str>]>,
}

impl Packed {
    fn pack(entries: &[Entry]) -> Packed {
        debug_assert!(entries.len() <= CHUNK);
        let mut text = String::with_capacity(entries.iter().map(|e| e.text.len()).sum());
        let mut sources: Vec<Arc<str>> = Vec::new();
        let meta = entries
            .iter()
            .map(|e| {
                text.push_str(&e.text);
                let source = if let Some(i) = sources
                    .iter()
                    .position(|s| Arc::ptr_eq(s, &e.source) || *s == e.source)
                {
                    i
                } else {
                    sources.push(Arc::clone(&e.source));
                    sources.len() - 1
                };
                Meta {
                    t: e.t,
                    // A chunk's text is at most 256 entries of a few KiB each.
                    end: u32::try_from(text.len()).unwrap_or(u32::MAX),
                    kind: e.kind,
                    severity: e.severity,
                    source: u8::try_from(source).unwrap_or(u8::MAX),
                    local: e.local,
                }
            })
            .collect();
        Packed {
            meta,
            text: lz4_flex::block::compress(text.as_bytes()).into_boxed_slice(),
            text_len: u32::try_from(text.len()).unwrap_or(u32::MAX),
            sources: sources.into_boxed_slice(),
        }
    }

    /// The texts, decompressed (empty if they do not decompress, which only a bug could
    /// cause: they were compressed here).
    fn texts(&self) -> Box<str> {
        lz4_flex::block::decompress(&self.text, self.text_len as usize)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default()
            .into_boxed_str()
    }

    fn len(&self) -> usize {
        self.meta.len()
    }

    /// Bytes it holds on the heap.
    fn heap_bytes(&self) -> usize {
        self.meta.len() * std::mem::size_of::<Meta>()
            + self.text.len()
            + self.sources.len() * std::mem::size_of::<Arc<str>>()
    }
}

/// A packed chunk as one timeline holds it: shared with the timeline's clones, its texts
/// opened for this timeline only.
#[derive(Debug)]
struct Slot {
    packed: Arc<Packed>,
    open: OnceLock<Box<str>>,
}

impl Clone for Slot {
    fn clone(&self) -> Slot {
        Slot {
            packed: Arc::clone(&self.packed),
            open: OnceLock::new(),
        }
    }
}

impl Slot {
    fn new(packed: Packed) -> Slot {
        Slot {
            packed: Arc::new(packed),
            open: OnceLock::new(),
        }
    }

    fn open(&self, opened: &AtomicBool) -> &str {
        self.open.get_or_init(|| {
            opened.store(true, Atomic::Relaxed);
            self.packed.texts()
        })
    }

    /// Its entries as owned values.
    fn unpack(&self) -> Vec<Entry> {
        let opened = AtomicBool::new(false);
        (0..self.packed.len())
            .filter_map(|o| self.get(o, &opened).map(|e| e.to_entry()))
            .collect()
    }

    fn get<'a>(&'a self, o: usize, opened: &'a AtomicBool) -> Option<EntryRef<'a>> {
        let p = &self.packed;
        let m = p.meta.get(o)?;
        let start = match o.checked_sub(1) {
            Some(b) => p.meta[b].end,
            None => 0,
        };
        Some(EntryRef {
            t: m.t,
            kind: m.kind,
            severity: m.severity,
            source: &p.sources[usize::from(m.source)],
            text: Text::Packed {
                slot: self,
                opened,
                start,
                end: m.end,
            },
            local: m.local,
        })
    }
}

/// Which entries the timeline shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Filter {
    kinds: u16,
    pub min_severity: Severity,
}

impl Default for Filter {
    fn default() -> Self {
        Filter {
            kinds: u16::MAX,
            min_severity: Severity::Info,
        }
    }
}

impl Filter {
    #[must_use]
    pub fn only(kind: Option<Kind>, min_severity: Severity) -> Filter {
        Filter {
            kinds: kind.map_or(u16::MAX, Kind::bit),
            min_severity,
        }
    }

    #[must_use]
    pub fn matches<'a>(&self, e: impl std::borrow::Borrow<EntryRef<'a>>) -> bool {
        let e = e.borrow();
        self.kinds & e.kind.bit() != 0 && e.severity >= self.min_severity
    }

    /// The single kind shown, when the filter shows only one.
    #[must_use]
    pub fn kind(&self) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| self.kinds == k.bit())
    }
}

/// A bounded, append-only list of entries, oldest dropped first (and counted).
#[derive(Debug)]
pub struct Timeline {
    full: VecDeque<Slot>,
    tail: Vec<Entry>,
    cap: usize,
    dropped: u64,
    /// Some chunk's texts are open (closed again at the next change).
    opened: AtomicBool,
}

impl Clone for Timeline {
    fn clone(&self) -> Timeline {
        Timeline {
            full: self.full.clone(),
            tail: self.tail.clone(),
            cap: self.cap,
            dropped: self.dropped,
            opened: AtomicBool::new(false),
        }
    }
}

impl Timeline {
    /// A timeline that keeps at most about `cap` entries (rounded up to a whole chunk).
    #[must_use]
    pub fn new(cap: usize) -> Timeline {
        Timeline {
            full: VecDeque::new(),
            tail: Vec::with_capacity(CHUNK),
            cap: cap.max(CHUNK),
            dropped: 0,
            opened: AtomicBool::new(false),
        }
    }

    /// Drops the texts opened since the last change.
    fn close(&mut self) {
        if std::mem::take(self.opened.get_mut()) {
            for s in &mut self.full {
                s.open.take();
            }
        }
    }

    pub fn push(&mut self, e: Entry) {
        self.close();
        self.tail.push(e);
        if self.tail.len() == CHUNK {
            self.full.push_back(Slot::new(Packed::pack(&self.tail)));
            self.tail.clear();
            while self.full.len() * CHUNK > self.cap {
                if let Some(old) = self.full.pop_front() {
                    self.dropped += old.packed.len() as u64;
                }
            }
        }
    }

    /// Counts `n` more entries as dropped (a timeline rebuilt from an image that had already
    /// dropped some).
    pub fn add_dropped(&mut self, n: u64) {
        self.dropped = self.dropped.saturating_add(n);
    }

    /// Keeps at most about `cap` entries from now on (rounded up to a whole chunk), dropping
    /// the oldest whole chunks now if it holds more, counted as dropped. A replay's check
    /// works on a short timeline and gives its snapshots back the console's cap.
    pub fn set_cap(&mut self, cap: usize) {
        self.close();
        self.cap = cap.max(CHUNK);
        while self.full.len() * CHUNK > self.cap {
            match self.full.pop_front() {
                Some(old) => self.dropped += old.packed.len() as u64,
                None => break,
            }
        }
    }

    /// Rewrites the text of the entry at absolute index `abs` (dropped + index), if it is
    /// still held: an entry that follows something in progress (an outage).
    pub fn replace_text(&mut self, abs: u64, text: Box<str>) {
        self.close();
        let Some(i) = abs
            .checked_sub(self.dropped)
            .and_then(|i| usize::try_from(i).ok())
        else {
            return;
        };
        let (c, o) = (i / CHUNK, i % CHUNK);
        match c.cmp(&self.full.len()) {
            std::cmp::Ordering::Less => {
                let mut entries = self.full[c].unpack();
                if let Some(e) = entries.get_mut(o) {
                    e.text = text;
                    self.full[c] = Slot::new(Packed::pack(&entries));
                }
            }
            std::cmp::Ordering::Equal => {
                if let Some(e) = self.tail.get_mut(o) {
                    e.text = text;
                }
            }
            std::cmp::Ordering::Greater => {}
        }
    }

    /// About how many entries it keeps.
    #[must_use]
    pub fn cap(&self) -> usize {
        self.cap
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.full.len() * CHUNK + self.tail.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Entries dropped from memory to keep the cap.
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    #[must_use]
    pub fn get(&self, i: usize) -> Option<EntryRef<'_>> {
        let (c, o) = (i / CHUNK, i % CHUNK);
        match c.cmp(&self.full.len()) {
            std::cmp::Ordering::Less => self.full[c].get(o, &self.opened),
            std::cmp::Ordering::Equal => self.tail.get(o).map(Entry::as_ref),
            std::cmp::Ordering::Greater => None,
        }
    }

    #[must_use]
    pub fn last(&self) -> Option<EntryRef<'_>> {
        self.len().checked_sub(1).and_then(|i| self.get(i))
    }

    /// Newest first, starting at index `before` (exclusive).
    pub fn iter_rev_from(&self, before: usize) -> impl Iterator<Item = (usize, EntryRef<'_>)> + '_ {
        (0..before.min(self.len()))
            .rev()
            .filter_map(move |i| self.get(i).map(|e| (i, e)))
    }

    /// Each packed chunk's identity (shared by the clones that hold it), entries and heap
    /// bytes: what clones share, and what they cost.
    pub fn packed_chunks(&self) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
        self.full.iter().map(|s| {
            (
                Arc::as_ptr(&s.packed).addr(),
                s.packed.len(),
                s.packed.heap_bytes(),
            )
        })
    }

    /// Index of the first entry at or after `t` (`len()` when none).
    #[must_use]
    pub fn index_at(&self, t: Offset) -> usize {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = usize::midpoint(lo, hi);
            if self.get(mid).is_some_and(|e| e.t < t) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(t: i64) -> Entry {
        Entry {
            t: Offset(t),
            kind: Kind::Note,
            severity: Severity::Info,
            source: "x".into(),
            text: "".into(),
            local: false,
        }
    }

    /// A timeline of `cap` with `n` entries pushed, at times 0, 1, 2, ...
    fn filled(cap: usize, n: i64) -> Timeline {
        let mut tl = Timeline::new(cap);
        for t in 0..n {
            tl.push(entry(t));
        }
        tl
    }

    #[test]
    fn bounded_and_counted() {
        let tl = filled(512, 2000);
        assert!(tl.len() <= 512 + CHUNK, "{}", tl.len());
        assert_eq!(tl.dropped() + tl.len() as u64, 2000);
        assert_eq!(tl.last().unwrap().t, Offset(1999));
        assert_eq!(
            tl.get(0).unwrap().t,
            Offset(i64::try_from(tl.dropped()).unwrap())
        );
    }

    #[test]
    fn set_cap_drops_the_oldest_chunks_and_counts_them() {
        let mut tl = filled(100_000, 5000);
        tl.set_cap(1000);
        // Whole chunks of 256 up to the cap, and the entries after them.
        assert_eq!(tl.len(), 3 * CHUNK + 5000 % CHUNK);
        assert_eq!(tl.len() as u64 + tl.dropped(), 5000);
        assert_eq!(tl.last().unwrap().t, Offset(4999));
        // A short timeline stays short, and given a larger cap grows again.
        for t in 5000..6000 {
            tl.push(entry(t));
        }
        assert!(tl.len() < 1000 + CHUNK, "{}", tl.len());
        tl.set_cap(100_000);
        for t in 6000..8000 {
            tl.push(entry(t));
        }
        assert!(tl.len() > 2000, "{}", tl.len());
        assert_eq!(tl.len() as u64 + tl.dropped(), 8000);
    }

    #[test]
    fn clones_share_full_chunks_and_diverge_after() {
        let mut a = filled(10_000, 600);
        let b = a.clone();
        a.push(entry(600));
        assert_eq!(a.len(), 601);
        assert_eq!(b.len(), 600);
        assert!(Arc::ptr_eq(&a.full[0].packed, &b.full[0].packed));
    }

    #[test]
    fn a_packed_entry_reads_back_as_it_was_pushed() {
        assert_eq!(std::mem::size_of::<Meta>(), 16);
        let sources: [Arc<str>; 3] = ["plan".into(), "prometheus".into(), "ops".into()];
        let made = |t: i64| Entry {
            t: Offset(t * 7),
            kind: Kind::ALL[usize::try_from(t).unwrap() % Kind::ALL.len()],
            severity: [Severity::Info, Severity::Warning, Severity::Critical]
                [usize::try_from(t).unwrap() % 3],
            // The same source as another entry's Arc, and as an equal string of its own.
            source: if t % 5 == 0 {
                format!("{}", sources[0]).into()
            } else {
                Arc::clone(&sources[usize::try_from(t).unwrap() % 3])
            },
            text: if t % 4 == 0 {
                String::new().into()
            } else {
                format!("entry {t} · ünïcode").into()
            },
            local: t % 2 == 1,
        };
        let mut tl = Timeline::new(10_000);
        for t in 0..700 {
            tl.push(made(t));
        }
        assert_eq!(tl.full.len(), 2);
        assert_eq!(tl.full[0].packed.sources.len(), 3);
        for t in 0..700 {
            let i = usize::try_from(t).unwrap();
            assert_eq!(tl.get(i).unwrap().to_entry(), made(t), "entry {t}");
            assert_eq!(tl.get(i).unwrap().local, t % 2 == 1);
        }
        assert_eq!(tl.get(700), None);
    }

    #[test]
    fn packed_texts_open_when_read_and_close_at_the_next_change() {
        let note = |i: usize| format!("Note {i}: traffic steady, dashboards reviewed");
        let mut tl = Timeline::new(10_000);
        for i in 0..CHUNK + 3 {
            let mut e = entry(i as i64);
            e.text = note(i).into();
            tl.push(e);
        }
        // Times, kinds and severities are read without opening the texts.
        assert_eq!(tl.index_at(Offset(5)), 5);
        assert_eq!(tl.get(7).map(|e| e.kind), Some(Kind::Note));
        assert!(tl.full[0].open.get().is_none());
        assert_eq!(tl.get(7).map(|e| e.text()), Some(note(7).as_str()));
        assert!(tl.full[0].open.get().is_some());
        // A clone shares the packed chunk but not what this timeline opened.
        let copy = tl.clone();
        assert!(copy.full[0].open.get().is_none());
        assert_eq!(copy.get(200).map(|e| e.text()), Some(note(200).as_str()));
        // The next change closes them again; they read the same when reopened.
        tl.push(entry(1_000));
        assert!(tl.full[0].open.get().is_none());
        assert_eq!(tl.get(8).map(|e| e.text()), Some(note(8).as_str()));
        // Compressed: texts that repeat themselves take far less room than their length.
        let raw: usize = (0..CHUNK).map(|i| note(i).len()).sum();
        let held = tl.full[0].packed.text.len();
        assert!(held * 3 < raw, "{held} bytes held for {raw} bytes of text");
    }

    #[test]
    fn replace_text_rewrites_a_packed_entry_and_a_newest_one() {
        let mut tl = filled(10_000, 300);
        let shared = tl.clone();
        tl.replace_text(10, "outage: 12s".into());
        tl.replace_text(299, "newest".into());
        tl.replace_text(300, "beyond".into());
        assert_eq!(tl.get(10).unwrap().text(), "outage: 12s");
        assert_eq!(tl.get(9).unwrap().text(), "");
        assert_eq!(tl.get(10).unwrap().t, Offset(10));
        assert_eq!(tl.get(299).unwrap().text(), "newest");
        assert_eq!(tl.len(), 300);
        // A clone made before keeps the text it had.
        assert_eq!(shared.get(10).unwrap().text(), "");
        let mut dropped = filled(256, 1000);
        dropped.replace_text(0, "gone".into());
        assert!(dropped
            .iter_rev_from(dropped.len())
            .all(|(_, e)| e.text().is_empty()));
    }

    #[test]
    fn index_at_finds_first_at_or_after() {
        let mut tl = Timeline::new(10_000);
        for t in [0, 10, 10, 20, 30] {
            tl.push(entry(t));
        }
        assert_eq!(tl.index_at(Offset(10)), 1);
        assert_eq!(tl.index_at(Offset(11)), 3);
        assert_eq!(tl.index_at(Offset(99)), 5);
        assert_eq!(tl.index_at(Offset(-5)), 0);
    }
}
