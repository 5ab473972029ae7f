//! The command line as a person meets it: bad themes and bad options are refused with the
//! file, key and value named, before any screen is drawn.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::process::Command;

fn warroom(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_warroom"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_bad_theme_file_names_the_file_the_key_and_the_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.toml");
    std::fs::write(&path, "[roles]\nwarn = \"orange-ish\"\n").unwrap();
    let p = path.to_str().unwrap();
    let out = warroom(&[
        "snapshot",
        "fixtures/trackshift-progressive-delivery.jsonl",
        "--theme",
        p,
        "-o",
        "/dev/null.txt",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "{p}: line 2: roles.warn: unknown colour \"orange-ish\""
        )),
        "{err}"
    );
}

#[test]
fn a_partial_theme_file_is_laid_over_dark() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.toml");
    std::fs::write(&path, "name = \"mine\"\n[roles]\nok = \"#00d75f\"\n").unwrap();
    let out_file = dir.path().join("s.svg");
    let out = warroom(&[
        "snapshot",
        "fixtures/trackshift-progressive-delivery.jsonl",
        "--at",
        "T+40h",
        "--theme",
        path.to_str().unwrap(),
        "-o",
        out_file.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let svg = std::fs::read_to_string(out_file).unwrap();
    assert!(svg.contains("#00d75f"), "the overridden role is used");
    assert!(
        svg.contains("#11a8cd"),
        "roles it did not set come from dark (cyan accent)"
    );
}

#[test]
fn unknown_theme_name_lists_the_built_in_ones() {
    let out = warroom(&[
        "snapshot",
        "fixtures/trackshift-progressive-delivery.jsonl",
        "--theme",
        "solarized",
        "-o",
        "x.txt",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("solarized: no built-in theme of that name (built in: dark, light, high-contrast, colorblind, mono)"), "{err}");
}

#[test]
fn headless_replay_prints_changes_then_a_summary() {
    let out = warroom(&[
        "replay",
        "--headless",
        "fixtures/batch-patches-wave3-rollback.jsonl",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.len() > 50);
    assert!(lines
        .iter()
        .any(|l| l["change"] == "trigger" && l["state"] == "fired" && l["slo"] == "error_rate"));
    let summary = &lines.last().unwrap()["summary"];
    assert_eq!(summary["status"], "ROLLED BACK");
    assert_eq!(summary["wave"]["id"], "w3");
    assert_eq!(summary["wave"]["state"], "ROLLED BACK");
    // Wave 3's own go/no-go items were never ticked: the rollout could not have moved on.
    assert_eq!(summary["checklist"]["verdict"], "NO-GO");
    assert_eq!(summary["checklist"]["blocking"], 2);
    assert!(summary["slos"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["band"] == "PASS"));
}

#[test]
fn replay_without_a_terminal_runs_headless() {
    // stdout is a pipe here, so `replay` must not try to draw.
    let out = warroom(&["replay", "fixtures/edgeplug-fleet-rollback-tabletop.jsonl"]);
    assert!(out.status.success());
    let last = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_string();
    assert!(last.starts_with("{\"summary\":"), "{last}");
}

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::BufRead;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A child whose stdout lines arrive on a channel; killed on drop.
struct Lines {
    child: std::process::Child,
    rx: mpsc::Receiver<String>,
}

impl Lines {
    fn spawn(args: &[&str]) -> Lines {
        let mut child = Command::new(env!("CARGO_BIN_EXE_warroom"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Lines { child, rx }
    }

    /// Lines until one satisfies `stop` (included), or panics after `secs`.
    fn until(
        &self,
        secs: u64,
        what: &str,
        stop: impl Fn(&serde_json::Value) -> bool,
    ) -> Vec<serde_json::Value> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        let mut got = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .rx
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no line for {what} within {secs} s; got {got:#?}"));
            let v: serde_json::Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
            let done = stop(&v);
            got.push(v);
            if done {
                return got;
            }
        }
    }
}

impl Drop for Lines {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn change_is(v: &serde_json::Value, kind: &str) -> bool {
    v["change"].as_str() == Some(kind)
}

/// The keys of each change kind; every line must have the one shape.
fn shapes(lines: &[serde_json::Value]) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for l in lines.iter().filter(|l| l.get("summary").is_none()) {
        assert!(
            l["t"].is_string() && l["utc"].is_string() && l["change"].is_string(),
            "not the headless line shape: {l}"
        );
        let kind = l["change"].as_str().unwrap().to_string();
        out.entry(kind)
            .or_default()
            .extend(l.as_object().unwrap().keys().cloned());
    }
    out
}

/// `replay --headless` and `connect` with stdout not a terminal write the same line shape:
/// `{"t", "utc", "change", …}` with the change's own keys beside them.
#[test]
fn headless_replay_and_connect_write_one_line_shape() {
    let replay = warroom(&[
        "replay",
        "fixtures/batch-patches-wave3-rollback.jsonl",
        "--headless",
    ]);
    assert!(replay.status.success());
    let replayed: Vec<serde_json::Value> = String::from_utf8_lossy(&replay.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(replayed.last().unwrap().get("summary").is_some());
    let plane = common::Plane::start(common::free_addr(), &["--speed", "20"]);
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    // No --headless: stdout is a pipe, so it goes headless on its own.
    let live = Lines::spawn(&[
        "connect",
        &plane.url(),
        "--audit-log",
        audit.to_str().unwrap(),
    ]);
    let got = live.until(30, "a wave change", |v| change_is(v, "wave"));
    let (a, b) = (shapes(&replayed), shapes(&got));
    let common: Vec<&String> = a.keys().filter(|k| b.contains_key(*k)).collect();
    assert!(common.iter().any(|k| *k == "wave"), "{a:?}\n{b:?}");
    for k in common {
        assert_eq!(
            a[k], b[k],
            "{k} lines have other keys live than in a replay"
        );
    }
}

/// `warroom connect … | head -2` returns as soon as `head` has its two lines, even when
/// nothing else changes for a while.
#[test]
fn connect_piped_into_head_returns_at_once() {
    let plane = common::Plane::start(common::free_addr(), &["--speed", "1"]);
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let started = Instant::now();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "'{}' connect {} --audit-log '{}' | head -2",
            env!("CARGO_BIN_EXE_warroom"),
            plane.url(),
            audit.display()
        ))
        .output()
        .unwrap();
    let took = started.elapsed();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 2, "{text}");
    // At speed 1 the demo changes nothing for tens of seconds after its first lines.
    assert!(took < Duration::from_secs(8), "took {took:?}");
}

/// A headless console keeps reporting across a control plane's restart: the restart itself
/// is a line, and the new session's changes follow.
#[test]
fn headless_connect_keeps_reporting_across_a_restart() {
    let addr = common::free_addr();
    let plane = common::Plane::start(addr, &["--speed", "20"]);
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let live = Lines::spawn(&[
        "connect",
        &format!("ws://{addr}"),
        "--headless",
        "--audit-log",
        audit.to_str().unwrap(),
    ]);
    live.until(30, "a wave change", |v| change_is(v, "wave"));
    plane.kill();
    live.until(15, "the lost link", |v| {
        change_is(v, "source") && v["text"].as_str().is_some_and(|t| t.contains("DOWN"))
    });
    let _plane = common::Plane::start(addr, &["--speed", "20"]);
    live.until(20, "the restart", |v| {
        change_is(v, "source")
            && v["text"]
                .as_str()
                .is_some_and(|t| t.contains("control plane restarted"))
    });
    let after = live.until(30, "a wave change of the new session", |v| {
        change_is(v, "wave")
    });
    assert!(after.iter().all(|v| v["t"].is_string()));
}

/// A replay's pace flags are checked on every path: a headless replay (which runs as fast as
/// it can write) refuses a bad `--speed` or `--idle-limit` before printing anything.
#[test]
fn bad_pace_flags_are_refused_headless_too() {
    for (flag, says) in [
        (
            ["--speed", "fast"],
            "--speed: speed \"fast\": use a number from 0.5 to 1000, max",
        ),
        (
            ["--idle-limit", "100000"],
            "--idle-limit 100000: use a number of seconds from 0",
        ),
    ] {
        let out = warroom(&[
            "replay",
            "--headless",
            "fixtures/batch-patches-wave3-rollback.jsonl",
            flag[0],
            flag[1],
        ]);
        assert_eq!(out.status.code(), Some(1), "{flag:?}");
        assert!(out.stdout.is_empty(), "{flag:?} printed before refusing");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{flag:?}: {err}");
    }
}

/// What would make a terminal act instead of print: an OSC that retitles the window and a
/// CSI that clears the screen (7-bit, with ESC and BEL), and the 8-bit CSI (U+009B).
const HOSTILE: &str = "\x1b]0;pwned\x07\x1b[2J\u{9b}2J";
/// The same, JSON- and TOML-escaped, for inside a file.
const HOSTILE_ESCAPED: &str = r"\u001b]0;pwned\u0007\u001b[2J\u009b2J";

/// Every control byte or sequence found in `bytes` but line breaks: C0 (ESC, BEL, …), DEL,
/// and C1 as UTF-8 (0xC2 0x80–0x9F).
fn controls(bytes: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    for (i, &b) in bytes.iter().enumerate() {
        if (b < 0x20 && b != b'\n') || b == 0x7f {
            found.push(format!("{b:#04x} at {i}"));
        }
        if b == 0xc2 && bytes.get(i + 1).is_some_and(|n| (0x80..=0x9f).contains(n)) {
            found.push(format!("C1 {:#04x} at {i}", bytes[i + 1]));
        }
    }
    found
}

/// Runs `args`, and checks that neither stdout nor stderr carries a control, and that the
/// output still says `names`.
fn inert(args: &[&str], names: &[&str]) -> std::process::Output {
    let out = warroom(args);
    for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let found = controls(bytes);
        assert!(
            found.is_empty(),
            "{args:?}: {stream} carries {found:?}: {:?}",
            String::from_utf8_lossy(bytes)
        );
    }
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for n in names {
        assert!(text.contains(n), "{args:?} does not say {n:?}: {text}");
    }
    out
}

#[test]
fn no_escape_reaches_the_terminal_from_a_file_name_or_a_fixture() {
    let dir = tempfile::tempdir().unwrap();
    let at = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let good = at(&format!("ok{HOSTILE}.jsonl"));
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/valid_fixtures/bom.jsonl"
        ),
        &good,
    )
    .unwrap();
    let out = inert(&["check", &good], &["ok\u{FFFD}]0;pwned\u{FFFD}", ": ok: "]);
    assert!(out.status.success());
    let missing = at(&format!("missing{HOSTILE}.jsonl"));
    let out = inert(&["check", &missing], &["missing\u{FFFD}", "cannot open"]);
    assert_eq!(out.status.code(), Some(1));
    // An error that quotes the fixture as it is (serde's "unknown field `…`"), on both paths.
    let bad = at(&format!("bad{HOSTILE}.jsonl"));
    let header = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/invalid_fixtures/array-record.jsonl"
    ))
    .unwrap();
    let header = header.lines().take(2).collect::<Vec<_>>().join("\n") + "\n";
    std::fs::write(
        &bad,
        format!(
            "{header}{{\"t\":\"T+1m\",\"type\":\"note\",\"text\":\"x\",\"{HOSTILE_ESCAPED}\":1}}\n"
        ),
    )
    .unwrap();
    for cmd in ["check", "replay"] {
        let mut args = vec![cmd, bad.as_str()];
        if cmd == "replay" {
            args.push("--headless");
        }
        let out = inert(
            &args,
            &[
                "bad\u{FFFD}",
                ".jsonl:3:",
                "unknown field `\u{FFFD}]0;pwned",
            ],
        );
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    // Hostile text in a fixture that is accepted: the headless lines carry none of it.
    let out = inert(
        &[
            "replay",
            "--headless",
            "tests/valid_fixtures/hostile-text.jsonl",
        ],
        &["\"summary\""],
    );
    assert!(out.status.success());
}

