//! The command line as a person meets it: bad themes and bad options are refused with the
//! file, key and value named, before any screen is drawn.
#![allow(clippy::unwrap_used)]

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
        err.contains(&format!("{p}: roles.warn: unknown colour \"orange-ish\"")),
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
