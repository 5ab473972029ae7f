//! The incident timeline: append-only, bounded, cheap to clone (replay keeps snapshots of the
//! whole state), and cheap to read from the end (the screen draws only the visible rows).

use std::collections::VecDeque;
use std::sync::Arc;

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
    pub fn matches(&self, e: &Entry) -> bool {
        self.kinds & e.kind.bit() != 0 && e.severity >= self.min_severity
    }

    /// The single kind shown, when the filter shows only one.
    #[must_use]
    pub fn kind(&self) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| self.kinds == k.bit())
    }
}

/// A bounded, append-only list of entries, oldest dropped first (and counted).
#[derive(Clone, Debug)]
pub struct Timeline {
    full: VecDeque<Arc<[Entry]>>,
    tail: Vec<Entry>,
    cap: usize,
    dropped: u64,
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
        }
    }

    pub fn push(&mut self, e: Entry) {
        self.tail.push(e);
        if self.tail.len() == CHUNK {
            let chunk: Arc<[Entry]> =
                std::mem::replace(&mut self.tail, Vec::with_capacity(CHUNK)).into();
            self.full.push_back(chunk);
            while self.full.len() * CHUNK > self.cap {
                if let Some(old) = self.full.pop_front() {
                    self.dropped += old.len() as u64;
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
        self.cap = cap.max(CHUNK);
        while self.full.len() * CHUNK > self.cap {
            match self.full.pop_front() {
                Some(old) => self.dropped += old.len() as u64,
                None => break,
            }
        }
    }

    /// Rewrites the text of the entry at absolute index `abs` (dropped + index), if it is
    /// still held: an entry that follows something in progress (an outage).
    pub fn replace_text(&mut self, abs: u64, text: Box<str>) {
        let Some(i) = abs
            .checked_sub(self.dropped)
            .and_then(|i| usize::try_from(i).ok())
        else {
            return;
        };
        let (c, o) = (i / CHUNK, i % CHUNK);
        let entry = match c.cmp(&self.full.len()) {
            std::cmp::Ordering::Less => Arc::make_mut(&mut self.full[c]).get_mut(o),
            std::cmp::Ordering::Equal => self.tail.get_mut(o),
            std::cmp::Ordering::Greater => None,
        };
        if let Some(e) = entry {
            e.text = text;
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
    pub fn get(&self, i: usize) -> Option<&Entry> {
        let (c, o) = (i / CHUNK, i % CHUNK);
        match c.cmp(&self.full.len()) {
            std::cmp::Ordering::Less => self.full[c].get(o),
            std::cmp::Ordering::Equal => self.tail.get(o),
            std::cmp::Ordering::Greater => None,
        }
    }

    #[must_use]
    pub fn last(&self) -> Option<&Entry> {
        self.len().checked_sub(1).and_then(|i| self.get(i))
    }

    /// Newest first, starting at index `before` (exclusive).
    pub fn iter_rev_from(&self, before: usize) -> impl Iterator<Item = (usize, &Entry)> + '_ {
        (0..before.min(self.len()))
            .rev()
            .filter_map(move |i| self.get(i).map(|e| (i, e)))
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

    #[test]
    fn bounded_and_counted() {
        let mut tl = Timeline::new(512);
        for t in 0..2000 {
            tl.push(entry(t));
        }
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
        let mut tl = Timeline::new(100_000);
        for t in 0..5000 {
            tl.push(entry(t));
        }
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
        let mut a = Timeline::new(10_000);
        for t in 0..600 {
            a.push(entry(t));
        }
        let b = a.clone();
        a.push(entry(600));
        assert_eq!(a.len(), 601);
        assert_eq!(b.len(), 600);
        assert!(Arc::ptr_eq(&a.full[0], &b.full[0]));
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
