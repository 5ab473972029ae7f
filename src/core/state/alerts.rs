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
                Some(was) => (line_for("resolved"), Severity::Info, was.severity),
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
