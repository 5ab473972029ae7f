//! The kind picker: the timeline filter's kinds as a list, the one shown now marked.

use super::lines::Lines;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::Frame;

use crate::core::app::App;
use crate::core::timeline::Kind;
use crate::core::ui::kind_choices;

use super::look::Look;

pub(crate) fn render(frame: &mut Frame, area: Rect, c: &App, at: usize, look: &Look) {
    let (t, g) = (&look.theme, &look.glyphs);
    let choices = kind_choices();
    let now = c.ui.filter.kind();
    let h = u16::try_from(choices.len() + 3)
        .unwrap_or(u16::MAX)
        .min(area.height);
    let w = 34.min(area.width);
    let inner = super::modal::boxed(
        frame,
        area,
        (w, h),
        Span::styled(" Show on the timeline ", t.title),
        t.border_focus,
    );
    let mut lines: Vec<Line> = choices
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let name = k.map_or("all kinds", Kind::word);
            let glyph = k.map_or(" ", |k| g.kind(k));
            let mark = if *k == now { " (shown now)" } else { "" };
            let pointer = match (i == at, g.ascii) {
                (false, _) => " ",
                (true, true) => ">",
                (true, false) => "▸",
            };
            let line = Line::from(vec![
                Span::styled(format!("{pointer}{glyph} "), t.accent),
                Span::styled(format!("{name}{mark}"), t.text),
            ]);
            if i == at {
                super::checklist::selected(line, look)
            } else {
                line
            }
        })
        .collect();
    lines.push(Line::from(Span::styled(
        " ↑↓ or a letter · Enter · Esc",
        t.muted,
    )));
    frame.render_widget(Lines::new(lines), inner);
}
