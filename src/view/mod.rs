//! The pure view: `render(frame, &Console, &Look)` draws the whole screen from the state.
//! Nothing here mutates state or does I/O.
//!
//! Wide layout (≥ 100×32):
//! ```text
//! ┌ header ──────────────────────────────────────────────────────────────────────────────┐
//! │ ✖ CRITICAL  Batch Patches v1.0.0  legacy → v1.0.0 · canary        REPLAY ×60 ▶ 63%  │
//! │ UTC 2025-02-08 10:15:00Z  T+5d01h  wave 3/4 ▶ ACTIVE 44h50m left  fixture · data 12s │
//! ├ waves ───────────────────────────────────────────────────────────────────────────────┤
//! │ ✔ 1 Internal Testing 10% ─ ✔ 2 Beta Users 25% ─ ▶ 3 Gradual GA 50% ─ ○ 4 Full 100%  │
//! │ bake ███████░░░░░░ · gates to wave 4: ✔ Zero CRITICAL alerts  ✖ Error rate < 5% …    │
//! ├ SLOs ─────────────────────────────────┬ checklist ───────────────────────────────────┤
//! │ ✖ CRIT Error rate 12.4% ↑ ▂▃▅▇ …      │ A. Infrastructure 12/12 ✔ …                  │
//! ├ timeline ────────────────────────────────────────────────────────────────────────────┤
//! │ T+5d01:15:00 10:15:00Z ⚠ crit alertmanager  …                                        │
//! └ footer: keys that apply now ─────────────────────────────────────────────────────────┘
//! ```
//! The compact layout (80×24) keeps the same order with one-line rows and rules instead of
//! boxes.

mod checklist;
pub mod fit;
pub mod glyphs;
mod header;
mod help;
mod slo_gauge;
pub mod theme;
mod timeline;
mod waves;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use crate::core::console::{Console, Panel};
use crate::core::intent::{When, KEYMAP};

use glyphs::Glyphs;
use theme::Theme;

/// How the screen looks: colours and glyphs.
#[derive(Clone, Debug)]
pub struct Look {
    pub theme: Theme,
    pub glyphs: Glyphs,
}

/// Wide or compact, chosen from the terminal size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Density {
    Compact,
    Wide,
}

impl Density {
    #[must_use]
    pub fn of(area: Rect) -> Density {
        if area.width >= 100 && area.height >= 32 {
            Density::Wide
        } else {
            Density::Compact
        }
    }
}

/// Draws the whole screen.
pub fn render(frame: &mut Frame, c: &Console, look: &Look) {
    let area = frame.area();
    frame.render_widget(Block::default().style(look.theme.background), area);
    if area.width < 40 || area.height < 12 {
        let msg = Paragraph::new(vec![
            Line::from(Span::styled(
                format!(
                    "{} {}",
                    look.glyphs.status(c.state.status),
                    c.state.status.word()
                ),
                header::status_style(c.state.status, &look.theme),
            )),
            Line::from("terminal too small"),
            Line::from("(need 40×12)"),
        ]);
        frame.render_widget(msg, area);
        return;
    }
    let density = Density::of(area);
    let l = layout(area, c);
    header::render(frame, l.header, c, look, density);
    footer(frame, l.footer, c, look);
    if c.zoom {
        let focused = match c.focus {
            Panel::Timeline => timeline::render,
            Panel::Checklist => checklist::render,
            Panel::Slos => slo_gauge::render,
        };
        focused(frame, l.body, c, look, density, true);
    } else {
        waves::render(frame, l.waves, c, look, density);
        slo_gauge::render(frame, l.slos, c, look, density, false);
        checklist::render(frame, l.checklist, c, look, density, false);
        timeline::render(frame, l.timeline, c, look, density, false);
    }
    if let Some(p) = &c.prompt {
        prompt(frame, area, p, look);
    }
    if let Some(cf) = &c.confirm {
        confirm(frame, area, cf, look);
    }
    if c.help {
        help::render(frame, area, c, look);
    }
    if look.glyphs.ascii {
        asciify(frame.buffer_mut());
    }
}

/// For terminals without Unicode: every cell becomes ASCII. Typographic characters map to
/// their nearest ASCII; anything else (including text from events) becomes `?`.
fn asciify(buf: &mut ratatui::buffer::Buffer) {
    let area = buf.area;
    for y in area.top()..area.bottom() {
        let mut x = area.left();
        while x < area.right() {
            let sym = buf[(x, y)].symbol().to_string();
            if !sym.is_ascii() {
                let wide = fit::width(&sym) > 1;
                let mapped = sym.chars().next().map_or('?', ascii_for);
                buf[(x, y)].set_char(mapped);
                if wide && x + 1 < area.right() {
                    buf[(x + 1, y)].set_char(' ');
                    x += 1;
                }
            }
            x += 1;
        }
    }
}

