//! The plan file (`warroom serve --plan FILE`, `warroom plan check FILE`): one human-written
//! TOML file that describes a whole rollout — its waves and their gates, the SLOs and where
//! their values come from, rollback triggers with what to do when they fire, the checklist,
//! and the actuator that moves real traffic. docs/plan-format.md is the reference.
//!
//! Pure: reading the file and any secret it names is the shell's. Every refusal names the key
//! path and the value, and the line where the file has it.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use reqwest::Url;
use serde::Deserialize;

use super::line::with_line;
use super::parse::{
    http_url, positive, secret, serde_message, RawAlertmanager, RawPrometheus, RawSlo,
};
use super::{Config, Secret, SeriesMode};
use crate::core::plan::{
    AllowBand, Approval, Direction, GateSpec, ItemSpec, Plan, PlanSpec, Policy, Section, SloSpec,
    Strategy, TriggerSpec, WaveSpec,
};
use crate::core::sanitize::sanitize;
use crate::core::severity::Severity;
use crate::core::time::{Epoch, Span};

/// A checked plan file.
#[derive(Clone, Debug)]
pub struct PlanFile {
    /// The rollout as consoles see it. T0 is a placeholder: the conductor sets it when it
    /// starts.
    pub plan: Plan,
    /// Rollback triggers, in file order.
    pub triggers: Vec<Trigger>,
    /// Where SLO values and alerts come from; `None` when nothing is polled (the simulation
    /// makes them, or the plan has no SLOs).
    pub sources: Option<Config>,
    pub actuator: ActuatorSpec,
}

/// A rollback trigger and what the conductor does when it fires.
#[derive(Clone, Debug, PartialEq)]
pub struct Trigger {
    /// How it reads on the timeline ("Error rate > 10% for > 5min").
    pub label: String,
    pub when: When,
    pub policy: Policy,
    /// The waves it watches (indices); every wave when the file does not say.
    pub waves: Option<Vec<usize>>,
}

/// What fires a trigger.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum When {
    /// The SLO's trigger `index` (in the plan's `slos[slo].triggers`) fired: the consoles show
    /// its breach clock counting.
    Slo { slo: usize, index: usize },
    /// An alert of this severity or worse has been firing for `for_`.
    Alerts { severity: Severity, for_: Span },
}

/// What moves the traffic.
#[derive(Clone, Debug, PartialEq)]
pub enum ActuatorSpec {
    /// Simulated traffic and metrics in this process: nothing to set up.
    Simulate {
        seed: u64,
        /// A fault that develops in a wave: the error rate ramps up `after` its start.
        fault: Option<FaultSpec>,
        /// Simulated people sign off the open checklist items just before each move.
        sign_offs: bool,
    },
    /// One command per verb (an argument list, never a shell line).
    Exec {
        /// Per verb; advance and rollback are always present.
        verbs: BTreeMap<Verb, Vec<String>>,
        /// Reads the target back after a restart: exit 0, the command's change is there;
        /// exit 1, it is not; anything else, it cannot tell.
        observe: Option<Vec<String>>,
        timeout: Span,
        /// Relative program paths (with a `/`) are resolved against it: the plan's directory.
        dir: PathBuf,
    },
    /// An HTTP POST per command, signed, with the command id as idempotency key.
    Webhook {
        url: Url,
        secret: Option<Secret>,
        timeout: Span,
        /// Attempts after the first, on timeouts and 5xx.
        retries: u32,
    },
    /// A feature flag's gradual rollout in Unleash.
    Unleash {
        url: Url,
        token: Secret,
        project: String,
        environment: String,
        feature: String,
        /// How often Unleash's event log is read for changes made outside warroom.
        poll: Span,
        timeout: Span,
    },
}

impl ActuatorSpec {
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            ActuatorSpec::Simulate { .. } => "simulate",
            ActuatorSpec::Exec { .. } => "exec",
            ActuatorSpec::Webhook { .. } => "webhook",
            ActuatorSpec::Unleash { .. } => "unleash",
        }
    }
}

/// A scripted fault for the simulation.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultSpec {
    pub wave: usize,
    pub after: Span,
    pub ramp: Span,
}

pub use crate::core::command::Verb;

