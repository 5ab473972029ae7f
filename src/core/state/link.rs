//! The main feed's link and its outages: one timeline entry per outage, kept up to date with
//! the attempts so far and closed with how long it lasted, never an entry per attempt.

use crate::core::effects::{Applied, Change};
use crate::core::severity::Severity;
use crate::core::source::{Link, SourceStatus, PROMETHEUS};
use crate::core::time::Offset;
use crate::core::timeline::Kind;

use super::State;

/// An outage of the main feed in progress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outage {
    pub since: Offset,
    /// Connection attempts so far.
    pub attempts: u32,
    /// The newest reason it gave.
    pub reason: Box<str>,
    /// Absolute index (dropped + index) of its timeline entry.
    pub(super) entry: u64,
}

fn up(link: &Link) -> bool {
    matches!(link, Link::Connected | Link::Replay)
}

impl State {
    pub(super) fn source_changed(&mut self, s: SourceStatus, fx: &mut Applied) {
        if s == self.source {
            return;
        }
        fx.dirty = true;
        self.reconsider = true;
        let name = s.name.clone();
        let (was_up, is_up) = (up(&self.source.link), up(&s.link));
        let (attempt, reason) = match &s.link {
            Link::Connecting { attempt } => (*attempt, None),
            Link::Down {
                reason, attempt, ..
            } => (*attempt, Some(reason.clone())),
            _ => (0, None),
        };
        self.source = s;
        if was_up != is_up {
            // The feed's gauges are not heard while it is down; those this console reads from
            // Prometheus itself (it reports that source's health) go on.
            let ours = self.upstreams.iter().any(|u| &*u.name == PROMETHEUS);
            for slo in &mut self.slos {
                if !(ours && slo.source.as_deref() == Some(PROMETHEUS)) {
                    slo.unheard = !is_up;
                }
            }
        }
        match (was_up, is_up, self.outage.as_mut()) {
            (true, false, _) | (false, false, None) => {
                let reason = reason.unwrap_or_else(|| "connecting".into());
                let text = format!("{name}: DOWN: {reason}");
                self.outage = Some(Outage {
                    since: self.now,
                    attempts: attempt,
                    reason,
                    entry: self.timeline.dropped() + self.timeline.len() as u64,
                });
                self.entry(Kind::Source, Severity::Warning, name, text.clone());
                self.change(fx, || Change::Source { text });
            }
            (false, false, Some(o)) => {
                // The countdown to the next attempt moves every second: only a new attempt or
                // a new reason is news for the timeline.
                let reason = reason.unwrap_or_else(|| o.reason.clone());
                if attempt <= o.attempts && reason == o.reason {
                    return;
                }
                o.attempts = o.attempts.max(attempt);
                o.reason = reason;
                let text = format!(
                    "{name}: DOWN since {}: {} · {} attempt{}",
                    o.since.t_label(),
                    o.reason,
                    o.attempts,
                    if o.attempts == 1 { "" } else { "s" }
                );
                let at = o.entry;
                self.timeline.replace_text(at, text.into());
            }
            (false, true, _) => {
                let Some(o) = self.outage.take() else {
                    let text = format!("{name}: connected");
                    self.entry(Kind::Source, Severity::Info, name, text);
                    return;
                };
                let text = format!(
                    "{name}: down for {} ({} attempt{}): {}; connected again at {}",
                    self.now.since(o.since).compact(),
                    o.attempts,
                    if o.attempts == 1 { "" } else { "s" },
                    o.reason,
                    self.now.t_label()
                );
                self.timeline.replace_text(o.entry, text.clone().into());
                self.change(fx, || Change::Source { text });
            }
            (true, true, _) => {}
        }
    }
}
