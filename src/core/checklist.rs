//! Checklist progress: who ticked what and when, and the go/no-go verdict.

use super::plan::Plan;
use super::record::ItemStatus;
use super::time::Offset;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemState {
    pub status: ItemStatus,
    pub by: Option<Box<str>>,
    pub at: Option<Offset>,
    pub note: Option<Box<str>>,
}

impl Default for ItemState {
    fn default() -> Self {
        ItemState { status: ItemStatus::Open, by: None, at: None, note: None }
    }
}

#[derive(Clone, Debug)]
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
    pub blocking: usize,
    pub failed: usize,
}

impl Checklist {
    #[must_use]
    pub fn new(plan: &Plan) -> Checklist {
        Checklist { items: plan.checklist.iter().map(|s| vec![ItemState::default(); s.items.len()]).collect() }
    }

    #[must_use]
    pub fn tally_section(&self, plan: &Plan, s: usize) -> Tally {
        let mut t = Tally::default();
        for (spec, st) in plan.checklist[s].items.iter().zip(&self.items[s]) {
            t.total += 1;
            if st.status.settled() {
                t.done += 1;
            } else if spec.required {
                t.blocking += 1;
            }
            if st.status == ItemStatus::Failed {
                t.failed += 1;
            }
        }
        t
    }

    #[must_use]
    pub fn tally(&self, plan: &Plan) -> Tally {
        (0..self.items.len()).fold(Tally::default(), |a, s| {
            let t = self.tally_section(plan, s);
            Tally {
                done: a.done + t.done,
                total: a.total + t.total,
                blocking: a.blocking + t.blocking,
                failed: a.failed + t.failed,
            }
        })
    }
}
