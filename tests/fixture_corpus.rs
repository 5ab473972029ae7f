#![allow(clippy::unwrap_used, clippy::panic)]
//! Every broken fixture under `tests/invalid_fixtures` is refused with exactly the error in its
//! `.expected` file (and exit status 1, before any terminal is touched, with nothing on
//! stdout); every fixture under fixtures/ and `tests/valid_fixtures` is accepted.

use std::path::Path;
use std::process::Command;

fn warroom() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_warroom"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn jsonl_in(dir: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| Path::new(n).extension().is_some_and(|e| e == "jsonl"))
        .map(|n| format!("{dir}/{n}"))
        .collect();
    v.sort();
    v
}

#[test]
fn broken_fixtures_are_refused_with_their_exact_error() {
    let files = jsonl_in("tests/invalid_fixtures");
    assert!(files.len() >= 20, "corpus too small: {}", files.len());
    let mut failures = Vec::new();
    for f in &files {
        let expected_path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join(f.replace(".jsonl", ".expected"));
        let expected = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|_| panic!("{f} has no .expected"));
        for cmd in [
            vec!["check", f.as_str()],
            vec!["replay", "--headless", f.as_str()],
        ] {
            let out = warroom().args(&cmd).output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            // A headless replay checks the whole file before it writes its first change: a
            // broken file prints nothing on stdout, whatever line it breaks on.
            if out.status.code() != Some(1)
                || stderr.trim_end() != expected.trim_end()
                || !out.stdout.is_empty()
            {
                failures.push(format!(
                    "{cmd:?}: exit {:?}, {} bytes on stdout\n  got:      {}\n  expected: {}",
                    out.status.code(),
                    out.stdout.len(),
                    stderr.trim_end(),
                    expected.trim_end()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn shipped_and_valid_fixtures_are_accepted() {
    let mut files = jsonl_in("fixtures");
    assert!(files.len() >= 5, "expected a fixture per seed document");
    files.extend(jsonl_in("tests/valid_fixtures"));
    for f in files {
        let out = warroom().args(["check", &f]).output().unwrap();
        assert!(
            out.status.success(),
            "{f}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains(": ok: "));
    }
}

#[test]
fn newer_minor_version_counts_unknown_records_instead_of_dropping_them() {
    let out = warroom()
        .args(["check", "tests/valid_fixtures/newer-minor-version.jsonl"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("1 records of newer types shown as generic entries"),
        "{text}"
    );
}
