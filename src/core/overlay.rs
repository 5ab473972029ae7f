//! A metric configuration laid over a plan: with `--config`, the console reads its SLOs from
//! Prometheus and its alerts from Alertmanager, so the plan it shows is the control plane's
//! with the configuration's SLOs and gates in place of the plan's own.

use std::collections::BTreeMap;

use super::plan::{Direction, GateSpec, PlanSpec, SloSpec};
use super::severity::Severity;
use super::time::Span;
use super::words::format_value;

/// What a configuration changes in a plan. Built by `config::Config::overlay`.
#[derive(Clone, Debug, PartialEq)]
pub struct Overlay {
    /// The SLOs that replace the plan's (aggregate queries only: the gauges of `series =
    /// "each"` queries are added per series as they appear).
    pub slos: Vec<SloSpec>,
    /// How often samples come (the poll interval).
    pub interval: Span,
    /// Per wave id, the SLO ids that gate it.
    pub gates: BTreeMap<String, Vec<String>>,
    /// An Alertmanager is configured: "No critical alerts firing" gates every wave.
    pub alertmanager: bool,
    /// Pause the rollout when a rollback trigger fires.
    pub auto_pause: bool,
}

impl Overlay {
    /// The plan the console shows: the overlay's SLOs replace the plan's own, samples are
    /// expected every poll interval, and the waves' gates become the plan's checklist and
    /// alert gates, its SLO gates whose ids the overlay also defines, one gate per SLO named
    /// in `gates`, a page-level burn gate per SLO with a budget, and, with an Alertmanager,
    /// "No critical alerts firing" where the plan has no alert gate. Also returns what did
    /// not fit (a gated wave the plan does not have).
    #[must_use]
    pub fn apply(&self, plan: &PlanSpec) -> (PlanSpec, Vec<String>) {
        let mut p = plan.clone();
        let defined = |id: &Option<String>| {
            id.as_ref()
                .is_none_or(|id| self.slos.iter().any(|s| s.id == *id))
        };
        p.slos.clone_from(&self.slos);
        p.sample_interval = self.interval;
        let mut notes = Vec::new();
        for wave in self.gates.keys() {
            if !p.waves.iter().any(|w| w.id == *wave) {
                let ids: Vec<&str> = p.waves.iter().map(|w| w.id.as_str()).collect();
                notes.push(format!(
                    "[gates] names wave {wave:?}, which the plan does not have ({})",
                    ids.join(", ")
                ));
            }
        }
        for w in &mut p.waves {
            w.gates.retain(|g| defined(&g.slo) && defined(&g.burn));
            for id in self.gates.get(&w.id).into_iter().flatten() {
                if w.gates.iter().any(|g| g.slo.as_ref() == Some(id)) {
                    continue;
                }
                let Some(s) = self.slos.iter().find(|s| s.id == *id) else {
                    continue;
                };
                w.gates.push(GateSpec {
                    label: gate_label(s),
                    slo: Some(id.clone()),
                    allow: None,
                    check: None,
                    alerts: None,
                    burn: None,
                });
            }
            for s in self.slos.iter().filter(|s| s.budget.is_some()) {
                if !w.gates.iter().any(|g| g.burn.as_ref() == Some(&s.id)) {
                    w.gates.push(GateSpec {
                        label: format!("{}: error budget not burning at page level", s.name),
                        slo: None,
                        allow: None,
                        check: None,
                        alerts: None,
                        burn: Some(s.id.clone()),
                    });
                }
            }
            if self.alertmanager && !w.gates.iter().any(|g| g.alerts.is_some()) {
                w.gates.push(GateSpec {
                    label: "No critical alerts firing".into(),
                    slo: None,
                    allow: None,
                    check: None,
                    alerts: Some(Severity::Critical),
                    burn: None,
                });
            }
        }
        (p, notes)
    }
}

/// "Error Rate ≤ 5%": the gate an SLO sets, in the runbook's words (green while PASS).
fn gate_label(spec: &SloSpec) -> String {
    let op = match spec.direction {
        Direction::Lower => "≤",
        Direction::Higher => "≥",
    };
    format!(
        "{} {op} {}",
        spec.name,
        format_value(spec.warning, &spec.unit)
    )
}
