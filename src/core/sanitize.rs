//! Text that came from outside (fixtures, servers, alerts) is made safe to draw here, once,
//! when it enters the core: no escape sequence, control character or bidi override can reach
//! the terminal, and no single field can grow without bound. Messages printed on stdout and
//! stderr (errors that quote a file name or a value, `check` lines) go through the same
//! function on their way out.

/// Longest text kept from one field, in chars; longer text is cut with an ellipsis.
pub const MAX_FIELD_CHARS: usize = 512;

/// Longest note, in chars: a status update is a note, and its whole text (every wave and
/// every metric of a large plan) should reach every timeline uncut.
pub const MAX_NOTE_CHARS: usize = 4096;

/// Longest line of a message written to stdout or stderr, in chars (a message quotes a file
/// name and a value, each already cut to [`MAX_FIELD_CHARS`]).
pub const MAX_MESSAGE_LINE_CHARS: usize = 4 * MAX_FIELD_CHARS;

/// Returns text that is safe to write to a terminal: C0/C1 controls, DEL, and Unicode
/// bidirectional / invisible formatting characters become U+FFFD (tab and newline become a
/// space), so the reader still sees that something was there.
#[must_use]
pub fn sanitize(input: &str) -> Box<str> {
    clean(input, MAX_FIELD_CHARS)
}

/// [`sanitize`] for a note's text, cut at [`MAX_NOTE_CHARS`] instead.
#[must_use]
pub fn sanitize_note(input: &str) -> Box<str> {
    clean(input, MAX_NOTE_CHARS)
}

/// [`sanitize`] for one line of a message on stdout or stderr: a line break inside it
/// becomes a space, and it is cut at [`MAX_MESSAGE_LINE_CHARS`].
#[must_use]
pub fn sanitize_line(input: &str) -> Box<str> {
    clean(input, MAX_MESSAGE_LINE_CHARS)
}

/// [`sanitize`] line by line, keeping the line breaks, for messages on stdout and stderr
/// (the command line parser's usage text has several lines). A CR before a line break goes
/// with it; each line is cut at [`MAX_MESSAGE_LINE_CHARS`].
#[must_use]
pub fn sanitize_lines(input: &str) -> String {
    input
        .split('\n')
        .map(|line| {
            clean(
                line.strip_suffix('\r').unwrap_or(line),
                MAX_MESSAGE_LINE_CHARS,
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn clean(input: &str, max_chars: usize) -> Box<str> {
    if input.len() <= max_chars && (printable_ascii(input) || input.chars().all(is_plain)) {
        return input.into();
    }
    let mut out = String::with_capacity(input.len().min(max_chars * 4));
    for (n, c) in input.chars().enumerate() {
        if n == max_chars {
            out.push('…');
            break;
        }
        out.push(match c {
            '\t' | '\n' | '\r' => ' ',
            c if is_plain(c) => c,
            _ => '\u{FFFD}',
        });
    }
    out.into_boxed_str()
}

/// Only printable ASCII, space to tilde: the commonest text, checked a whole word at a time.
fn printable_ascii(s: &str) -> bool {
    // No early exit: a loop the compiler can run over many bytes at once.
    s.bytes()
        .fold(true, |ok, b| ok & (b' '..=b'~').contains(&b))
}

fn is_plain(c: char) -> bool {
    !(c.is_control()
        || matches!(c,
            '\u{200B}'..='\u{200F}'   // zero-width and LRM/RLM
            | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}' // bidi isolates
            | '\u{FEFF}'              // BOM / zero-width no-break space
            | '\u{061C}'              // Arabic letter mark (bidi)
            | '\u{180E}'              // Mongolian vowel separator (invisible)
            | '\u{2028}' | '\u{2029}' // line and paragraph separators
            | '\u{FFF9}'..='\u{FFFB}'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_never_survive() {
        let hostile = "ok\x1b]0;pwned\x07 \x1b[2J\x1b[31mred\u{9b}31m \u{202E}evil";
        let s = sanitize(hostile);
        assert!(!s.chars().any(char::is_control), "{s:?}");
        assert!(!s.contains('\u{202E}'));
        for c in [
            '\u{061C}', '\u{180E}', '\u{2028}', '\u{2029}', '\u{2066}', '\u{200B}',
        ] {
            assert!(!sanitize(&format!("a{c}b")).contains(c), "{c:?}");
        }
        assert!(s.contains("red"));
    }

    #[test]
    fn messages_keep_their_lines_and_lose_their_escapes() {
        let s = sanitize_lines("error: '\x1b]0;pwned\x07'\r\n\nUsage: warroom \u{9b}2J\n");
        assert_eq!(
            s,
            "error: '\u{FFFD}]0;pwned\u{FFFD}'\n\nUsage: warroom \u{FFFD}2J\n"
        );
    }

    #[test]
    fn the_ascii_shortcut_passes_only_what_the_full_check_passes() {
        for b in 0u8..=127 {
            let c = char::from(b);
            assert_eq!(
                printable_ascii(c.encode_utf8(&mut [0; 4])),
                is_plain(c),
                "{b:#04x}"
            );
        }
        assert!(!printable_ascii("tab\there"));
        assert!(!printable_ascii("é"));
        assert!(printable_ascii(""));
    }

    #[test]
    fn plain_text_is_untouched_and_long_text_is_cut() {
        assert_eq!(
            &*sanitize("Error rate 12 % > 10 %"),
            "Error rate 12 % > 10 %"
        );
        let long = "x".repeat(5000);
        let s = sanitize(&long);
        assert_eq!(s.chars().count(), MAX_FIELD_CHARS + 1);
        assert!(s.ends_with('…'));
    }
}
