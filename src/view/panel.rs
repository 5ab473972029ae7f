//! The frame around a panel: a box in the wide layout, a titled rule in the compact one.

use super::lines::{boxed, Lines};
use crate::view::layout::Density;
use crate::view::look::Look;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::Frame;

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
            let set = if look.glyphs.ascii {
                ratatui::symbols::border::Set {
                    top_left: "+",
                    top_right: "+",
                    bottom_left: "+",
                    bottom_right: "+",
                    vertical_left: "|",
                    vertical_right: "|",
                    horizontal_top: "-",
                    horizontal_bottom: "-",
                }
            } else {
                ratatui::symbols::border::PLAIN
            };
            boxed(frame.buffer_mut(), area, &set, border, Line::from(spans))
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
            frame.render_widget(Lines::new(line), Rect { height: 1, ..area });
            Rect {
                y: area.y + 1,
                height: area.height - 1,
                ..area
            }
        }
    }
}
