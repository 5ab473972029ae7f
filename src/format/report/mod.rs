//! The after-action report as a file: Markdown in the shape of the post-mortem template, or
//! one self-contained HTML page with the SLO charts as inline SVG. Both are written from the
//! same rows ([`Facts`]), so the two forms never say different things.

mod chart;
mod html;
mod markdown;

pub use html::html;
pub use markdown::markdown;

use std::fmt::Write;

use crate::core::plan::SloSpec;
use crate::core::record::Milestone;
use crate::core::report::{describe, severity_word, Decided, Report};
use crate::core::time::{Epoch, Offset, Span};
use crate::core::words::{format_value, trim_number};

/// A heading of the template, with its sub-headings (empty: none) and their prompts.
pub type Section = (
    &'static str,
    &'static [(&'static str, &'static [&'static str])],
);

/// The post-mortem template's sections that people fill in after the report is made: each
/// heading with its sub-headings and the prompts under them.
pub const TEMPLATE: &[Section] = &[
    (
        "Root Cause Analysis",
        &[
            ("Primary Cause", &["[Main cause of the incident]"]),
            (
                "Contributing Factors",
                &["[Additional factors that contributed]"],
            ),
            ("Systemic Issues", &["[Underlying systemic problems]"]),
        ],
    ),
    (
        "Impact Assessment",
        &[
            (
                "Technical Impact",
                &[
                    "[Systems affected]",
                    "[Data loss or corruption]",
                    "[Performance degradation]",
                ],
            ),
            (
                "Business Impact",
                &[
                    "[Customer impact]",
                    "[Financial impact]",
                    "[Reputational impact]",
                ],
            ),
            (
                "Operational Impact",
                &[
                    "[Staff time required]",
                    "[Resource utilization]",
                    "[Process disruption]",
                ],
            ),
        ],
    ),
    (
        "Lessons Learned",
        &[
            ("What Went Well", &["[Positive aspects of response]"]),
            ("What Could Be Improved", &["[Areas for improvement]"]),
            ("Key Insights", &["[Important discoveries]"]),
        ],
    ),
    (
        "Action Items",
        &[
            ("Immediate Actions (Next 24 hours)", &["[ ] [Action item]"]),
            ("Short-term Actions (Next week)", &["[ ] [Action item]"]),
            ("Long-term Actions (Next month)", &["[ ] [Action item]"]),
        ],
    ),
    (
        "Follow-up",
        &[(
            "",
            &[
                "**Review Date**: [Date for follow-up review]",
                "**Responsible Person**: [Person responsible for follow-up]",
                "**Success Criteria**: [How we'll know actions are successful]",
            ],
        )],
    ),
];

