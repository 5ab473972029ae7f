//! The rollout plan: what the fixture header and the live `hello` describe. Static for the
//! whole session; the state refers into it by index.

use serde::{Deserialize, Serialize};

use super::severity::Severity;
use super::time::{Epoch, Span};

/// How traffic moves from the old version to the new one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Percent-of-traffic waves (10 → 25 → 50 → 100 %).
    Canary,
    /// Phases ending in a cutover from one environment to the other.
    BlueGreen,
    /// Batches of sites or devices.
    Batches,
}

impl Strategy {
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Strategy::Canary => "canary",
            Strategy::BlueGreen => "blue-green",
            Strategy::Batches => "batches",
        }
    }

    /// Plural of [`Strategy::step_word`].
    #[must_use]
    pub fn steps_word(self) -> &'static str {
        match self {
            Strategy::Canary => "waves",
            Strategy::BlueGreen => "phases",
            Strategy::Batches => "batches",
        }
    }

    /// What one step of the pipeline is called on screen.
    #[must_use]
    pub fn step_word(self) -> &'static str {
        match self {
            Strategy::Canary => "wave",
            Strategy::BlueGreen => "phase",
            Strategy::Batches => "batch",
        }
    }
}

/// The rollout plan (the `rollout` object of a fixture header).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanSpec {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub service: String,
    pub from: String,
    pub to: String,
    pub strategy: Strategy,
    pub t0: Epoch,
    /// How often metric samples are expected; a gauge is stale after two missed intervals.
    #[serde(default = "default_interval")]
    pub sample_interval: Span,
    /// What the traffic share counts (`"%"` of requests by default, `"substations"`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traffic_unit: Option<String>,
    pub waves: Vec<WaveSpec>,
    #[serde(default)]
    pub slos: Vec<SloSpec>,
    #[serde(default)]
    pub checklist: Vec<Section>,
}

fn default_interval() -> Span {
    Span::from_secs(60)
}

/// One step of the pipeline.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaveSpec {
    pub id: String,
    pub name: String,
    /// Share of traffic (or of the fleet) on the new version while this wave is active.
    pub traffic: f64,
    /// Planned bake time before the wave may be promoted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bake: Option<Span>,
    /// Who or what this wave reaches ("25% of production users (beta group)").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Go/no-go gates: all must be green before the rollout leaves this wave for the next.
    #[serde(default)]
    pub gates: Vec<GateSpec>,
    /// Who moves the rollout on once this wave has baked with green gates: the conductor by
    /// itself (`auto`), or a person (`manual`). Absent in fixtures: nobody said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<Approval>,
}

/// Who advances a wave that has baked with every gate green.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Approval {
    /// The conductor advances on its own, as a command by `conductor` with the green gates
    /// as its reason.
    Auto,
    /// The conductor waits, saying "waiting for approval", until someone advances.
    Manual,
}

/// What a rollback trigger does when it fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    /// A critical line on every console's timeline; nothing else.
    Notify,
    /// Pause the current wave (a command by `conductor`, the trigger its reason).
    Pause,
    /// Roll the rollout back (a command by `conductor`, the trigger its reason).
    Rollback,
}

impl Policy {
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Policy::Notify => "notify",
            Policy::Pause => "pause",
            Policy::Rollback => "rollback",
        }
    }
}

/// A go/no-go criterion. Exactly one of `slo`, `check` and `alerts` is given.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateSpec {
    /// What the gate reads like in the runbook ("Error rate < 5%").
    pub label: String,
    /// An SLO id: green while the SLO's band is no worse than `allow`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slo: Option<String>,
    /// `"pass"` (default) or `"warn"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow: Option<AllowBand>,
    /// A checklist item id or section id: green when done (every required item, for a section).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    /// `"critical"` or `"warning"`: green while no alert of that severity or worse is firing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alerts: Option<Severity>,
    /// An SLO id with a budget: green while its error budget does not burn at page level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burn: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AllowBand {
    Pass,
    Warn,
}

/// Which way is good for an SLO.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Lower is better (error rate, latency): thresholds are upper limits.
    Lower,
    /// Higher is better (success rate): thresholds are lower limits.
    Higher,
}

