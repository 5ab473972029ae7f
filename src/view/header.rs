//! The header: overall status, rollout and versions, mode badge, clocks, source and data age.

use super::lines::Lines;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::Frame;

use crate::core::app::App;

use crate::core::playback::Mode;
use crate::core::source::Link;

use super::fit;
use super::layout::Density;
use super::look::Look;
use crate::view::style::status_style;
use crate::view::waves::bake_remaining;

pub(crate) fn render(frame: &mut Frame, area: Rect, c: &App, look: &Look, density: Density) {
    let (t, g, s) = (&look.theme, &look.glyphs, &c.state);
    let plan = &s.plan.spec;
    let w = usize::from(area.width);

    // Line 1: status, rollout, mode badge.
    let status = Span::styled(
        format!(" {} {} ", g.status(s.status), s.status.word()),
        status_style(s.status, t).add_modifier(ratatui::style::Modifier::REVERSED),
    );
    let mode = match &c.mode {
        Mode::Replay(r) => {
            let span = r.end.0.saturating_sub(r.start.0).max(1);
            #[allow(clippy::cast_precision_loss)]
            let pct = ((s.now.0.clamp(r.start.0, r.end.0).saturating_sub(r.start.0)) as f64
                / span as f64
                * 100.0)
                .round();
            let state = if r.playing { g.play } else { g.pause };
            let mut v = vec![
                Span::styled(format!(" REPLAY {} {state} ", r.speed.label()), t.replay),
                Span::styled(
                    format!(" {pct:.0}% of {} ", r.end.since(r.start).compact()),
                    t.muted,
                ),
            ];
            if let Some(p) = c.ui.checking {
                v.push(Span::styled(format!(" checking file {p}% "), t.muted));
            }
            v
        }
        Mode::Live => {
            // The loudest thing on the screen when the source is lost.
            let badge = match &s.source.link {
                Link::Connected | Link::Replay => Span::styled(" LIVE ", t.live),
                Link::Connecting { .. } => Span::styled(
                    " CONNECTING ",
                    t.warn.add_modifier(ratatui::style::Modifier::REVERSED),
                ),
                Link::Down { .. } => Span::styled(
                    " DOWN ",
                    t.crit.add_modifier(ratatui::style::Modifier::REVERSED),
                ),
            };
            let mut v = vec![badge];
            if c.outbox.role == crate::core::command::Role::Observer {
                v.push(Span::styled(" OBSERVER (read-only) ", t.muted));
            }
            if let Some(ex) = &c.live.exercise {
                v.extend(exercise_spans(c, ex, t));
            }
            if !c.outbox.pending.is_empty() {
                let what: Vec<&str> = c
                    .outbox
                    .pending
                    .iter()
                    .map(|p| p.command.action.word())
                    .collect();
                v.push(Span::styled(
                    format!(" {} pending ", what.join(", ")),
                    t.warn,
                ));
            }
            v
        }
    };
    let mode_w: usize = mode.iter().map(Span::width).sum();
    let who = format!(
        " {}  {} {} {} · {}",
        s.plan.title(),
        plan.from,
        g.arrow,
        plan.to,
        plan.strategy.label()
    );
    let mut incident = incident_spans(c, look);
    let width = |v: &[Span]| -> usize { v.iter().map(Span::width).sum() };
    // Where the badges on the right leave the title no room, the milestone waited for goes
    // first ("INCIDENT crit 2m" stays).
    if status.width() + width(&incident) + mode_w > w {
        incident.truncate(1);
        incident.push(Span::raw(" "));
    }
    let room = w.saturating_sub(status.width() + width(&incident) + mode_w + 1);
    let mut l1 = vec![status];
    l1.extend(incident);
    l1.extend([
        Span::styled(fit::pad(&who, room, g.ellipsis), t.title),
        Span::raw(" "),
    ]);
    l1.extend(mode);

    let l2 = line_two(c, look, density, w);
    let mut lines = vec![Line::from(l1), Line::from(l2)];
    if density == Density::Wide {
        lines.push(Line::from(Span::styled(
            (if g.ascii { "=" } else { "━" }).repeat(w),
            t.border,
        )));
    }
    frame.render_widget(Lines::new(lines), area);
}

