//! The detail view's content: one timeline entry, gate, alert, SLO or checklist item, whole,
//! with every field it has (times in T+ and UTC, source, severity, who, why). Built afresh
//! from the state for every frame, so it follows what happens while it is open.

use super::record::Milestone;
use super::severity::Severity;
use super::state::{AlertRowState, State};
use super::time::Offset;
use super::ui::Detail;
use super::words::{burn_label, format_value, trigger_label};

/// What the detail view shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Doc {
    /// What it is: "timeline entry", "gate", "alert", "SLO", "checklist item".
    pub what: &'static str,
    pub title: String,
    pub severity: Severity,
    /// Label and value, in reading order.
    pub fields: Vec<(&'static str, String)>,
    /// The whole text, as paragraphs.
    pub body: Vec<String>,
}

/// "T+4d05:51:00 · 2025-02-07 22:51:00Z".
fn when(s: &State, t: Offset) -> String {
    format!("{} · {}", t.clock_label(), s.plan.spec.t0.utc_label(t))
}

/// The detail of `of`, if it is still there (an entry dropped from memory, an alert gone
/// from the list, a gate of a wave that has moved on are not).
#[must_use]
pub fn doc(s: &State, of: &Detail) -> Option<Doc> {
    match of {
        Detail::Entry(abs) => entry(s, *abs),
        Detail::Gate(label) => gate(s, label),
        Detail::Alert(id) => alert(s, id),
        Detail::Slo(i) => slo(s, *i),
        Detail::Item(sec, i) => item(s, *sec, *i),
        Detail::Incident => incident(s),
        // The app's, not the state's: see [`injects`].
        Detail::Injects => None,
    }
}

/// The injects still to come, as the facilitator's console lists them.
#[must_use]
pub fn injects(s: &State, ex: &super::exercise::Exercise) -> Doc {
    let clock = if ex.paused {
        "PAUSED".to_string()
    } else {
        format!("running ×{}", super::words::trim_number(ex.speed))
    };
    let mut fields = vec![("clock", format!("{clock} at {}", s.now.t_label()))];
    let mut body = Vec::new();
    if ex.injects.is_empty() {
        body.push("No inject is still to come.".into());
    }
    for u in &ex.injects {
        let due = if u.t > s.now {
            format!("in {}", u.t.since(s.now).compact())
        } else {
            "due".into()
        };
        fields.push(("inject", format!("{} at {} ({due})", u.id, u.t.t_label())));
        body.push(format!(
            "{} — {}{}",
            u.id,
            u.gist,
            match u.records {
                0 | 1 => String::new(),
                2 => " (+1 more record)".into(),
                n => format!(" (+{} more records)", n - 1),
            }
        ));
    }
    body.push(
        "Release one now with :release NAME. Space pauses or resumes the room's clock, + and - \
         change its speed, → and S-→ move it forward, n moves it to the next inject."
            .into(),
    );
    Doc {
        what: "injects",
        title: format!("{} injects to come", ex.injects.len()),
        severity: Severity::Info,
        fields,
        body,
    }
}

/// The newest incident's milestones (since its detection, or since the last resolution
/// before it when a recording joined late), in order.
#[must_use]
pub fn newest_incident(s: &State) -> &[(Milestone, Offset)] {
    let m = &s.milestones;
    // The incident the newest milestone belongs to starts after the resolution before it.
    let end = m.len();
    let before_last = end.saturating_sub(1);
    let start = m[..before_last]
        .iter()
        .rposition(|(x, _)| *x == Milestone::Resolved)
        .map_or(0, |i| i + 1);
    &m[start..end]
}

/// Time to acknowledge, mitigate and resolve the newest incident, from its detection: each
/// milestone reached, when, and how long after the detection (`None` for the detection
/// itself, or when the detection is not in view).
#[must_use]
pub fn mttx(s: &State) -> Vec<(Milestone, Offset, Option<super::time::Span>)> {
    let ms = newest_incident(s);
    let detected = ms
        .iter()
        .find(|(m, _)| *m == Milestone::Detected)
        .map(|(_, t)| *t);
    ms.iter()
        .map(|&(m, t)| {
            let after = detected
                .filter(|_| m != Milestone::Detected)
                .map(|d| t.since(d));
            (m, t, after)
        })
        .collect()
}

