//! Modal boxes over the screen: the confirmation of a command and the one-line prompt; and
//! the `:` command line, which takes the footer's row.

use super::lines::Lines;
use crate::view::fit;
use crate::view::look::Look;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear};
use ratatui::Frame;

/// A box of `w` × `h` cells centred in `area` (`h` clamped to it), cleared, framed and
/// titled: returns the inside.
pub(super) fn boxed(
    frame: &mut Frame,
    area: Rect,
    (w, h): (u16, u16),
    title: Span<'static>,
    border: ratatui::style::Style,
) -> Rect {
    let (w, h) = (w.min(area.width), h.min(area.height));
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    frame.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(border)
        .title(title);
    let inner = block.inner(r);
    frame.render_widget(block, r);
    inner
}

/// The screen's last row, cleared, for a line being typed (`None` on a screen of no rows).
fn bottom_row(frame: &mut Frame, area: Rect) -> Option<Rect> {
    if area.height == 0 {
        return None;
    }
    let r = Rect {
        y: area.y + area.height - 1,
        height: 1,
        ..area
    };
    frame.render_widget(Clear, r);
    Some(r)
}

/// The confirmation of a command: what it will do, the reason, and how to send or cancel.
pub(super) fn confirm(
    frame: &mut Frame,
    area: Rect,
    cf: &crate::core::outbox::Confirm,
    look: &Look,
) {
    use crate::core::command::Action;
    let t = &look.theme;
    let g = &look.glyphs;
    let w = area.width.min(76);
    let inner_w = usize::from(w.saturating_sub(2));
    if let Some(item) = &cf.check {
        let r = Rect {
            x: area.x + (area.width - w) / 2,
            y: area.y + area.height.saturating_sub(10) / 2,
            width: w,
            height: 8.min(area.height),
        };
        frame.render_widget(Clear, r);
        return check(frame, r, cf, item, look);
    }
    let needs = crate::core::command::Command::needs_reason(cf.action);
    let label = if cf.action == Action::Note {
        "Note: "
    } else if needs {
        "Reason (required): "
    } else {
        "Reason (optional): "
    };
    // What it does, wrapped; then, for an advance, every gate still blocking with why.
    let mut lines: Vec<Line> = fit::wrap(&cf.preview, inner_w)
        .into_iter()
        .map(|l| Line::from(Span::styled(l, t.text)))
        .collect();
    for b in &cf.blocking {
        for (k, part) in fit::wrap(b, inner_w.saturating_sub(3))
            .into_iter()
            .enumerate()
        {
            let head = if k == 0 {
                format!(" {} ", g.crit)
            } else {
                "   ".into()
            };
            lines.push(Line::from(vec![
                Span::styled(head, t.crit),
                Span::styled(part, t.crit),
            ]));
        }
    }
    if let Some(wave) = &cf.wave {
        for l in fit::wrap(
            &format!("aimed at wave {wave}: if the rollout moves on first, it is a conflict, not a retry"),
            inner_w,
        ) {
            lines.push(Line::from(Span::styled(l, t.muted)));
        }
    }
    lines.push(Line::default());
    lines.push(field(label, &cf.reason, inner_w, look));
    lines.push(match &cf.error {
        Some(e) => Line::from(Span::styled(fit::cut(e, inner_w, g.ellipsis), t.crit)),
        None => Line::from(Span::styled("Enter sends it · Esc cancels", t.muted)),
    });
    let h = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let danger = matches!(cf.action, Action::Rollback | Action::Advance);
    let title = format!(" {} — confirm ", cf.action.word().to_uppercase());
    let inner = boxed(
        frame,
        area,
        (w, h),
        Span::styled(title, if danger { t.crit } else { t.title }),
        if danger { t.crit } else { t.border_focus },
    );
    // When the box cannot hold it all, the reason being typed stays on screen.
    let room = usize::from(inner.height);
    if lines.len() > room {
        let tail = lines.split_off(lines.len() - 3);
        lines.truncate(room.saturating_sub(3));
        lines.extend(tail);
    }
    frame.render_widget(Lines::new(lines), inner);
}

/// A text field in one line: the label, then as much of the text as fits with the cursor
/// at its end (a long text scrolls, its start marked with the ellipsis).
fn field(label: &str, text: &str, width: usize, look: &Look) -> Line<'static> {
    let (t, g) = (&look.theme, &look.glyphs);
    let room = width.saturating_sub(fit::width(label) + 1).max(1);
    let shown = tail(text, room, g.ellipsis);
    Line::from(vec![
        Span::styled(label.to_string(), t.accent),
        Span::styled(shown, t.text),
        Span::styled("_", t.accent),
    ])
}

