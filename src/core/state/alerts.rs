//! Alerts (deduplicated by id, counted when over the cap) and the health of the sources
//! besides the main feed.

use crate::core::effects::Applied;
use crate::core::effects::Change;
use crate::core::record::AlertState;
use crate::core::severity::Severity;
use crate::core::source::Link;
use crate::core::source::{SourceStatus, ALERTMANAGER};
use crate::core::state::State;
use crate::core::state::ALERT_CAP;
use crate::core::time::Offset;
use crate::core::timeline::Kind;
use std::sync::Arc;

impl State {
    /// Whether the source that reports alert `id` is answering: Alertmanager for its own
    /// alerts (ids `am:…`), the feed for the rest.
    #[must_use]
    pub fn alert_source_up(&self, id: &str) -> bool {
        if id.starts_with("am:") {
            self.upstreams
                .iter()
                .find(|u| &*u.name == ALERTMANAGER)
                .is_none_or(|u| !matches!(u.link, Link::Down { .. }))
        } else {
            matches!(self.source.link, Link::Connected | Link::Replay)
        }
    }

    /// Firing alerts last heard from a source that is not answering now.
    #[must_use]
    pub fn alerts_unknown(&self) -> usize {
        self.alerts
            .iter()
            .filter(|(id, a)| !a.silenced && !self.alert_source_up(id))
            .count()
    }

    /// The source of alerts that is down, if one is: an alert gate cannot be green then.
    #[must_use]
    pub fn alert_source_down(&self) -> Option<&str> {
        if let Some(am) = self.upstreams.iter().find(|u| &*u.name == ALERTMANAGER) {
            return matches!(am.link, Link::Down { .. }).then_some(&*am.name);
        }
        (!matches!(self.source.link, Link::Connected | Link::Replay)).then_some(&*self.source.name)
    }

    pub(super) fn upstream(&mut self, s: SourceStatus, fx: &mut Applied) {
        let known = self.upstreams.iter().position(|u| u.name == s.name);
        if known.is_some_and(|i| self.upstreams[i] == s) {
            return;
        }
        let text = s.describe("answering", "failing");
        let sev = if matches!(s.link, Link::Down { .. }) {
            Severity::Warning
        } else {
            Severity::Info
        };
        let name = s.name.clone();
        self.reconsider = true;
        match known {
            Some(i) => self.upstreams[i] = s,
            None => self.upstreams.push(s),
        }
        self.entry(Kind::Source, sev, name, text.clone());
        self.change(fx, || Change::Source { text });
        fx.dirty = true;
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn alert(
        &mut self,
        id: Box<str>,
        name: Box<str>,
        state: AlertState,
        severity: Severity,
        summary: Option<Box<str>>,
        source: Arc<str>,
        fx: &mut Applied,
    ) {
        self.reconsider = true;
        let known = self.alerts.get(&id).map(|a| (a.silenced, a.severity));
        let detail = summary
            .as_deref()
            .map(|s| format!(": {s}"))
            .unwrap_or_default();
        let line_for = |what: &str| format!("{name} {what}{detail}");
        let (entry, sev, reported) = match state {
            AlertState::Firing | AlertState::Silenced => {
                let silenced = state == AlertState::Silenced;
                if known == Some((silenced, severity)) {
                    return; // already known in this state: the same alert again, not news
                }
                if known.is_none() && self.alerts.len() >= ALERT_CAP {
                    self.alerts_dropped += 1;
                    return;
                }
                let since = self.alerts.get(&id).map_or(self.at, |a| a.since);
                self.alert_sources.insert(id.clone(), source.clone());
                self.resolved.retain(|r| r.id != id);
                let info = AlertInfo {
                    name: name.clone(),
                    severity,
                    summary,
                    since,
                    silenced,
                };
                self.alerts.insert(id, info);
                if silenced {
                    (line_for("SILENCED"), Severity::Info, severity)
                } else {
                    (
                        line_for(&format!("FIRING ({})", severity.word())),
                        severity,
                        severity,
                    )
                }
            }
            AlertState::Resolved => match self.alerts.remove(&id) {
                Some(was) => {
                    let severity = was.severity;
                    let source = self.alert_sources.remove(&id).unwrap_or(source.clone());
                    if self.resolved.len() >= RESOLVED_CAP {
                        self.resolved.pop_front();
                    }
                    self.resolved.push_back(ResolvedAlert {
                        id: id.clone(),
                        info: was,
                        source,
                        at: self.at,
                    });
                    (line_for("resolved"), Severity::Info, severity)
                }
                None => return,
            },
        };
        self.entry(Kind::Alert, sev, source, entry);
        self.change(fx, || Change::Alert {
            name: name.into(),
            state,
            severity: reported,
        });
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AlertInfo {
    pub name: Box<str>,
    pub severity: Severity,
    pub summary: Option<Box<str>>,
    pub since: Offset,
    pub silenced: bool,
}

/// Resolved alerts the alerts list keeps (the newest).
pub const RESOLVED_CAP: usize = 32;

/// An alert that resolved, as the alerts list shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct ResolvedAlert {
    pub id: Box<str>,
    pub info: AlertInfo,
    pub source: Arc<str>,
    pub at: Offset,
}

/// The alerts firing, by the one rule the header, the gates and the alerts list share:
/// unsilenced, from a source that is answering.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AlertCounts {
    pub crit: usize,
    /// Firing at warning severity (not counting the critical ones).
    pub warn: usize,
    pub silenced: usize,
    /// Firing when last heard, from a source that is not answering now.
    pub unknown: usize,
}

/// Where an alert in the list stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertRowState {
    Firing,
    /// Firing when last heard; its source is not answering.
    Unknown,
    Silenced,
    Resolved,
}

