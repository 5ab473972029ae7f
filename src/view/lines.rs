//! Lines of styled text drawn straight into the buffer: what `Paragraph` does for text that
//! neither wraps nor scrolls nor aligns (every text on our screens), at a fraction of the
//! cost. A span of printable ASCII (nearly every one) is written a byte a cell; any other
//! grapheme by grapheme, by the width the buffer gives it, as `Paragraph` writes it. Each line
//! ends at the area's right edge or before the first grapheme that does not fit there; the
//! cells a line does not reach are left as they are.

use ratatui::buffer::{Buffer, CellWidth};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span, StyledGrapheme, Text};
use ratatui::widgets::Widget;

/// Lines of text, top to bottom, from the area's left edge.
pub struct Lines<'a>(Text<'a>);

impl<'a> Lines<'a> {
    pub fn new(text: impl Into<Text<'a>>) -> Lines<'a> {
        Lines(text.into())
    }
}

impl Widget for Lines<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        if area.is_empty() {
            return;
        }
        let base = self.0.style;
        for (line, y) in self.0.lines.iter().zip(area.top()..area.bottom()) {
            let line_style = base.patch(line.style);
            let mut x = area.left();
            for span in &line.spans {
                if x >= area.right() {
                    break;
                }
                x = put(buf, x, y, area.right(), span, line_style);
            }
        }
    }
}

/// Sets `style` on every cell of `area`, a row at a time: what a `Block` with a style and
/// nothing else draws.
pub fn fill(buf: &mut Buffer, area: Rect, style: Style) {
    let area = area.intersection(buf.area);
    for y in area.top()..area.bottom() {
        let at = buf.index_of(area.x, y);
        for cell in &mut buf.content[at..at + usize::from(area.width)] {
            cell.set_style(style);
        }
    }
}

/// A box around `area` in `set`'s lines and `style`, `title` on its top edge from the second
/// column: what a `Block` with all borders and a left-aligned title draws. Returns the inside.
pub fn boxed(
    buf: &mut Buffer,
    area: Rect,
    set: &ratatui::symbols::border::Set<'_>,
    style: Style,
    title: Line<'_>,
) -> Rect {
    let area = area.intersection(buf.area);
    if area.is_empty() {
        return area;
    }
    let (left, right, top, bottom) = (area.left(), area.right() - 1, area.top(), area.bottom() - 1);
    let mut edge = |x: u16, y: u16, symbol: &str| {
        buf[(x, y)].set_symbol(symbol).set_style(style);
    };
    for x in left..=right {
        edge(x, top, set.horizontal_top);
        edge(x, bottom, set.horizontal_bottom);
    }
    for y in top..=bottom {
        edge(left, y, set.vertical_left);
        edge(right, y, set.vertical_right);
    }
    edge(left, top, set.top_left);
    edge(right, top, set.top_right);
    edge(left, bottom, set.bottom_left);
    edge(right, bottom, set.bottom_right);
    let inside = Rect {
        x: area.x.saturating_add(1).min(area.right()),
        y: area.y.saturating_add(1).min(area.bottom()),
        width: area.width.saturating_sub(2),
        height: area.height.saturating_sub(2),
    };
    if inside.width > 0 {
        Lines::new(title).render(
            Rect {
                y: top,
                height: 1,
                ..inside
            },
            buf,
        );
    }
    inside
}

/// Writes `span` at (`x`, `y`) up to column `right` (exclusive), in `line_style` patched
/// with its own: returns the column after it (`right` once something did not fit, which ends
/// the line, as `Paragraph` ends it).
fn put(buf: &mut Buffer, x: u16, y: u16, right: u16, span: &Span<'_>, line_style: Style) -> u16 {
    let s: &str = &span.content;
    let room = usize::from(right - x);
    if s.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
        let style = line_style.patch(span.style);
        let n = s.len().min(room);
        let at = buf.index_of(x, y);
        let mut ch = [0u8; 4];
        for (cell, b) in buf.content[at..at + n].iter_mut().zip(s.bytes()) {
            cell.set_symbol(char::from(b).encode_utf8(&mut ch))
                .set_style(style);
        }
        if n < s.len() {
            return right;
        }
        // At most `room` (a u16) cells were written.
        return x + u16::try_from(n).unwrap_or(u16::MAX);
    }
    let mut x = x;
    for StyledGrapheme { symbol, style } in span.styled_graphemes(line_style) {
        let w = symbol.cell_width();
        if w == 0 {
            continue;
        }
        if x.saturating_add(w) > right {
            return right;
        }
        buf[(x, y)].set_symbol(symbol).set_style(style);
        x += w;
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::{Color, Modifier};
    use ratatui::widgets::{Block, Borders, Paragraph};

    /// What `Paragraph` draws of the same text, cell for cell.
    fn both(text: Text<'static>, w: u16, h: u16) -> (Buffer, Buffer) {
        let area = Rect::new(0, 0, w, h);
        let (mut a, mut b) = (Buffer::empty(area), Buffer::empty(area));
        // Something under the text, which the cells it does not reach keep.
        for buf in [&mut a, &mut b] {
            buf.set_style(area, Style::default().bg(Color::Blue));
        }
        Paragraph::new(text.clone()).render(area, &mut a);
        Lines::new(text).render(area, &mut b);
        (a, b)
    }

    #[test]
    fn draws_what_a_paragraph_draws() {
        let text = Text::from(vec![
            Line::from(vec![
                Span::styled("12:04:05 ", Style::default().fg(Color::Gray)),
                Span::styled("wave", Style::default().add_modifier(Modifier::BOLD)),
                Span::raw(" → 25 % "),
                Span::styled("Shard 7 restarted", Style::default().fg(Color::Red)),
            ])
            .style(Style::default().bg(Color::Black)),
            Line::from("a line far longer than the area is wide, cut at its edge"),
            Line::from("wide: 日本語テキスト and e\u{301} combined"),
            Line::from(vec![
                Span::raw(""),
                Span::raw("after an empty span, a\ttab"),
            ]),
            Line::from("a line below the area's last row"),
        ]);
        let (want, got) = both(text, 30, 4);
        assert_eq!(got, want);
    }

    #[test]
    fn a_wide_character_at_the_edge_is_not_half_drawn() {
        let (want, got) = both(Text::from("abcdefgh日"), 9, 1);
        assert_eq!(got, want);
    }

    #[test]
    fn a_box_and_a_fill_draw_what_a_block_draws() {
        let area = Rect::new(0, 0, 24, 6);
        let style = Style::default().fg(Color::Cyan);
        let title = || {
            Line::from(vec![
                Span::styled("▸", style),
                Span::styled("Timeline", Style::default().add_modifier(Modifier::BOLD)),
                Span::raw(" 1 234 entries, a title longer than the box "),
            ])
        };
        for set in [
            ratatui::symbols::border::PLAIN,
            ratatui::symbols::border::ROUNDED,
        ] {
            for r in [area, Rect::new(3, 1, 2, 2), Rect::new(20, 4, 4, 2)] {
                let (mut want, mut got) = (Buffer::empty(area), Buffer::empty(area));
                let bg = Style::default().bg(Color::Black);
                Block::default().style(bg).render(area, &mut want);
                fill(&mut got, area, bg);
                let block = Block::default()
                    .borders(Borders::ALL)
                    .border_set(set)
                    .border_style(style)
                    .title(title());
                let inner = block.inner(r);
                block.render(r, &mut want);
                assert_eq!(boxed(&mut got, r, &set, style, title()), inner);
                assert_eq!(got, want, "{r:?}");
            }
        }
    }
}
