//! `/` search over the timeline: incremental, case-insensitive (ASCII letters), over each
//! entry's text and source, within what the filter shows. It goes back in time from where
//! the screen is, as a war room reads a timeline: `n` finds the next match further back,
//! `N` the next one forward.

use super::timeline::{EntryRef, Filter, Timeline};

/// Longest search text, in characters.
pub const MAX: usize = 80;

/// A search, typed or done.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Search {
    /// What is searched for, as typed.
    pub query: String,
    /// Still being typed (the `/` line is open).
    pub editing: bool,
    /// The match shown: its absolute index (dropped + index) on the timeline.
    pub current: Option<u64>,
    /// Matches in the timeline when it was last searched, and which of them (counted from
    /// the oldest, from 1) is shown.
    pub total: usize,
    pub ordinal: usize,
}

impl Search {
    /// The query in the form [`find`] wants.
    #[must_use]
    pub fn needle(&self) -> String {
        self.query.to_ascii_lowercase()
    }
}

/// Where `needle` (already lower-cased) first occurs in `hay`, ignoring ASCII case: the byte
/// range of the match.
#[must_use]
pub fn find(hay: &str, needle: &str) -> Option<(usize, usize)> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let first = *n.first()?;
    if n.len() > h.len() {
        return None;
    }
    let last_start = h.len() - n.len();
    let mut from = 0;
    while from <= last_start {
        let i = from + memchr::memchr2(first, first.to_ascii_uppercase(), &h[from..=last_start])?;
        if h[i..i + n.len()]
            .iter()
            .zip(n)
            .all(|(a, b)| a.to_ascii_lowercase() == *b)
            && hay.is_char_boundary(i)
            && hay.is_char_boundary(i + n.len())
        {
            return Some((i, i + n.len()));
        }
        from = i + 1;
    }
    None
}

/// Whether an entry matches: in its text or its source.
#[must_use]
pub fn matches<'a>(e: impl std::borrow::Borrow<EntryRef<'a>>, needle: &str) -> bool {
    let e = e.borrow();
    find(e.text(), needle).is_some() || find(e.source, needle).is_some()
}

/// The match nearest to `from` going back (`back`: the newest index below `from`) or forward
/// (the oldest index above `from`), among the entries `filter` shows.
#[must_use]
pub fn step(
    tl: &Timeline,
    filter: &Filter,
    needle: &str,
    from: usize,
    back: bool,
) -> Option<usize> {
    let hit = |i: usize| {
        tl.get(i)
            .is_some_and(|e| filter.matches(e) && matches(e, needle))
    };
    if back {
        tl.iter_rev_from(from)
            .find(|(_, e)| filter.matches(e) && matches(e, needle))
            .map(|(i, _)| i)
    } else {
        (from.saturating_add(1)..tl.len()).find(|&i| hit(i))
    }
}

/// Matches in the timeline, and how many of them lie at or before index `at`.
#[must_use]
pub fn count(tl: &Timeline, filter: &Filter, needle: &str, at: usize) -> (usize, usize) {
    let mut total = 0;
    let mut upto = 0;
    for i in 0..tl.len() {
        if tl
            .get(i)
            .is_some_and(|e| filter.matches(e) && matches(e, needle))
        {
            total += 1;
            if i <= at {
                upto += 1;
            }
        }
    }
    (total, upto)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_ignoring_ascii_case_on_char_boundaries() {
        assert_eq!(find("Error Rate CRIT", "rate"), Some((6, 10)));
        assert_eq!(find("Error Rate CRIT", "crit"), Some((11, 15)));
        assert_eq!(find("Error", "errors"), None);
        assert_eq!(find("rollback — ok", "— o"), Some((9, 14)));
        assert_eq!(find("aaab", "ab"), Some((2, 4)));
        assert_eq!(find("", "a"), None);
        assert_eq!(find("abc", ""), None);
    }
}