/// A service-level objective the console watches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SloSpec {
    pub id: String,
    pub name: String,
    pub unit: String,
    pub direction: Direction,
    /// When set, samples are absolute (e.g. MB) and the thresholds are percent changes
    /// against this baseline ("+50 %").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<f64>,
    pub target: f64,
    pub warning: f64,
    pub critical: f64,
    #[serde(default)]
    pub triggers: Vec<TriggerSpec>,
    /// An availability objective for error-budget burn rates. The SLO's value is then read
    /// as the share of bad events: a percentage for unit `%` (the share of good events when
    /// higher is better), else a fraction between 0 and 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<Budget>,
}

/// An objective over a period, e.g. 99.9 % of events good over 30 days.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    /// Strictly between 0 and 1 (`0.999`); the error budget is `1 - objective`.
    pub objective: f64,
    pub period: Span,
}

/// A rollback trigger: "above X for D" (or below, for higher-is-better SLOs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriggerSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub above: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub below: Option<f64>,
    #[serde(rename = "for", default)]
    pub for_: Span,
    /// What the conductor does when it fires; absent: the consoles only show it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<Policy>,
}

/// A checklist section ("A. Infrastructure & environment").
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub id: String,
    pub title: String,
    pub items: Vec<ItemSpec>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemSpec {
    pub id: String,
    pub text: String,
    #[serde(default = "yes")]
    pub required: bool,
    /// The role that owns the item ("DBA", "Security Lead").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

fn yes() -> bool {
    true
}

/// A gate once resolved against the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GateRef {
    Slo {
        slo: usize,
        allow: AllowBand,
    },
    Item(usize, usize),
    Section(usize),
    Alerts(Severity),
    /// No page-level error-budget burn on this SLO.
    Burn(usize),
}

/// A validated plan with its ids resolved to indices.
#[derive(Clone, Debug)]
pub struct Plan {
    pub spec: PlanSpec,
    /// Per wave, per gate.
    pub gates: Vec<Vec<GateRef>>,
    /// Per section, per item: the first wave whose gates name it.
    gate_wave: Vec<Vec<Option<usize>>>,
    slo_ids: std::collections::HashMap<String, usize>,
    wave_ids: std::collections::HashMap<String, usize>,
    item_ids: std::collections::HashMap<String, (usize, usize)>,
}

/// A plan that does not hold together: `path` names the key (`slos[2].warning`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct PlanError {
    pub path: String,
    pub message: String,
}

fn err(path: impl Into<String>, message: impl Into<String>) -> PlanError {
    PlanError {
        path: path.into(),
        message: message.into(),
    }
}

impl Plan {
    /// What a live console holds before its first hello: no waves, no SLOs, no checklist.
    /// Not a plan anyone wrote (it would be refused): the view shows a connecting screen
    /// instead of panels while it is in place.
    #[must_use]
    pub fn placeholder() -> Plan {
        Plan {
            spec: PlanSpec {
                id: String::new(),
                title: None,
                service: String::new(),
                from: String::new(),
                to: String::new(),
                strategy: Strategy::Canary,
                t0: super::time::Epoch(time::OffsetDateTime::UNIX_EPOCH),
                sample_interval: Span::from_secs(60),
                traffic_unit: None,
                waves: Vec::new(),
                slos: Vec::new(),
                checklist: Vec::new(),
            },
            gates: Vec::new(),
            gate_wave: Vec::new(),
            slo_ids: std::collections::HashMap::new(),
            wave_ids: std::collections::HashMap::new(),
            item_ids: std::collections::HashMap::new(),
        }
    }

