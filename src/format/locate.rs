//! Finds where a key path sits in JSON text, so that errors found after parsing (an unknown
//! SLO id, thresholds out of order) can still name the line and column. Only run on errors.

/// One step of a path: an object key or an array index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// Parses `slos[2].warning` into steps.
#[must_use]
pub fn steps(path: &str) -> Vec<Step> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = part.split_once('[').map_or((part, ""), |(k, r)| (k, r));
        if !key.is_empty() {
            out.push(Step::Key(key.to_string()));
        }
        while let Some((n, r)) = rest.split_once(']') {
            if let Ok(i) = n.parse() {
                out.push(Step::Index(i));
            }
            rest = r.strip_prefix('[').unwrap_or(r);
        }
    }
    out
}

/// Byte offset of the value at `path` (or, for a missing last key, of the enclosing object).
#[must_use]
pub fn locate(text: &str, path: &[Step]) -> Option<usize> {
    let b = text.as_bytes();
    let mut pos = skip_ws(b, 0);
    for step in path {
        match (step, b.get(pos)) {
            (Step::Key(k), Some(b'{')) => {
                let mut p = pos + 1;
                let mut found = None;
                loop {
                    p = skip_ws(b, p);
                    match b.get(p) {
                        Some(b'"') => {}
                        _ => break,
                    }
                    let end = skip_string(b, p)?;
                    let key = &text[p + 1..end - 1];
                    p = skip_ws(b, end);
                    if b.get(p) != Some(&b':') {
                        return None;
                    }
                    p = skip_ws(b, p + 1);
                    if key == k {
                        found = Some(p);
                        break;
                    }
                    p = skip_ws(b, skip_value(b, p)?);
                    if b.get(p) == Some(&b',') {
                        p += 1;
                    }
                }
                pos = found.unwrap_or(pos);
                if found.is_none() {
                    return Some(pos);
                }
            }
            (Step::Index(n), Some(b'[')) => {
                let mut p = skip_ws(b, pos + 1);
                for _ in 0..*n {
                    p = skip_ws(b, skip_value(b, p)?);
                    if b.get(p) != Some(&b',') {
                        return Some(pos);
                    }
                    p = skip_ws(b, p + 1);
                }
                pos = p;
            }
            _ => return Some(pos),
        }
    }
    Some(pos)
}

fn skip_ws(b: &[u8], mut p: usize) -> usize {
    while b.get(p).is_some_and(u8::is_ascii_whitespace) {
        p += 1;
    }
    p
}

fn skip_string(b: &[u8], p: usize) -> Option<usize> {
    let mut i = p + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

fn skip_value(b: &[u8], p: usize) -> Option<usize> {
    match b.get(p)? {
        b'"' => skip_string(b, p),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = p;
            while i < b.len() {
                match b[i] {
                    b'"' => {
                        i = skip_string(b, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            None
        }
        _ => {
            let mut i = p;
            while i < b.len() && !matches!(b[i], b',' | b'}' | b']') && !b[i].is_ascii_whitespace()
            {
                i += 1;
            }
            Some(i)
        }
    }
}

/// 1-based line and column (in chars) of a byte offset.
#[must_use]
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_values() {
        let text = r#"{"a": 1, "rollout": {"slos": [{"id": "x"}, {"id": "y", "warning": 700}]}}"#;
        let p = locate(text, &steps("rollout.slos[1].warning")).unwrap();
        assert!(text[p..].starts_with("700"));
        let p = locate(text, &steps("rollout.slos[0].id")).unwrap();
        assert!(text[p..].starts_with("\"x\""));
    }

    #[test]
    fn strings_with_braces_do_not_confuse_it() {
        let text = r#"{"text": "a } \" ] {", "slo": "p99"}"#;
        let p = locate(text, &steps("slo")).unwrap();
        assert!(text[p..].starts_with("\"p99\""));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
    }
}