/// The end of `text` that fits in `room` cells, its cut start marked with `ellipsis`.
fn tail(text: &str, room: usize, ellipsis: &str) -> String {
    if fit::width(text) <= room {
        return text.to_string();
    }
    let keep = room.saturating_sub(fit::width(ellipsis));
    let mut out: Vec<char> = Vec::new();
    let mut w = 0;
    for c in text.chars().rev() {
        let cw = fit::width(c.encode_utf8(&mut [0; 4]));
        if w + cw > keep {
            break;
        }
        w += cw;
        out.push(c);
    }
    out.reverse();
    format!("{ellipsis}{}", out.into_iter().collect::<String>())
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
        field("Note (optional): ", &cf.reason, w, look),
        match &cf.error {
            Some(e) => Line::from(Span::styled(e.clone(), t.crit)),
            None => Line::from(Span::styled("Enter sends it · Esc cancels", t.muted)),
        },
    ];
    frame.render_widget(Lines::new(lines), inner);
}

/// The `:` command line, on the screen's last row: what is typed, or why it did nothing.
pub(super) fn command_line(
    frame: &mut Frame,
    area: Rect,
    line: &crate::core::line::CommandLine,
    look: &Look,
) {
    let t = &look.theme;
    let Some(r) = bottom_row(frame, area) else {
        return;
    };
    let w = usize::from(r.width);
    let help = match &line.error {
        Some(e) => Span::styled(format!("  {e}"), t.crit),
        None if !line.choices.is_empty() => {
            Span::styled(format!("  {}", line.choices.join("  ")), t.accent)
        }
        None => Span::styled(
            match line.hint() {
                Some(h) => format!("  {h} · Tab completes · Enter runs · Esc cancels"),
                None => {
                    "  Tab completes · Enter runs · Esc cancels · :pause :rollback :note :check \
                         :goto :filter :theme :q"
                        .into()
                }
            },
            t.muted,
        ),
    };
    // The typed text keeps at least half the row; what is said about it takes the rest.
    let input = tail(
        &line.input,
        (w / 2)
            .max(w.saturating_sub(fit::width(&help.content) + 2))
            .saturating_sub(2),
        look.glyphs.ellipsis,
    );
    let used = fit::width(&input) + 2;
    let spans = vec![
        Span::styled(":", t.accent),
        Span::styled(input, t.text),
        Span::styled("_", t.accent),
        Span::styled(
            fit::cut(&help.content, w.saturating_sub(used), look.glyphs.ellipsis),
            help.style,
        ),
    ];
    frame.render_widget(Lines::new(Line::from(spans)), r);
}

/// The `/` line, on the screen's last row: what is searched for, and how many entries match.
pub(super) fn search_line(
    frame: &mut Frame,
    area: Rect,
    s: &crate::core::search::Search,
    look: &Look,
) {
    let t = &look.theme;
    let Some(r) = bottom_row(frame, area) else {
        return;
    };
    let w = usize::from(r.width);
    let said = if s.query.is_empty() {
        "  type to search the timeline · Enter keeps it (n / N: back / forward) · Esc".to_string()
    } else if s.current.is_some() {
        format!(
            "  match {} of {} · Enter keeps it · Esc",
            s.ordinal, s.total
        )
    } else {
        "  no match".to_string()
    };
    let style = if !s.query.is_empty() && s.current.is_none() {
        t.crit
    } else {
        t.muted
    };
    let input = tail(&s.query, (w / 2).max(8), look.glyphs.ellipsis);
    let used = fit::width(&input) + 2;
    let spans = vec![
        Span::styled("/", t.accent),
        Span::styled(input, t.text),
        Span::styled("_", t.accent),
        Span::styled(
            fit::cut(&said, w.saturating_sub(used), look.glyphs.ellipsis),
            style,
        ),
    ];
    frame.render_widget(Lines::new(Line::from(spans)), r);
}

