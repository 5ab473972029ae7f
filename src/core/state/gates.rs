//! The go/no-go gates between the rollout and its next wave: the one home of gate logic.

use crate::core::checklist::Tally;
use crate::core::plan::{AllowBand, GateRef};
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
                let n = self.firing(sev);
                (n > 0).then(|| {
                    format!(
                        "{n} {} alert{} firing",
                        sev.word(),
                        if n == 1 { "" } else { "s" }
                    )
                })
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
