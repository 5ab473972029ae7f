//! The console's configuration (`--config warroom.toml`): where live metrics and alerts come
//! from. A Prometheus server answers one `PromQL` query per SLO, an optional Alertmanager lists
//! the alerts that matter, and `[gates]` says which SLOs gate which wave.
//!
//! Everything is checked here, before the terminal is touched: unknown keys, bad URLs and
//! durations, thresholds out of order, bad matchers and unknown SLO ids are refused with the
//! file, the key path (`slo[2].warning`) and the value named. Credentials are never written in
//! the file: it names an environment variable or a file to read them from, and reading them
//! is left to the shell ([`Secret::read`]) so that parsing stays pure.

use std::collections::{BTreeMap, HashMap};
use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};

use reqwest::Url;
use serde::Deserialize;

use crate::core::plan::{Direction, GateSpec, PlanSpec, SloSpec, TriggerSpec};
use crate::core::time::Span;

/// A commented configuration for the Batch Patches rollout against `warroom serve`'s metrics;
/// `warroom` can print it as a starting point.
pub const TEMPLATE: &str = include_str!("../examples/warroom.toml");

/// A checked configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub prometheus: Prometheus,
    /// In file order; ids are unique.
    pub slos: Vec<Slo>,
    pub alertmanager: Option<Alertmanager>,
    /// Wave id → the SLOs (by id, all present in `slos`) that must be green to leave that wave.
    pub gates: BTreeMap<String, Vec<String>>,
    /// Send a pause (with the trigger as its reason) when a rollback trigger fires.
    pub auto_pause: bool,
}

/// Where SLO values are read from.
#[derive(Clone, Debug, PartialEq)]
pub struct Prometheus {
    /// Base URL (`http://127.0.0.1:9090`); the query API lives under it.
    pub url: Url,
    pub auth: Option<Auth>,
    /// How long one query may take before it counts as failed.
    pub timeout: Span,
    /// How often every SLO query is evaluated.
    pub interval: Span,
}

/// How to authenticate to Prometheus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    /// `Authorization: Bearer <token>`.
    Bearer(Secret),
    /// HTTP basic authentication.
    Basic { user: String, password: Secret },
}

/// Where a credential is read from. The value itself is never held by the configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Secret {
    /// The named environment variable.
    Env(String),
    /// The whole file (one trailing newline is dropped).
    File(PathBuf),
}

impl Secret {
    /// Reads the credential (an I/O step for the shell, at start-up).
    ///
    /// # Errors
    /// The variable is unset or not Unicode, or the file cannot be read; the message names it.
    pub fn read(&self) -> Result<String, String> {
        match self {
            Secret::Env(name) => {
                std::env::var(name).map_err(|e| format!("environment variable {name}: {e}"))
            }
            Secret::File(path) => std::fs::read_to_string(path)
                .map(|s| {
                    let s = s.strip_suffix('\n').unwrap_or(&s);
                    s.strip_suffix('\r').unwrap_or(s).to_string()
                })
                .map_err(|e| format!("{}: {e}", path.display())),
        }
    }
}

/// One SLO: the plan's view of it plus the query that measures it.
#[derive(Clone, Debug, PartialEq)]
pub struct Slo {
    /// Id, name, unit, direction, thresholds and triggers, as a fixture would give them.
    pub spec: SloSpec,
    /// A `PromQL` expression whose value is in the SLO's unit.
    pub query: String,
    pub series: SeriesMode,
}

/// How many series an SLO's query may return.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SeriesMode {
    /// One value: the query aggregates (several series are an error at run time).
    #[default]
    Aggregate,
    /// One gauge per returned series (e.g. `sum by (version)`), each judged on its own.
    Each,
}

pub use crate::core::plan::Budget;

/// Alertmanager: which alerts the console lists and gates on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alertmanager {
    pub url: Url,
    /// All must match (Alertmanager's `filter` semantics).
    pub matchers: Vec<Matcher>,
}

/// `NAME OP "VALUE"`, as Alertmanager and Prometheus write label matchers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Matcher {
    pub name: String,
    pub op: MatchOp,
    /// Unescaped.
    pub value: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchOp {
    Eq,
    NotEq,
    Regex,
    NotRegex,
}