/// "Quit?" while commands still wait for their outcome.
pub(super) fn quit_ask(frame: &mut Frame, area: Rect, c: &crate::core::app::App, look: &Look) {
    let t = &look.theme;
    let inner = boxed(
        frame,
        area,
        (64, 6),
        Span::styled(" Quit? ", t.warn),
        t.warn,
    );
    let what: Vec<String> = c
        .outbox
        .pending
        .iter()
        .map(|p| format!("{} {}", p.command.action.word(), p.command.id))
        .collect();
    let iw = usize::from(inner.width);
    let lines = vec![
        Line::from(Span::styled(
            fit::cut(
                &format!("still waiting for the outcome of: {}", what.join(", ")),
                iw,
                look.glyphs.ellipsis,
            ),
            t.text,
        )),
        Line::from(Span::styled(
            fit::cut(
                "quitting now, the outcome is not seen here (the audit log keeps what was sent)",
                iw,
                look.glyphs.ellipsis,
            ),
            t.muted,
        )),
        Line::default(),
        Line::from(Span::styled("y or q quits · any other key stays", t.accent)),
    ];
    frame.render_widget(Lines::new(lines), inner);
}

pub(super) fn prompt(frame: &mut Frame, area: Rect, p: &crate::core::ui::Prompt, look: &Look) {
    let t = &look.theme;
    let w = area.width.min(64);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + area.height.saturating_sub(7),
        width: w,
        height: 5,
    };
    frame.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border_focus)
        .title(Span::styled(format!(" {} ", p.label), t.title));
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let iw = usize::from(inner.width);
    let mut lines = vec![field("> ", &p.input, iw, look)];
    match &p.error {
        Some(e) => lines.extend(
            fit::wrap(e, iw)
                .into_iter()
                .take(2)
                .map(|l| Line::from(Span::styled(l, t.crit))),
        ),
        None => lines.push(Line::from(Span::styled(
            "Enter to go, Esc to cancel",
            t.muted,
        ))),
    }
    frame.render_widget(Lines::new(lines), inner);
}

/// The status update's composer: the update's lines with the cursor, what reaches the
/// timeline, and how to post or cancel. Long lines are cut on screen (the text is kept
/// whole); the view follows the cursor.
pub(super) fn composer(
    frame: &mut Frame,
    area: Rect,
    c: &crate::core::composer::Composer,
    look: &Look,
) {
    use ratatui::style::Modifier;
    let (t, g) = (&look.theme, &look.glyphs);
    let w = area.width.min(88);
    let h = area
        .height
        .min(u16::try_from(c.lines.len() + 4).unwrap_or(u16::MAX));
    let inner = boxed(
        frame,
        area,
        (w, h),
        Span::styled(
            " Status update · Ctrl+S posts, saves, copies · Esc cancels ",
            t.title,
        ),
        t.border_focus,
    );
    let iw = usize::from(inner.width);
    let rows = usize::from(inner.height.saturating_sub(1));
    let top = c.row.saturating_sub(rows.saturating_sub(1));
    let mut lines: Vec<Line> = Vec::with_capacity(rows + 1);
    for (i, text) in c.lines.iter().enumerate().skip(top).take(rows) {
        if i != c.row {
            lines.push(Line::from(Span::styled(
                fit::cut(text, iw, g.ellipsis),
                t.text,
            )));
            continue;
        }
        // The cursor's line: scrolled sideways to keep the cursor in view.
        let chars: Vec<char> = text.chars().collect();
        let start = c.col.saturating_sub(iw.saturating_sub(1));
        let before: String = chars[start..c.col].iter().collect();
        let at: String = chars.get(c.col).map_or(" ".into(), ToString::to_string);
        let after: String = chars
            .iter()
            .skip(c.col + 1)
            .take(iw.saturating_sub(fit::width(&before) + 1))
            .collect();
        lines.push(Line::from(vec![
            Span::styled(before, t.text),
            Span::styled(at, t.text.add_modifier(Modifier::REVERSED)),
            Span::styled(after, t.text),
        ]));
    }
    while lines.len() < rows {
        lines.push(Line::default());
    }
    let note = crate::core::status_update::as_note(&c.text())
        .chars()
        .count();
    let max = crate::core::command::MAX_NOTE_CHARS;
    let foot = match &c.error {
        Some(e) => Span::styled(fit::cut(e, iw, g.ellipsis), t.crit),
        None if note > max => Span::styled(
            fit::cut(
                &format!("the timeline keeps the first {max} of {note} characters; the file and the clipboard keep it whole"),
                iw,
                g.ellipsis,
            ),
            t.warn,
        ),
        None => Span::styled(
            fit::cut(
                &format!("{note} characters on every timeline, whole in the file and the clipboard"),
                iw,
                g.ellipsis,
            ),
            t.muted,
        ),
    };
    lines.push(Line::from(foot));
    frame.render_widget(Lines::new(lines), inner);
}
