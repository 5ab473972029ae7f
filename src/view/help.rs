//! The help screen, generated from the same key table that dispatches keys.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use crate::core::app::App;
use crate::core::intent::{When, KEYMAP};
use crate::core::outbox::why_not;

use super::fit;

use super::look::Look;

pub(crate) fn render(frame: &mut Frame, area: Rect, c: &App, look: &Look) {
    let (t, g) = (&look.theme, &look.glyphs);
    let rows: Vec<(String, &str)> = KEYMAP
        .iter()
        .filter(|b| c.offers(b))
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
    let h = u16::try_from(rows.len() + 5)
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
    // The seat's commands that do not apply now, and why: the keys are not forgotten, only
    // not offered.
    let mut not_now = Vec::new();
    if !c.is_replay() && c.outbox.role == crate::core::command::Role::Commander {
        for b in KEYMAP
            .iter()
            .filter(|b| b.when == When::Live && !c.offers(b))
        {
            let action = match b.intent {
                crate::core::intent::Intent::Pause => crate::core::command::Action::Pause,
                crate::core::intent::Intent::Resume => crate::core::command::Action::Resume,
                crate::core::intent::Intent::Advance => crate::core::command::Action::Advance,
                _ => crate::core::command::Action::Rollback,
            };
            if let Some(why) = why_not(&c.state, action) {
                not_now.push(format!(
                    "{} {why}",
                    b.keys.first().map(|k| k.label()).unwrap_or_default()
                ));
            }
        }
    }
    if !not_now.is_empty() {
        lines.push(Line::from(Span::styled(
            fit::cut(
                &format!(" not now: {}", not_now.join("; ")),
                usize::from(inner.width),
                g.ellipsis,
            ),
            t.muted,
        )));
    }
    lines.push(Line::from(Span::styled(
        " Every status shows a glyph and a word; colour only repeats it.",
        t.muted,
    )));
    frame.render_widget(Paragraph::new(lines), inner);
}
