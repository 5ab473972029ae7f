//! Applying records: waves, checklist ticks, notes, commands and outcomes, incidents, feed
//! lines and records of newer types. Metric samples and alerts have files of their own.

use crate::core::checklist::ItemStatus;
use crate::core::command::{Action, OutcomeKind};
use crate::core::effects::Applied;
use crate::core::effects::Change;
use crate::core::record::{Body, Milestone, Record};
use crate::core::severity::Severity;
use crate::core::state::State;
use crate::core::state::COMMAND_CAP;
use crate::core::time::Offset;
use crate::core::timeline::Kind;
use crate::core::wave::WaveStatus;
use std::fmt::Write as _;
use std::sync::Arc;

impl State {
    pub(super) fn record(&mut self, r: Record, fx: &mut Applied) {
        self.applied += 1;
        fx.dirty = true;
        if r.t > self.now {
            self.clock(r.t, fx);
        }
        self.last_record = Some(r.t);
        // Most records are metric samples that change nothing on the timeline: they name
        // their source only if they make an entry.
        if let Body::Metric { slo, value } = r.body {
            return self.metric(slo, value, r.source, fx);
        }
        let source: Arc<str> = r.source.map_or_else(|| self.source.name.clone(), Arc::from);
        if let Body::Snapshot {
            session,
            text,
            image,
        } = r.body
        {
            return self.restore(r.t, session, text, *image, source, fx);
        }
        match r.body {
            // Applied above: samples without a source, snapshots by restoring.
            Body::Snapshot { .. } | Body::Metric { .. } => {}
            Body::Alert {
                id,
                name,
                state,
                severity,
                summary,
            } => self.alert(id, name, state, severity, summary, source, fx),
            body @ Body::Wave { .. } => self.wave(r.t, source, body, fx),
            body @ Body::Check { .. } => self.check(r.t, source, body, fx),
            body @ Body::Note { .. } => self.note(r.t, source, body, fx),
            body @ Body::Command { .. } => self.command(r.t, source, body, fx),
            body @ Body::Outcome { .. } => self.outcome(r.t, source, body, fx),
            body @ Body::Incident { .. } => self.incident(r.t, source, body, fx),
            body @ Body::Feed { .. } => self.feed_line(r.t, source, body, fx),
            body @ Body::Other { .. } => self.other(r.t, source, body, fx),
        }
    }

    /// A wave changed state (optionally with a new traffic share).
    fn wave(&mut self, t: Offset, source: Arc<str>, body: Body, fx: &mut Applied) {
        let Body::Wave {
            wave,
            state,
            traffic,
            by,
            text,
        } = body
        else {
            return;
        };
        self.reconsider = true;
        let spec = &self.plan.spec.waves[wave];
        let share = traffic.unwrap_or(match state {
            WaveStatus::Active | WaveStatus::Paused => spec.traffic,
            WaveStatus::RolledBack => 0.0,
            _ => self.traffic,
        });
        let label = self.wave_label(wave);
        self.waves[wave].set(state, t);
        self.traffic = share;
        let sev = match state {
            WaveStatus::Failed | WaveStatus::RolledBack => Severity::Critical,
            WaveStatus::Paused => Severity::Warning,
            _ => Severity::Info,
        };
        let mut line = format!("{label} {}", state.word());
        if traffic.is_some() || state == WaveStatus::RolledBack {
            let _ = write!(line, " · traffic {}", self.traffic_label(share));
        }
        push_detail(&mut line, by.as_deref(), text.as_deref());
        self.entry(Kind::Wave, sev, source, line);
        let id = self.plan.spec.waves[wave].id.clone();
        self.change(fx, || Change::Wave {
            wave: id,
            state,
            traffic: share,
        });
        self.verdict(fx);
    }

    /// A checklist item was ticked, failed, waived or reopened.
    fn check(&mut self, t: Offset, source: Arc<str>, body: Body, fx: &mut Applied) {
        let Body::Check {
            section,
            item,
            state,
            by,
            text,
        } = body
        else {
            return;
        };
        let spec = &self.plan.spec.checklist[section].items[item];
        let sec_id = &self.plan.spec.checklist[section].id;
        let mut line = format!("{} {} {}", sec_id, spec.text, state.word());
        push_detail(&mut line, by.as_deref(), text.as_deref());
        let item_id = spec.id.clone();
        let sev = if state == ItemStatus::Failed {
            Severity::Warning
        } else {
            Severity::Info
        };
        let st = &mut self.checklist.items[section][item];
        st.status = state;
        st.at = Some(t);
        st.by.clone_from(&by);
        st.note = text;
        self.entry(Kind::Check, sev, source, line);
        self.change(fx, || Change::Check {
            item: item_id,
            state,
            by: by.map(String::from),
        });
        self.verdict(fx);
    }

    /// A note, for every console.
    fn note(&mut self, t: Offset, source: Arc<str>, body: Body, fx: &mut Applied) {
        let Body::Note { by, text } = body else {
            return;
        };
        if crate::core::status_update::is_update(&text) {
            self.last_status_update = Some(t);
        }
        let line = match &by {
            Some(b) => format!("{b}: {text}"),
            None => text.to_string(),
        };
        self.entry(Kind::Note, Severity::Info, source, line);
        self.change(fx, || Change::Note { text: text.into() });
    }

