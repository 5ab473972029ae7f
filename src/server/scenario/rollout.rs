//! The rollout itself: starting, bake clocks, sign-offs, advancing when the gates are green
//! and saying what blocks when they are not.

use crate::core::checklist::ItemStatus;
use crate::core::plan::GateRef;
use crate::core::record::{Body, Record};
use crate::core::source::CONTROL_PLANE;
use crate::core::time::Offset;
use crate::core::wave::WaveStatus;
use crate::server::scenario::Scenario;
use std::fmt::Write as _;

impl Scenario {
    /// When the current wave's bake completes, while that is still news.
    pub(super) fn bake_due(&self) -> Option<Offset> {
        let w = self.state.current_wave()?;
        if self.bake_noted == Some(w) || self.state.waves[w].status != WaveStatus::Active {
            return None;
        }
        let bake = self.plan.spec.waves[w].bake?;
        let left = bake
            .0
            .saturating_sub(self.state.waves[w].baked(self.clock).0);
        Some(Offset(self.clock.0.saturating_add(left.max(0))))
    }

    /// The automatic start (the demo's T0): sign-offs, then wave 1.
    pub(super) fn start(&mut self, t: Offset, out: &mut Vec<Record>) {
        if self.state.current_wave().is_some() {
            return;
        }
        let blockers = self.blockers();
        if blockers.is_empty() {
            self.advance(t, None, None, out);
        } else {
            let text = format!("Not starting: {}", blockers.join("; "));
            self.note(t, &text, out);
        }
    }

    /// After the current wave's bake: advance when allowed and green, or say why not (once).
    pub(super) fn consider_advance(&mut self, t: Offset, out: &mut Vec<Record>) {
        let Some(w) = self.state.current_wave() else {
            return;
        };
        if self.state.waves[w].status != WaveStatus::Active {
            return;
        }
        let Some(bake) = self.plan.spec.waves[w].bake else {
            return;
        };
        if self.state.waves[w].baked(t) < bake {
            return;
        }
        let news = self.bake_noted != Some(w);
        self.bake_noted = Some(w);
        let blockers = self.blockers();
        let label = self.state.wave_label(w);
        if self.auto_advance && blockers.is_empty() {
            let last = w + 1 == self.plan.spec.waves.len();
            let text = if last {
                format!("bake {bake} done, gates green: rollout complete")
            } else {
                format!("bake {bake} done, gates green")
            };
            self.advance(t, None, Some(text.into()), out);
        } else if news {
            let text = match (self.auto_advance, blockers.is_empty()) {
                (true, _) => format!(
                    "{label} bake {bake} done; holding, gates block: {}",
                    blockers.join("; ")
                ),
                (false, true) => format!("{label} bake {bake} done; gates green, ready to advance"),
                (false, false) => format!(
                    "{label} bake {bake} done; gates block: {}",
                    blockers.join("; ")
                ),
            };
            self.note(t, &text, out);
        }
    }

    /// Sign-offs of what the gates ask, the current wave passed, the next one active (or, on
    /// the last wave, the rollout complete).
    pub(super) fn advance(
        &mut self,
        t: Offset,
        by: Option<Box<str>>,
        text: Option<Box<str>>,
        out: &mut Vec<Record>,
    ) {
        for (section, item) in self.signoffs() {
            let owner = self.plan.spec.checklist[section].items[item]
                .owner
                .as_deref()
                .map(Box::from);
            self.emit(
                t,
                CONTROL_PLANE,
                Body::Check {
                    section,
                    item,
                    state: ItemStatus::Done,
                    by: owner,
                    text: None,
                },
                out,
            );
        }
        let next = match self.state.current_wave() {
            None => Some(0),
            Some(w) => {
                self.emit(
                    t,
                    CONTROL_PLANE,
                    Body::Wave {
                        wave: w,
                        state: WaveStatus::Passed,
                        traffic: None,
                        by: by.clone(),
                        text,
                    },
                    out,
                );
                Some(w + 1).filter(|n| *n < self.plan.spec.waves.len())
            }
        };
        if let Some(n) = next {
            let spec = &self.plan.spec.waves[n];
            let mut text = format!(
                "{} → {}",
                self.state.traffic_label(self.state.traffic),
                self.state.traffic_label(spec.traffic)
            );
            if let Some(target) = &spec.target {
                let _ = write!(text, ": {target}");
            }
            let traffic = Some(spec.traffic);
            self.emit(
                t,
                CONTROL_PLANE,
                Body::Wave {
                    wave: n,
                    state: WaveStatus::Active,
                    traffic,
                    by,
                    text: Some(text.into()),
                },
                out,
            );
        }
    }

    /// The open checklist items standing between here and the next wave, which the
    /// scenario's people sign off just before it moves: the pre-deployment items before the
    /// start, the current wave's go/no-go items after it. Failed items stay failed.
    pub(super) fn signoffs(&self) -> Vec<(usize, usize)> {
        let plan = &self.plan;
        let items = &self.state.checklist.items;
        let open = |s: usize, i: usize| items[s][i].status == ItemStatus::Open;
        let mut out = Vec::new();
        match self.state.current_wave() {
            None => {
                for (s, sec) in items.iter().enumerate() {
                    for i in 0..sec.len() {
                        if plan.gate_wave(s, i).is_none() && open(s, i) {
                            out.push((s, i));
                        }
                    }
                }
            }
            Some(w) => {
                for g in &plan.gates[w] {
                    let cells: Vec<(usize, usize)> = match *g {
                        GateRef::Item(s, i) => vec![(s, i)],
                        GateRef::Section(s) => (0..items[s].len()).map(|i| (s, i)).collect(),
                        GateRef::Slo { .. } | GateRef::Alerts(_) | GateRef::Burn(_) => Vec::new(),
                    };
                    for (s, i) in cells {
                        if open(s, i) && !out.contains(&(s, i)) {
                            out.push((s, i));
                        }
                    }
                }
            }
        }
        out
    }

    /// What blocks the next move once the open items are signed off: metric and alert gates
    /// that are not green, and checklist gates holding a failed item. "label (why)" each.
    pub(super) fn blockers(&self) -> Vec<String> {
        let plan = &self.plan.spec;
        let items = &self.state.checklist.items;
        let failed = |s: usize, i: usize| items[s][i].status == ItemStatus::Failed;
        let Some(w) = self.state.current_wave() else {
            let mut out = Vec::new();
            for (s, sec) in plan.checklist.iter().enumerate() {
                for (i, item) in sec.items.iter().enumerate() {
                    if item.required && self.plan.gate_wave(s, i).is_none() && failed(s, i) {
                        out.push(format!("pre-deployment item {:?} FAILED", item.text));
                    }
                }
            }
            return out;
        };
        self.state
            .next_gates()
            .into_iter()
            .zip(&self.plan.gates[w])
            .filter(|(r, g)| {
                !r.green
                    && match **g {
                        GateRef::Slo { .. } | GateRef::Alerts(_) | GateRef::Burn(_) => true,
                        GateRef::Item(s, i) => failed(s, i),
                        GateRef::Section(s) => plan.checklist[s]
                            .items
                            .iter()
                            .enumerate()
                            .any(|(i, it)| it.required && failed(s, i)),
                    }
            })
            .map(|(r, _)| match r.why {
                Some(why) => format!("{} ({why})", r.label),
                None => r.label,
            })
            .collect()
    }
}
