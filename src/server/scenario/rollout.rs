//! The rollout itself: starting, bake clocks, sign-offs, advancing when the gates are green
//! and saying what blocks when they are not.

use crate::core::checklist::ItemStatus;
use crate::core::command::Action;
use crate::core::plan::{Approval, GateRef};
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
        if self.conducts() {
            return self.conduct_advance(t, out);
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
        if self.conducts() {
            return self.conduct_advance(t, out);
        }
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

    /// A planned rollout's next move: once the current wave has baked (or before the start)
    /// and every gate is green, an `auto` wave advances by a command of the conductor's, with
    /// the green gates as its reason; otherwise the conductor says, once per change, what it
    /// waits for.
    fn conduct_advance(&mut self, t: Offset, out: &mut Vec<Record>) {
        if self.start_at.is_some() {
            return;
        }
        let cur = self.state.current_wave();
        let mut bake_text = String::new();
        if let Some(w) = cur {
            if self.state.waves[w].status != WaveStatus::Active {
                return;
            }
            if let Some(bake) = self.plan.spec.waves[w].bake {
                if self.state.waves[w].baked(t) < bake {
                    return;
                }
                bake_text = format!("bake {bake} done; ");
            }
            // The bake's end is dealt with from here on: what moves next is an answer, a
            // sample, an alert or a tick, each of which comes back here.
            self.bake_noted = Some(w);
        } else if self.state.waves.iter().any(|w| w.since.is_some()) {
            return;
        }
        if self.busy() {
            return;
        }
        let target = cur.map_or(0, |w| w + 1);
        let mut blockers = self.blockers();
        if cur.is_none() {
            blockers.extend(self.unknown_health());
        }
        let green = blockers.is_empty();
        let auto = self.approval(cur.unwrap_or(0)) == Approval::Auto;
        let refused = self.conductor.auto_refused == Some(target);
        if green && auto && !refused {
            self.conductor.said = None;
            let gates: Vec<String> = self
                .state
                .next_gates()
                .into_iter()
                .map(|g| g.label)
                .collect();
            let reason = match cur {
                None => format!(
                    "approval auto: {}; starting {}",
                    gates.join(", "),
                    self.plan.spec.waves[0].name
                ),
                Some(_) if gates.is_empty() => format!("approval auto: {bake_text}no gates"),
                Some(_) => format!(
                    "approval auto: {bake_text}gates green: {}",
                    gates.join(", ")
                ),
            };
            self.conductor_command(Action::Advance, reason, out);
            return;
        }
        if self.conductor.said == Some((cur, green)) {
            return;
        }
        self.conductor.said = Some((cur, green));
        let text = match (cur, green) {
            (None, true) if refused => "The automatic start failed; waiting for a commander to \
                                        start the rollout"
                .to_string(),
            (None, true) => format!(
                "Ready to start {}: waiting for approval",
                self.plan.spec.waves[0].name
            ),
            (None, false) => format!("Not starting: {}", blockers.join("; ")),
            (Some(w), true) if refused => format!(
                "{} {bake_text}the automatic advance failed; waiting for approval",
                self.state.wave_label(w)
            ),
            (Some(w), true) => format!(
                "{} {bake_text}gates green: waiting for approval",
                self.state.wave_label(w)
            ),
            (Some(w), false) => format!(
                "{} {bake_text}holding, gates block: {}",
                self.state.wave_label(w),
                blockers.join("; ")
            ),
        };
        self.note(t, &text, out);
    }

    /// Before a conducted rollout starts by itself, every SLO it measures must have told how
    /// the service is: no data yet, or an SLO already critical, holds the automatic start (a
    /// person may still start it). Simulated values are always there.
    pub(super) fn unknown_health(&self) -> Vec<String> {
        if self.conduct.simulated {
            return Vec::new();
        }
        let mut waiting = Vec::new();
        let mut critical = Vec::new();
        for (spec, slo) in self.plan.spec.slos.iter().zip(&self.state.slos) {
            match slo.band() {
                crate::core::slo::Band::NoData => waiting.push(spec.name.as_str()),
                crate::core::slo::Band::Crit => critical.push(spec.name.as_str()),
                _ => {}
            }
        }
        let mut out = Vec::new();
        if !waiting.is_empty() {
            out.push(format!("no data yet from {}", waiting.join(", ")));
        }
        if !critical.is_empty() {
            out.push(format!("{} CRIT before the start", critical.join(", ")));
        }
        out
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
        let signoffs = if self.conducts() && !self.conduct.sign_offs {
            Vec::new()
        } else {
            self.signoffs()
        };
        for (section, item) in signoffs {
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
        // With nobody simulated to sign off, an open item blocks as much as a failed one.
        let people = self.conducts() && !self.conduct.sign_offs;
        let Some(w) = self.state.current_wave() else {
            let mut out = Vec::new();
            if people {
                let open: Vec<&str> = plan
                    .checklist
                    .iter()
                    .enumerate()
                    .flat_map(|(s, sec)| {
                        sec.items.iter().enumerate().map(move |(i, it)| (s, i, it))
                    })
                    .filter(|(s, i, it)| {
                        it.required
                            && self.plan.gate_wave(*s, *i).is_none()
                            && items[*s][*i].status == ItemStatus::Open
                    })
                    .map(|(_, _, it)| it.text.as_str())
                    .collect();
                match open.len() {
                    0 => {}
                    1 => out.push(format!("pre-deployment item {:?} open", open[0])),
                    n => out.push(format!(
                        "{n} required pre-deployment items open (first: {:?})",
                        open[0]
                    )),
                }
            }
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
                        GateRef::Item(..) | GateRef::Section(_) if people => true,
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
