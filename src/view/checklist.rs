//! Checklist: sections with done / total, each item's state with who and when, and the
//! go/no-go verdict. Finished sections fold to one line; open ones list their items.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::core::app::App;
use crate::core::checklist::ItemStatus;
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
    zoomed: bool,
) {
    let (t, g, s) = (&look.theme, &look.glyphs, &c.state);
    let plan = &s.plan.spec;
    let tally = s.tally();
    let mut title = vec![
        Span::styled("Checklist", t.title),
        Span::styled(format!(" {}/{} ", tally.done, tally.total), t.text),
    ];
    if tally.total > 0 {
        if tally.blocking == 0 {
            title.push(Span::styled(format!("{} GO", g.ok), t.ok));
        } else {
            title.push(Span::styled(
                format!("{} NO-GO · {} blocking", g.crit, tally.blocking),
                t.crit,
            ));
        }
    }
    let focused = c.ui.focus == Panel::Checklist;
    let inner = panel(frame, area, title, focused, look, density);
    let w = usize::from(inner.width);
    let mut lines: Vec<Line> = Vec::new();
    for (si, sec) in plan.checklist.iter().enumerate() {
        let st = s.checklist.tally_section(&s.plan, si, s.current_wave());
        let complete = st.open_required == 0 && st.failed == 0;
        let (glyph, style) = if st.failed > 0 {
            (g.crit, t.crit)
        } else if complete {
            (g.ok, t.ok)
        } else {
            (g.open, t.warn)
        };
        let count = format!(" {}/{}", st.done, st.total);
        lines.push(Line::from(vec![
            Span::styled(format!("{glyph} "), style),
            Span::styled(
                fit::pad(
                    &sec.title,
                    w.saturating_sub(fit::width(&count) + fit::width(glyph) + 1),
                    g.ellipsis,
                ),
                t.title,
            ),
            Span::styled(count, style),
        ]));
        if complete && !zoomed {
            continue;
        }
        for (spec, item) in sec.items.iter().zip(&s.checklist.items[si]) {
            let (glyph, style) = match item.status {
                ItemStatus::Done => (g.item(item.status), t.ok),
                ItemStatus::Failed => (g.item(item.status), t.crit),
                ItemStatus::Open if spec.required => (g.item(item.status), t.warn),
                ItemStatus::Waived | ItemStatus::Open => (g.item(item.status), t.muted),
            };
            let who = match (&item.by, item.at) {
                (Some(by), Some(at)) => format!("{by} {}", at.t_label()),
                (None, Some(at)) => at.t_label(),
                _ => spec
                    .owner
                    .clone()
                    .map(|o| format!("owner: {o}"))
                    .unwrap_or_default(),
            };
            let opt = if spec.required { "" } else { " (optional)" };
            let text = format!("{}{opt}", spec.text);
            let who_w = fit::width(&who).min(w * 2 / 5);
            let text_w = w.saturating_sub(3 + fit::width(glyph) + who_w + 1);
            let text_style = if item.status.settled() {
                t.muted
            } else {
                t.text
            };
            lines.push(Line::from(vec![
                Span::styled(format!("  {glyph} "), style),
                Span::styled(fit::pad(&text, text_w, g.ellipsis), text_style),
                Span::styled(format!(" {}", fit::cut(&who, who_w, g.ellipsis)), t.muted),
            ]));
        }
    }
    if lines.is_empty() {
        lines.push(Line::from(Span::styled(
            "no checklist in this plan",
            t.muted,
        )));
    }
    let h = usize::from(inner.height);
    let skip = c.ui.checklist_scroll.min(lines.len().saturating_sub(h));
    let shown: Vec<Line> = lines.into_iter().skip(skip).take(h).collect();
    frame.render_widget(Paragraph::new(shown), inner);
}