fn incident(s: &State) -> Option<Doc> {
    let ms = newest_incident(s);
    let &(first, since) = ms.first()?;
    let open = s.open_incident();
    let mut fields = vec![
        ("severity", s.incident_severity.word().to_string()),
        (
            "state",
            match open {
                Some(o) => format!("open, {} — next {}", o.reached.word(), o.next.wire()),
                None => "resolved".into(),
            },
        ),
    ];
    if first != Milestone::Detected {
        fields.push((
            "opened",
            format!("{} (its detection is not in view)", when(s, since)),
        ));
    }
    incident_fields(s, &mut fields);
    if let Some(o) = open {
        fields.push(("open for", s.now.since(o.since).compact()));
    }
    Some(Doc {
        what: "incident",
        title: format!("incident since {}", since.clock_label()),
        severity: s.incident_severity,
        fields,
        body: vec![
            "Mark milestones with M (the next one) or :milestone WORD [reason]; they go in \
             order: detected, acknowledged, mitigated, resolved."
                .into(),
        ],
    })
}

/// Each milestone of the newest incident with its time, and the time to reach it.
fn incident_fields(s: &State, fields: &mut Vec<(&'static str, String)>) {
    for (m, t, after) in mttx(s) {
        let verb = match m {
            Milestone::Detected => "",
            Milestone::Acknowledged => "acknowledge",
            Milestone::Mitigated => "mitigate",
            Milestone::Resolved => "resolve",
        };
        let value = match after {
            Some(d) => format!("{} to {verb} · {}", d.compact(), when(s, t)),
            None => when(s, t),
        };
        fields.push((m.wire(), value));
    }
}

fn entry(s: &State, abs: u64) -> Option<Doc> {
    let i = usize::try_from(abs.checked_sub(s.timeline.dropped())?).ok()?;
    let e = s.timeline.get(i)?;
    Some(Doc {
        what: "timeline entry",
        title: format!("{} {}", e.kind.word(), e.t.clock_label()),
        severity: e.severity,
        fields: vec![
            ("time", when(s, e.t)),
            ("kind", e.kind.word().into()),
            ("severity", e.severity.word().into()),
            ("source", e.source.to_string()),
            (
                "entry",
                format!(
                    "{} of {}",
                    abs + 1,
                    s.timeline.dropped() + s.timeline.len() as u64
                ),
            ),
        ],
        body: match e.kind {
            super::timeline::Kind::Note => super::status_update::lines_of(e.text()),
            _ => None,
        }
        .unwrap_or_else(|| vec![e.text().to_string()]),
    })
    .map(|mut d| {
        if e.kind == super::timeline::Kind::Incident {
            incident_fields(s, &mut d.fields);
        }
        d
    })
}

fn gate(s: &State, label: &str) -> Option<Doc> {
    let g = s.next_gates().into_iter().find(|g| g.label == label)?;
    let plan = &s.plan.spec;
    let stands = match s.next_wave() {
        Some(n) => format!("before {}", s.wave_label(n)),
        None => "exit criteria of the last step".into(),
    };
    let mut fields = vec![
        (
            "state",
            if g.green {
                "green".to_string()
            } else {
                "BLOCKING".into()
            },
        ),
        ("stands", stands),
        (
            "kind",
            if g.live {
                "live: a metric, an alert count or a burn rate".into()
            } else {
                "the checklist".into()
            },
        ),
    ];
    if let Some(w) = s.current_wave() {
        fields.push((
            "wave now",
            format!("{} {}", s.wave_label(w), s.waves[w].status.word()),
        ));
    }
    let mut body = vec![g.label.clone()];
    body.push(match &g.why {
        Some(why) => format!("Blocking: {why}."),
        None => "Green: nothing stands in the way on this gate.".into(),
    });
    if plan.waves.is_empty() {
        body.clear();
    }
    Some(Doc {
        what: "gate",
        title: g.label.clone(),
        severity: if g.green {
            Severity::Info
        } else {
            Severity::Critical
        },
        fields,
        body,
    })
}

fn alert(s: &State, id: &str) -> Option<Doc> {
    let rows = s.alert_rows();
    let r = rows.iter().find(|r| r.id == id)?;
    let mut fields = vec![
        ("state", r.state.word().to_string()),
        ("severity", r.info.severity.word().into()),
        ("source", r.source.to_string()),
        ("since", when(s, r.info.since)),
        ("age", s.now.since(r.info.since).compact()),
    ];
    if let Some(at) = r.resolved_at {
        fields.push(("resolved", when(s, at)));
    }
    if r.state == AlertRowState::Unknown {
        fields.push((
            "note",
            "its source is not answering: it may have resolved since".into(),
        ));
    }
    fields.push(("id", r.id.to_string()));
    Some(Doc {
        what: "alert",
        title: r.info.name.to_string(),
        severity: if r.state == AlertRowState::Resolved {
            Severity::Info
        } else {
            r.info.severity
        },
        fields,
        body: r.info.summary.iter().map(ToString::to_string).collect(),
    })
}

fn slo(s: &State, i: usize) -> Option<Doc> {
    let spec = s.plan.spec.slos.get(i)?;
    let st = s.slos.get(i)?;
    let band = st.band();
    let value = match st.last.and_then(|l| l.value) {
        Some(v) => format_value(v, &spec.unit),
        None if st.last.is_some() => "no data".into(),
        None => "no sample yet".into(),
    };
    let mut fields = vec![
        ("band", band.word().to_string()),
        ("value", value),
        ("target", format_value(spec.target, &spec.unit)),
        ("warning", format_value(spec.warning, &spec.unit)),
        ("critical", format_value(spec.critical, &spec.unit)),
        ("better", format!("{:?}", spec.direction).to_lowercase()),
    ];
    if let Some(b) = spec.baseline {
        fields.push(("baseline", format_value(b, &spec.unit)));
    }
    if let Some(last) = st.last {
        fields.push(("sampled", when(s, last.t)));
        fields.push(("age", s.now.since(last.t).compact()));
    }
    if let Some(src) = &st.source {
        fields.push(("source", src.to_string()));
    }
    let mut body = Vec::new();
    for (k, b) in st.breaches.iter().enumerate() {
        let label = trigger_label(spec, k);
        body.push(if b.fired {
            format!("Rollback trigger {label}: FIRED.")
        } else if let Some(lasted) = b.since.and(st.breach_lasted(k)) {
            format!(
                "Rollback trigger {label}: breaching for {} of {}.",
                lasted.compact(),
                spec.triggers[k].for_.compact()
            )
        } else {
            format!("Rollback trigger {label}: quiet.")
        });
    }
    if let Some(b) = st.burn.as_deref() {
        body.push(format!(
            "Error budget: {}{}.",
            burn_label(b),
            b.firing
                .map(|l| format!(", burning at {} level", l.word()))
                .unwrap_or_default()
        ));
    }
    if let Some(e) = &st.error {
        body.push(format!("Last read failed: {e}."));
    }
    if st.stale {
        body.push("STALE: no sample within the expected interval; never shown as PASS.".into());
    }
    Some(Doc {
        what: "SLO",
        title: spec.name.clone(),
        severity: match band {
            super::slo::Band::Crit => Severity::Critical,
            super::slo::Band::Warn | super::slo::Band::NoData => Severity::Warning,
            super::slo::Band::Pass => Severity::Info,
        },
        fields,
        body,
    })
}

fn item(s: &State, sec: usize, i: usize) -> Option<Doc> {
    let section = s.plan.spec.checklist.get(sec)?;
    let spec = section.items.get(i)?;
    let st = s.checklist.items.get(sec)?.get(i)?;
    let mut fields = vec![
        ("state", st.status.word().to_string()),
        ("section", section.title.clone()),
        ("id", spec.id.clone()),
        (
            "required",
            if spec.required {
                "yes".into()
            } else {
                "no (optional: never blocks)".into()
            },
        ),
    ];
    if let Some(o) = &spec.owner {
        fields.push(("owner", o.clone()));
    }
    if let Some(by) = &st.by {
        fields.push(("by", by.to_string()));
    }
    if let Some(at) = st.at {
        fields.push(("when", when(s, at)));
    }
    let mut body = vec![spec.text.clone()];
    if let Some(n) = &st.note {
        body.push(format!("Note: {n}"));
    }
    Some(Doc {
        what: "checklist item",
        title: spec.id.clone(),
        severity: if st.status.settled() || !spec.required {
            Severity::Info
        } else {
            Severity::Warning
        },
        fields,
        body,
    })
}
