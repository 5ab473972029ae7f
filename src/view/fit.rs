//! Fitting text into cells: display width aware truncation and padding.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Display width of a string in terminal cells.
#[must_use]
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// Cuts `s` to at most `max` cells, ending with `ellipsis` when cut. The cut falls at the
/// end of a word when one ends in the latter half of the room, so that what is left reads
/// as words ("Invariant…", not "Invariant V…").
#[must_use]
pub fn cut(s: &str, max: usize, ellipsis: &str) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let room = max.saturating_sub(width(ellipsis));
    let mut out = String::new();
    let mut w = 0;
    // Byte length and width of `out` at its last word end (before a space).
    let mut word_end = None;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > room {
            if c == ' ' {
                // The room ends exactly at the end of a word.
                word_end = Some((out.len(), w));
            }
            break;
        }
        if c == ' ' && !out.ends_with(' ') {
            word_end = Some((out.len(), w));
        }
        w += cw;
        out.push(c);
    }
    if let Some((len, at)) = word_end {
        if at * 2 >= room && at > 0 {
            out.truncate(len);
        }
    }
    let trimmed = out
        .trim_end_matches([' ', ',', ';', ':', '—', '-', '('])
        .len();
    out.truncate(trimmed);
    if max >= width(ellipsis) {
        out.push_str(ellipsis);
    }
    out
}

/// Word-wraps `s` to lines of at most `max` cells (a word longer than a line is split).
#[must_use]
pub fn wrap(s: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut w = 0;
    for word in s.split(' ') {
        let mut word = word.to_string();
        loop {
            let ww = width(&word);
            let gap = usize::from(!line.is_empty());
            if w + gap + ww <= max {
                if gap == 1 {
                    line.push(' ');
                }
                line.push_str(&word);
                w += gap + ww;
                break;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                w = 0;
                continue;
            }
            // A word wider than the line: as much of it as fits, then the rest.
            let mut head = String::new();
            let mut hw = 0;
            let mut rest = word.chars();
            for c in rest.by_ref() {
                let cw = c.width().unwrap_or(0);
                if hw + cw > max && !head.is_empty() {
                    let mut tail = c.to_string();
                    tail.extend(rest.by_ref());
                    lines.push(std::mem::take(&mut head));
                    word = tail;
                    hw = usize::MAX;
                    break;
                }
                hw += cw;
                head.push(c);
            }
            if hw != usize::MAX {
                line = head;
                w = width(&line);
                break;
            }
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Keeps the spans that fit whole in `max` cells, in order of `rank` (lower first), and
/// drops the rest: badges are never cut in the middle or written over one another. Returns
/// the spans kept, in their original order.
#[must_use]
pub fn keep_whole<T: Clone>(pieces: &[(T, usize, u8)], max: usize) -> Vec<T> {
    let mut order: Vec<usize> = (0..pieces.len()).collect();
    order.sort_by_key(|&i| pieces[i].2);
    let mut used = 0;
    let mut keep = vec![false; pieces.len()];
    for i in order {
        if used + pieces[i].1 <= max {
            used += pieces[i].1;
            keep[i] = true;
        }
    }
    pieces
        .iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(p, _)| p.0.clone())
        .collect()
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
        assert_eq!(cut("Invariant Violations", 12, "…"), "Invariant…");
        assert_eq!(cut("Error rate above", 12, "…"), "Error rate…");
        assert_eq!(cut("a bcdefghijkl", 8, "…"), "a bcdef…");
        assert_eq!(cut("Response time P95", 14, "…"), "Response time…");
        assert_eq!(wrap("the quick brown fox", 9), ["the quick", "brown fox"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), [""]);
        let kept = keep_whole(&[("a", 3, 0), ("b", 5, 2), ("c", 2, 1)], 6);
        assert_eq!(kept, ["a", "c"]);
        assert_eq!(width(&cut("日本語テキスト", 5, "…")), 5);
        assert_eq!(pad("ab", 4, "…"), "ab  ");
        assert_eq!(rpad("ab", 4, "…"), "  ab");
    }
}