fn ascii_for(c: char) -> char {
    match c {
        '—' | '–' | '─' | '━' | '‐' => '-',
        '·' | '•' => '.',
        '×' => 'x',
        '±' => '+',
        '→' | '▸' | '▶' => '>',
        '←' => '<',
        '↑' => '^',
        '↓' => 'v',
        '…' => '~',
        '“' | '”' => '"',
        '‘' | '’' => '\'',
        '│' | '┃' => '|',
        _ => '?',
    }
}

/// Where each part of the screen goes: one pure function, used by the renderer and by the
/// shell (which needs the timeline's height to scroll by whole pages).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Screen {
    pub header: Rect,
    pub body: Rect,
    pub footer: Rect,
    pub waves: Rect,
    pub slos: Rect,
    pub checklist: Rect,
    pub timeline: Rect,
}

/// The layout of `area` for this console: wide (≥ 100×32) or compact.
#[must_use]
pub fn layout(area: Rect, c: &Console) -> Screen {
    let density = Density::of(area);
    let header_h = if density == Density::Wide { 3 } else { 2 };
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(header_h),
        Constraint::Min(5),
        Constraint::Length(1),
    ])
    .areas(area);
    let n_slo = u16::try_from(c.state.slos.len()).unwrap_or(u16::MAX);
    let (waves, mid, timeline) = match density {
        Density::Wide => {
            let gates = c.state.next_gates().len();
            // Borders, pipeline, bake line, gate heading, then gates two to a row.
            let waves_h = u16::try_from(2 + 3 + gates.div_ceil(2).clamp(1, 4)).unwrap_or(9);
            let avail = body.height.saturating_sub(waves_h);
            // SLOs take two rows each when there is room; the timeline keeps at least a third.
            let mid_h = (n_slo.saturating_mul(2) + 2)
                .min(avail.saturating_sub(avail / 3))
                .max(6);
            let [w, m, t] = Layout::vertical([
                Constraint::Length(waves_h),
                Constraint::Length(mid_h),
                Constraint::Min(4),
            ])
            .areas(body);
            (w, m, t)
        }
        Density::Compact => {
            let avail = body.height.saturating_sub(2);
            let mid_h = (n_slo + 1).min(avail / 2).max(3);
            let [w, m, t] = Layout::vertical([
                Constraint::Length(2),
                Constraint::Length(mid_h),
                Constraint::Min(3),
            ])
            .areas(body);
            (w, m, t)
        }
    };
    let (slos, checklist) = match density {
        Density::Wide => {
            let [a, b] =
                Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)])
                    .areas(mid);
            (a, b)
        }
        Density::Compact => {
            let check_w = (body.width / 3).clamp(24, 40);
            let [a, _, b] = Layout::horizontal([
                Constraint::Min(40),
                Constraint::Length(1),
                Constraint::Length(check_w),
            ])
            .areas(mid);
            (a, b)
        }
    };
    Screen {
        header,
        body,
        footer,
        waves,
        slos,
        checklist,
        timeline,
    }
}

/// Rows of entries the timeline panel shows (inside its frame) on a screen of this size.
#[must_use]
pub fn timeline_rows(area: Rect, c: &Console) -> usize {
    let l = layout(area, c);
    let panel = if c.zoom && c.focus == Panel::Timeline {
        l.body
    } else {
        l.timeline
    };
    let frame = if Density::of(area) == Density::Wide {
        2
    } else {
        1
    };
    usize::from(panel.height.saturating_sub(frame)).max(1)
}

/// A panel frame: a box in the wide layout, a titled rule in the compact one. Returns the
/// inner area.
pub(crate) fn panel(
    frame: &mut Frame,
    area: Rect,
    title: Vec<Span<'static>>,
    focused: bool,
    look: &Look,
    density: Density,
) -> Rect {
    let t = &look.theme;
    let border = if focused { t.border_focus } else { t.border };
    let mut spans = vec![Span::styled(
        match (focused, look.glyphs.ascii) {
            (false, _) => " ",
            (true, true) => ">",
            (true, false) => "▸",
        },
        border,
    )];
    spans.extend(title);
    spans.push(Span::raw(" "));
    match density {
        Density::Wide => {
            let block = Block::default()
                .borders(Borders::ALL)
                .border_style(border)
                .title(Line::from(spans));
            let block = if look.glyphs.ascii {
                block.border_set(ratatui::symbols::border::Set {
                    top_left: "+",
                    top_right: "+",
                    bottom_left: "+",
                    bottom_right: "+",
                    vertical_left: "|",
                    vertical_right: "|",
                    horizontal_top: "-",
                    horizontal_bottom: "-",
                })
            } else {
                block
            };
            let inner = block.inner(area);
            frame.render_widget(block, area);
            inner
        }
        Density::Compact => {
            if area.height == 0 {
                return area;
            }
            let mut line = Line::from(spans);
            let used = line.width();
            let rule = if look.glyphs.ascii { "-" } else { "─" };
            line.spans.push(Span::styled(
                rule.repeat(usize::from(area.width).saturating_sub(used)),
                border,
            ));
            frame.render_widget(Paragraph::new(line), Rect { height: 1, ..area });
            Rect {
                y: area.y + 1,
                height: area.height - 1,
                ..area
            }
        }
    }
}

