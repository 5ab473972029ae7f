//! The alerts list: firing alerts (critical first), those whose source is down, silenced ones
//! and the recently resolved, each with severity, state, source, age and summary. With
//! focus, a cursor marks one (Enter shows it whole).

use super::lines::Lines;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::Frame;

use crate::core::app::App;
use crate::core::severity::Severity;
use crate::core::state::AlertRowState;
use crate::core::ui::Panel;

use super::fit;
use super::layout::Density;
use super::look::Look;
use super::panel::panel;

/// The title's counts: "Alerts ✖ 1 crit ▲ 2 warn · 1 silenced · 3 resolved".
fn title(c: &App, look: &Look) -> Vec<Span<'static>> {
    let (t, g, s) = (&look.theme, &look.glyphs, &c.state);
    let n = s.alert_counts();
    let mut title = vec![Span::styled("Alerts", t.title)];
    if n.crit > 0 {
        title.push(Span::styled(format!(" {} {} crit", g.crit, n.crit), t.crit));
    }
    if n.warn > 0 {
        title.push(Span::styled(format!(" {} {} warn", g.warn, n.warn), t.warn));
    }
    if n.unknown > 0 {
        title.push(Span::styled(format!(" ? {} unknown", n.unknown), t.nodata));
    }
    if n.silenced > 0 {
        title.push(Span::styled(format!(" · {} silenced", n.silenced), t.muted));
    }
    if !s.resolved.is_empty() {
        title.push(Span::styled(
            format!(" · {} resolved", s.resolved.len()),
            t.muted,
        ));
    }
    if n.crit + n.warn + n.unknown == 0 {
        title.push(Span::styled(format!(" {} none firing", g.ok), t.ok));
    }
    title
}

/// An alert row's style and glyph: by severity while it fires, muted once it is silenced
/// or resolved, the no-data look while its source is down.
fn marks(
    r: &crate::core::state::AlertRow<'_>,
    look: &Look,
) -> (ratatui::style::Style, &'static str) {
    let (t, g) = (&look.theme, &look.glyphs);
    match (r.state, r.info.severity) {
        (AlertRowState::Resolved, _) => (t.muted, g.ok),
        (AlertRowState::Silenced, _) => (t.muted, g.waived),
        (AlertRowState::Unknown, _) => (t.nodata, g.nodata),
        (_, Severity::Critical) => (t.crit, g.crit),
        (_, Severity::Warning) => (t.warn, g.warn),
        (_, Severity::Info) => (t.text, g.pending),
    }
}

pub(crate) fn render(
    frame: &mut Frame,
    area: Rect,
    c: &App,
    look: &Look,
    density: Density,
    zoomed: bool,
) {
    let (t, g, s) = (&look.theme, &look.glyphs, &c.state);
    let focused = c.ui.focus == Panel::Alerts;
    let inner = panel(frame, area, title(c, look), focused, look, density);
    let w = usize::from(inner.width);
    let h = usize::from(inner.height).max(1);
    let rows = s.alert_rows();
    if rows.is_empty() {
        let msg = if s.alert_source_down().is_some() {
            "alerts unknown: their source is not answering"
        } else {
            "no alerts"
        };
        frame.render_widget(Lines::new(Span::styled(msg, t.muted)), inner);
        return;
    }
    let cursor = c.ui.alert_cursor.min(rows.len() - 1);
    let skip = (cursor / h * h).min(rows.len().saturating_sub(h));
    let wide = w >= 60;
    let lines: Vec<Line> = rows
        .iter()
        .enumerate()
        .skip(skip)
        .take(h)
        .flat_map(|(i, r)| {
            let (style, glyph) = marks(r, look);
            let age = match r.resolved_at {
                Some(at) => s.now.since(at).compact(),
                None => s.now.since(r.info.since).compact(),
            };
            let pointer = if focused && i == cursor {
                if g.ascii {
                    ">"
                } else {
                    "▸"
                }
            } else {
                " "
            };
            let head = format!("{pointer}{glyph} {:<4} ", r.info.severity.word());
            let state = if wide {
                format!("{:<8} ", r.state.word())
            } else {
                String::new()
            };
            let indent = fit::width(&head) + fit::width(&state);
            let tail = if wide {
                format!(" {} {}", fit::cut(r.source, 14, g.ellipsis), age)
            } else {
                format!(" {age}")
            };
            let fixed = fit::width(&head) + fit::width(&state) + fit::width(&tail);
            let room = w.saturating_sub(fixed);
            // The name whole if it can be (the summary is in the detail view), the summary
            // in what is left.
            let name_w = if wide {
                fit::width(&r.info.name).min(room * 3 / 4).max(room.min(12))
            } else {
                room
            };
            let mut spans = vec![
                Span::styled(head, style),
                Span::styled(state, style),
                Span::styled(fit::pad(&r.info.name, name_w, g.ellipsis), style),
            ];
            let summary_w = room.saturating_sub(name_w);
            // The summary whole, or not at all: Enter shows it.
            let text = r
                .info
                .summary
                .as_deref()
                .map(|x| format!(" {x}"))
                .unwrap_or_default();
            if wide && fit::width(&text) <= summary_w {
                spans.push(Span::styled(fit::pad(&text, summary_w, g.ellipsis), t.text));
            } else {
                spans.push(Span::raw(" ".repeat(summary_w)));
            }
            spans.push(Span::styled(tail, t.muted));
            let mut line = Line::from(spans);
            if focused && i == cursor {
                line = super::checklist::selected(line, look);
            }
            let mut rows = vec![line];
            // Zoomed, a summary that does not fit beside its name wraps under it.
            if zoomed && wide && fit::width(&text) > summary_w {
                for part in fit::wrap(text.trim_start(), w.saturating_sub(indent + 1)) {
                    rows.push(Line::from(vec![
                        Span::raw(" ".repeat(indent)),
                        Span::styled(part, t.text),
                    ]));
                }
            }
            rows
        })
        .collect();
    frame.render_widget(Lines::new(lines), inner);
}