impl AlertRowState {
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            AlertRowState::Firing => "FIRING",
            AlertRowState::Unknown => "UNKNOWN",
            AlertRowState::Silenced => "SILENCED",
            AlertRowState::Resolved => "resolved",
        }
    }
}

/// One row of the alerts list.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertRow<'a> {
    pub id: &'a str,
    pub state: AlertRowState,
    pub info: &'a AlertInfo,
    pub source: &'a str,
    /// When it resolved (resolved alerts only).
    pub resolved_at: Option<Offset>,
}

impl State {
    /// The alerts firing, by the rule every part of the screen uses.
    #[must_use]
    pub fn alert_counts(&self) -> AlertCounts {
        let mut c = AlertCounts::default();
        for (id, a) in &self.alerts {
            if a.silenced {
                c.silenced += 1;
            } else if !self.alert_source_up(id) {
                c.unknown += 1;
            } else if a.severity == Severity::Critical {
                c.crit += 1;
            } else if a.severity == Severity::Warning {
                c.warn += 1;
            }
        }
        c
    }

    /// Where the alert `id` came from: the source its record named, else Alertmanager for
    /// its own ids and the feed for the rest.
    #[must_use]
    pub fn alert_source(&self, id: &str) -> &str {
        match self.alert_sources.get(id) {
            Some(s) => s,
            None if id.starts_with("am:") => ALERTMANAGER,
            None => &self.source.name,
        }
    }

    /// The alerts list: firing ones first (critical, then warning, then info; the oldest
    /// first within a severity), then those whose source is down, the silenced ones, and the
    /// recently resolved ones, newest first.
    #[must_use]
    pub fn alert_rows(&self) -> Vec<AlertRow<'_>> {
        let mut rows: Vec<AlertRow<'_>> = self
            .alerts
            .iter()
            .map(|(id, a)| AlertRow {
                id,
                state: if a.silenced {
                    AlertRowState::Silenced
                } else if self.alert_source_up(id) {
                    AlertRowState::Firing
                } else {
                    AlertRowState::Unknown
                },
                info: a,
                source: self.alert_source(id),
                resolved_at: None,
            })
            .collect();
        let rank = |s: AlertRowState| match s {
            AlertRowState::Firing => 0,
            AlertRowState::Unknown => 1,
            AlertRowState::Silenced => 2,
            AlertRowState::Resolved => 3,
        };
        rows.sort_by(|a, b| {
            (
                rank(a.state),
                std::cmp::Reverse(a.info.severity),
                a.info.since,
                a.id,
            )
                .cmp(&(
                    rank(b.state),
                    std::cmp::Reverse(b.info.severity),
                    b.info.since,
                    b.id,
                ))
        });
        rows.extend(self.resolved.iter().rev().map(|r| AlertRow {
            id: &r.id,
            state: AlertRowState::Resolved,
            info: &r.info,
            source: &r.source,
            resolved_at: Some(r.at),
        }));
        rows
    }
}
