//! Fitting text into cells: display width aware truncation and padding.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Display width of a string in terminal cells.
#[must_use]
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// Cuts `s` to at most `max` cells, ending with `ellipsis` when cut.
#[must_use]
pub fn cut(s: &str, max: usize, ellipsis: &str) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let room = max.saturating_sub(width(ellipsis));
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > room {
            break;
        }
        w += cw;
        out.push(c);
    }
    if max >= width(ellipsis) {
        out.push_str(ellipsis);
    }
    out
}

/// `cut` then pad with spaces to exactly `n` cells.
#[must_use]
pub fn pad(s: &str, n: usize, ellipsis: &str) -> String {
    let mut out = cut(s, n, ellipsis);
    let w = width(&out);
    out.extend(std::iter::repeat_n(' ', n.saturating_sub(w)));
    out
}

/// Right-aligns `s` in `n` cells.
#[must_use]
pub fn rpad(s: &str, n: usize, ellipsis: &str) -> String {
    let c = cut(s, n, ellipsis);
    let w = width(&c);
    format!("{}{c}", " ".repeat(n.saturating_sub(w)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_by_cells_not_bytes() {
        assert_eq!(
            cut("Gradual GA", 7, "…"),
            "Gradual…".chars().take(6).collect::<String>() + "…"
        );
        assert_eq!(width(&cut("日本語テキスト", 5, "…")), 5);
        assert_eq!(pad("ab", 4, "…"), "ab  ");
        assert_eq!(rpad("ab", 4, "…"), "  ab");
    }
}
