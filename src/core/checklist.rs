//! Checklist progress: who ticked what and when, and the go/no-go verdict.

use serde::{Deserialize, Serialize};

use super::plan::{Plan, PlanSpec};
use super::time::Offset;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemState {
    pub status: ItemStatus,
    pub by: Option<Box<str>>,
    pub at: Option<Offset>,
    pub note: Option<Box<str>>,
}

impl Default for ItemState {
    fn default() -> Self {
        ItemState {
            status: ItemStatus::Open,
            by: None,
            at: None,
            note: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checklist {
    /// Per section, per item.
    pub items: Vec<Vec<ItemState>>,
}

/// Counts for a section or the whole list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub done: usize,
    pub total: usize,
    /// Required items not done or waived.
    pub open_required: usize,
    /// Required items not done or waived that block the rollout now: those no wave gate
    /// names, and those named by the gates of the current or an earlier wave.
    pub blocking: usize,
    pub failed: usize,
}

impl Checklist {
    #[must_use]
    pub fn new(plan: &PlanSpec) -> Checklist {
        Checklist {
            items: plan
                .checklist
                .iter()
                .map(|s| vec![ItemState::default(); s.items.len()])
                .collect(),
        }
    }

    /// Counts for section `s`, with `upto` the index of the current wave (`None` before the
    /// first).
    #[must_use]
    pub fn tally_section(&self, plan: &Plan, s: usize, upto: Option<usize>) -> Tally {
        let mut t = Tally::default();
        for (i, (spec, st)) in plan.spec.checklist[s]
            .items
            .iter()
            .zip(&self.items[s])
            .enumerate()
        {
            t.total += 1;
            if st.status.settled() {
                t.done += 1;
            } else if spec.required {
                t.open_required += 1;
                if plan
                    .gate_wave(s, i)
                    .is_none_or(|w| upto.is_some_and(|u| w <= u))
                {
                    t.blocking += 1;
                }
            }
            if st.status == ItemStatus::Failed {
                t.failed += 1;
            }
        }
        t
    }

    #[must_use]
    pub fn tally(&self, plan: &Plan, upto: Option<usize>) -> Tally {
        (0..self.items.len()).fold(Tally::default(), |a, s| {
            let t = self.tally_section(plan, s, upto);
            Tally {
                done: a.done + t.done,
                total: a.total + t.total,
                open_required: a.open_required + t.open_required,
                blocking: a.blocking + t.blocking,
                failed: a.failed + t.failed,
            }
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    Open,
    Done,
    Failed,
    Waived,
}

impl ItemStatus {
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            ItemStatus::Open => "open",
            ItemStatus::Done => "done",
            ItemStatus::Failed => "FAILED",
            ItemStatus::Waived => "waived",
        }
    }

    /// Done or waived: no longer blocks anything.
    #[must_use]
    pub fn settled(self) -> bool {
        matches!(self, ItemStatus::Done | ItemStatus::Waived)
    }
}
