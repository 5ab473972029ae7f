//! The Unleash actuator: a feature flag's gradual rollout (`flexibleRollout`) in one
//! environment, driven through Unleash's admin API, and the flag's changes made outside
//! warroom read back from Unleash's event search.
//!
//! Unleash has no optimistic concurrency (no version on flags or strategies, `If-Match` is
//! ignored), so every command re-reads the flag before it writes, writes one change at a
//! time (a lock around the whole command), reads the flag back afterwards and compares. The
//! JSON Patch that moves the percentage carries a `test` of the value just read: it catches
//! most changes made in between, though it is no lock.
//!
//! Unleash's event search has no "after id" filter: it is read newest first down to the last
//! id seen. The events warroom's own writes produced are recognised by id (read right after
//! each write), not by author, since a person may act with the same token.

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::{Method, StatusCode, Url};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::Mutex;

use crate::core::command::Verb;
use crate::server::scenario::{Actuated, Actuation};

use super::Outside;

/// The strategy warroom drives.
const FLEXIBLE: &str = "flexibleRollout";
/// Events asked for per page of the event search.
const PAGE: usize = 100;
/// Pages read at most per call of [`Unleash::outside_changes`].
const PAGES: usize = 10;
/// Longest line made from an event or an answer of Unleash's, in characters.
const LINE: usize = 160;

/// One flag in one environment of one project.
pub struct Unleash {
    http: reqwest::Client,
    url: Url,
    token: String,
    project: String,
    environment: String,
    feature: String,
    timeout: Duration,
    /// Held for a whole command or poll: one writer at a time.
    book: Mutex<Book>,
}

/// What the actuator remembers between calls.
#[derive(Debug, Default)]
struct Book {
    /// The newest event id [`Unleash::outside_changes`] has read; `None` before its first call.
    seen: Option<u64>,
    /// Ids of the events warroom's own writes produced, newer than `seen`.
    own: BTreeSet<u64>,
}

/// Why a request did not give the answer wanted.
#[derive(Debug)]
enum Fail {
    /// Unleash answered with an error status, in these words.
    Refused(StatusCode, String),
    /// No answer. `sent`: the request may have reached Unleash (it was not a refused or
    /// failed connection).
    Transport { sent: bool, why: String },
    /// An answer that is not what Unleash's API documents.
    Garbled(String),
    /// The flag changed between warroom's read and its write; nothing was written.
    Conflict(String),
}

/// The flag in the environment, as `GET …/environments/ENV` gives it.
#[derive(Debug, Deserialize)]
struct EnvState {
    enabled: bool,
    #[serde(default)]
    strategies: Vec<Strategy>,
}

#[derive(Debug, Deserialize)]
struct Strategy {
    id: String,
    name: String,
    #[serde(default)]
    parameters: serde_json::Map<String, Value>,
    #[serde(default)]
    disabled: Option<bool>,
}

impl Strategy {
    fn rollout(&self) -> Option<&str> {
        self.parameters.get("rollout").and_then(Value::as_str)
    }
}

impl EnvState {
    /// The first gradual-rollout strategy.
    fn flexible(&self) -> Option<&Strategy> {
        self.strategies.iter().find(|s| s.name == FLEXIBLE)
    }

    /// The rollout percentage as read, if there is a gradual rollout.
    fn rollout(&self) -> Option<&str> {
        self.flexible().and_then(Strategy::rollout)
    }
}

/// One event of the event search.
#[derive(Debug, Deserialize)]
struct Event {
    id: u64,
    #[serde(rename = "type")]
    kind: String,
    #[serde(rename = "createdBy", default)]
    created_by: Option<String>,
    #[serde(default)]
    environment: Option<String>,
    #[serde(default)]
    data: Option<Value>,
    #[serde(rename = "preData", default)]
    pre_data: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct Events {
    events: Vec<Event>,
}

/// An event one of warroom's writes is expected to produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// A gradual rollout added or updated, to this percentage.
    Rollout(u32),
    Enabled,
    Disabled,
}

