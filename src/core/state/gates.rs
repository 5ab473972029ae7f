//! The go/no-go gates between the rollout and its next wave: the one home of gate logic.

use crate::core::checklist::Tally;
use crate::core::plan::{AllowBand, GateRef};
use crate::core::severity::Severity;
use crate::core::slo::Band;
use crate::core::state::State;
use crate::core::words::burn_label;

impl State {
    /// Readings of the gates that stand between the rollout and its next wave: the current
    /// wave's go/no-go gates, or, before the first wave, the checklist's required items.
    #[must_use]
    pub fn next_gates(&self) -> Vec<GateReading> {
        let plan = &self.plan.spec;
        let Some(cur) = self.current_wave() else {
            let t = self.tally();
            return vec![GateReading {
                label: "Pre-deployment checklist complete".into(),
                green: t.blocking == 0,
                why: (t.blocking > 0).then(|| format!("{} required items open", t.blocking)),
                live: false,
            }];
        };
        plan.waves[cur]
            .gates
            .iter()
            .zip(&self.plan.gates[cur])
            .map(|(spec, g)| {
                let why = self.gate_blocker(*g);
                GateReading {
                    label: spec.label.clone(),
                    green: why.is_none(),
                    why,
                    live: matches!(
                        g,
                        GateRef::Slo { .. } | GateRef::Alerts(_) | GateRef::Burn(_)
                    ),
                }
            })
            .collect()
    }

    /// How many gates [`State::next_gates`] reads, without reading them.
    #[must_use]
    pub fn gate_count(&self) -> usize {
        self.current_wave()
            .map_or(1, |w| self.plan.spec.waves[w].gates.len())
    }

    /// The gates in the order the screen lists them: blocking ones first, and of those the
    /// ones that change under the room's eyes (metrics, alerts) before checklist ones.
    #[must_use]
    pub fn gates_sorted(&self) -> Vec<GateReading> {
        let mut g = self.next_gates();
        g.sort_by_key(|r| (r.green, !r.live));
        g
    }

    pub(super) fn gate_blocker(&self, g: GateRef) -> Option<String> {
        let plan = &self.plan.spec;
        match g {
            GateRef::Slo { slo, allow } => {
                let band = self.slos[slo].band();
                let ok = match allow {
                    AllowBand::Pass => band == Band::Pass,
                    AllowBand::Warn => matches!(band, Band::Pass | Band::Warn),
                };
                (!ok).then(|| format!("{} {}", plan.slos[slo].name, band.word()))
            }
            GateRef::Item(s, i) => {
                // An optional item never blocks: the checklist does not count it either.
                let required = plan.checklist[s].items[i].required;
                let st = self.checklist.items[s][i].status;
                (required && !st.settled()).then(|| format!("item {}", st.word()))
            }
            GateRef::Section(s) => {
                let t = self.checklist.tally_section(&self.plan, s, None);
                (t.open_required > 0).then(|| format!("{} of {} open", t.open_required, t.total))
            }
            GateRef::Burn(slo) => {
                let b = self.slos[slo].burn.as_deref()?;
                b.pages().then(|| {
                    format!(
                        "{} budget burning at PAGE level ({})",
                        plan.slos[slo].name,
                        burn_label(b)
                    )
                })
            }
            GateRef::Alerts(sev) => {
                if let Some(down) = self.alert_source_down() {
                    return Some(format!("alerts unknown: {down} not answering"));
                }
                // Counted and worded as the header and the alerts list count them.
                let n = self.alert_counts();
                let plural = |k: usize| if k == 1 { "" } else { "s" };
                match (n.crit, if sev <= Severity::Warning { n.warn } else { 0 }) {
                    (0, 0) if sev == Severity::Info && self.firing(sev) > 0 => {
                        let k = self.firing(sev);
                        Some(format!("{k} info alert{} firing", plural(k)))
                    }
                    (0, 0) => None,
                    (c, 0) => Some(format!("{c} crit alert{} firing", plural(c))),
                    (0, w) => Some(format!("{w} warn alert{} firing", plural(w))),
                    (c, w) => Some(format!(
                        "{c} crit alert{} and {w} warn alert{} firing",
                        plural(c),
                        plural(w)
                    )),
                }
            }
        }
    }

    /// Checklist counts as they stand for the current wave.
    #[must_use]
    pub fn tally(&self) -> Tally {
        self.checklist.tally(&self.plan, self.current_wave())
    }
}

/// A gate's current reading.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateReading {
    pub label: String,
    pub green: bool,
    /// Why it is not green ("P99 latency WARN", "3 items open").
    pub why: Option<String>,
    /// Metric and alert gates come before checklist gates when listing blockers: they are the
    /// ones that change under the room's eyes.
    pub live: bool,
}