impl MatchOp {
    #[must_use]
    pub fn symbol(self) -> &'static str {
        match self {
            MatchOp::Eq => "=",
            MatchOp::NotEq => "!=",
            MatchOp::Regex => "=~",
            MatchOp::NotRegex => "!~",
        }
    }
}

impl fmt::Display for Matcher {
    /// Back in the form it was written (`severity=~"critical|warning"`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}{:?}", self.name, self.op.symbol(), self.value)
    }
}

impl Config {
    /// The plan the console shows with this configuration: its SLOs replace the plan's own
    /// (the SLOs of `series = "each"` queries are added per series as they appear), samples
    /// are expected every poll interval, and the waves' gates become:
    /// the plan's checklist and alert gates, its SLO gates whose ids this file also defines,
    /// one gate per SLO named in `[gates]`, a page-level burn gate per SLO with a budget,
    /// and, with an Alertmanager, "no critical alerts firing" where the plan has no alert gate.
    /// Also returns what did not fit (a `[gates]` wave the plan does not have).
    #[must_use]
    pub fn overlay(&self, plan: &PlanSpec) -> (PlanSpec, Vec<String>) {
        let mut p = plan.clone();
        let ours: Vec<&Slo> = self
            .slos
            .iter()
            .filter(|s| s.series == SeriesMode::Aggregate)
            .collect();
        let defined = |id: &Option<String>| {
            id.as_ref()
                .is_none_or(|id| ours.iter().any(|s| s.spec.id == *id))
        };
        p.slos = ours.iter().map(|s| s.spec.clone()).collect();
        p.sample_interval = self.prometheus.interval;
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
                let Some(s) = ours.iter().find(|s| s.spec.id == *id) else {
                    continue;
                };
                w.gates.push(GateSpec {
                    label: gate_label(&s.spec),
                    slo: Some(id.clone()),
                    allow: None,
                    check: None,
                    alerts: None,
                    burn: None,
                });
            }
            for s in ours.iter().filter(|s| s.spec.budget.is_some()) {
                if !w.gates.iter().any(|g| g.burn.as_ref() == Some(&s.spec.id)) {
                    w.gates.push(GateSpec {
                        label: format!("{}: error budget not burning at page level", s.spec.name),
                        slo: None,
                        allow: None,
                        check: None,
                        alerts: None,
                        burn: Some(s.spec.id.clone()),
                    });
                }
            }
            if self.alertmanager.is_some() && !w.gates.iter().any(|g| g.alerts.is_some()) {
                w.gates.push(GateSpec {
                    label: "No critical alerts firing".into(),
                    slo: None,
                    allow: None,
                    check: None,
                    alerts: Some(crate::core::severity::Severity::Critical),
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
        crate::core::words::format_value(spec.warning, &spec.unit)
    )
}

/// A configuration that was refused: `{file}: {message}`, where the message starts with the
/// key path (`slo[2].warning: …`) or, for syntax and type errors, the line (`line 4: …`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct ConfigError {
    pub file: String,
    pub message: String,
}

/// Reads and checks a configuration file; errors are labelled with `path` as given.
///
/// # Errors
/// An unreadable file, or anything [`parse`] refuses.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let label = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        file: label.clone(),
        message: format!("cannot read: {e}"),
    })?;
    parse(&label, &text)
}

/// Parses and checks configuration text; `file_label` opens every error message.
///
/// # Errors
/// The first problem found, with its line or key path and the offending value.
pub fn parse(file_label: &str, text: &str) -> Result<Config, ConfigError> {
    let fail = |message: String| ConfigError {
        file: file_label.into(),
        message,
    };
    let raw: RawConfig = serde_path_to_error::deserialize(toml::Deserializer::new(text))
        .map_err(|e| fail(serde_message(text, &e)))?;
    raw.check().map_err(fail)
}

