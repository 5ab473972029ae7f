//! Checklist: sections with done / total, each item's state with who and when, and the
//! go/no-go verdict. Finished sections fold to one line; open ones list their items. With
//! focus, a cursor marks one item (a pointer and reverse video, so it reads without colour)
//! and the section under it stays open; the list shows the page that holds the cursor.

use super::lines::Lines;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
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
            // A narrow column keeps the verdict whole; the count is on the gates' line.
            let text = if area.width < 40 {
                format!("{} NO-GO", g.crit)
            } else {
                format!("{} NO-GO · {} blocking", g.crit, tally.blocking)
            };
            title.push(Span::styled(text, t.crit));
        }
    }
    let focused = c.ui.focus == Panel::Checklist;
    let inner = panel(frame, area, title, focused, look, density);
    let w = usize::from(inner.width);
    let cursor = c.ui.cursor_item(plan);
    // The row the cursor is on (or its folded section's), for the page to show.
    let mut cursor_row = 0;
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
        let here = cursor.is_some_and(|(cs, _)| cs == si);
        if here {
            cursor_row = lines.len() - 1;
        }
        if complete && !zoomed && !(focused && here) {
            continue;
        }
        for (ii, (spec, item)) in sec.items.iter().zip(&s.checklist.items[si]).enumerate() {
            let mut line = item_line(spec, item, w, look);
            if cursor == Some((si, ii)) {
                cursor_row = lines.len();
                if focused {
                    line = under_cursor(line, look);
                }
            }
            lines.push(line);
        }
    }
    if lines.is_empty() {
        lines.push(Line::from(Span::styled(
            "no checklist in this plan",
            t.muted,
        )));
    }
    let h = usize::from(inner.height).max(1);
    let skip = (cursor_row / h * h).min(lines.len().saturating_sub(h));
    let shown: Vec<Line> = lines.into_iter().skip(skip).take(h).collect();
    frame.render_widget(Lines::new(shown), inner);
}

/// An item's row under the cursor: a pointer in place of the indent, and the whole row in
/// the theme's selection style (reverse video in every built-in theme).
fn under_cursor(line: Line<'static>, look: &Look) -> Line<'static> {
    let pointer = if look.glyphs.ascii { ">" } else { "▸" };
    let mut spans = line.spans;
    if let Some(first) = spans.first_mut() {
        let rest: String = first.content.chars().skip(1).collect();
        first.content = format!("{pointer}{rest}").into();
    }
    selected(Line::from(spans), look)
}

/// A whole row in the theme's selection style.
pub(crate) fn selected(line: Line<'static>, look: &Look) -> Line<'static> {
    let spans = line.spans;
    Line::from(
        spans
            .into_iter()
            .map(|sp| {
                let style = sp.style.patch(look.theme.selection);
                sp.style(style)
            })
            .collect::<Vec<_>>(),
    )
}

/// One item's row: its state's glyph, its text, and who settled it when (or its owner).
fn item_line(
    spec: &crate::core::plan::ItemSpec,
    item: &crate::core::checklist::ItemState,
    w: usize,
    look: &Look,
) -> Line<'static> {
    let (t, g) = (&look.theme, &look.glyphs);
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
    // A narrow column gives the item's text the room: who and when are in the zoomed list
    // and the detail view.
    let who_w = if w < 40 {
        0
    } else {
        // Two fifths of the row, or whatever the item's text leaves.
        let left = w.saturating_sub(4 + fit::width(glyph) + fit::width(&text));
        fit::width(&who).min((w * 2 / 5).max(left))
    };
    let text_w = w.saturating_sub(3 + fit::width(glyph) + who_w + 1);
    let text_style = if item.status.settled() {
        t.muted
    } else {
        t.text
    };
    Line::from(vec![
        Span::styled(format!("  {glyph} "), style),
        Span::styled(fit::pad(&text, text_w, g.ellipsis), text_style),
        Span::styled(
            if who_w == 0 {
                String::new()
            } else {
                format!(" {}", fit::cut(&who, who_w, g.ellipsis))
            },
            t.muted,
        ),
    ])
}
