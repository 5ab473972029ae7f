//! The footer: the keys that apply now, ranked so the ones that matter most keep their room.

use super::lines::Lines;
use crate::core::app::App;
use crate::core::intent::{When, KEYMAP};
use crate::view::fit;
use crate::view::look::Look;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::Frame;

/// The footer: the keys that apply now. Help and quit are always shown (at the right); the
/// rest fill what room is left, in the key table's order.
pub(super) fn render(frame: &mut Frame, area: Rect, c: &App, look: &Look) {
    use crate::core::intent::Intent;
    let t = &look.theme;
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
        .filter(|b| c.offers(b))
        .filter_map(|b| {
            // At the facilitator's seat the replay's keys drive the room's clock, forward only.
            if c.facilitates() && b.when == When::Replay {
                let (key, text) = room_clock_piece(b.intent)?;
                return Some((key.to_string(), text, 2));
            }
            let text = b.footer?;
            // Rows list keys in (back, forward) pairs: show the shortest pair, or the lone key.
            let pairs = !matches!(
                b.intent,
                Intent::Help | Intent::Quit | Intent::TogglePlay | Intent::Check
            );
            let key = b
                .keys
                .chunks(if pairs { 2 } else { 1 })
                .take(if pairs { usize::MAX } else { 1 })
                .map(|pair| match pair {
                    // Shift+Tab is offered in the help: the footer names Tab.
                    [_, z] if b.intent == Intent::FocusPrev => label(z),
                    [a, z]
                        if label(a).chars().all(char::is_alphanumeric)
                            && label(z).chars().all(char::is_alphanumeric) =>
                    {
                        format!("{}/{}", label(a), label(z))
                    }
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
            } else if matches!(b.when, When::Live | When::Checklist) {
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
    if let Some(n) = &c.ui.notice {
        let room = max.saturating_sub(essential_w + 3);
        left.push(Span::styled(
            format!(" {} ", fit::cut(n, room, look.glyphs.ellipsis)),
            t.accent,
        ));
        left.push(Span::styled(look.glyphs.sep, t.border));
    }
    if c.ui.search.as_ref().is_some_and(|x| !x.editing) {
        left.push(Span::styled(" n N", t.accent));
        left.push(Span::styled(" match  ", t.muted));
        left.push(Span::styled("Esc", t.accent));
        left.push(Span::styled(" end search ", t.muted));
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
    frame.render_widget(Lines::new(Line::from(left)), area);
}

/// The footer's word for a replay key at the facilitator's seat, where it moves the room's
/// clock: space pauses or resumes it, → and > move it forward, n to the next inject.
fn room_clock_piece(intent: crate::core::intent::Intent) -> Option<(&'static str, &'static str)> {
    use crate::core::intent::Intent;
    match intent {
        Intent::TogglePlay => Some(("space", "room clock")),
        Intent::SeekBack10s => Some(("→", "+10s")),
        Intent::SeekBack1m => Some((">", "+1m")),
        Intent::PrevEvent => Some(("n", "next inject")),
        Intent::Slower => Some(("-+", "speed")),
        _ => None,
    }
}