/// `line 4: prometheus.timeout: unknown unit …`, with a hint for inline credentials.
fn serde_message(text: &str, e: &serde_path_to_error::Error<toml::de::Error>) -> String {
    let inner = e.inner();
    let mut out = String::new();
    if let Some(span) = inner.span() {
        let before = text.get(..span.start.min(text.len())).unwrap_or(text);
        let _ = write!(out, "line {}: ", before.matches('\n').count() + 1);
    }
    let path = e.path().to_string();
    if path != "." {
        out.push_str(&path);
        out.push_str(": ");
    }
    let message = inner.message().trim_end();
    out.push_str(message);
    if let Some(hint) = credential_hint(message) {
        out.push_str(" (");
        out.push_str(hint);
        out.push(')');
    }
    out
}

/// Inline credentials are unknown keys on purpose; say what to write instead.
fn credential_hint(message: &str) -> Option<&'static str> {
    let field = message
        .strip_prefix("unknown field `")?
        .split('`')
        .next()?
        .to_ascii_lowercase();
    let secretish = ["token", "password", "passwd", "secret", "api_key", "apikey"];
    if !secretish.iter().any(|s| field.contains(s)) {
        return None;
    }
    Some(if field.contains("pass") {
        "credentials are never written in the config: set basic_password_env to the name of \
         an environment variable, or basic_password_file to a file that holds the password"
    } else {
        "credentials are never written in the config: set bearer_token_env to the name of an \
         environment variable, or bearer_token_file to a file that holds the token"
    })
}

