//! The help screen, generated from the same key table that dispatches keys: the keys that
//! apply now, what the seat's other commands wait for, and a page at a time on a short
//! terminal.

use super::lines::Lines;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::Frame;

use crate::core::app::App;
use crate::core::command::Action;
use crate::core::intent::{Intent, When, KEYMAP};
use crate::core::outbox::why_not;

use super::fit;

use super::look::Look;

/// The seat's commands that do not apply now, and why: the keys are not forgotten, only not
/// offered.
fn not_now(c: &App) -> Vec<String> {
    if c.is_replay() || !c.outbox.role.commands() {
        return Vec::new();
    }
    KEYMAP
        .iter()
        .filter(|b| b.when == When::Live && !c.offers(b))
        .filter_map(|b| {
            let action = match b.intent {
                Intent::Pause => Action::Pause,
                Intent::Resume => Action::Resume,
                Intent::Advance => Action::Advance,
                _ => Action::Rollback,
            };
            let why = why_not(&c.state, action)?;
            Some(format!(
                "{} {why}",
                b.keys.first().map(|k| k.label()).unwrap_or_default()
            ))
        })
        .collect()
}

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
    let inner_w = usize::from(w.saturating_sub(2));
    // Each row's text wraps under itself on a narrow terminal.
    let text_room = inner_w.saturating_sub(key_w + 2).max(10);
    let mut lines: Vec<Line> = rows
        .iter()
        .flat_map(|(k, h)| {
            fit::wrap(h, text_room)
                .into_iter()
                .enumerate()
                .map(|(i, part)| {
                    let key = if i == 0 {
                        fit::pad(k, key_w, g.ellipsis)
                    } else {
                        " ".repeat(key_w)
                    };
                    Line::from(vec![
                        Span::styled(format!(" {key} "), t.accent),
                        Span::styled(part, t.text),
                    ])
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let not_now = not_now(c);
    if !not_now.is_empty() {
        for part in fit::wrap(
            &format!("not now: {}", not_now.join("; ")),
            inner_w.saturating_sub(1),
        ) {
            lines.push(Line::from(Span::styled(format!(" {part}"), t.muted)));
        }
    }
    lines.push(Line::from(Span::styled(
        fit::cut(
            " Every status shows a glyph and a word; colour only repeats it.",
            inner_w,
            g.ellipsis,
        ),
        t.muted,
    )));
    let h = u16::try_from(lines.len() + 2)
        .unwrap_or(u16::MAX)
        .min(area.height);
    let inner = super::modal::boxed(
        frame,
        area,
        (w, h),
        Span::styled(" Keys (? or Esc to close) ", t.title),
        t.border_focus,
    );
    // A short terminal shows a page of it, and says that there is more.
    let room = usize::from(inner.height);
    if lines.len() > room {
        let total = lines.len();
        let page = room.saturating_sub(1).max(1);
        let skip = c.ui.help_scroll.min(total - page);
        let mut shown: Vec<Line> = lines.into_iter().skip(skip).take(page).collect();
        shown.push(Line::from(Span::styled(
            format!(
                " ↑↓ PgUp PgDn: more (rows {}–{} of {total})",
                skip + 1,
                (skip + page).min(total)
            ),
            t.accent,
        )));
        lines = shown;
    }
    frame.render_widget(Lines::new(lines), inner);
}
