//! The incident timeline: T+ and UTC, kind glyph, severity, source and text. Only the visible
//! rows are built, so a frame costs the same at 10k entries as at 1M.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::core::app::App;

use crate::core::severity::Severity;
use crate::core::ui::Panel;

use super::fit;
use super::panel::panel;

use super::layout::Density;

use super::look::Look;

pub(crate) fn render(
    frame: &mut Frame,
    area: Rect,
    c: &App,
    look: &Look,
    density: Density,
    _zoomed: bool,
) {
    let (t, g, s) = (&look.theme, &look.glyphs, &c.state);
    let tl = &s.timeline;
    let mut title = vec![
        Span::styled("Timeline", t.title),
        Span::styled(format!(" · {}", c.ui.filter_label()), t.muted),
    ];
    title.push(Span::styled(
        format!(" · {} entries", tl.len() as u64 + tl.dropped()),
        t.muted,
    ));
    if tl.dropped() > 0 {
        title.push(Span::styled(
            format!(" ({} oldest dropped from memory)", tl.dropped()),
            t.warn,
        ));
    }
    if s.unknown > 0 {
        title.push(Span::styled(
            format!(" · {} unknown records", s.unknown),
            t.warn,
        ));
    }
    if c.ui.timeline_anchor.is_some() {
        title.push(Span::styled(" · SCROLLED (End follows)", t.accent));
    }
    let focused = c.ui.focus == Panel::Timeline;
    let inner = panel(frame, area, title, focused, look, density);
    let h = usize::from(inner.height);
    let w = usize::from(inner.width);
    let epoch = s.plan.spec.t0;
    let wide = density == Density::Wide || w >= 100;
    let src_w = if wide { 14 } else { 0 };
    // The rows that end at the anchor; if they do not fill the panel (scrolled to the oldest),
    // the rows after it fill the rest. Either way only visible rows are built.
    let end = c.ui.timeline_end(&c.state.timeline);
    let mut shown: Vec<&crate::core::timeline::Entry> = tl
        .iter_rev_from(end)
        .filter(|(_, e)| c.ui.filter.matches(e))
        .take(h)
        .map(|(_, e)| e)
        .collect();
    shown.reverse();
    let more = h.saturating_sub(shown.len());
    shown.extend(
        (end..tl.len())
            .filter_map(|i| tl.get(i))
            .filter(|e| c.ui.filter.matches(e))
            .take(more),
    );
    let mut rows: Vec<Line> = shown
        .into_iter()
        .rev()
        .map(|e| {
            let sev_style = match e.severity {
                Severity::Critical => t.crit,
                Severity::Warning => t.warn,
                Severity::Info => t.muted,
            };
            let mut spans = vec![
                Span::styled(format!("{:>13} ", e.t.clock_label()), t.accent),
                Span::styled(format!("{} ", epoch.hms_label(e.t)), t.muted),
                Span::styled(format!("{} ", g.kind(e.kind)), sev_style),
                Span::styled(format!("{:<4} ", e.severity.word()), sev_style),
            ];
            if src_w > 0 {
                spans.push(Span::styled(
                    fit::pad(&e.source, src_w, g.ellipsis) + " ",
                    t.muted,
                ));
            }
            let used: usize = spans.iter().map(Span::width).sum();
            let text_style = if e.severity == Severity::Info {
                t.text
            } else {
                sev_style
            };
            spans.push(Span::styled(
                fit::cut(&e.text, w.saturating_sub(used), g.ellipsis),
                text_style,
            ));
            Line::from(spans)
        })
        .collect();
    rows.reverse();
    if rows.is_empty() {
        let msg = if tl.is_empty() {
            "nothing has happened yet"
        } else {
            "no entries match the filter (f / s to change it)"
        };
        rows.push(Line::from(Span::styled(msg, t.muted)));
    }
    frame.render_widget(Paragraph::new(rows), inner);
}