/// The writes of one command that Unleash confirmed, and the events to look for.
#[derive(Debug, Default)]
struct Progress {
    done: Vec<String>,
    expect: Vec<Expect>,
}

impl Unleash {
    /// # Errors
    /// The HTTP client cannot be built.
    pub fn new(
        url: Url,
        token: String,
        project: String,
        environment: String,
        feature: String,
        timeout: Duration,
    ) -> Result<Unleash, String> {
        let http = crate::shell::http_client()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("warroom/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("unleash client: {e}"))?;
        Ok(Unleash {
            http,
            url,
            token,
            project,
            environment,
            feature,
            timeout,
            book: Mutex::new(Book::default()),
        })
    }

    /// Carries out one command on the flag.
    pub async fn actuate(&self, a: &Actuation) -> Actuated {
        let mut book = self.book.lock().await;
        match a.verb {
            Verb::Advance => self.advance(a.traffic, a.complete, &mut book).await,
            Verb::Rollback => self.rollback(&mut book).await,
            // The conductor holds these itself; nothing in Unleash changes.
            Verb::Pause | Verb::Resume => Actuated::Applied {
                output: format!(
                    "{} {}: {} changes nothing in Unleash",
                    self.feature,
                    self.environment,
                    a.verb.word()
                ),
            },
        }
    }

    /// Whether the actuation's change is in Unleash: for an advance, the flag on with the
    /// wave's rollout percentage; for a rollback, the flag off. Pause and resume change
    /// nothing there.
    pub async fn observe(&self, a: &Actuation) -> super::Observed {
        let env = match self.read_env().await {
            Ok(e) => e,
            Err(f) => {
                return super::Observed::Cannot {
                    reason: describe_fail(&f, "reading the flag back"),
                }
            }
        };
        let rollout = env.rollout().and_then(parse_percent);
        let done = match a.verb {
            Verb::Advance => {
                env.enabled && rollout.is_some() && rollout == whole_percent(a.traffic)
            }
            Verb::Rollback => !env.enabled,
            Verb::Pause | Verb::Resume => true,
        };
        if done {
            super::Observed::Done {
                output: format!(
                    "read back from Unleash: {} {}: {}, rollout {}",
                    self.feature,
                    self.environment,
                    on_off(env.enabled),
                    rollout.map_or_else(|| "none".to_string(), |r| format!("{r}%"))
                ),
            }
        } else {
            super::Observed::NotDone
        }
    }

    /// Changes to the flag made outside warroom since the previous call (the first call
    /// only sets the starting point). Events of other environments are left out; the flag's
    /// own (archived, renamed, …) are kept.
    ///
    /// # Errors
    /// Unleash cannot be reached or answers with an error; the message says which.
    pub async fn outside_changes(&self) -> Result<Vec<Outside>, String> {
        let mut book = self.book.lock().await;
        let seen = book.seen;
        // Newest first, down to the last id seen. Events written between two pages shift the
        // offsets, so each page keeps only ids below the previous page's.
        let mut fresh: Vec<Event> = Vec::new();
        let mut offset = 0;
        'pages: for _ in 0..PAGES {
            let page = self
                .events(PAGE, offset)
                .await
                .map_err(|f| describe_fail(&f, "reading the event search"))?;
            let n = page.len();
            for e in page {
                if seen.is_some_and(|s| e.id <= s) {
                    break 'pages;
                }
                if fresh.last().is_none_or(|last| e.id < last.id) {
                    fresh.push(e);
                }
            }
            if seen.is_none() || n < PAGE {
                break;
            }
            offset += n;
        }
        let newest = fresh.first().map_or(seen.unwrap_or(0), |e| e.id);
        let Some(seen) = seen else {
            book.seen = Some(newest);
            book.own.retain(|id| *id > newest);
            return Ok(Vec::new());
        };
        let out = fresh
            .iter()
            .rev()
            .filter(|e| e.id > seen && !book.own.contains(&e.id))
            .filter(|e| {
                e.environment
                    .as_deref()
                    .is_none_or(|env| env == self.environment)
            })
            .map(|e| Outside {
                by: e.created_by.clone().filter(|b| !b.trim().is_empty()),
                text: event_line(e),
            })
            .collect();
        book.seen = Some(newest);
        book.own.retain(|id| *id > newest);
        Ok(out)
    }

