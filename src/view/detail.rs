//! The detail view: one thing whole, its text wrapped, every field labelled; over the panels,
//! scrollable, read afresh from the state each frame.

use super::lines::Lines;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear};
use ratatui::Frame;

use crate::core::app::App;
use crate::core::detail::doc;
use crate::core::severity::Severity;
use crate::core::ui::DetailView;

use super::fit;
use super::look::Look;

pub(crate) fn render(frame: &mut Frame, body: Rect, c: &App, d: &DetailView, look: &Look) {
    let (t, g) = (&look.theme, &look.glyphs);
    let r = body;
    frame.render_widget(Clear, r);
    let found = match (&d.of, &c.live.exercise) {
        (crate::core::ui::Detail::Injects, Some(ex)) => {
            Some(crate::core::detail::injects(&c.state, ex))
        }
        (of, _) => doc(&c.state, of),
    };
    let Some(doc) = found else {
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(t.border_focus)
            .title(Span::styled(" Details (Esc to close) ", t.title));
        let inner = block.inner(r);
        frame.render_widget(block, r);
        frame.render_widget(
            Lines::new(Span::styled(
                "it is no longer there (dropped from memory, or the rollout moved on)",
                t.muted,
            )),
            inner,
        );
        return;
    };
    let style = match doc.severity {
        Severity::Critical => t.crit,
        Severity::Warning => t.warn,
        Severity::Info => t.title,
    };
    let title = format!(" {}: {} ", capital(doc.what), doc.title);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border_focus)
        .title(Span::styled(
            fit::cut(&title, usize::from(r.width.saturating_sub(4)), g.ellipsis),
            style,
        ));
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let w = usize::from(inner.width).max(8);
    let label_w = doc
        .fields
        .iter()
        .map(|(l, _)| fit::width(l))
        .max()
        .unwrap_or(4);
    let mut lines: Vec<Line> = Vec::new();
    for (label, value) in &doc.fields {
        for (k, part) in fit::wrap(value, w.saturating_sub(label_w + 3))
            .into_iter()
            .enumerate()
        {
            let head = if k == 0 {
                format!(" {label:>label_w$}: ")
            } else {
                " ".repeat(label_w + 3)
            };
            lines.push(Line::from(vec![
                Span::styled(head, t.muted),
                Span::styled(part, t.text),
            ]));
        }
    }
    for para in &doc.body {
        lines.push(Line::default());
        // A paragraph's own line breaks are kept (the text that came from outside has none:
        // they were made spaces when it came in).
        for line in para.split('\n') {
            for part in fit::wrap(line, w.saturating_sub(2)) {
                lines.push(Line::from(Span::styled(format!(" {part}"), t.text)));
            }
        }
    }
    let h = usize::from(inner.height).max(1);
    let foot = Line::from(Span::styled(" ↑↓ scroll · Esc or Enter closes", t.muted));
    let room = h.saturating_sub(1);
    let max_scroll = lines.len().saturating_sub(room);
    let scroll = d.scroll.min(max_scroll);
    let mut shown: Vec<Line> = lines.into_iter().skip(scroll).take(room).collect();
    if max_scroll > 0 {
        shown.push(Line::from(Span::styled(
            format!(
                " {}/{} · ↑↓ scroll · Esc or Enter closes",
                scroll.min(max_scroll),
                max_scroll
            ),
            t.muted,
        )));
    } else {
        shown.push(foot);
    }
    frame.render_widget(Lines::new(shown), inner);
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