/// A refused plan file: `{file}: line N: key.path: what and the value`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {}", sanitize(.file), sanitize(.message))]
pub struct PlanFileError {
    pub file: String,
    pub message: String,
}

/// Reads and checks a plan file; errors are labelled with `path` as given. Relative program
/// paths of an `exec` actuator are resolved against the file's directory.
///
/// # Errors
/// An unreadable file, or anything [`parse`] refuses.
pub fn load(path: &Path) -> Result<PlanFile, PlanFileError> {
    let label = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| PlanFileError {
        file: label.clone(),
        message: format!("cannot read: {e}"),
    })?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    parse(&label, &text, &dir)
}

/// Parses and checks plan text; `file_label` opens every error message and `dir` is where
/// relative program paths are resolved.
///
/// # Errors
/// The first problem found, with its line, key path and the offending value.
pub fn parse(file_label: &str, text: &str, dir: &Path) -> Result<PlanFile, PlanFileError> {
    let fail = |message: String| PlanFileError {
        file: file_label.into(),
        message,
    };
    let de = toml::Deserializer::parse(text).map_err(|e| fail(serde_message(text, &e, None)))?;
    let raw: RawPlan = serde_path_to_error::deserialize(crate::format::strict::Strict(de))
        .map_err(|e| fail(serde_message(text, e.inner(), Some(e.path()))))?;
    raw.check(dir)
        .map_err(|message| fail(with_line(text, message)))
}