    /// A command was issued (by any console), remembered for its outcome.
    fn command(&mut self, t: Offset, source: Arc<str>, body: Body, fx: &mut Applied) {
        let Body::Command {
            id,
            action,
            by,
            reason,
            wave,
            item,
        } = body
        else {
            return;
        };
        let mut line = format!("{} requested", action.word().to_uppercase());
        if let Some(w) = wave {
            let _ = write!(line, " on {}", self.wave_label(w));
        }
        if let Some(i) = &item {
            let _ = write!(line, " on {i}");
        }
        push_detail(&mut line, by.as_deref(), reason.as_deref());
        let sev = if action == Action::Rollback {
            Severity::Warning
        } else {
            Severity::Info
        };
        self.entry(Kind::Command, sev, source, line);
        let (cid, cby, creason) = (
            id.to_string(),
            by.as_deref().map(String::from),
            reason.as_deref().map(String::from),
        );
        self.change(fx, || Change::Command {
            id: cid,
            action,
            by: cby,
            reason: creason,
        });
        if self.commands.len() == COMMAND_CAP {
            self.commands.remove(0);
        }
        self.commands.push(CommandInfo {
            id,
            action,
            by,
            reason,
            wave,
            at: t,
            outcome: None,
        });
    }

    /// A command's outcome.
    fn outcome(&mut self, _t: Offset, source: Arc<str>, body: Body, fx: &mut Applied) {
        let Body::Outcome { id, result, reason } = body else {
            return;
        };
        let action = self
            .commands
            .iter()
            .rev()
            .find(|c| c.id == id)
            .map(|c| c.action);
        let what = action.map_or_else(|| format!("command {id}"), |a| a.word().to_uppercase());
        let word = result.word();
        let mut line = format!("{what} {word}");
        if let Some(why) = &reason {
            line.push_str(": ");
            line.push_str(why);
        }
        let sev = match result {
            OutcomeKind::Accepted => Severity::Info,
            OutcomeKind::Rejected | OutcomeKind::Conflict => Severity::Warning,
            OutcomeKind::Failed | OutcomeKind::Unknown => Severity::Critical,
        };
        self.entry(Kind::Command, sev, source, line);
        let (cid, creason) = (id.to_string(), reason.as_deref().map(String::from));
        self.change(fx, || Change::Outcome {
            id: cid,
            result,
            reason: creason,
        });
        if let Some(c) = self.commands.iter_mut().rev().find(|c| c.id == id) {
            c.outcome = Some((result, reason));
        }
    }

    /// An incident milestone.
    fn incident(&mut self, t: Offset, source: Arc<str>, body: Body, fx: &mut Applied) {
        let Body::Incident {
            milestone,
            severity,
            text,
        } = body
        else {
            return;
        };
        self.reconsider = true;
        let sev = severity.unwrap_or(match milestone {
            Milestone::Detected => Severity::Critical,
            Milestone::Acknowledged => Severity::Warning,
            _ => Severity::Info,
        });
        let mut line = format!("Incident {}", milestone.word());
        push_detail(&mut line, None, text.as_deref());
        self.entry(Kind::Incident, sev, source, line);
        self.milestones.push((milestone, t));
        if milestone == Milestone::Detected {
            self.incident_severity = severity.unwrap_or(Severity::Critical);
        } else if let Some(sev) = severity {
            // A later milestone may say the incident is graver (or lighter) than first thought.
            self.incident_severity = sev;
        }
        self.change(fx, || Change::Incident { milestone });
    }

    /// A feed's own status line.
    fn feed_line(&mut self, _t: Offset, source: Arc<str>, body: Body, fx: &mut Applied) {
        let Body::Feed { text } = body else {
            return;
        };
        self.entry(Kind::Source, Severity::Info, source, text.to_string());
        self.change(fx, || Change::Source { text: text.into() });
    }

    /// A record of a type from a newer format version.
    fn other(&mut self, _t: Offset, source: Arc<str>, body: Body, fx: &mut Applied) {
        let Body::Other { kind, text } = body else {
            return;
        };
        self.unknown += 1;
        let line = format!("[{kind}] {text}");
        self.entry(Kind::Other, Severity::Info, source, line);
        self.change(fx, || Change::Unknown { kind: kind.into() });
    }

    /// Re-evaluates the checklist verdict (after a tick or a wave change) and reports a flip.
    pub(super) fn verdict(&mut self, fx: &mut Applied) {
        let t = self.tally();
        let go = t.blocking == 0;
        if go != self.verdict_go {
            self.verdict_go = go;
            self.change(fx, || Change::Verdict {
                go,
                blocking: t.blocking,
            });
        }
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CommandInfo {
    pub id: Box<str>,
    pub action: Action,
    pub by: Option<Box<str>>,
    pub reason: Option<Box<str>>,
    pub wave: Option<usize>,
    pub at: Offset,
    pub outcome: Option<(OutcomeKind, Option<Box<str>>)>,
}

fn push_detail(line: &mut String, by: Option<&str>, text: Option<&str>) {
    if let Some(t) = text {
        line.push_str(" — ");
        line.push_str(t);
    }
    if let Some(b) = by {
        line.push_str(" (");
        line.push_str(b);
        line.push(')');
    }
}