    /// Sets the gradual rollout to `traffic` percent and enables the flag.
    async fn advance(&self, traffic: f64, complete: bool, book: &mut Book) -> Actuated {
        let Some(pct) = whole_percent(traffic) else {
            return Actuated::Failed {
                reason: format!(
                    "Unleash takes a whole percentage from 0 to 100, and the wave's traffic \
                     is {traffic}%"
                ),
            };
        };
        let mut p = Progress::default();
        let (env, before) = match self.read_before().await {
            Ok(x) => x,
            Err(f) => return verdict(&p, &f, false, "reading the flag"),
        };
        if let Err((f, write)) = self.set_rollout(&env, pct, &mut p).await {
            return verdict(&p, &f, write, "setting the rollout");
        }
        if !env.enabled {
            if let Err(f) = self.write(Method::POST, &["on"], None).await {
                return verdict(&p, &f, true, "enabling the flag");
            }
            p.done.push(format!("enabled in {}", self.environment));
            p.expect.push(Expect::Enabled);
        }
        let after = match self.read_env().await {
            Ok(e) => e,
            Err(f) => return verdict(&p, &f, false, "reading the flag back"),
        };
        let want = pct.to_string();
        let got = after.rollout();
        if !after.enabled || got.and_then(parse_percent) != Some(pct) {
            return Actuated::Failed {
                reason: format!(
                    "read back from Unleash: {}, rollout {}; expected on, rollout {want}%",
                    on_off(after.enabled),
                    got.map_or_else(|| "none".to_string(), |r| format!("{r}%")),
                ),
            };
        }
        self.claim(&p, before, book).await;
        Actuated::Applied {
            output: format!(
                "{} {}: on, rollout {want}%{}",
                self.feature,
                self.environment,
                if complete { ", complete" } else { "" }
            ),
        }
    }

    /// Makes the flag's gradual rollout `pct` percent (and not disabled), adding the strategy
    /// when there is none. On failure, whether the failing request was a write.
    async fn set_rollout(
        &self,
        env: &EnvState,
        pct: u32,
        p: &mut Progress,
    ) -> Result<(), (Fail, bool)> {
        let want = pct.to_string();
        let Some(s) = env.flexible() else {
            let body = json!({
                "name": FLEXIBLE,
                "parameters": {
                    "rollout": want,
                    "stickiness": "default",
                    "groupId": self.feature,
                },
                "constraints": [],
            });
            self.write(Method::POST, &["strategies"], Some(&body))
                .await
                .map_err(|f| (f, true))?;
            p.done.push(format!("rollout {want}% added"));
            p.expect.push(Expect::Rollout(pct));
            return Ok(());
        };
        let current = s.rollout();
        let disabled = s.disabled == Some(true);
        if current.and_then(parse_percent) == Some(pct) && !disabled {
            return Ok(());
        }
        let mut ops = Vec::new();
        match current {
            // A change made since the read above makes Unleash refuse the whole patch.
            Some(old) => {
                ops.push(json!({"op": "test", "path": "/parameters/rollout", "value": old}));
                ops.push(json!({"op": "replace", "path": "/parameters/rollout", "value": want}));
            }
            None => ops.push(json!({"op": "add", "path": "/parameters/rollout", "value": want})),
        }
        if disabled {
            ops.push(json!({"op": "replace", "path": "/disabled", "value": false}));
        }
        self.write(
            Method::PATCH,
            &["strategies", &s.id],
            Some(&Value::Array(ops)),
        )
        .await
        .map_err(|f| match f {
            Fail::Refused(_, words) if words.contains("Test operation failed") => (
                Fail::Conflict(format!(
                    "the rollout changed in Unleash while warroom set it (it was {}%); \
                         nothing was written",
                    current.unwrap_or("?")
                )),
                false,
            ),
            f => (f, true),
        })?;
        p.done.push(match current {
            Some(old) => format!("rollout {old}% → {want}%"),
            None => format!("rollout set to {want}%"),
        });
        p.expect.push(Expect::Rollout(pct));
        Ok(())
    }