#[test]
fn no_escape_reaches_the_terminal_from_a_config_a_plan_or_a_theme() {
    let dir = tempfile::tempdir().unwrap();
    let at = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let config = at(&format!("c{HOSTILE}.toml"));
    std::fs::write(
        &config,
        format!("[prometheus]\nurl = \"http://127.0.0.1:9090\"\n\"{HOSTILE_ESCAPED}\" = 1\n"),
    )
    .unwrap();
    let out = inert(
        &["config", "check", &config],
        &["c\u{FFFD}]0;pwned", "line 3: prometheus.", "unknown field"],
    );
    assert_eq!(out.status.code(), Some(1));
    std::fs::write(
        &config,
        crate_template().replacen(
            "direction = \"lower\"",
            &format!("direction = \"{HOSTILE_ESCAPED}\""),
            1,
        ),
    )
    .unwrap();
    inert(
        &["config", "check", &config],
        &["slo[0].direction", "unknown variant"],
    );
    std::fs::write(&config, crate_template()).unwrap();
    let out = inert(&["config", "check", &config], &["c\u{FFFD}", ": ok: "]);
    assert!(out.status.success());
    inert(
        &["plan", "check", &at(&format!("p{HOSTILE}.toml"))],
        &["p\u{FFFD}", "cannot read"],
    );
    let theme = at(&format!("t{HOSTILE}.toml"));
    for (text, says) in [
        (
            format!("[roles]\nok = \"{HOSTILE_ESCAPED}\"\n"),
            "roles.ok: unknown colour",
        ),
        (
            format!("[roles]\n\"{HOSTILE_ESCAPED}\" = \"green\"\n"),
            "unknown role",
        ),
        (
            format!("name = 5\n[roles]\nok = {{ fg = \"{HOSTILE_ESCAPED}\" }}\n"),
            "name: expected a string",
        ),
    ] {
        std::fs::write(&theme, text).unwrap();
        let out = inert(
            &[
                "snapshot",
                "tests/valid_fixtures/bom.jsonl",
                "--theme",
                &theme,
                "-o",
                &at("s.txt"),
            ],
            &["bad theme: ", "t\u{FFFD}]0;pwned", says],
        );
        assert_eq!(out.status.code(), Some(1));
    }
    inert(
        &[
            "snapshot",
            "tests/valid_fixtures/bom.jsonl",
            "--theme",
            &format!("solar{HOSTILE}"),
            "-o",
            &at("s.txt"),
        ],
        &["solar\u{FFFD}", "no built-in theme"],
    );
}