/// The footer: the keys that apply now. Help and quit are always shown (at the right); the
/// rest fill what room is left, in the key table's order.
fn footer(frame: &mut Frame, area: Rect, c: &Console, look: &Look) {
    use crate::core::intent::Intent;
    let t = &look.theme;
    let replay = c.is_replay();
    let max = usize::from(area.width);
    let label = |k: &crate::core::intent::Key| {
        if look.glyphs.ascii {
            k.ascii_label()
        } else {
            k.label()
        }
    };
    // (keys, label, rank): 0 help and quit, always shown at the right; 1 commands, which matter
    // most when they apply; 2 the rest, as room allows.
    let pieces: Vec<(String, &str, u8)> = KEYMAP
        .iter()
        .filter(|b| match b.when {
            When::Always => true,
            When::Replay => replay,
            When::Live => !replay && c.role == crate::core::command::Role::Commander,
        })
        .filter_map(|b| {
            let text = b.footer?;
            // Rows list keys in (back, forward) pairs: show the shortest pair, or the lone key.
            let pairs = !matches!(b.intent, Intent::Help | Intent::Quit | Intent::TogglePlay);
            let key = b
                .keys
                .chunks(if pairs { 2 } else { 1 })
                .take(if pairs { usize::MAX } else { 1 })
                .map(|pair| match pair {
                    [a, z] if fit::width(&label(a)) == 1 && fit::width(&label(z)) == 1 => {
                        format!("{}{}", label(a), label(z))
                    }
                    [a, z] => format!("{}/{}", label(a), label(z)),
                    [a] => label(a),
                    _ => String::new(),
                })
                .min_by_key(|k| fit::width(k))
                .unwrap_or_default();
            let rank = if matches!(b.intent, Intent::Help | Intent::Quit) {
                0
            } else if b.when == When::Live {
                1
            } else {
                2
            };
            Some((key, text, rank))
        })
        .collect();
    let piece_w = |(k, l, _): &(String, &str, u8)| fit::width(k) + fit::width(l) + 3;
    let essential_w: usize = pieces.iter().filter(|p| p.2 == 0).map(piece_w).sum();
    let mut left: Vec<Span> = Vec::new();
    if let Some(n) = &c.notice {
        left.push(Span::styled(format!(" {n} "), t.accent));
        left.push(Span::styled(look.glyphs.sep, t.border));
    }
    let mut used: usize = left.iter().map(Span::width).sum();
    let mut rest: Vec<_> = pieces.iter().filter(|p| p.2 > 0).collect();
    rest.sort_by_key(|p| p.2);
    for p in rest {
        if used + piece_w(p) + essential_w > max {
            continue;
        }
        used += piece_w(p);
        left.push(Span::styled(format!(" {}", p.0), t.accent));
        left.push(Span::styled(format!(" {} ", p.1), t.muted));
    }
    left.push(Span::raw(
        " ".repeat(max.saturating_sub(used + essential_w)),
    ));
    for p in pieces.iter().filter(|p| p.2 == 0) {
        left.push(Span::styled(format!(" {}", p.0), t.accent));
        left.push(Span::styled(format!(" {} ", p.1), t.muted));
    }
    frame.render_widget(Paragraph::new(Line::from(left)), area);
}

/// The confirmation of a command: what it will do, the reason, and how to send or cancel.
fn confirm(frame: &mut Frame, area: Rect, cf: &crate::core::console::Confirm, look: &Look) {
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

fn prompt(frame: &mut Frame, area: Rect, p: &crate::core::console::Prompt, look: &Look) {
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

/// Style for a band.
pub(crate) fn band_style(b: crate::core::slo::Band, t: &Theme) -> Style {
    use crate::core::slo::Band;
    match b {
        Band::Pass => t.ok,
        Band::Warn => t.warn,
        Band::Crit => t.crit,
        Band::NoData => t.nodata,
    }
}
