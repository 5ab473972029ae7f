//! The ASCII pass for terminals without Unicode: every cell becomes ASCII.

use crate::view::fit;

/// For terminals without Unicode: every cell becomes ASCII. Typographic characters map to
/// their nearest ASCII; anything else (including text from events) becomes `?`.
pub(super) fn asciify(buf: &mut ratatui::buffer::Buffer) {
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
