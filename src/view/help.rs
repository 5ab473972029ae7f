//! The help screen, generated from the same key table that dispatches keys.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use crate::core::app::App;
use crate::core::intent::{When, KEYMAP};

use super::fit;

use super::look::Look;

pub(crate) fn render(frame: &mut Frame, area: Rect, c: &App, look: &Look) {
    let (t, g) = (&look.theme, &look.glyphs);
    let replay = c.is_replay();
    let rows: Vec<(String, &str)> = KEYMAP
        .iter()
        .filter(|b| match b.when {
            When::Always => true,
            When::Replay => replay,
            When::Live => !replay,
            When::Checklist => {
                !replay
                    && c.outbox.role == crate::core::command::Role::Commander
                    && c.ui.focus == crate::core::ui::Panel::Checklist
            }
        })
        .map(|b| {
            let keys: Vec<String> = b
                .keys
                .iter()
                .map(|k| if g.ascii { k.ascii_label() } else { k.label() })
                .collect();
            (keys.join(" "), b.help)
        })
        .collect();
    let key_w = rows.iter().map(|(k, _)| fit::width(k)).max().unwrap_or(4);
    let text_w = rows.iter().map(|(_, h)| fit::width(h)).max().unwrap_or(10);
    let w = u16::try_from(key_w + text_w + 6)
        .unwrap_or(u16::MAX)
        .min(area.width);
    let h = u16::try_from(rows.len() + 4)
        .unwrap_or(u16::MAX)
        .min(area.height);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    frame.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border_focus)
        .title(Span::styled(" Keys (? or Esc to close) ", t.title));
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let mut lines: Vec<Line> = rows
        .iter()
        .map(|(k, h)| {
            Line::from(vec![
                Span::styled(format!(" {} ", fit::pad(k, key_w, g.ellipsis)), t.accent),
                Span::styled((*h).to_string(), t.text),
            ])
        })
        .collect();
    lines.push(Line::from(Span::styled(
        " Every status shows a glyph and a word; colour only repeats it.",
        t.muted,
    )));
    frame.render_widget(Paragraph::new(lines), inner);
}