// ---------------------------------------------------------------------------------------
// The file as written.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    prometheus: Option<RawPrometheus>,
    #[serde(default)]
    slo: Vec<RawSlo>,
    alertmanager: Option<RawAlertmanager>,
    #[serde(default)]
    gates: BTreeMap<String, Vec<String>>,
    rollback: Option<RawRollback>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRollback {
    #[serde(default)]
    auto_pause: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrometheus {
    url: String,
    bearer_token_env: Option<String>,
    bearer_token_file: Option<PathBuf>,
    basic_user: Option<String>,
    basic_password_env: Option<String>,
    basic_password_file: Option<PathBuf>,
    #[serde(default = "default_timeout")]
    timeout: Span,
    #[serde(default = "default_interval")]
    interval: Span,
}

fn default_timeout() -> Span {
    Span::from_secs(5)
}

fn default_interval() -> Span {
    Span::from_secs(15)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSlo {
    id: String,
    name: String,
    query: String,
    unit: String,
    direction: Direction,
    target: f64,
    warning: f64,
    critical: f64,
    #[serde(default)]
    series: SeriesMode,
    #[serde(default)]
    triggers: Vec<TriggerSpec>,
    objective: Option<f64>,
    period: Option<Span>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAlertmanager {
    url: String,
    #[serde(default)]
    matchers: Vec<String>,
}

// ---------------------------------------------------------------------------------------
// Checks. Each returns the message after the file label.

impl RawConfig {
    fn check(self) -> Result<Config, String> {
        let prometheus = self
            .prometheus
            .ok_or("prometheus: missing [prometheus] section (it needs at least `url`)")?
            .check()?;
        if self.slo.is_empty() {
            return Err("slo: no [[slo]] entries (add at least one SLO with its query)".into());
        }
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, s) in self.slo.iter().enumerate() {
            if let Some(first) = seen.insert(&s.id, i) {
                return Err(format!(
                    "slo[{i}].id: duplicate SLO id {:?} (also slo[{first}].id)",
                    s.id
                ));
            }
        }
        for (wave, ids) in &self.gates {
            if !plain_id(wave) {
                return Err(format!(
                    "gates: wave id {wave:?} must be non-empty printable text without spaces"
                ));
            }
            for (k, id) in ids.iter().enumerate() {
                if !seen.contains_key(id.as_str()) {
                    let mut known: Vec<&str> = self.slo.iter().map(|s| s.id.as_str()).collect();
                    known.truncate(12);
                    return Err(format!(
                        "gates.{wave}[{k}]: no SLO {id:?} among the [[slo]] ids ({})",
                        known.join(", ")
                    ));
                }
                if ids[..k].contains(id) {
                    return Err(format!("gates.{wave}[{k}]: SLO {id:?} is listed twice"));
                }
                if self.slo[seen[id.as_str()]].series == SeriesMode::Each {
                    return Err(format!(
                        "gates.{wave}[{k}]: SLO {id:?} has series = \"each\" (one gauge per \
                         series); gate on an SLO that aggregates to one value"
                    ));
                }
            }
        }
        let slos = self
            .slo
            .into_iter()
            .enumerate()
            .map(|(i, s)| s.check(i))
            .collect::<Result<Vec<_>, _>>()?;
        let alertmanager = self.alertmanager.map(RawAlertmanager::check).transpose()?;
        Ok(Config {
            prometheus,
            slos,
            alertmanager,
            gates: self.gates,
            auto_pause: self.rollback.is_some_and(|r| r.auto_pause),
        })
    }
}

impl RawPrometheus {
    fn check(self) -> Result<Prometheus, String> {
        let url = http_url("prometheus.url", &self.url)?;
        let bearer = secret(
            "prometheus",
            ("bearer_token_env", self.bearer_token_env),
            ("bearer_token_file", self.bearer_token_file),
        )?;
        let password = secret(
            "prometheus",
            ("basic_password_env", self.basic_password_env),
            ("basic_password_file", self.basic_password_file),
        )?;
        let auth = match (bearer, self.basic_user, password) {
            (None, None, None) => None,
            (Some(token), None, None) => Some(Auth::Bearer(token)),
            (None, Some(user), Some(password)) => {
                if user.is_empty() || user.contains(':') {
                    return Err(format!(
                        "prometheus.basic_user: {user:?} is not a usable user name \
                         (non-empty, without ':')"
                    ));
                }
                Some(Auth::Basic { user, password })
            }
            (Some(_), _, _) => {
                return Err(
                    "prometheus: give either a bearer token (bearer_token_env or \
                            bearer_token_file) or basic authentication (basic_user and a \
                            password), not both"
                        .into(),
                )
            }
            (None, Some(user), None) => {
                return Err(format!(
                    "prometheus.basic_user: {user:?} needs a password: set basic_password_env \
                     or basic_password_file"
                ))
            }
            (None, None, Some(_)) => {
                return Err(
                    "prometheus: a basic_password_env or basic_password_file needs \
                            basic_user"
                        .into(),
                )
            }
        };
        positive("prometheus.timeout", self.timeout, "5s")?;
        positive("prometheus.interval", self.interval, "15s")?;
        Ok(Prometheus {
            url,
            auth,
            timeout: self.timeout,
            interval: self.interval,
        })
    }
}

/// At most one of the two ways to give a credential, each non-empty.
fn secret(
    section: &str,
    env: (&str, Option<String>),
    file: (&str, Option<PathBuf>),
) -> Result<Option<Secret>, String> {
    match (env.1, file.1) {
        (Some(_), Some(_)) => Err(format!(
            "{section}: give either {} or {}, not both",
            env.0, file.0
        )),
        (Some(name), None) => {
            if name.is_empty() || name.contains(['=', '\0']) || name.contains(char::is_whitespace) {
                Err(format!(
                    "{section}.{}: {name:?} is not an environment variable name",
                    env.0
                ))
            } else {
                Ok(Some(Secret::Env(name)))
            }
        }
        (None, Some(path)) => {
            if path.as_os_str().is_empty() {
                Err(format!("{section}.{}: \"\" is not a file name", file.0))
            } else {
                Ok(Some(Secret::File(path)))
            }
        }
        (None, None) => Ok(None),
    }
}

fn http_url(key: &str, text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|e| format!("{key}: {text:?} is not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "{key}: {text:?} is not an http or https URL (scheme {:?})",
            url.scheme()
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "{key}: {:?} has credentials in it (use basic_user with basic_password_env or \
             basic_password_file instead)",
            redact(&url)
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "{key}: {text:?} is not a base URL (no '?' query or '#' fragment)"
        ));
    }
    Ok(url)
}

/// The URL with any user and password removed, so an error message never repeats a secret.
fn redact(url: &Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.to_string()
}