    /// Disables the flag in the environment.
    async fn rollback(&self, book: &mut Book) -> Actuated {
        let mut p = Progress::default();
        let (env, before) = match self.read_before().await {
            Ok(x) => x,
            Err(f) => return verdict(&p, &f, false, "reading the flag"),
        };
        if env.enabled {
            if let Err(f) = self.write(Method::POST, &["off"], None).await {
                return verdict(&p, &f, true, "disabling the flag");
            }
            p.done.push(format!("disabled in {}", self.environment));
            p.expect.push(Expect::Disabled);
        }
        let after = match self.read_env().await {
            Ok(e) => e,
            Err(f) => return verdict(&p, &f, false, "reading the flag back"),
        };
        if after.enabled {
            return Actuated::Failed {
                reason: "read back from Unleash: still on; expected off".to_string(),
            };
        }
        self.claim(&p, before, book).await;
        let kept = after
            .rollout()
            .map(|r| format!(" (rollout {r}% kept)"))
            .unwrap_or_default();
        let was = if env.enabled { "" } else { " already" };
        Actuated::Applied {
            output: format!("{} {}: off{was}{kept}", self.feature, self.environment),
        }
    }

    /// The flag in the environment and the newest event id before any write.
    async fn read_before(&self) -> Result<(EnvState, u64), Fail> {
        let env = self.read_env().await?;
        let newest = self.events(1, 0).await?.first().map_or(0, |e| e.id);
        Ok((env, newest))
    }

    /// Remembers as warroom's own the events newer than `before` that its writes produced.
    /// A failure to read them is not the command's: at worst they show as outside changes.
    async fn claim(&self, p: &Progress, before: u64, book: &mut Book) {
        if p.expect.is_empty() {
            return;
        }
        let Ok(events) = self.events(PAGE, 0).await else {
            return;
        };
        let mut expect = p.expect.clone();
        for e in events.iter().rev().filter(|e| e.id > before) {
            if e.environment.as_deref() != Some(self.environment.as_str()) {
                continue;
            }
            let produced = match e.kind.as_str() {
                "feature-strategy-add" | "feature-strategy-update" => {
                    let data = e.data.as_ref();
                    let name = data.and_then(|d| d.get("name")).and_then(Value::as_str);
                    data.and_then(|d| d.pointer("/parameters/rollout"))
                        .and_then(Value::as_str)
                        .and_then(parse_percent)
                        .filter(|_| name == Some(FLEXIBLE))
                        .map(Expect::Rollout)
                }
                "feature-environment-enabled" => Some(Expect::Enabled),
                "feature-environment-disabled" => Some(Expect::Disabled),
                _ => None,
            };
            if let Some(i) = produced.and_then(|x| expect.iter().position(|y| *y == x)) {
                expect.remove(i);
                book.own.insert(e.id);
            }
        }
    }

    /// `URL/api/admin/projects/P/features/F/environments/E/<tail>`.
    fn env_url(&self, tail: &[&str]) -> Url {
        let mut path = vec![
            "api",
            "admin",
            "projects",
            self.project.as_str(),
            "features",
            self.feature.as_str(),
            "environments",
            self.environment.as_str(),
        ];
        path.extend_from_slice(tail);
        self.at(&path)
    }

    fn at(&self, path: &[&str]) -> Url {
        let mut u = self.url.clone();
        u.set_query(None);
        u.set_fragment(None);
        if let Ok(mut segments) = u.path_segments_mut() {
            segments.pop_if_empty().extend(path);
        }
        u
    }

    async fn read_env(&self) -> Result<EnvState, Fail> {
        let v = self.request(Method::GET, self.env_url(&[]), None).await?;
        serde_json::from_value(v).map_err(|e| Fail::Garbled(format!("the flag's state: {e}")))
    }

