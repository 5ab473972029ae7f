//! The times at which a record added a timeline entry, in the one stretch between two
//! snapshots that a replay read again to find the next or previous event, packed: the gap to the previous time as a LEB128 varint (one or two bytes for
//! the gaps of a busy rollout), with the whole time at the start of every block of
//! [`BLOCK`] times, so a lookup is a binary search over the blocks and a walk through one.
//! A million times take about 2 MB, against 8 MB as a plain list.

use crate::core::time::Offset;

/// Times per block: a lookup decodes at most this many gaps.
const BLOCK: usize = 128;

#[derive(Default)]
pub struct EventTimes {
    /// The gaps, block after block (a block's first time is in `blocks`, not here).
    gaps: Vec<u8>,
    /// Each block's first time and where its gaps start in `gaps`.
    blocks: Vec<(Offset, usize)>,
    last: Option<Offset>,
    len: usize,
}

impl EventTimes {
    #[must_use]
    pub fn new() -> EventTimes {
        EventTimes::default()
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds `t`; a time already there, or one before the newest (records are in order, so
    /// only a caller's bug does that), is not added.
    pub fn push(&mut self, t: Offset) {
        match self.last {
            Some(last) if t <= last => return,
            Some(last) if !self.len.is_multiple_of(BLOCK) => {
                let mut gap = t.0.abs_diff(last.0);
                while gap >= 0x80 {
                    // The low seven bits, with the "more follows" bit.
                    self.gaps.push(u8::try_from(gap & 0x7f).unwrap_or(0) | 0x80);
                    gap >>= 7;
                }
                self.gaps.push(u8::try_from(gap).unwrap_or(0));
            }
            _ => self.blocks.push((t, self.gaps.len())),
        }
        self.last = Some(t);
        self.len += 1;
    }

    /// The times of block `b`, oldest first.
    fn block(&self, b: usize) -> impl Iterator<Item = Offset> + '_ {
        let (first, from) = self.blocks[b];
        let to = self.blocks.get(b + 1).map_or(self.gaps.len(), |n| n.1);
        let mut bytes = self.gaps[from..to].iter();
        let mut t = Some(first);
        std::iter::from_fn(move || {
            let now = t?;
            t = (|| {
                let (mut gap, mut shift) = (0u64, 0u32);
                loop {
                    let b = *bytes.next()?;
                    gap |= u64::from(b & 0x7f) << shift;
                    if b & 0x80 == 0 {
                        break;
                    }
                    shift += 7;
                }
                Some(Offset(
                    now.0.saturating_add(i64::try_from(gap).unwrap_or(i64::MAX)),
                ))
            })();
            Some(now)
        })
    }

    /// The first time after `t`.
    #[must_use]
    pub fn after(&self, t: Offset) -> Option<Offset> {
        // The last block starting at or before `t` holds the answer, or the next block's
        // first time does.
        let b = self.blocks.partition_point(|(first, _)| *first <= t);
        let found = b
            .checked_sub(1)
            .and_then(|b| self.block(b).find(|x| *x > t));
        found.or_else(|| self.blocks.get(b).map(|(first, _)| *first))
    }

    /// The last time before `t`.
    #[must_use]
    pub fn before(&self, t: Offset) -> Option<Offset> {
        let b = self
            .blocks
            .partition_point(|(first, _)| *first < t)
            .checked_sub(1)?;
        self.block(b).take_while(|x| *x < t).last()
    }

    /// Bytes held (for the memory benchmark).
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.gaps.capacity() + self.blocks.capacity() * std::mem::size_of::<(Offset, usize)>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What a plain sorted list answers.
    fn after(list: &[i64], t: i64) -> Option<Offset> {
        list.iter().find(|x| **x > t).map(|x| Offset(*x))
    }

    fn before(list: &[i64], t: i64) -> Option<Offset> {
        list.iter().rev().find(|x| **x < t).map(|x| Offset(*x))
    }

    #[test]
    fn empty_has_nothing_either_side() {
        let e = EventTimes::new();
        assert_eq!((e.after(Offset(0)), e.before(Offset(0))), (None, None));
        assert!(e.is_empty());
    }

    #[test]
    fn repeats_and_going_back_are_not_added() {
        let mut e = EventTimes::new();
        for t in [5, 5, 3, 9, 9, 12] {
            e.push(Offset(t));
        }
        assert_eq!(e.len(), 3);
        assert_eq!(e.after(Offset(5)), Some(Offset(9)));
        assert_eq!(e.before(Offset(12)), Some(Offset(9)));
        assert_eq!(e.before(Offset(5)), None);
        assert_eq!(e.after(Offset(12)), None);
    }

    #[test]
    fn large_gaps_and_negative_times_round_trip() {
        let mut e = EventTimes::new();
        let list: Vec<i64> = (0..1000)
            .map(|i: i64| -5_000_000_000 + i * i * 1_000_003)
            .collect();
        for t in &list {
            e.push(Offset(*t));
        }
        for probe in list.iter().flat_map(|t| [t - 1, *t, t + 1]) {
            assert_eq!(e.after(Offset(probe)), after(&list, probe), "after {probe}");
            assert_eq!(
                e.before(Offset(probe)),
                before(&list, probe),
                "before {probe}"
            );
        }
    }

    #[test]
    fn a_million_busy_times_take_about_two_bytes_each() {
        let mut e = EventTimes::new();
        for i in 0..1_000_000i64 {
            e.push(Offset(i * 1_700));
        }
        assert_eq!(e.len(), 1_000_000);
        assert!(e.heap_bytes() < 2_400_000, "{} bytes", e.heap_bytes());
        assert_eq!(
            e.after(Offset(1_700 * 500_000)),
            Some(Offset(1_700 * 500_001))
        );
    }

    proptest! {
        #[test]
        fn answers_as_a_sorted_list_does(
            mut list in proptest::collection::vec(-100_000i64..100_000, 0..600),
            probes in proptest::collection::vec(-110_000i64..110_000, 1..40),
        ) {
            list.sort_unstable();
            list.dedup();
            let mut e = EventTimes::new();
            for t in &list {
                e.push(Offset(*t));
            }
            prop_assert_eq!(e.len(), list.len());
            for p in probes.into_iter().chain(list.iter().copied()) {
                prop_assert_eq!(e.after(Offset(p)), after(&list, p));
                prop_assert_eq!(e.before(Offset(p)), before(&list, p));
            }
        }
    }
}
