//! The file as written (the `Raw*` shapes serde reads) and the checks that turn it into a
//! [`Config`](super::Config), with errors that name the key path and the value.

use crate::config::Alertmanager;
use crate::config::Auth;
use crate::config::Config;
use crate::config::MatchOp;
use crate::config::Matcher;
use crate::config::Prometheus;
use crate::config::Secret;
use crate::config::SeriesMode;
use crate::config::Slo;
use crate::core::plan::Budget;
use crate::core::plan::{Direction, SloSpec, TriggerSpec};
use crate::core::time::Span;
use reqwest::Url;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::PathBuf;

/// `line 4: prometheus.timeout: unknown unit …`, with a hint for inline credentials and a
/// wrong type said in TOML's words (`expected an array, found the string "x"`).
/// A syntax error has no path (`None`).
pub(crate) fn serde_message(
    text: &str,
    inner: &toml::de::Error,
    path: Option<&serde_path_to_error::Path>,
) -> String {
    let mut out = String::new();
    if let Some(span) = inner.span() {
        let before = text.get(..span.start.min(text.len())).unwrap_or(text);
        let _ = write!(out, "line {}: ", before.matches('\n').count() + 1);
    }
    let path = path.map_or_else(|| ".".to_owned(), ToString::to_string);
    if path != "." {
        out.push_str(&path);
        out.push_str(": ");
    }
    let message = inner.message().trim_end();
    out.push_str(&crate::format::types::reword(
        message,
        crate::format::types::Format::Toml,
    ));
    if let Some(hint) = credential_hint(message) {
        out.push_str(" (");
        out.push_str(hint);
        out.push(')');
    }
    out
}

/// Inline credentials are unknown keys on purpose; say what to write instead.
pub(super) fn credential_hint(message: &str) -> Option<&'static str> {
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
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
pub(super) struct RawRollback {
    #[serde(default)]
    auto_pause: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPrometheus {
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

pub(super) fn default_timeout() -> Span {
    Span::from_secs(5)
}

pub(super) fn default_interval() -> Span {
    Span::from_secs(15)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSlo {
    id: String,
    name: String,
    /// Required in a configuration; in a plan file, only where a `[prometheus]` reads it.
    query: Option<String>,
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
pub(super) struct RawAlertmanager {
    url: String,
    #[serde(default)]
    matchers: Vec<String>,
}

impl RawConfig {
    pub(super) fn check(self) -> Result<Config, String> {
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
            .map(|(i, s)| s.check(i, true))
            .collect::<Result<Vec<_>, _>>()?;
        for (i, s) in slos.iter().enumerate() {
            if let Some(ti) = s.spec.triggers.iter().position(|t| t.policy.is_some()) {
                return Err(format!(
                    "slo[{i}].triggers[{ti}].policy: a console only shows its triggers (and \
                     pauses with [rollback] auto_pause); a policy belongs in a plan file's \
                     [[trigger]] for `warroom serve --plan`"
                ));
            }
        }
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
    pub(super) fn check(self) -> Result<Prometheus, String> {
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
pub(super) fn secret(
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

pub(super) fn http_url(key: &str, text: &str) -> Result<Url, String> {
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
pub(super) fn redact(url: &Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.to_string()
}

pub(super) fn positive(key: &str, span: Span, example: &str) -> Result<(), String> {
    if span.0 > 0 {
        Ok(())
    } else {
        Err(format!(
            "{key}: \"{span}\" must be longer than 0 (e.g. \"{example}\")"
        ))
    }
}

pub(super) fn plain_id(id: &str) -> bool {
    !id.is_empty()
        && *crate::core::sanitize::sanitize(id) == *id
        && !id.contains(char::is_whitespace)
}

impl RawSlo {
    #[expect(
        clippy::too_many_lines,
        reason = "one key of `[[slo]]` after the other, in the order the template documents them"
    )]
    /// `need_query`: a query is required (a configuration); otherwise it is refused (a plan
    /// file whose SLO values come from the simulation).
    pub(super) fn check(self, i: usize, need_query: bool) -> Result<Slo, String> {
        let at = |key: &str| format!("slo[{i}].{key}");
        if !plain_id(&self.id) {
            return Err(format!(
                "{}: {:?} must be non-empty printable text without spaces",
                at("id"),
                self.id
            ));
        }
        let query = match (self.query, need_query) {
            (Some(q), true) if q.trim().is_empty() => {
                return Err(format!(
                    "{}: {q:?} is empty (write the PromQL expression that measures the SLO)",
                    at("query"),
                ));
            }
            (Some(q), true) => q,
            (None, true) => {
                return Err(format!(
                    "{}: missing (the PromQL expression that measures the SLO)",
                    at("query")
                ))
            }
            (Some(q), false) => {
                return Err(format!(
                    "{}: {q:?}, but there is no [prometheus] to ask (add one, or leave the \
                     query out for simulated values)",
                    at("query")
                ))
            }
            (None, false) => String::new(),
        };
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
            query,
            series: self.series,
        })
    }
}

impl RawAlertmanager {
    pub(super) fn check(self) -> Result<Alertmanager, String> {
        let url = http_url("alertmanager.url", &self.url)?;
        let matchers = self
            .matchers
            .iter()
            .enumerate()
            .map(|(i, m)| {
                parse_matcher(m)
                    .and_then(|matcher| check_regex(&matcher).map(|()| matcher))
                    .map_err(|why| format!("alertmanager.matchers[{i}]: {m:?} {why}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Alertmanager { url, matchers })
    }
}

/// A `=~` or `!~` value must be a regular expression Alertmanager compiles, or every poll
/// would be refused at run time. Alertmanager anchors it (`^(?:VALUE)$`) and uses RE2
/// syntax, which the `regex` crate shares; the error completes "`<text>` …".
pub(super) fn check_regex(m: &Matcher) -> Result<(), String> {
    if !matches!(m.op, MatchOp::Regex | MatchOp::NotRegex) {
        return Ok(());
    }
    regex::Regex::new(&format!("^(?:{})$", m.value))
        .map(drop)
        .map_err(|e| {
            // The crate's message is several lines (the pattern, a caret, then "error: …");
            // the last says what is wrong.
            let text = e.to_string();
            let why = text
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or(&text);
            let why = why.trim().strip_prefix("error: ").unwrap_or(why.trim());
            format!(
                "has a value that is not a regular expression: {why} (=~ and !~ take RE2 \
                 syntax, matched against the whole label value)"
            )
        })
}

/// Parses `NAME OP "VALUE"` (spaces allowed around OP); the error completes "`<text>` …".
pub(super) fn parse_matcher(text: &str) -> Result<Matcher, String> {
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