/// Line 2: clocks, wave, source and data age, alerts. Each part is shown whole or not at
/// all: on a narrow screen the least needed go first (the bake time left, then the link and
/// the data's age while they are fine), so that no badge is cut or written over another.
fn line_two(c: &App, look: &Look, density: Density, w: usize) -> Vec<Span<'static>> {
    let (t, g, s) = (&look.theme, &look.glyphs, &c.state);
    let plan = &s.plan.spec;
    let sep = || Span::styled(format!(" {} ", g.sep), t.border);
    let wide = density == Density::Wide;
    // (spans, rank): lower ranks are kept first.
    let mut parts: Vec<(Vec<Span<'static>>, u8)> = Vec::new();
    let utc = plan.t0.utc_label(s.now);
    parts.push((
        vec![
            Span::styled(if wide { " UTC " } else { " " }, t.muted),
            Span::styled(if wide { utc } else { utc[11..].to_string() }, t.text),
            Span::styled("  ", t.muted),
            Span::styled(s.now.t_label(), t.accent),
        ],
        0,
    ));
    // When the control plane is lost, that comes first: the rest of the line is old news.
    let link_spans = link_state(c, look, density);
    let lost = !matches!(s.source.link, Link::Connected | Link::Replay);
    if lost {
        let mut v = vec![sep()];
        let mut spans = link_spans.clone();
        // Why it is down is also on the timeline: it goes first when room is short.
        let reason = matches!(s.source.link, Link::Down { .. })
            .then(|| spans.pop())
            .flatten();
        v.extend(spans);
        parts.push((v, 0));
        if let Some(r) = reason {
            parts.push((vec![r], 5));
        }
    }
    wave_parts(c, look, wide, &mut parts);
    if !lost && !link_spans.is_empty() {
        let stale = s.slos.iter().any(|x| x.stale || x.unheard);
        let mut v = vec![sep()];
        v.extend(link_spans);
        parts.push((v, if stale { 1 } else { 3 }));
    }
    alert_parts(c, look, &mut parts);
    if s.alerts_dropped > 0 {
        parts.push((
            vec![Span::styled(
                format!(
                    " (+{} over the {} tracked)",
                    s.alerts_dropped,
                    crate::core::state::ALERT_CAP
                ),
                t.warn,
            )],
            4,
        ));
    }
    let pieces: Vec<(Vec<Span<'static>>, usize, u8)> = parts
        .into_iter()
        .map(|(v, rank)| {
            let width = v.iter().map(Span::width).sum();
            (v, width, rank)
        })
        .collect();
    fit::keep_whole(&pieces, w).into_iter().flatten().collect()
}

/// The wave now, its traffic and the bake time left (which goes first when room is short).
fn wave_parts(c: &App, look: &Look, wide: bool, parts: &mut Vec<(Vec<Span<'static>>, u8)>) {
    let (t, g, s) = (&look.theme, &look.glyphs, &c.state);
    let plan = &s.plan.spec;
    let sep = || Span::styled(format!(" {} ", g.sep), t.border);
    if let Some(cur) = s.current_wave() {
        let ws = s.waves[cur].status;
        parts.push((
            vec![
                sep(),
                Span::styled(
                    format!(
                        "{} {}/{} ",
                        plan.strategy.step_word(),
                        cur + 1,
                        plan.waves.len()
                    ),
                    t.text,
                ),
                Span::styled(
                    format!("{} {}", g.wave(ws), ws.word()),
                    super::style::wave_style(ws, t),
                ),
                Span::styled(
                    format!(
                        " {}{}",
                        s.traffic_label(s.traffic),
                        if wide { " traffic" } else { "" }
                    ),
                    t.text,
                ),
            ],
            0,
        ));
        if let Some((_, done, bake)) = s.bake_left() {
            parts.push((
                vec![Span::styled(
                    format!(" · {}", bake_remaining(done, bake)),
                    t.text,
                )],
                2,
            ));
        }
    } else {
        let word = if plan.waves.len() == 1 {
            plan.strategy.step_word()
        } else {
            plan.strategy.steps_word()
        };
        parts.push((
            vec![
                sep(),
                Span::styled(
                    format!("not started · {} {word}", plan.waves.len()),
                    t.pending,
                ),
            ],
            0,
        ));
    }
}

/// The exercise's clock for the room ("EXERCISE PAUSED", "EXERCISE ×4"), and at the
/// facilitator's seat the next inject to come.
fn exercise_spans(
    c: &App,
    ex: &crate::core::exercise::Exercise,
    t: &super::theme::Theme,
) -> Vec<Span<'static>> {
    let mut v = Vec::new();
    let clock = if ex.paused {
        " EXERCISE PAUSED ".to_string()
    } else if (ex.speed - 1.0).abs() > f64::EPSILON {
        format!(" EXERCISE ×{} ", crate::core::words::trim_number(ex.speed))
    } else {
        " EXERCISE ".to_string()
    };
    let style = if ex.paused {
        t.warn.add_modifier(ratatui::style::Modifier::REVERSED)
    } else {
        t.title
    };
    v.push(Span::styled(clock, style));
    if c.facilitates() {
        let next = match ex.injects.first() {
            Some(u) => {
                let at = u.t.saturating_add(c.live.shift);
                let due = if at > c.state.now {
                    format!("in {}", at.since(c.state.now).compact())
                } else {
                    "due".into()
                };
                format!(" FACILITATOR · next inject {} {due} ", u.id)
            }
            None => " FACILITATOR · no inject left ".into(),
        };
        v.push(Span::styled(next, t.muted));
    }
    v
}

/// The open incident: "INCIDENT crit 12m · next ACK " (its severity, its age since detection
/// and the milestone it waits for). On the first line, after the status word, where the
/// rollout's title gives up its room: the one thing the room must never have to look for.
fn incident_spans(c: &App, look: &Look) -> Vec<Span<'static>> {
    let (t, s) = (&look.theme, &c.state);
    let Some(open) = s.open_incident() else {
        return Vec::new();
    };
    let style = if open.reached < crate::core::record::Milestone::Mitigated {
        t.crit
    } else {
        t.warn
    };
    let next = match open.next {
        crate::core::record::Milestone::Acknowledged => "ACK",
        crate::core::record::Milestone::Mitigated => "MITIGATE",
        _ => "RESOLVE",
    };
    vec![
        Span::styled(
            format!(
                " INCIDENT {} {}",
                open.severity.word(),
                s.now.since(open.since).compact()
            ),
            style.add_modifier(ratatui::style::Modifier::BOLD),
        ),
        Span::styled(format!(" · next {next} "), t.text),
    ]
}