    /// The flag's events, newest first.
    async fn events(&self, limit: usize, offset: usize) -> Result<Vec<Event>, Fail> {
        let mut u = self.at(&["api", "admin", "search", "events"]);
        u.query_pairs_mut()
            .append_pair("feature", &format!("IS:{}", self.feature))
            .append_pair("limit", &limit.to_string())
            .append_pair("offset", &offset.to_string());
        let v = self.request(Method::GET, u, None).await?;
        serde_json::from_value::<Events>(v)
            .map(|e| e.events)
            .map_err(|e| Fail::Garbled(format!("the event search: {e}")))
    }

    async fn write(&self, method: Method, tail: &[&str], body: Option<&Value>) -> Result<(), Fail> {
        self.request(method, self.env_url(tail), body)
            .await
            .map(drop)
    }

    /// One request; the answer's JSON (`null` for an empty one).
    async fn request(&self, method: Method, url: Url, body: Option<&Value>) -> Result<Value, Fail> {
        let mut req = self
            .http
            .request(method, url)
            .header(reqwest::header::AUTHORIZATION, &self.token)
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.map_err(|e| self.transport(&e))?;
        let status = resp.status();
        let text = resp.text().await.map_err(|e| self.transport(&e))?;
        if !status.is_success() {
            return Err(Fail::Refused(status, words(&text)));
        }
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text)
            .map_err(|e| Fail::Garbled(format!("an answer that is not JSON ({e})")))
    }

    fn transport(&self, e: &reqwest::Error) -> Fail {
        let host = self.url.host_str().unwrap_or("?");
        let at = match self.url.port_or_known_default() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        };
        if e.is_connect() {
            let why = if e.is_timeout() {
                format!(
                    "cannot connect to Unleash at {at} within {:?}",
                    self.timeout
                )
            } else {
                format!("cannot connect to Unleash at {at}: {}", root_cause(e))
            };
            Fail::Transport { sent: false, why }
        } else if e.is_timeout() {
            Fail::Transport {
                sent: true,
                why: format!("no answer from Unleash at {at} within {:?}", self.timeout),
            }
        } else {
            Fail::Transport {
                sent: true,
                why: format!("Unleash at {at}: {}", root_cause(e)),
            }
        }
    }
}

/// The answer to a command that stopped at `f` while `doing`: failed when nothing can have
/// changed, unknown when something did or may have.
fn verdict(p: &Progress, f: &Fail, write: bool, doing: &str) -> Actuated {
    let maybe = write && matches!(f, Fail::Transport { sent: true, .. });
    let why = describe_fail(f, doing);
    if p.done.is_empty() && !maybe {
        Actuated::Failed { reason: why }
    } else if p.done.is_empty() {
        Actuated::Unknown {
            reason: format!("{why}; the change may or may not have been made"),
        }
    } else {
        Actuated::Unknown {
            reason: format!("{} was done, then {why}", p.done.join(", ")),
        }
    }
}

fn describe_fail(f: &Fail, doing: &str) -> String {
    match f {
        Fail::Refused(status, words) if words.is_empty() => {
            format!("{doing}: Unleash answered HTTP {}", status.as_u16())
        }
        Fail::Refused(status, words) => {
            format!("{doing}: {words} (HTTP {})", status.as_u16())
        }
        Fail::Transport { why, .. } | Fail::Garbled(why) | Fail::Conflict(why) => {
            format!("{doing}: {why}")
        }
    }
}

/// Unleash's own words from an error answer (`{"message": …}`), first line, short.
fn words(body: &str) -> String {
    let message = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| body.to_string());
    short(message.lines().next().unwrap_or_default().trim())
}

/// At most [`LINE`] characters.
fn short(s: &str) -> String {
    if s.chars().count() <= LINE {
        return s.to_string();
    }
    let mut out: String = s.chars().take(LINE - 1).collect();
    out.push('…');
    out
}

fn on_off(enabled: bool) -> &'static str {
    if enabled {
        "on"
    } else {
        "off"
    }
}

/// A traffic share as the whole percentage Unleash's gradual rollout takes.
fn whole_percent(traffic: f64) -> Option<u32> {
    (traffic.is_finite() && traffic.fract() == 0.0 && (0.0..=100.0).contains(&traffic))
        .then_some(traffic as u32)
}