fn positive(key: &str, span: Span, example: &str) -> Result<(), String> {
    if span.0 > 0 {
        Ok(())
    } else {
        Err(format!(
            "{key}: \"{span}\" must be longer than 0 (e.g. \"{example}\")"
        ))
    }
}

fn plain_id(id: &str) -> bool {
    !id.is_empty()
        && *crate::core::sanitize::sanitize(id) == *id
        && !id.contains(char::is_whitespace)
}

impl RawSlo {
    fn check(self, i: usize) -> Result<Slo, String> {
        let at = |key: &str| format!("slo[{i}].{key}");
        if !plain_id(&self.id) {
            return Err(format!(
                "{}: {:?} must be non-empty printable text without spaces",
                at("id"),
                self.id
            ));
        }
        if self.query.trim().is_empty() {
            return Err(format!(
                "{}: {:?} is empty (write the PromQL expression that measures the SLO)",
                at("query"),
                self.query
            ));
        }
        for (key, v) in [
            ("target", self.target),
            ("warning", self.warning),
            ("critical", self.critical),
        ] {
            if !v.is_finite() {
                return Err(format!("{}: {v} is not a finite number", at(key)));
            }
        }
        let (dir, worse_word) = match self.direction {
            Direction::Lower => ("lower", "above"),
            Direction::Higher => ("higher", "below"),
        };
        let beyond = |a: f64, b: f64| match self.direction {
            Direction::Lower => a > b,
            Direction::Higher => a < b,
        };
        for (key, v, next_key, next) in [
            ("target", self.target, "warning", self.warning),
            ("warning", self.warning, "critical", self.critical),
        ] {
            if beyond(v, next) {
                return Err(format!(
                    "{}: {v} is beyond {next_key} {next} (direction \"{dir}\": worse is \
                     {worse_word})",
                    at(key)
                ));
            }
        }
        for (ti, t) in self.triggers.iter().enumerate() {
            let key = at(&format!("triggers[{ti}]"));
            let ((Some(v), None) | (None, Some(v))) = (t.above, t.below) else {
                return Err(format!(
                    "{key}: a trigger needs exactly one of \"above\" or \"below\""
                ));
            };
            if !v.is_finite() {
                let which = if t.above.is_some() { "above" } else { "below" };
                return Err(format!("{key}.{which}: {v} is not a finite number"));
            }
        }
        let budget = match (self.objective, self.period) {
            (None, None) => None,
            (Some(objective), Some(period)) => {
                if !(objective > 0.0 && objective < 1.0) {
                    return Err(format!(
                        "{}: {objective} is not strictly between 0 and 1 (e.g. 0.999 for \
                         99.9 %)",
                        at("objective")
                    ));
                }
                positive(&at("period"), period, "30d")?;
                if !(self.unit.is_empty() || self.unit == "%") {
                    return Err(format!(
                        "{}: {objective} needs the SLO's value to be a share of events, but \
                         unit is {:?} (use unit \"%\" for a percentage, or \"\" for a \
                         fraction between 0 and 1)",
                        at("objective"),
                        self.unit
                    ));
                }
                Some(Budget { objective, period })
            }
            (Some(objective), None) => {
                return Err(format!(
                    "{}: {objective} needs a period for the error budget (e.g. period = \
                     \"30d\")",
                    at("objective")
                ))
            }
            (None, Some(period)) => {
                return Err(format!(
                    "{}: \"{period}\" is only used with an objective (e.g. objective = 0.999)",
                    at("period")
                ))
            }
        };
        Ok(Slo {
            spec: SloSpec {
                id: self.id,
                name: self.name,
                unit: self.unit,
                direction: self.direction,
                baseline: None,
                target: self.target,
                warning: self.warning,
                critical: self.critical,
                triggers: self.triggers,
                budget,
            },
            query: self.query,
            series: self.series,
        })
    }
}