    /// Checks that ids are unique and references resolve, and that thresholds are ordered.
    ///
    /// # Errors
    /// The first problem found, with the key path that holds it.
    #[expect(
        clippy::too_many_lines,
        reason = "every check of a plan in one pass, each naming its key path"
    )]
    pub fn new(mut plan: PlanSpec) -> Result<Plan, PlanError> {
        use std::collections::HashMap;
        check_ids(&plan)?;
        plan.sanitize();
        if plan.sample_interval.0 <= 0 {
            return Err(err(
                "sample_interval",
                "must be longer than 0 (e.g. \"1m\")",
            ));
        }
        if plan.waves.is_empty() {
            return Err(err("waves", "a rollout needs at least one wave"));
        }
        let mut wave_ids = HashMap::new();
        for (i, w) in plan.waves.iter().enumerate() {
            if wave_ids.insert(w.id.clone(), i).is_some() {
                return Err(err(
                    format!("waves[{i}].id"),
                    format!("duplicate wave id {:?}", w.id),
                ));
            }
            if !w.traffic.is_finite() || w.traffic < 0.0 {
                return Err(err(
                    format!("waves[{i}].traffic"),
                    format!("{} is not a usable traffic share", w.traffic),
                ));
            }
            if w.traffic > 100.0 && plan.traffic_unit.is_none() {
                return Err(err(
                    format!("waves[{i}].traffic"),
                    format!("{} is not a percentage between 0 and 100", w.traffic),
                ));
            }
        }
        let mut slo_ids = HashMap::new();
        for (i, s) in plan.slos.iter().enumerate() {
            if slo_ids.insert(s.id.clone(), i).is_some() {
                return Err(err(
                    format!("slos[{i}].id"),
                    format!("duplicate SLO id {:?}", s.id),
                ));
            }
            validate_thresholds(i, s)?;
        }
        let mut item_ids = HashMap::new();
        let mut section_ids = HashMap::new();
        for (si, sec) in plan.checklist.iter().enumerate() {
            if section_ids.insert(sec.id.clone(), si).is_some() || item_ids.contains_key(&sec.id) {
                return Err(err(
                    format!("checklist[{si}].id"),
                    format!("duplicate section id {:?}", sec.id),
                ));
            }
            for (ii, item) in sec.items.iter().enumerate() {
                if item_ids.insert(item.id.clone(), (si, ii)).is_some()
                    || section_ids.contains_key(&item.id)
                {
                    return Err(err(
                        format!("checklist[{si}].items[{ii}].id"),
                        format!("duplicate checklist id {:?}", item.id),
                    ));
                }
            }
        }
        let mut gates = Vec::with_capacity(plan.waves.len());
        for (wi, w) in plan.waves.iter().enumerate() {
            let mut refs = Vec::with_capacity(w.gates.len());
            for (gi, g) in w.gates.iter().enumerate() {
                let path = format!("waves[{wi}].gates[{gi}]");
                let given = usize::from(g.slo.is_some())
                    + usize::from(g.check.is_some())
                    + usize::from(g.alerts.is_some())
                    + usize::from(g.burn.is_some());
                if given != 1 {
                    return Err(err(
                        path,
                        "a gate needs exactly one of \"slo\", \"check\", \"alerts\" or \"burn\"",
                    ));
                }
                let r = if let Some(id) = &g.slo {
                    let slo = *slo_ids.get(id).ok_or_else(|| {
                        err(format!("{path}.slo"), format!("no SLO {id:?} in the plan"))
                    })?;
                    GateRef::Slo {
                        slo,
                        allow: g.allow.unwrap_or(AllowBand::Pass),
                    }
                } else if let Some(id) = &g.check {
                    if let Some(&(s, i)) = item_ids.get(id) {
                        GateRef::Item(s, i)
                    } else if let Some(&s) = section_ids.get(id) {
                        GateRef::Section(s)
                    } else {
                        return Err(err(
                            format!("{path}.check"),
                            format!("no checklist item or section {id:?} in the plan"),
                        ));
                    }
                } else if let Some(id) = &g.burn {
                    let slo = *slo_ids.get(id).ok_or_else(|| {
                        err(format!("{path}.burn"), format!("no SLO {id:?} in the plan"))
                    })?;
                    if plan.slos[slo].budget.is_none() {
                        return Err(err(
                            format!("{path}.burn"),
                            format!("SLO {id:?} has no budget (objective and period)"),
                        ));
                    }
                    GateRef::Burn(slo)
                } else {
                    GateRef::Alerts(g.alerts.unwrap_or(Severity::Critical))
                };
                if g.allow.is_some() && g.slo.is_none() {
                    return Err(err(
                        format!("{path}.allow"),
                        "\"allow\" applies only to SLO gates",
                    ));
                }
                refs.push(r);
            }
            gates.push(refs);
        }
        let mut gate_wave = vec![Vec::new(); plan.checklist.len()];
        for (si, sec) in plan.checklist.iter().enumerate() {
            gate_wave[si] = vec![None; sec.items.len()];
        }
        for (wi, refs) in gates.iter().enumerate() {
            for r in refs {
                let cells: Vec<(usize, usize)> = match *r {
                    GateRef::Item(s, i) => vec![(s, i)],
                    GateRef::Section(s) => {
                        (0..plan.checklist[s].items.len()).map(|i| (s, i)).collect()
                    }
                    _ => Vec::new(),
                };
                for (s, i) in cells {
                    gate_wave[s][i].get_or_insert(wi);
                }
            }
        }
        Ok(Plan {
            spec: plan,
            gates,
            gate_wave,
            slo_ids,
            wave_ids,
            item_ids,
        })
    }

    /// Adds an SLO the plan did not list (one series of a query that returns several), and
    /// returns its index.
    ///
    /// # Errors
    /// The id is taken or not plain text, or its thresholds do not hold together.
    pub fn add_slo(&mut self, mut spec: SloSpec) -> Result<usize, PlanError> {
        let i = self.spec.slos.len();
        if self.slo_ids.contains_key(&spec.id)
            || spec.id.is_empty()
            || *super::sanitize::sanitize(&spec.id) != *spec.id
            || spec.id.chars().any(char::is_whitespace)
        {
            return Err(err(
                format!("slos[{i}].id"),
                format!("{:?} is taken or not plain printable text", spec.id),
            ));
        }
        validate_thresholds(i, &spec)?;
        spec.name = super::sanitize::sanitize(&spec.name).into();
        spec.unit = super::sanitize::sanitize(&spec.unit).into();
        self.slo_ids.insert(spec.id.clone(), i);
        self.spec.slos.push(spec);
        Ok(i)
    }

    /// The first wave whose go/no-go gates name this checklist item, if any. Such items block
    /// leaving that wave; all others block the start of the rollout.
    #[must_use]
    pub fn gate_wave(&self, section: usize, item: usize) -> Option<usize> {
        self.gate_wave
            .get(section)
            .and_then(|s| s.get(item))
            .copied()
            .flatten()
    }

    /// Index of an SLO by id. Plans have a handful of SLOs and waves: a scan beats hashing
    /// (this runs once per metric record).
    #[must_use]
    pub fn slo(&self, id: &str) -> Option<usize> {
        if self.spec.slos.len() <= 16 {
            self.spec.slos.iter().position(|s| s.id == id)
        } else {
            self.slo_ids.get(id).copied()
        }
    }

    #[must_use]
    pub fn wave(&self, id: &str) -> Option<usize> {
        if self.spec.waves.len() <= 16 {
            self.spec.waves.iter().position(|w| w.id == id)
        } else {
            self.wave_ids.get(id).copied()
        }
    }

    #[must_use]
    pub fn item(&self, id: &str) -> Option<(usize, usize)> {
        self.item_ids.get(id).copied()
    }

    /// "Batch Patches v1.0.0" or the id when there is no title.
    #[must_use]
    pub fn title(&self) -> &str {
        self.spec.title.as_deref().unwrap_or(&self.spec.id)
    }
}