/// A table: its header and rows of plain text (each form escapes it its own way).
pub struct Table {
    pub head: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

/// What both forms print, worked out once.
pub struct Facts<'a> {
    pub report: &'a Report,
    pub title: String,
    pub file: String,
    /// "Date/Time", "Duration", …: the incident summary's lines.
    pub summary: Vec<(&'static str, String)>,
    pub timeline: Table,
    pub milestones: Table,
    pub mttx: Table,
    pub latency: Table,
    pub slos: Table,
    pub checklist: Table,
    /// "12 of 14 items done or waived".
    pub checklist_line: String,
    /// Measured facts for the technical impact.
    pub impact: Vec<String>,
}

fn t_and_utc(epoch: Epoch, t: Offset) -> (String, String) {
    (t.precise_label(), epoch.utc_label(t))
}

fn opt(s: Option<&str>) -> String {
    s.unwrap_or("").to_string()
}

/// A threshold or a value of an SLO in the plan's threshold space: "10%", "385 ms",
/// "+50% over baseline".
#[must_use]
pub fn in_band_space(spec: &SloSpec, v: f64) -> String {
    if spec.baseline.is_some() {
        let sign = if v >= 0.0 { "+" } else { "" };
        format!("{sign}{}% over baseline", trim_number(v))
    } else {
        format_value(v, &spec.unit)
    }
}

fn span(s: Option<Span>) -> String {
    s.map_or_else(|| "—".to_string(), Span::compact)
}

impl<'a> Facts<'a> {
    #[must_use]
    pub fn of(report: &'a Report, file: &str) -> Facts<'a> {
        let p = &report.plan.spec;
        let title = p.title.clone().unwrap_or_else(|| p.id.clone());
        let mut f = Facts {
            report,
            title,
            file: file.to_string(),
            summary: Vec::new(),
            timeline: Table {
                head: vec!["T+", "UTC", "What", "Who", "Why / outcome"],
                rows: Vec::new(),
            },
            milestones: Table {
                head: vec![
                    "Milestone",
                    "T+",
                    "UTC",
                    "Since detected",
                    "Source",
                    "Words",
                ],
                rows: Vec::new(),
            },
            mttx: Table {
                head: vec![
                    "Incident",
                    "Detected",
                    "Time to acknowledge",
                    "Time to mitigate",
                    "Time to resolve",
                ],
                rows: Vec::new(),
            },
            latency: Table {
                head: vec![
                    "Key moment",
                    "T+",
                    "What",
                    "Room acted",
                    "Latency",
                    "Reference",
                ],
                rows: Vec::new(),
            },
            slos: Table {
                head: vec![
                    "SLO",
                    "Target",
                    "Warning",
                    "Critical",
                    "Worst",
                    "Last",
                    "Trigger fired",
                ],
                rows: Vec::new(),
            },
            checklist: Table {
                head: vec!["Section", "Item", "State", "By", "When", "Note"],
                rows: Vec::new(),
            },
            checklist_line: String::new(),
            impact: Vec::new(),
        };
        f.fill_summary();
        f.fill_timeline();
        f.fill_milestones();
        f.fill_latency();
        f.fill_slos();
        f.fill_checklist();
        f
    }

    fn epoch(&self) -> Epoch {
        self.report.plan.spec.t0
    }

    fn wave_name(&self, w: usize) -> String {
        self.report
            .plan
            .spec
            .waves
            .get(w)
            .map_or_else(|| format!("wave {w}"), |s| s.name.clone())
    }

    fn fill_summary(&mut self) {
        let r = self.report;
        let p = &r.plan.spec;
        let e = self.epoch();
        let first = r.incidents.first();
        let when = match first.and_then(|i| i.detected) {
            Some(t) => format!("{} ({}), detected", e.utc_label(t), t.precise_label()),
            None => match r.span {
                Some((a, _)) => format!(
                    "{} ({}), rollout's first record",
                    e.utc_label(a),
                    a.precise_label()
                ),
                None => "no records".into(),
            },
        };
        let run = r.span.map_or_else(String::new, |(a, b)| {
            format!(
                "the rollout ran {} ({} to {})",
                b.since(a).compact(),
                a.precise_label(),
                b.precise_label()
            )
        });
        let duration = match first.and_then(|i| Some((i.detected?, i))) {
            Some((d, i)) => match i.resolved {
                Some(res) => format!(
                    "{} from detection to resolution; {run}",
                    res.since(d).compact()
                ),
                None => format!("not resolved by the end of the file; {run}"),
            },
            None => format!("no incident was marked; {run}"),
        };
        let severity = r
            .severity
            .map_or_else(|| "none".to_string(), |s| severity_word(s).to_uppercase());
        let affected = if r.affected.is_empty() {
            "no wave was paused, failed or rolled back".to_string()
        } else {
            r.affected
                .iter()
                .map(|w| {
                    let (st, _) = r.waves[*w];
                    format!(
                        "{} ({}, now {})",
                        self.wave_name(*w),
                        p.waves[*w].id,
                        st.word()
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        let waves_done = r
            .waves
            .iter()
            .filter(|(s, _)| *s == crate::core::wave::WaveStatus::Passed)
            .count();
        self.summary = vec![
            ("Rollout", format!("{} ({}): {} → {}", self.title, p.id, p.from, p.to)),
            ("Date/Time", when),
            ("Duration", duration),
            ("Severity", severity),
            (
                "Affected Systems",
                format!("service {}; waves: {affected}", p.service),
            ),
            (
                "Outcome",
                format!(
                    "{}; {waves_done} of {} waves passed; {} decisions, {} alerts fired, {} trigger firings",
                    r.status.word(),
                    p.waves.len(),
                    r.decisions.iter().filter(|d| d.is_action()).count(),
                    r.alerts_fired,
                    r.series.iter().map(|s| s.fired.len()).sum::<usize>()
                ),
            ),
            ("Impact", "[Quantified impact on operations]".into()),
        ];
        if let Some(t) = r.joined_at {
            self.summary.push((
                "Recording",
                format!("joined a session under way at {}: what came before is known from its state only", t.precise_label()),
            ));
        }
        if r.dropped > 0 {
            self.summary.push((
                "Left out",
                format!(
                    "{} rows past the first {} of a kind",
                    r.dropped,
                    crate::core::report::MAX_ROWS
                ),
            ));
        }
    }

    fn fill_timeline(&mut self) {
        let r = self.report;
        let e = self.epoch();
        let mut rows: Vec<(Offset, Vec<String>)> = Vec::new();
        for d in &r.decisions {
            let (t, utc) = t_and_utc(e, d.t);
            let what = match &d.what {
                Decided::Command { action, wave, .. } => match wave {
                    Some(w) => format!("{} {}", action.word(), self.wave_name(*w)),
                    None => action.word().to_string(),
                },
                Decided::Wave { wave, .. } => format!("{}: {}", self.wave_name(*wave), describe(d)),
                Decided::Note => "note".into(),
            };
            let mut why = opt(d.why.as_deref());
            if let Some((k, reason, at)) = &d.outcome {
                let after = at.since(d.t).compact();
                let _ = write!(why, " → {} after {after}", k.word());
                if let Some(rs) = reason {
                    let _ = write!(why, ": {rs}");
                }
            }
            rows.push((d.t, vec![t, utc, what, opt(d.who.as_deref()), why]));
        }
        for m in &r.moments {
            if m.kind == crate::core::report::MomentKind::Detected {
                continue; // the milestone's own row says it
            }
            let (t, utc) = t_and_utc(e, m.t);
            rows.push((
                m.t,
                vec![
                    t,
                    utc,
                    m.kind.word().to_string(),
                    String::new(),
                    m.label.clone(),
                ],
            ));
        }
        for m in &r.marks {
            let (t, utc) = t_and_utc(e, m.t);
            rows.push((
                m.t,
                vec![
                    t,
                    utc,
                    format!("incident {}", m.milestone.word().to_lowercase()),
                    opt(m.source.as_deref()),
                    opt(m.text.as_deref()),
                ],
            ));
        }
        rows.sort_by_key(|(t, _)| *t);
        self.timeline.rows = rows.into_iter().map(|(_, r)| r).collect();
    }

    fn fill_milestones(&mut self) {
        let r = self.report;
        let e = self.epoch();
        let mut detected: Option<Offset> = None;
        for m in &r.marks {
            if m.milestone == Milestone::Detected {
                detected = Some(m.t);
            }
            let (t, utc) = t_and_utc(e, m.t);
            let since = detected.map_or_else(|| "—".into(), |d| m.t.since(d).compact());
            self.milestones.rows.push(vec![
                m.milestone.word().to_string(),
                t,
                utc,
                since,
                opt(m.source.as_deref()),
                opt(m.text.as_deref()),
            ]);
        }
        for (n, i) in r.incidents.iter().enumerate() {
            let sev = i.severity.map_or("", |s| severity_word(s));
            self.mttx.rows.push(vec![
                format!("#{} {sev}", n + 1).trim_end().to_string(),
                i.detected.map_or_else(|| "—".into(), Offset::precise_label),
                span(i.time_to(Milestone::Acknowledged)),
                span(i.time_to(Milestone::Mitigated)),
                span(i.time_to(Milestone::Resolved)),
            ]);
        }
    }

    fn fill_latency(&mut self) {
        let r = self.report;
        let with_reference = r.moments.iter().any(|m| m.reference.is_some());
        if !with_reference {
            self.latency.head.pop();
        }
        for m in &r.moments {
            let mut row = vec![
                m.kind.word().to_string(),
                m.t.precise_label(),
                m.label.clone(),
                m.acted.as_ref().map_or_else(
                    || "not by the end".into(),
                    |(t, how)| format!("{how} at {}", t.precise_label()),
                ),
                span(m.latency()),
            ];
            if with_reference {
                row.push(match m.reference {
                    Some(Some(s)) => s.compact(),
                    Some(None) => "not in the reference".into(),
                    None => "—".into(),
                });
            }
            self.latency.rows.push(row);
        }
    }

    fn fill_slos(&mut self) {
        let r = self.report;
        for (i, spec) in r.plan.spec.slos.iter().enumerate() {
            let s = &r.series[i];
            let good = s.points.iter().map(|p| p.1).filter(|v| !v.is_nan());
            let worst = match spec.direction {
                crate::core::plan::Direction::Lower => {
                    good.fold(None, |a: Option<f64>, v| Some(a.map_or(v, |a| a.max(v))))
                }
                crate::core::plan::Direction::Higher => {
                    good.fold(None, |a: Option<f64>, v| Some(a.map_or(v, |a| a.min(v))))
                }
            };
            let last = s.points.last().map(|p| p.1).filter(|v| !v.is_nan());
            let show =
                |v: Option<f64>| v.map_or_else(|| "no data".into(), |v| in_band_space(spec, v));
            let fired = if s.fired.is_empty() {
                "no".to_string()
            } else {
                s.fired
                    .iter()
                    .map(|(t, l)| format!("{l} at {}", t.precise_label()))
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            if let Some(w) = worst {
                let band = crate::core::slo::SloState::band_of(spec, w);
                if band != crate::core::slo::Band::Pass {
                    self.impact.push(format!(
                        "{}: worst {} ({}; warning {}, critical {})",
                        spec.name,
                        in_band_space(spec, w),
                        band.word(),
                        in_band_space(spec, spec.warning),
                        in_band_space(spec, spec.critical)
                    ));
                }
            }
            self.slos.rows.push(vec![
                spec.name.clone(),
                in_band_space(spec, spec.target),
                in_band_space(spec, spec.warning),
                in_band_space(spec, spec.critical),
                show(worst),
                show(last),
                fired,
            ]);
        }
        for w in &r.affected {
            self.impact.push(format!(
                "{} ended {}",
                self.wave_name(*w),
                r.waves[*w].0.word()
            ));
        }
    }

    fn fill_checklist(&mut self) {
        let r = self.report;
        let (done, all) = r.checklist_done();
        let open_required = r
            .checklist
            .iter()
            .filter(|c| c.required && !c.status.settled())
            .count();
        self.checklist_line = format!(
            "{done} of {all} items done or waived; {open_required} required items open at the end"
        );
        for c in &r.checklist {
            self.checklist.rows.push(vec![
                c.section.clone(),
                c.item.clone(),
                c.status.word().to_string(),
                opt(c.by.as_deref()),
                c.at.map_or_else(String::new, Offset::precise_label),
                opt(c.note.as_deref()),
            ]);
        }
    }
}