// ---------------------------------------------------------------------------------------
// The file as written.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlan {
    rollout: Option<RawRollout>,
    #[serde(default)]
    wave: Vec<RawWave>,
    prometheus: Option<RawPrometheus>,
    #[serde(default)]
    slo: Vec<RawSlo>,
    alertmanager: Option<RawAlertmanager>,
    #[serde(default)]
    trigger: Vec<RawTrigger>,
    #[serde(default)]
    checklist: Vec<RawSection>,
    actuator: Option<RawActuator>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRollout {
    id: String,
    title: Option<String>,
    service: String,
    from: String,
    to: String,
    strategy: Strategy,
    traffic_unit: Option<String>,
    sample_interval: Option<Span>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWave {
    id: String,
    name: String,
    traffic: f64,
    bake: Option<Span>,
    target: Option<String>,
    approval: Option<Approval>,
    #[serde(default)]
    gates: Vec<RawGate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGate {
    label: Option<String>,
    slo: Option<String>,
    allow: Option<AllowBand>,
    check: Option<String>,
    alerts: Option<Severity>,
    burn: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrigger {
    label: Option<String>,
    slo: Option<String>,
    above: Option<f64>,
    below: Option<f64>,
    alerts: Option<Severity>,
    #[serde(rename = "for", default)]
    for_: Span,
    policy: Policy,
    waves: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSection {
    id: String,
    title: String,
    #[serde(default)]
    item: Vec<RawItem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    id: String,
    text: String,
    #[serde(default = "yes")]
    required: bool,
    owner: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawActuator {
    kind: String,
    // simulate
    seed: Option<u64>,
    fault: Option<RawFault>,
    sign_offs: Option<bool>,
    // exec
    advance: Option<Vec<String>>,
    pause: Option<Vec<String>>,
    resume: Option<Vec<String>>,
    rollback: Option<Vec<String>>,
    observe: Option<Vec<String>>,
    // exec, webhook, unleash
    timeout: Option<Span>,
    // webhook, unleash
    url: Option<String>,
    // webhook
    secret_env: Option<String>,
    secret_file: Option<PathBuf>,
    retries: Option<u32>,
    // unleash
    token_env: Option<String>,
    token_file: Option<PathBuf>,
    project: Option<String>,
    environment: Option<String>,
    feature: Option<String>,
    poll: Option<Span>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFault {
    wave: String,
    after: Span,
    #[serde(default = "default_ramp")]
    ramp: Span,
}

fn default_ramp() -> Span {
    Span::from_secs(20)
}

/// Most retries a webhook may ask for.
const MAX_RETRIES: u32 = 10;
/// Longest actuator timeout: a command nobody hears back from for longer is lost to the room.
const MAX_TIMEOUT: Span = Span::from_secs(600);

// ---------------------------------------------------------------------------------------
// Checks. Each returns the message after the file label.

impl RawPlan {
    fn check(self, dir: &Path) -> Result<PlanFile, String> {
        let rollout = self
            .rollout
            .ok_or("rollout: missing [rollout] section (id, service, from, to, strategy)")?;
        let actuator_raw = self.actuator.ok_or(
            "actuator: missing [actuator] section (kind = \"exec\", \"webhook\", \"unleash\" or \
             \"simulate\")",
        )?;
        let simulated = actuator_raw.kind == "simulate";
        if self.wave.is_empty() {
            return Err("wave: no [[wave]] entries (a rollout needs at least one)".into());
        }
        if simulated && self.prometheus.is_some() {
            let why = "prometheus: kind = \"simulate\" makes the SLO values up, and polling \
                       [prometheus] as well would fight it: leave out [prometheus] (and the SLO \
                       queries), or use another actuator";
            return Err(why.into());
        }
        let prometheus = self.prometheus.map(RawPrometheus::check).transpose()?;
        let alertmanager = self.alertmanager.map(RawAlertmanager::check).transpose()?;
        let slos = check_slos(self.slo, prometheus.is_some())?;
        if prometheus.is_none() && !simulated && !slos.is_empty() {
            return Err(format!(
                "slo[0]: SLO {:?} has nowhere to read its values from: add a [prometheus] \
                 section with a query per SLO (only the simulate actuator makes values up)",
                slos[0].spec.id
            ));
        }
        if prometheus.is_some() && slos.is_empty() {
            return Err("prometheus: a [prometheus] section but no [[slo]] to query".into());
        }
        let sample_interval = sample_interval(prometheus.as_ref(), rollout.sample_interval)?;
        let checklist = checklist_of(self.checklist);
        let alerts_known = alertmanager.is_some() || simulated;
        let waves = check_waves(self.wave, &slos, &checklist, alerts_known)?;
        let mut slo_specs: Vec<SloSpec> = slos.iter().map(|s| s.spec.clone()).collect();
        let triggers = check_triggers(self.trigger, &mut slo_specs, &waves, alerts_known)?;
        let spec = PlanSpec {
            id: rollout.id,
            title: rollout.title,
            service: rollout.service,
            from: rollout.from,
            to: rollout.to,
            strategy: rollout.strategy,
            t0: Epoch(time::OffsetDateTime::UNIX_EPOCH),
            sample_interval,
            traffic_unit: rollout.traffic_unit,
            waves,
            slos: slo_specs,
            checklist,
        };
        let plan = Plan::new(spec).map_err(|e| format!("{}: {}", file_path(&e.path), e.message))?;
        if !simulated {
            gate_slos_known(&plan, &slos)?;
        }
        let actuator = actuator_raw.check(&plan, dir)?;
        let sources = prometheus.map(|prometheus| Config {
            prometheus,
            slos,
            alertmanager,
            gates: BTreeMap::new(),
            auto_pause: false,
        });
        Ok(PlanFile {
            plan,
            triggers,
            sources,
            actuator,
        })
    }
}

/// Samples come every `prometheus.interval` when the plan polls; otherwise every
/// `rollout.sample_interval` (15 s unless given).
fn sample_interval(
    prometheus: Option<&super::Prometheus>,
    given: Option<Span>,
) -> Result<Span, String> {
    match (prometheus, given) {
        (Some(p), None) => Ok(p.interval),
        (Some(_), Some(_)) => Err(
            "rollout.sample_interval: samples come every prometheus.interval \
                                    when [prometheus] is given; leave this out"
                .into(),
        ),
        (None, Some(s)) => {
            positive("rollout.sample_interval", s, "15s")?;
            Ok(s)
        }
        (None, None) => Ok(Span::from_secs(15)),
    }
}

fn checklist_of(raw: Vec<RawSection>) -> Vec<Section> {
    raw.into_iter()
        .map(|s| Section {
            id: s.id,
            title: s.title,
            items: s
                .item
                .into_iter()
                .map(|i| ItemSpec {
                    id: i.id,
                    text: i.text,
                    required: i.required,
                    owner: i.owner,
                })
                .collect(),
        })
        .collect()
}

/// Every SLO or burn gate names an SLO the plan polls.
fn gate_slos_known(plan: &Plan, slos: &[super::Slo]) -> Result<(), String> {
    for (wi, w) in plan.spec.waves.iter().enumerate() {
        for (gi, g) in w.gates.iter().enumerate() {
            let Some(id) = g.slo.as_ref().or(g.burn.as_ref()) else {
                continue;
            };
            if !slos.iter().any(|s| &s.spec.id == id) {
                return Err(format!("wave[{wi}].gates[{gi}]: no SLO {id:?}"));
            }
        }
    }
    Ok(())
}

fn check_slos(raw: Vec<RawSlo>, polled: bool) -> Result<Vec<super::Slo>, String> {
    let mut slos = Vec::with_capacity(raw.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, raw) in raw.into_iter().enumerate() {
        let slo = raw.check(i, polled)?;
        if let Some(first) = seen.insert(slo.spec.id.clone(), i) {
            return Err(format!(
                "slo[{i}].id: duplicate SLO id {:?} (also slo[{first}].id)",
                slo.spec.id
            ));
        }
        if !slo.spec.triggers.is_empty() {
            return Err(format!(
                "slo[{i}].triggers: in a plan file, rollback triggers are [[trigger]] \
                     tables with a policy (slo = {:?}, above or below, for, policy)",
                slo.spec.id
            ));
        }
        if slo.series == SeriesMode::Each {
            return Err(format!(
                "slo[{i}].series: \"each\" makes one gauge per series on a console; a \
                     planned rollout gates and triggers on SLOs that aggregate to one value"
            ));
        }
        slos.push(slo);
    }
    Ok(slos)
}

fn check_waves(
    raw: Vec<RawWave>,
    slos: &[super::Slo],
    checklist: &[Section],
    alerts_known: bool,
) -> Result<Vec<WaveSpec>, String> {
    let mut waves = Vec::with_capacity(raw.len());
    for (wi, w) in raw.into_iter().enumerate() {
        if let Some(b) = w.bake {
            if b.0 < 0 {
                return Err(format!("wave[{wi}].bake: \"{b}\" is negative"));
            }
        }
        let mut gates = Vec::with_capacity(w.gates.len());
        for (gi, g) in w.gates.into_iter().enumerate() {
            let at = format!("wave[{wi}].gates[{gi}]");
            let kinds = [
                g.slo.is_some(),
                g.check.is_some(),
                g.alerts.is_some(),
                g.burn.is_some(),
            ];
            if kinds.iter().filter(|&&k| k).count() != 1 {
                return Err(format!(
                    "{at}: a gate needs exactly one of \"slo\", \"check\", \"alerts\" or \"burn\""
                ));
            }
            if g.alerts.is_some() && !alerts_known {
                return Err(format!(
                    "{at}.alerts: an alert gate needs an [alertmanager] to read alerts from"
                ));
            }
            let label = match g.label {
                Some(l) if l.trim().is_empty() => {
                    return Err(format!("{at}.label: {l:?} is empty"))
                }
                Some(l) => l,
                None => gate_label(&g, slos, checklist),
            };
            gates.push(GateSpec {
                label,
                slo: g.slo,
                allow: g.allow,
                check: g.check,
                alerts: g.alerts,
                burn: g.burn,
            });
        }
        waves.push(WaveSpec {
            id: w.id,
            name: w.name,
            traffic: w.traffic,
            bake: w.bake,
            target: w.target,
            gates,
            approval: Some(w.approval.unwrap_or(Approval::Manual)),
        });
    }
    Ok(waves)
}

/// The waves a trigger watches, by index; `None`: every wave.
fn trigger_waves(
    at: &str,
    ids: Option<&[String]>,
    waves: &[WaveSpec],
) -> Result<Option<Vec<usize>>, String> {
    let Some(ids) = ids else { return Ok(None) };
    if ids.is_empty() {
        return Err(format!(
            "{at}.waves: [] watches no wave (leave it out to watch every wave)"
        ));
    }
    ids.iter()
        .enumerate()
        .map(|(k, id)| {
            waves
                .iter()
                .position(|w| w.id == *id)
                .ok_or_else(|| format!("{at}.waves[{k}]: no wave {id:?} in the plan"))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn check_triggers(
    raw: Vec<RawTrigger>,
    slo_specs: &mut [SloSpec],
    waves: &[WaveSpec],
    alerts_known: bool,
) -> Result<Vec<Trigger>, String> {
    let mut triggers = Vec::with_capacity(raw.len());
    for (ti, t) in raw.into_iter().enumerate() {
        let at = format!("trigger[{ti}]");
        let waves_of = trigger_waves(&at, t.waves.as_deref(), waves)?;
        let (when, label) = match (&t.slo, t.alerts) {
            (Some(id), None) => slo_trigger(&at, id, &t, slo_specs)?,
            (None, Some(severity)) => alert_trigger(&at, severity, &t, alerts_known)?,
            _ => {
                return Err(format!(
                    "{at}: a trigger needs exactly one of \"slo\" (with above or below) or \
                         \"alerts\" (a severity)"
                ))
            }
        };
        if t.for_.0 < 0 {
            return Err(format!("{at}.for: \"{}\" is negative", t.for_));
        }
        triggers.push(Trigger {
            label,
            when,
            policy: t.policy,
            waves: waves_of,
        });
    }
    Ok(triggers)
}

/// An SLO trigger: its SLO, exactly one of above or below, on the side where the SLO gets
/// worse. Adds it to the SLO's triggers, where the consoles count its breach clock.
fn slo_trigger(
    at: &str,
    id: &str,
    t: &RawTrigger,
    slo_specs: &mut [SloSpec],
) -> Result<(When, String), String> {
    let slo = slo_specs
        .iter()
        .position(|s| s.id == id)
        .ok_or_else(|| format!("{at}.slo: no SLO {id:?} in the plan"))?;
    let (which, v) = match (t.above, t.below) {
        (Some(v), None) => ("above", v),
        (None, Some(v)) => ("below", v),
        (Some(a), Some(b)) => {
            return Err(format!(
                "{at}.below: above = {a} and below = {b}: an SLO trigger needs exactly one of \
                 \"above\" or \"below\""
            ))
        }
        (None, None) => {
            return Err(format!(
                "{at}: an SLO trigger needs exactly one of \"above\" or \"below\""
            ))
        }
    };
    if !v.is_finite() {
        return Err(format!("{at}.{which}: {v} is not a finite number"));
    }
    let spec = &mut slo_specs[slo];
    let (dir, worse) = match spec.direction {
        Direction::Lower => ("lower", "above"),
        Direction::Higher => ("higher", "below"),
    };
    if which != worse {
        return Err(format!(
            "{at}.{which}: {which} = {v} on SLO {id:?}, whose direction is {dir:?} ({dir} is \
             better): it would fire on good values (use {worse})"
        ));
    }
    let label = t.label.clone().unwrap_or_else(|| {
        let op = if which == "above" { ">" } else { "<" };
        let value = crate::core::words::format_value(v, &spec.unit);
        if t.for_.0 > 0 {
            format!("{} {op} {value} for {}", spec.name, t.for_)
        } else {
            format!("{} {op} {value}", spec.name)
        }
    });
    spec.triggers.push(TriggerSpec {
        above: t.above,
        below: t.below,
        for_: t.for_,
        policy: Some(t.policy),
    });
    let index = spec.triggers.len() - 1;
    Ok((When::Slo { slo, index }, label))
}

/// An alert trigger: a severity, no above or below, and somewhere to read alerts from.
fn alert_trigger(
    at: &str,
    severity: Severity,
    t: &RawTrigger,
    alerts_known: bool,
) -> Result<(When, String), String> {
    if t.above.is_some() || t.below.is_some() {
        return Err(format!(
            "{at}: \"above\" and \"below\" apply to SLO triggers, not to alerts"
        ));
    }
    if !alerts_known {
        return Err(format!(
            "{at}.alerts: an alert trigger needs an [alertmanager] to read alerts from"
        ));
    }
    let label = t.label.clone().unwrap_or_else(|| match severity {
        Severity::Critical => "Any CRITICAL alert".into(),
        Severity::Warning => "Any WARNING or CRITICAL alert".into(),
        Severity::Info => "Any alert".into(),
    });
    let for_ = t.for_;
    Ok((When::Alerts { severity, for_ }, label))
}

/// A core plan's key path in the file's words: `waves[1]` → `wave[1]`, `slos[0]` → `slo[0]`,
/// `checklist[0].items[2]` → `checklist[0].item[2]`.
fn file_path(core: &str) -> String {
    core.replacen("waves[", "wave[", 1)
        .replacen("slos[", "slo[", 1)
        .replacen(".items[", ".item[", 1)
}

/// The label a gate gets when the file gives none: what it checks, in the runbook's words.
fn gate_label(g: &RawGate, slos: &[super::Slo], checklist: &[Section]) -> String {
    let slo_name = |id: &str| {
        slos.iter()
            .find(|s| s.spec.id == id)
            .map_or_else(|| id.to_string(), |s| s.spec.name.clone())
    };
    if let Some(id) = &g.slo {
        return match g.allow {
            Some(AllowBand::Warn) => format!("{} not CRIT", slo_name(id)),
            _ => format!("{} PASS", slo_name(id)),
        };
    }
    if let Some(id) = &g.burn {
        return format!("{}: error budget not burning at page level", slo_name(id));
    }
    if let Some(id) = &g.check {
        for s in checklist {
            if s.id == *id {
                return format!("{}: every required item done", s.title);
            }
            if let Some(item) = s.items.iter().find(|i| i.id == *id) {
                return item.text.clone();
            }
        }
        return id.clone();
    }
    match g.alerts {
        Some(Severity::Warning) => "No WARNING or CRITICAL alerts firing".into(),
        Some(Severity::Info) => "No alerts firing".into(),
        _ => "No CRITICAL alerts firing".into(),
    }
}

impl RawActuator {
    #[expect(
        clippy::too_many_lines,
        reason = "one kind of actuator after the other, each key checked where it is read"
    )]
    fn check(self, plan: &Plan, dir: &Path) -> Result<ActuatorSpec, String> {
        let kind = self.kind.as_str();
        let given: Vec<(&str, bool)> = vec![
            ("seed", self.seed.is_some()),
            ("fault", self.fault.is_some()),
            ("sign_offs", self.sign_offs.is_some()),
            ("advance", self.advance.is_some()),
            ("pause", self.pause.is_some()),
            ("resume", self.resume.is_some()),
            ("rollback", self.rollback.is_some()),
            ("timeout", self.timeout.is_some()),
            ("url", self.url.is_some()),
            ("secret_env", self.secret_env.is_some()),
            ("secret_file", self.secret_file.is_some()),
            ("retries", self.retries.is_some()),
            ("token_env", self.token_env.is_some()),
            ("token_file", self.token_file.is_some()),
            ("project", self.project.is_some()),
            ("environment", self.environment.is_some()),
            ("feature", self.feature.is_some()),
            ("poll", self.poll.is_some()),
        ];
        let allowed: &[&str] = match kind {
            "simulate" => &["seed", "fault", "sign_offs"],
            "exec" => &["advance", "pause", "resume", "rollback", "timeout"],
            "webhook" => &["url", "secret_env", "secret_file", "retries", "timeout"],
            "unleash" => &[
                "url",
                "token_env",
                "token_file",
                "project",
                "environment",
                "feature",
                "poll",
                "timeout",
            ],
            other => {
                return Err(format!(
                    "actuator.kind: {other:?} is not an actuator (exec, webhook, unleash or \
                     simulate)"
                ))
            }
        };
        if let Some((key, _)) = given.iter().find(|(k, set)| *set && !allowed.contains(k)) {
            return Err(format!(
                "actuator.{key}: not a key of the {kind} actuator (it takes {})",
                allowed.join(", ")
            ));
        }
        let timeout = |default: i64| -> Result<Span, String> {
            let t = self.timeout.unwrap_or(Span::from_secs(default));
            positive("actuator.timeout", t, "30s")?;
            if t > MAX_TIMEOUT {
                return Err(format!(
                    "actuator.timeout: \"{t}\" is longer than {MAX_TIMEOUT}: a command nobody \
                     hears back from for that long is lost to the room"
                ));
            }
            Ok(t)
        };
        match kind {
            "simulate" => {
                let fault = self
                    .fault
                    .map(|f| {
                        let wave = plan.wave(&f.wave).ok_or_else(|| {
                            format!("actuator.fault.wave: no wave {:?} in the plan", f.wave)
                        })?;
                        if f.after.0 < 0 {
                            return Err(format!(
                                "actuator.fault.after: \"{}\" is negative",
                                f.after
                            ));
                        }
                        positive("actuator.fault.ramp", f.ramp, "20s")?;
                        Ok(FaultSpec {
                            wave,
                            after: f.after,
                            ramp: f.ramp,
                        })
                    })
                    .transpose()?;
                Ok(ActuatorSpec::Simulate {
                    seed: self.seed.unwrap_or(7),
                    fault,
                    sign_offs: self.sign_offs.unwrap_or(false),
                })
            }
            "exec" => {
                let mut verbs = BTreeMap::new();
                for (verb, argv) in [
                    (Verb::Advance, self.advance),
                    (Verb::Pause, self.pause),
                    (Verb::Resume, self.resume),
                    (Verb::Rollback, self.rollback),
                ] {
                    let key = format!("actuator.{}", verb.word());
                    let Some(argv) = argv else {
                        if matches!(verb, Verb::Advance | Verb::Rollback) {
                            return Err(format!(
                                "{key}: missing: the exec actuator needs a command for \
                                 advance and for rollback (an argument list, e.g. [\"kubectl\", \
                                 \"argo\", \"rollouts\", \"promote\", \"my-app\"])"
                            ));
                        }
                        continue;
                    };
                    argv_ok(&key, &argv)?;
                    verbs.insert(verb, argv);
                }
                if let Some(argv) = &self.observe {
                    argv_ok("actuator.observe", argv)?;
                }
                Ok(ActuatorSpec::Exec {
                    verbs,
                    observe: self.observe,
                    timeout: timeout(30)?,
                    dir: dir.to_path_buf(),
                })
            }
            "webhook" => {
                let url = http_url(
                    "actuator.url",
                    self.url
                        .as_deref()
                        .ok_or("actuator.url: missing (the URL commands are POSTed to)")?,
                )?;
                let secret = secret(
                    "actuator",
                    ("secret_env", self.secret_env),
                    ("secret_file", self.secret_file),
                )?;
                let retries = self.retries.unwrap_or(3);
                if retries > MAX_RETRIES {
                    return Err(format!(
                        "actuator.retries: {retries} is more than {MAX_RETRIES}"
                    ));
                }
                Ok(ActuatorSpec::Webhook {
                    url,
                    secret,
                    timeout: timeout(10)?,
                    retries,
                })
            }
            _ => {
                let url = http_url(
                    "actuator.url",
                    self.url.as_deref().ok_or(
                        "actuator.url: missing (Unleash's base URL, e.g. http://127.0.0.1:4242)",
                    )?,
                )?;
                let token = secret(
                    "actuator",
                    ("token_env", self.token_env),
                    ("token_file", self.token_file),
                )?
                .ok_or(
                    "actuator: an admin API token is needed: set token_env to the name of an \
                     environment variable that holds it, or token_file to a file",
                )?;
                let feature = self
                    .feature
                    .ok_or("actuator.feature: missing (the feature flag's name)")?;
                let name_ok = |s: &str| {
                    !s.is_empty()
                        && s.chars().all(|c| {
                            c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~')
                        })
                };
                if !name_ok(&feature) {
                    return Err(format!(
                        "actuator.feature: {feature:?} is not a feature flag name (letters, \
                         digits, - _ . ~)"
                    ));
                }
                let project = self.project.unwrap_or_else(|| "default".into());
                let environment = self.environment.unwrap_or_else(|| "production".into());
                for (key, v) in [("project", &project), ("environment", &environment)] {
                    if !name_ok(v) {
                        return Err(format!(
                            "actuator.{key}: {v:?} is not a name Unleash uses (letters, digits, \
                             - _ . ~)"
                        ));
                    }
                }
                if plan.spec.traffic_unit.is_some() {
                    return Err(format!(
                        "actuator.kind: \"unleash\" rolls a flag out to a percentage of users, \
                         but rollout.traffic_unit is {:?}",
                        plan.spec.traffic_unit.as_deref().unwrap_or_default()
                    ));
                }
                let poll = self.poll.unwrap_or(Span::from_secs(5));
                positive("actuator.poll", poll, "5s")?;
                Ok(ActuatorSpec::Unleash {
                    url,
                    token,
                    project,
                    environment,
                    feature,
                    poll,
                    timeout: timeout(5)?,
                })
            }
        }
    }
}

/// One line that says what a checked plan file holds (`warroom plan check`), e.g.
/// `demo: canary, 2 waves: 10% (auto) → 100% (manual); 1 SLO from http://…/; 1 trigger;
/// checklist 1 section, 1 item; actuator exec (advance, rollback)`.
#[must_use]
pub fn summary(file: &PlanFile) -> String {
    let p = &file.plan.spec;
    let steps: Vec<String> = p
        .waves
        .iter()
        .map(|w| {
            let value = crate::core::words::format_value(w.traffic, "");
            let label = match &p.traffic_unit {
                None => format!("{value}%"),
                Some(u) => format!("{value} {u}"),
            };
            let approval = match w.approval {
                Some(Approval::Auto) => "auto",
                _ => "manual",
            };
            format!("{label} ({approval})")
        })
        .collect();
    let strategy = p.strategy;
    let n_steps = count(p.waves.len(), strategy.step_word(), strategy.steps_word());
    // "batches, 5 batches" says it twice.
    let shape = if strategy.label() == strategy.steps_word() {
        n_steps
    } else {
        format!("{}, {n_steps}", strategy.label())
    };
    let items: usize = p.checklist.iter().map(|s| s.items.len()).sum();
    let checklist = if p.checklist.is_empty() {
        "no checklist".to_string()
    } else {
        format!(
            "checklist {}, {}",
            count(p.checklist.len(), "section", "sections"),
            count(items, "item", "items")
        )
    };
    let triggers = match file.triggers.len() {
        0 => "no triggers".to_string(),
        n => count(n, "trigger", "triggers"),
    };
    format!(
        "{}: {shape}: {}; {}; {triggers}; {checklist}; actuator {}",
        p.id,
        steps.join(" → "),
        sources_summary(file),
        actuator_summary(&file.actuator),
    )
}

/// `1 SLO`, `2 SLOs`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Where the SLO values come from, for [`summary`].
fn sources_summary(file: &PlanFile) -> String {
    let n = file.plan.spec.slos.len();
    match &file.sources {
        Some(c) => format!(
            "{} from {}{}",
            count(c.slos.len(), "SLO", "SLOs"),
            super::parse::redact(&c.prometheus.url),
            if c.alertmanager.is_some() {
                ", alerts from Alertmanager"
            } else {
                ""
            }
        ),
        None if n == 0 => "no SLOs".into(),
        None => count(n, "simulated SLO", "simulated SLOs"),
    }
}

/// What moves the traffic, for [`summary`].
fn actuator_summary(actuator: &ActuatorSpec) -> String {
    match actuator {
        ActuatorSpec::Simulate { .. } => "simulated traffic".to_string(),
        ActuatorSpec::Exec { verbs, observe, .. } => format!(
            "exec ({}{})",
            verbs
                .keys()
                .map(|v| v.word())
                .collect::<Vec<_>>()
                .join(", "),
            if observe.is_some() { "; observe" } else { "" }
        ),
        ActuatorSpec::Webhook { url, .. } => format!("webhook {}", super::parse::redact(url)),
        ActuatorSpec::Unleash {
            feature,
            environment,
            ..
        } => format!("unleash flag {feature} in {environment}"),
    }
}

/// An exec actuator's argument list: a program, no shell line, no NUL byte.
fn argv_ok(key: &str, argv: &[String]) -> Result<(), String> {
    match argv.first() {
        None => return Err(format!("{key}: [] names no program")),
        Some(p) if p.trim().is_empty() => return Err(format!("{key}[0]: {p:?} is not a program")),
        Some(p) if p.contains(char::is_whitespace) => {
            return Err(format!(
                "{key}[0]: {p:?} has spaces: the command is an argument list, never run \
                 through a shell (write [\"prog\", \"arg\", ...])"
            ))
        }
        Some(_) => {}
    }
    if let Some((k, a)) = argv.iter().enumerate().find(|(_, a)| a.contains('\0')) {
        return Err(format!("{key}[{k}]: {a:?} contains a NUL byte"));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