fn crate_template() -> String {
    String::from_utf8(warroom(&["config", "template"]).stdout).unwrap()
}

#[test]
fn no_escape_reaches_the_terminal_from_an_argument_echoed_back() {
    let out = inert(
        &["serve", "--listen", HOSTILE],
        &["invalid value '\u{FFFD}]0;pwned\u{FFFD}", "--listen"],
    );
    assert_eq!(out.status.code(), Some(2));
    inert(&[HOSTILE], &["unrecognized subcommand", "\u{FFFD}[2J"]);
    inert(
        &[
            "snapshot",
            "tests/valid_fixtures/bom.jsonl",
            "--at",
            HOSTILE,
            "-o",
            "x.txt",
        ],
        &["--at: "],
    );
    inert(
        &[
            "replay",
            "--headless",
            "--speed",
            HOSTILE,
            "tests/valid_fixtures/bom.jsonl",
        ],
        &["--speed: "],
    );
    // Help is still help.
    let out = warroom(&["--help"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("Usage: warroom"));
}

/// A start-up error is one line on stderr, `warroom: …` (or `FILE…: …` for a file that is
/// refused), exit status 1: no report sections, no source location, no backtrace hint, and no
/// colour when stderr is not a terminal.
#[test]
fn start_up_errors_are_one_plain_line() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.toml");
    let missing = missing.to_str().unwrap();
    let bad_theme = dir.path().join("bad.toml");
    std::fs::write(&bad_theme, "[roles]\nok = 5\n").unwrap();
    for (args, starts) in [
        (
            vec!["connect", "ws://127.0.0.1:9", "--config", missing],
            "warroom: --config ",
        ),
        (vec!["serve", "--plan", missing], "warroom: "),
        (vec!["config", "check", missing], missing),
        (vec!["plan", "check", missing], missing),
        (
            vec!["check", "tests/invalid_fixtures/time-backwards.jsonl"],
            "tests/",
        ),
        (
            vec![
                "snapshot",
                "tests/valid_fixtures/bom.jsonl",
                "--theme",
                bad_theme.to_str().unwrap(),
                "-o",
                "x.txt",
            ],
            "warroom: bad theme: ",
        ),
        (
            vec![
                "snapshot",
                "tests/valid_fixtures/bom.jsonl",
                "--size",
                "10",
                "-o",
                "x.txt",
            ],
            "warroom: --size",
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(&args)
            .env_remove("NO_COLOR")
            .env("RUST_BACKTRACE", "1")
            .env("RUST_LIB_BACKTRACE", "1")
            .output()
            .unwrap();
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with(starts), "{args:?}: {err}");
        for not in ["Location", "src/", "BACKTRACE", "\x1b"] {
            assert!(!err.contains(not), "{args:?} says {not:?}: {err}");
        }
    }
}