/// Ids are matched against records byte for byte, so they must be plain printable text:
/// sanitising them would silently break the match.
fn check_ids(plan: &PlanSpec) -> Result<(), PlanError> {
    let bad = |id: &str| {
        id.is_empty()
            || *super::sanitize::sanitize(id) != *id
            || id.chars().any(char::is_whitespace)
    };
    let mut ids: Vec<(String, &str)> = Vec::new();
    ids.extend(
        plan.waves
            .iter()
            .enumerate()
            .map(|(i, w)| (format!("waves[{i}].id"), w.id.as_str())),
    );
    ids.extend(
        plan.slos
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("slos[{i}].id"), s.id.as_str())),
    );
    for (si, sec) in plan.checklist.iter().enumerate() {
        ids.push((format!("checklist[{si}].id"), sec.id.as_str()));
        ids.extend(
            sec.items
                .iter()
                .enumerate()
                .map(|(ii, it)| (format!("checklist[{si}].items[{ii}].id"), it.id.as_str())),
        );
    }
    match ids.into_iter().find(|(_, id)| bad(id)) {
        Some((path, id)) => Err(err(
            path,
            format!("id {id:?} must be non-empty printable text without spaces"),
        )),
        None => Ok(()),
    }
}

fn validate_thresholds(i: usize, s: &SloSpec) -> Result<(), PlanError> {
    for (key, v) in [
        ("target", s.target),
        ("warning", s.warning),
        ("critical", s.critical),
    ] {
        if !v.is_finite() {
            return Err(err(
                format!("slos[{i}].{key}"),
                format!("{v} is not a finite number"),
            ));
        }
    }
    let word = match s.direction {
        Direction::Lower => "above",
        Direction::Higher => "below",
    };
    let dir = match s.direction {
        Direction::Lower => "lower",
        Direction::Higher => "higher",
    };
    let worse = |a: f64, b: f64| match s.direction {
        Direction::Lower => a > b,
        Direction::Higher => a < b,
    };
    if worse(s.target, s.warning) {
        return Err(err(
            format!("slos[{i}].warning"),
            format!(
                "warning {} must not be better than target {} (direction \"{dir}\": worse is {word})",
                s.warning, s.target
            ),
        ));
    }
    if worse(s.warning, s.critical) {
        return Err(err(
            format!("slos[{i}].critical"),
            format!(
                "critical {} must not be better than warning {} (direction \"{dir}\": worse is {word})",
                s.critical, s.warning
            ),
        ));
    }
    if let Some(b) = s.baseline {
        if !(b.is_finite() && b > 0.0) {
            return Err(err(
                format!("slos[{i}].baseline"),
                format!("{b} is not a usable baseline (it must be above 0)"),
            ));
        }
    }
    if let Some(b) = s.budget {
        if !(b.objective > 0.0 && b.objective < 1.0) {
            return Err(err(
                format!("slos[{i}].budget.objective"),
                format!("{} is not strictly between 0 and 1", b.objective),
            ));
        }
        if b.period.0 <= 0 {
            return Err(err(
                format!("slos[{i}].budget.period"),
                "must be longer than 0 (e.g. \"30d\")",
            ));
        }
    }
    for (ti, t) in s.triggers.iter().enumerate() {
        match (t.above, t.below) {
            (Some(_), None) | (None, Some(_)) => {}
            _ => {
                return Err(err(
                    format!("slos[{i}].triggers[{ti}]"),
                    "a trigger needs exactly one of \"above\" or \"below\"",
                ))
            }
        }
    }
    Ok(())
}

impl PlanSpec {
    /// Makes every text the plan will put on screen safe to draw (see [`crate::core::sanitize`]).
    pub fn sanitize(&mut self) {
        use super::sanitize::sanitize as clean;
        let fix = |s: &mut String| {
            let c = clean(s);
            if *s != *c {
                *s = c.into();
            }
        };
        let fix_opt = |s: &mut Option<String>| {
            if let Some(x) = s.as_mut() {
                fix(x);
            }
        };
        for s in [
            &mut self.id,
            &mut self.service,
            &mut self.from,
            &mut self.to,
        ] {
            fix(s);
        }
        fix_opt(&mut self.title);
        fix_opt(&mut self.traffic_unit);
        for w in &mut self.waves {
            fix(&mut w.name);
            fix_opt(&mut w.target);
            for g in &mut w.gates {
                fix(&mut g.label);
            }
        }
        for s in &mut self.slos {
            fix(&mut s.name);
            fix(&mut s.unit);
        }
        for sec in &mut self.checklist {
            fix(&mut sec.title);
            for i in &mut sec.items {
                fix(&mut i.text);
                fix_opt(&mut i.owner);
            }
        }
    }
}
