//! Alerts (deduplicated by id, counted when over the cap) and the health of the sources
//! besides the main feed.

use crate::core::effects::Change;
use crate::core::effects::Effects;
use crate::core::record::AlertState;
use crate::core::severity::Severity;
use crate::core::source::Link;
use crate::core::source::SourceStatus;
use crate::core::state::State;
use crate::core::state::ALERT_CAP;
use crate::core::time::Offset;
use crate::core::timeline::Kind;
use std::sync::Arc;

impl State {
    pub(super) fn upstream(&mut self, s: SourceStatus, fx: &mut Effects) {
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
        fx: &mut Effects,
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
                let since = self.alerts.get(&id).map_or(self.now, |a| a.since);
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

#[derive(Clone, Debug)]
pub struct AlertInfo {
    pub name: Box<str>,
    pub severity: Severity,
    pub summary: Option<Box<str>>,
    pub since: Offset,
    pub silenced: bool,
}