/// The alerts firing, by the rule the gates and the alerts list use, in the same words:
/// each count a part of its own, the critical one kept first.
fn alert_parts(c: &App, look: &Look, parts: &mut Vec<(Vec<Span<'static>>, u8)>) {
    let (t, g) = (&look.theme, &look.glyphs);
    let n = c.state.alert_counts();
    let sep = || Span::styled(format!(" {} ", g.sep), t.border);
    let mut lead = Some(sep());
    for (count, what, glyph, style, rank) in [
        (n.crit, "crit alert", g.crit, t.crit, 1),
        (n.warn, "warn alert", g.warn, t.warn, 2),
        (n.unknown, "alert", "?", t.nodata, 2),
    ] {
        if count == 0 {
            continue;
        }
        let mut v = vec![lead.take().unwrap_or_else(|| Span::raw(" "))];
        let tail = if what == "alert" {
            " unknown (source down)"
        } else {
            ""
        };
        v.push(Span::styled(
            format!("{glyph} {}{tail}", counted(count, what)),
            style,
        ));
        parts.push((v, rank));
    }
}

/// The feed's link and the data's age: "connected · data 2s", "DOWN · retry in 3s · attempt
/// 4: connection refused · data 45s STALE", with failing metric sources named.
fn link_state(c: &App, look: &Look, density: Density) -> Vec<Span<'static>> {
    let (t, s) = (&look.theme, &c.state);
    let mut out: Vec<Span<'static>> = Vec::new();
    let mut failing: Vec<&str> = s
        .upstreams
        .iter()
        .filter(|u| matches!(u.link, Link::Down { .. }))
        .map(|u| &*u.name)
        .collect();
    failing.sort_unstable();
    let name = &s.source.name;
    match &s.source.link {
        Link::Replay => {
            if density == Density::Wide {
                out.push(Span::styled(format!("{name} replay"), t.muted));
            }
        }
        Link::Connected if failing.is_empty() => {
            let word = if s.upstreams.is_empty() {
                "connected"
            } else {
                "ok"
            };
            out.push(Span::styled(format!("{name} {word}"), t.ok));
        }
        Link::Connected => {}
        Link::Connecting { attempt } => out.push(Span::styled(
            format!("{name} connecting… (attempt {attempt})"),
            t.warn,
        )),
        Link::Down { retry_in, .. } => {
            let text = match retry_in {
                Some(left) => {
                    let secs = left.0.max(0).unsigned_abs().div_ceil(1000);
                    format!("{name} DOWN · retry in {secs}s")
                }
                None => format!("{name} DOWN"),
            };
            out.push(Span::styled(text, t.crit));
        }
    }
    if !failing.is_empty() {
        let sep = if out.is_empty() { "" } else { " · " };
        out.push(Span::styled(
            format!("{sep}{} FAILING", failing.join(", ")),
            t.crit,
        ));
    }
    if let Some(newest) = s.newest_data() {
        let age = s.now.since(newest);
        let stale = s.slos.iter().any(|x| x.stale || x.unheard);
        let sep = if out.is_empty() { "" } else { " · " };
        out.push(Span::styled(
            format!("{sep}data {}", age.whole_seconds().compact()),
            if stale { t.nodata } else { t.muted },
        ));
        if stale {
            out.push(Span::styled(" STALE", t.nodata));
        }
    }
    // Why it is down comes after the age of the data: at 80 columns the line is cut from
    // the right, and the reason is also on the timeline.
    if let Link::Down {
        reason, attempt, ..
    } = &s.source.link
    {
        let tries = if *attempt > 0 {
            format!("attempt {attempt}: ")
        } else {
            String::new()
        };
        out.push(Span::styled(format!(" · {tries}{reason}"), t.crit));
    }
    out
}

/// "1 CRIT alert", "3 CRIT alerts".
fn counted(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}