impl RawAlertmanager {
    fn check(self) -> Result<Alertmanager, String> {
        let url = http_url("alertmanager.url", &self.url)?;
        let matchers = self
            .matchers
            .iter()
            .enumerate()
            .map(|(i, m)| {
                parse_matcher(m).map_err(|why| format!("alertmanager.matchers[{i}]: {m:?} {why}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Alertmanager { url, matchers })
    }
}

/// Parses `NAME OP "VALUE"` (spaces allowed around OP); the error completes "`<text>` …".
fn parse_matcher(text: &str) -> Result<Matcher, String> {
    const FORM: &str = "(write NAME OP \"VALUE\" with OP one of = != =~ !~, e.g. \
                        severity=~\"critical|warning\")";
    let s = text.trim();
    let name_len = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    let name = &s[..name_len];
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!("does not start with a label name {FORM}"));
    }
    let rest = s[name_len..].trim_start();
    let (op, rest) = [
        ("=~", MatchOp::Regex),
        ("!~", MatchOp::NotRegex),
        ("!=", MatchOp::NotEq),
        ("=", MatchOp::Eq),
    ]
    .into_iter()
    .find_map(|(sym, op)| rest.strip_prefix(sym).map(|r| (op, r)))
    .ok_or_else(|| format!("has no operator after {name:?} {FORM}"))?;
    let quoted = rest.trim_start();
    let inner = quoted
        .strip_prefix('"')
        .and_then(|q| q.strip_suffix('"'))
        .filter(|_| quoted.len() >= 2)
        .ok_or_else(|| format!("has an unquoted value {FORM}"))?;
    let mut value = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n') => value.push('\n'),
                Some(e @ ('"' | '\\')) => value.push(e),
                // Regex escapes (`\.`) pass through for the server's regex engine.
                Some(e) => {
                    value.push('\\');
                    value.push(e);
                }
                None => return Err(format!("ends inside an escape {FORM}")),
            },
            '"' => {
                return Err(format!(
                    "has a '\"' inside the value (escape it as \\\") {FORM}"
                ))
            }
            c => value.push(c),
        }
    }
    Ok(Matcher {
        name: name.to_string(),
        op,
        value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[prometheus]
url = "http://127.0.0.1:9090"

[[slo]]
id = "error_rate"
name = "Error Rate"
query = "sum(rate(x[1m]))"
unit = "%"
direction = "lower"
target = 2
warning = 5
critical = 10
"#;

    #[test]
    fn minimal_config_takes_defaults() {
        let c = parse("warroom.toml", MINIMAL).unwrap();
        assert_eq!(c.prometheus.timeout, Span::from_secs(5));
        assert_eq!(c.prometheus.interval, Span::from_secs(15));
        assert_eq!(c.prometheus.auth, None);
        assert_eq!(c.slos[0].series, SeriesMode::Aggregate);
        assert_eq!(c.slos[0].spec.budget, None);
        assert!(c.alertmanager.is_none());
        assert!(c.gates.is_empty());
    }

    #[test]
    fn template_parses() {
        let c = parse("examples/warroom.toml", TEMPLATE).unwrap();
        assert!(c.slos.iter().any(|s| s.spec.id == "error_rate"));
    }

    #[test]
    fn matchers_read_like_alertmanager_writes_them() {
        let m = parse_matcher(r#"severity=~"critical|warning""#).unwrap();
        assert_eq!(m.op, MatchOp::Regex);
        assert_eq!(m.value, "critical|warning");
        assert_eq!(m.to_string(), r#"severity=~"critical|warning""#);
        let m = parse_matcher(r#" team != "pay\"ments" "#).unwrap();
        assert_eq!(
            (m.name.as_str(), m.op, m.value.as_str()),
            ("team", MatchOp::NotEq, "pay\"ments")
        );
        assert!(parse_matcher("team=payments").is_err());
        assert!(parse_matcher("=\"x\"").is_err());
        assert!(parse_matcher("team==\"x\"").is_err());
        assert!(parse_matcher("team=\"").is_err());
    }

    #[test]
    fn url_credentials_are_not_echoed() {
        let text = MINIMAL.replace("http://127.0.0.1", "http://me:hunter2@127.0.0.1");
        let e = parse("warroom.toml", &text).unwrap_err().to_string();
        assert!(!e.contains("hunter2"), "{e}");
    }
}
