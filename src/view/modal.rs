//! Modal boxes over the screen: the confirmation of a command and the one-line prompt; and
//! the `:` command line, which takes the footer's row.

use crate::view::fit;
use crate::view::look::Look;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

/// The confirmation of a command: what it will do, the reason, and how to send or cancel.
pub(super) fn confirm(
    frame: &mut Frame,
    area: Rect,
    cf: &crate::core::outbox::Confirm,
    look: &Look,
) {
    use crate::core::command::Action;
    let t = &look.theme;
    let w = area.width.min(76);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + area.height.saturating_sub(10) / 2,
        width: w,
        height: 8.min(area.height),
    };
    frame.render_widget(Clear, r);
    if let Some(item) = &cf.check {
        return check(frame, r, cf, item, look);
    }
    let danger = matches!(cf.action, Action::Rollback | Action::Advance);
    let title = format!(" {} — confirm ", cf.action.word().to_uppercase());
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(if danger { t.crit } else { t.border_focus })
        .title(Span::styled(title, if danger { t.crit } else { t.title }));
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let needs = crate::core::command::Command::needs_reason(cf.action);
    let label = if cf.action == Action::Note {
        "Note: "
    } else if needs {
        "Reason (required): "
    } else {
        "Reason (optional): "
    };
    let lines = vec![
        Line::from(Span::styled(fit::cut(&cf.preview, usize::from(inner.width), look.glyphs.ellipsis), t.text)),
        Line::from(Span::styled(cf.wave.as_deref().map_or_else(String::new, |w| format!("aimed at wave {w}: if the rollout moves on first, it is a conflict, not a retry")), t.muted)),
        Line::default(),
        Line::from(vec![Span::styled(label, t.accent), Span::styled(cf.reason.clone(), t.text), Span::styled("_", t.accent)]),
        match &cf.error {
            Some(e) => Line::from(Span::styled(e.clone(), t.crit)),
            None => Line::from(Span::styled("Enter sends it · Esc cancels", t.muted)),
        },
    ];
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The confirmation of a tick or untick: the item, its owner and state, what the command
/// does, and the note.
fn check(
    frame: &mut Frame,
    r: Rect,
    cf: &crate::core::outbox::Confirm,
    item: &crate::core::outbox::CheckTarget,
    look: &Look,
) {
    let (t, g) = (&look.theme, &look.glyphs);
    let title = format!(" {} — confirm ", cf.action.word().to_uppercase());
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border_focus)
        .title(Span::styled(title, t.title));
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let w = usize::from(inner.width);
    let owner = item.owner.as_deref().unwrap_or("nobody");
    let lines = vec![
        Line::from(Span::styled(fit::cut(&item.text, w, g.ellipsis), t.title)),
        Line::from(Span::styled(
            fit::cut(
                &format!("item {} · owner: {owner} · now {}", item.id, item.now),
                w,
                g.ellipsis,
            ),
            t.muted,
        )),
        Line::from(Span::styled(fit::cut(&cf.preview, w, g.ellipsis), t.text)),
        Line::default(),
        Line::from(vec![
            Span::styled("Note (optional): ", t.accent),
            Span::styled(cf.reason.clone(), t.text),
            Span::styled("_", t.accent),
        ]),
        match &cf.error {
            Some(e) => Line::from(Span::styled(e.clone(), t.crit)),
            None => Line::from(Span::styled("Enter sends it · Esc cancels", t.muted)),
        },
    ];
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The `:` command line, on the screen's last row: what is typed, or why it did nothing.
pub(super) fn command_line(
    frame: &mut Frame,
    area: Rect,
    line: &crate::core::ui::CommandLine,
    look: &Look,
) {
    let t = &look.theme;
    if area.height == 0 {
        return;
    }
    let r = Rect {
        y: area.y + area.height - 1,
        height: 1,
        ..area
    };
    frame.render_widget(Clear, r);
    let w = usize::from(r.width);
    let mut spans = vec![
        Span::styled(":", t.accent),
        Span::styled(line.input.clone(), t.text),
        Span::styled("_", t.accent),
    ];
    let help = match &line.error {
        Some(e) => Span::styled(format!("  {e}"), t.crit),
        None => Span::styled("  Enter runs · Esc cancels", t.muted),
    };
    let used = fit::width(&line.input) + 2;
    spans.push(Span::styled(
        fit::cut(&help.content, w.saturating_sub(used), look.glyphs.ellipsis),
        help.style,
    ));
    frame.render_widget(Paragraph::new(Line::from(spans)), r);
}

pub(super) fn prompt(frame: &mut Frame, area: Rect, p: &crate::core::ui::Prompt, look: &Look) {
    let t = &look.theme;
    let w = area.width.min(60);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + area.height.saturating_sub(6),
        width: w,
        height: 4,
    };
    frame.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border_focus)
        .title(Span::styled(format!(" {} ", p.label), t.title));
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let mut lines = vec![Line::from(vec![
        Span::styled("> ", t.accent),
        Span::styled(p.input.clone(), t.text),
        Span::styled("_", t.accent),
    ])];
    lines.push(match &p.error {
        Some(e) => Line::from(Span::styled(e.clone(), t.crit)),
        None => Line::from(Span::styled("Enter to go, Esc to cancel", t.muted)),
    });
    frame.render_widget(Paragraph::new(lines), inner);
}