/// A rollout parameter (`"25"`) as a whole percentage.
fn parse_percent(s: &str) -> Option<u32> {
    s.trim().parse::<f64>().ok().and_then(whole_percent)
}

/// One line saying what an event changed.
fn event_line(e: &Event) -> String {
    let env = e
        .environment
        .as_deref()
        .map(|x| format!(" in {x}"))
        .unwrap_or_default();
    let field = |v: Option<&Value>, ptr: &str| {
        v.and_then(|d| d.pointer(ptr))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let rollout = |v: Option<&Value>| field(v, "/parameters/rollout");
    let (data, pre) = (e.data.as_ref(), e.pre_data.as_ref());
    let name = field(data, "/name")
        .or_else(|| field(pre, "/name"))
        .unwrap_or_else(|| "strategy".to_string());
    let disabled = |v: Option<&Value>| {
        v.and_then(|d| d.get("disabled"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    let line = match e.kind.as_str() {
        "feature-environment-enabled" => format!("enabled{env}"),
        "feature-environment-disabled" => format!("disabled{env}"),
        "feature-strategy-update" => match (rollout(pre), rollout(data)) {
            (Some(a), Some(b)) if a != b => format!("rollout {a}% → {b}%{env}"),
            _ if disabled(data) != disabled(pre) => {
                let what = if disabled(data) { "off" } else { "on" };
                format!("strategy {name} switched {what}{env}")
            }
            _ => format!("strategy {name} updated{env}"),
        },
        "feature-strategy-add" => match rollout(data) {
            Some(r) => format!("strategy {name} added{env}, rollout {r}%"),
            None => format!("strategy {name} added{env}"),
        },
        "feature-strategy-remove" => format!("strategy {name} removed{env}"),
        "feature-archived" => "flag archived".to_string(),
        "feature-revived" => "flag revived".to_string(),
        "feature-deleted" => "flag deleted".to_string(),
        other => format!("{other}{env}"),
    };
    short(&line)
}

/// The innermost error's words (reqwest wraps hyper wraps io).
fn root_cause(e: &dyn std::error::Error) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, env: Option<&str>, pre: Option<Value>, data: Option<Value>) -> Event {
        Event {
            id: 1,
            kind: kind.to_string(),
            created_by: Some("alice@example.com".to_string()),
            environment: env.map(str::to_owned),
            data,
            pre_data: pre,
        }
    }

    #[test]
    fn event_lines_say_what_changed() {
        let s = |r: &str| json!({"name": FLEXIBLE, "parameters": {"rollout": r}});
        let e = event(
            "feature-strategy-update",
            Some("production"),
            Some(s("25")),
            Some(s("40")),
        );
        assert_eq!(event_line(&e), "rollout 25% → 40% in production");
        let e = event(
            "feature-environment-disabled",
            Some("production"),
            None,
            None,
        );
        assert_eq!(event_line(&e), "disabled in production");
        let e = event(
            "feature-environment-enabled",
            Some("production"),
            None,
            None,
        );
        assert_eq!(event_line(&e), "enabled in production");
        let e = event("feature-strategy-add", Some("dev"), None, Some(s("10")));
        assert_eq!(
            event_line(&e),
            "strategy flexibleRollout added in dev, rollout 10%"
        );
        let e = event("feature-tagged", None, None, None);
        assert_eq!(event_line(&e), "feature-tagged");
    }

    #[test]
    fn percentages_are_whole() {
        assert_eq!(whole_percent(25.0), Some(25));
        assert_eq!(whole_percent(12.5), None);
        assert_eq!(whole_percent(101.0), None);
        assert_eq!(parse_percent("100"), Some(100));
        assert_eq!(parse_percent("abc"), None);
    }

    #[test]
    fn unleash_words_are_its_message_first_line() {
        let body = r#"{"name":"UnknownError","message":"Test operation failed\nname: X"}"#;
        assert_eq!(words(body), "Test operation failed");
        assert_eq!(words("plain"), "plain");
        assert_eq!(short(&"x".repeat(500)).chars().count(), LINE);
    }
}
