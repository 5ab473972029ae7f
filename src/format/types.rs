//! Wrong-type errors in the words of the file being read. serde says
//! `invalid type: sequence, expected struct PlanSpec`: Rust's names for the shapes, and the
//! name of a type in this program. A person who wrote an array where an object belongs reads
//! `expected an object, found an array` instead.

/// The format whose words to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Toml,
}

/// `message` with a serde wrong-type error (`invalid type: X, expected Y`) reworded as
/// `expected Y, found X` in `format`'s terms; any other message is returned as it is.
#[must_use]
pub fn reword(message: &str, format: Format) -> String {
    let Some(rest) = message.strip_prefix("invalid type: ") else {
        return message.to_string();
    };
    let Some((found, expected)) = split_found(rest) else {
        return message.to_string();
    };
    format!(
        "expected {}, found {}",
        expected_words(expected, format),
        found_words(found, format)
    )
}

/// Splits `X, expected Y` where X may itself hold ", expected " inside a quoted string.
fn split_found(rest: &str) -> Option<(&str, &str)> {
    let mut search = 0;
    loop {
        let at = search + rest[search..].find(", expected ")?;
        let found = &rest[..at];
        // A string value is printed with Rust's quoting: a ", expected " inside it is not
        // the separator when its quotes are still open.
        let open = found.starts_with("string \"") && !closed_string(&found["string ".len()..]);
        if !open {
            return Some((found, &rest[at + ", expected ".len()..]));
        }
        search = at + 1;
    }
}

/// Whether `quoted` (starting with `"`) is one complete Rust-quoted string.
fn closed_string(quoted: &str) -> bool {
    let mut escaped = false;
    for (i, c) in quoted.char_indices().skip(1) {
        match (escaped, c) {
            (true, _) => escaped = false,
            (false, '\\') => escaped = true,
            (false, '"') => return i + 1 == quoted.len(),
            _ => {}
        }
    }
    false
}

fn found_words(found: &str, format: Format) -> String {
    let object = match format {
        Format::Json => "an object",
        Format::Toml => "a table",
    };
    let value = |prefix: &str| {
        found
            .strip_prefix(prefix)
            .map(|v| v.trim_matches('`').to_string())
    };
    match found {
        "sequence" => "an array".into(),
        "map" => object.into(),
        "unit value" | "null" => "null".into(),
        _ => {
            if let Some(s) = found.strip_prefix("string ") {
                format!("the string {s}")
            } else if let Some(v) = value("boolean ") {
                v
            } else if let Some(v) = value("integer ") {
                match format {
                    Format::Json => format!("the number {v}"),
                    Format::Toml => format!("the integer {v}"),
                }
            } else if let Some(v) = value("floating point ") {
                match format {
                    Format::Json => format!("the number {v}"),
                    Format::Toml => format!("the float {v}"),
                }
            } else {
                found.to_string()
            }
        }
    }
}

fn expected_words(expected: &str, format: Format) -> String {
    let object = match format {
        Format::Json => "an object",
        Format::Toml => "a table",
    };
    let number = match format {
        Format::Json => "a number",
        Format::Toml => "a number (integer or float)",
    };
    match expected {
        "a sequence" => "an array".into(),
        "a map" => object.into(),
        "a boolean" | "bool" => "true or false".into(),
        "a string" | "a borrowed string" | "string" => "a string".into(),
        "f64" | "f32" => number.into(),
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number of 0 or more".into(),
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number".into(),
        _ if expected.starts_with("struct ") => object.into(),
        _ if expected.starts_with("enum ") => "one of its names, as a string".into(),
        _ if expected.starts_with("tuple of ") || expected.starts_with("tuple struct ") => {
            "an array".into()
        }
        _ => expected.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_shapes_become_the_files_shapes() {
        for (from, json, toml) in [
            (
                "invalid type: sequence, expected struct PlanSpec",
                "expected an object, found an array",
                "expected a table, found an array",
            ),
            (
                "invalid type: map, expected a sequence",
                "expected an array, found an object",
                "expected an array, found a table",
            ),
            (
                "invalid type: string \"yes\", expected a boolean",
                "expected true or false, found the string \"yes\"",
                "expected true or false, found the string \"yes\"",
            ),
            (
                "invalid type: integer `5`, expected a string",
                "expected a string, found the number 5",
                "expected a string, found the integer 5",
            ),
            (
                "invalid type: floating point `1.5`, expected u64",
                "expected a whole number of 0 or more, found the number 1.5",
                "expected a whole number of 0 or more, found the float 1.5",
            ),
            (
                "invalid type: null, expected f64",
                "expected a number, found null",
                "expected a number (integer or float), found null",
            ),
            (
                "invalid type: boolean `true`, expected struct WaveSpec",
                "expected an object, found true",
                "expected a table, found true",
            ),
        ] {
            assert_eq!(reword(from, Format::Json), json, "{from}");
            assert_eq!(reword(from, Format::Toml), toml, "{from}");
        }
    }

    #[test]
    fn a_quoted_separator_stays_in_the_value_and_other_messages_pass() {
        assert_eq!(
            reword(
                "invalid type: string \"a, expected b\", expected struct X",
                Format::Json
            ),
            "expected an object, found the string \"a, expected b\""
        );
        for m in ["unknown field `x`", "invalid type: something odd"] {
            assert_eq!(reword(m, Format::Json), m);
        }
    }
}
