//! Which line of a TOML file a key path (`wave[1].gates[0].slo`) is written on, so that a
//! refusal found after parsing still points at the line to fix.

use toml_edit::{ArrayOfTables, Document, Item, TableLike, Value};

/// One step of a key path.
#[derive(Debug, PartialEq, Eq)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// `wave[1].gates[0].slo` → `wave`, 1, `gates`, 0, `slo`. Anything unreadable ends the path.
fn steps(path: &str) -> Vec<Step<'_>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = part.split_once('[').map_or((part, ""), |(k, r)| (k, r));
        if !key.is_empty() {
            out.push(Step::Key(key));
        }
        while let Some((n, after)) = rest.split_once(']') {
            match n.parse() {
                Ok(i) => out.push(Step::Index(i)),
                Err(_) => return out,
            }
            rest = after.strip_prefix('[').unwrap_or(after);
        }
    }
    out
}

/// Where the walk down a path stands.
enum Node<'a> {
    Table(&'a dyn TableLike),
    Value(&'a Value),
    Tables(&'a ArrayOfTables),
}

fn node(item: &Item) -> Option<Node<'_>> {
    match item {
        Item::Value(v) => Some(Node::Value(v)),
        Item::Table(t) => Some(Node::Table(t)),
        Item::ArrayOfTables(a) => Some(Node::Tables(a)),
        Item::None => None,
    }
}

/// The 1-based line of the deepest part of `path` that the text has: the key itself when it
/// is written, else the table or value that should hold it. `None` when the text does not
/// parse or has nothing of the path.
#[must_use]
pub fn line_of(text: &str, path: &str) -> Option<usize> {
    let doc = Document::parse(text).ok()?;
    let mut at: Option<Node<'_>> = Some(Node::Table(doc.as_table()));
    let mut best: Option<usize> = None;
    for step in steps(path) {
        let next = match (step, at.take()) {
            (Step::Key(k), Some(Node::Table(t))) => t.get_key_value(k),
            (Step::Key(k), Some(Node::Value(v))) => {
                v.as_inline_table().and_then(|t| t.get_key_value(k))
            }
            (Step::Index(i), Some(Node::Value(v))) => {
                let Some(got) = v.as_array().and_then(|a| a.get(i)) else {
                    break;
                };
                best = got.span().map(|s| s.start).or(best);
                at = Some(Node::Value(got));
                continue;
            }
            (Step::Index(i), Some(Node::Tables(a))) => {
                let Some(t) = a.get(i) else { break };
                best = t.span().map(|s| s.start).or(best);
                at = Some(Node::Table(t));
                continue;
            }
            _ => None,
        };
        let Some((key, item)) = next else { break };
        best = key.span().or_else(|| item.span()).map(|s| s.start).or(best);
        at = node(item);
    }
    best.map(|b| line_at(text, b))
}

/// `wave[1].bake: …` → `line 9: wave[1].bake: …`, when the message opens with a key path that
/// the text has; other messages (and ones that already name a line) are left as they are.
#[must_use]
pub fn with_line(text: &str, message: String) -> String {
    if message.starts_with("line ") {
        return message;
    }
    let Some((path, _)) = message.split_once(": ") else {
        return message;
    };
    if path.is_empty() || path.contains(char::is_whitespace) {
        return message;
    }
    match line_of(text, path) {
        Some(n) => format!("line {n}: {message}"),
        None => message,
    }
}

fn line_at(text: &str, byte: usize) -> usize {
    text.get(..byte.min(text.len()))
        .unwrap_or(text)
        .matches('\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::line_of;

    const TEXT: &str = "[rollout]\nid = \"x\"\n\n[[wave]]\nid = \"w1\"\n\n[[wave]]\nid = \"w2\"\ngates = [\n  { slo = \"a\" },\n  { slo = \"b\" },\n]\n";

    #[test]
    fn a_key_path_finds_its_line() {
        assert_eq!(line_of(TEXT, "rollout.id"), Some(2));
        assert_eq!(line_of(TEXT, "wave[1]"), Some(7));
        assert_eq!(line_of(TEXT, "wave[1].id"), Some(8));
        assert_eq!(line_of(TEXT, "wave[1].gates[1].slo"), Some(11));
        // A key that is not written: the line of what should hold it.
        assert_eq!(line_of(TEXT, "wave[0].bake"), Some(4));
        assert_eq!(line_of(TEXT, "wave[1].gates[1].label"), Some(11));
        assert_eq!(line_of(TEXT, "nothing.here"), None);
    }
}
