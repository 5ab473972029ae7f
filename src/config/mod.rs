//! The console's configuration (`--config warroom.toml`): where live metrics and alerts come
//! from. A Prometheus server answers one `PromQL` query per SLO, an optional Alertmanager lists
//! the alerts that matter, and `[gates]` says which SLOs gate which wave.
//!
//! Everything is checked here, before the terminal is touched: unknown keys, bad URLs and
//! durations, thresholds out of order, bad matchers and unknown SLO ids are refused with the
//! file, the key path (`slo[2].warning`) and the value named. Credentials are never written in
//! the file: it names an environment variable or a file to read them from, and reading them
//! is left to the shell ([`Secret::read`]) so that parsing stays pure.

use std::collections::BTreeMap;
use std::fmt;

use parse::{serde_message, RawConfig};
use std::path::{Path, PathBuf};

use reqwest::Url;
use serde::Deserialize;

use crate::core::overlay::Overlay;
use crate::core::plan::SloSpec;
use crate::core::sanitize::sanitize;
use crate::core::time::Span;

mod line;
mod parse;

pub(crate) use line::with_line;
pub(crate) use parse::serde_message as toml_message;
pub mod plan_file;

/// A commented configuration for the Batch Patches rollout against `warroom serve`'s metrics;
/// `warroom` can print it as a starting point.
pub const TEMPLATE: &str = include_str!("../../examples/warroom.toml");

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
    /// What this configuration lays over a control plane's plan (see
    /// [`Overlay::apply`](crate::core::overlay::Overlay::apply)).
    #[must_use]
    pub fn overlay(&self) -> Overlay {
        Overlay {
            slos: self
                .slos
                .iter()
                .filter(|s| s.series == SeriesMode::Aggregate)
                .map(|s| s.spec.clone())
                .collect(),
            interval: self.prometheus.interval,
            gates: self.gates.clone(),
            alertmanager: self.alertmanager.is_some(),
            auto_pause: self.auto_pause,
        }
    }
}

/// A configuration that was refused: `{file}: {message}`, where the message starts with the
/// key path (`slo[2].warning: …`) or, for syntax and type errors, the line (`line 4: …`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {}", sanitize(.file), sanitize(.message))]
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
    let de = toml::Deserializer::parse(text).map_err(|e| fail(serde_message(text, &e, None)))?;
    let raw: RawConfig = serde_path_to_error::deserialize(crate::format::strict::Strict(de))
        .map_err(|e| fail(serde_message(text, e.inner(), Some(e.path()))))?;
    raw.check()
        .map_err(|message| fail(line::with_line(text, message)))
}

// ---------------------------------------------------------------------------------------
// The file as written.

// ---------------------------------------------------------------------------------------
// Checks. Each returns the message after the file label.

#[cfg(test)]
mod tests {
    use super::parse::parse_matcher;
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
