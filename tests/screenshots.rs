//! The committed screenshots are what the command renders now: every `shot` line of
//! `screenshots/make.sh` is run through the real binary's `snapshot` command to text, and
//! compared with the `.txt` committed beside its `.png` (the text form is exact where PNG
//! bytes depend on the font's rasteriser). A change to the screen fails here until
//! `screenshots/make.sh` is run again.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

/// (name, arguments) of each `shot NAME ARGS…` line.
fn shots(script: &str) -> Vec<(String, Vec<String>)> {
    script
        .lines()
        .filter_map(|l| l.strip_prefix("shot "))
        .map(|l| {
            let mut words = l.split_whitespace().map(String::from);
            let name = words.next().unwrap();
            (name, words.collect())
        })
        .collect()
}

#[test]
fn committed_screenshots_match_what_the_command_renders() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = std::fs::read_to_string(root.join("screenshots/make.sh")).unwrap();
    let shots = shots(&script);
    assert!(shots.len() >= 5, "no shot lines in make.sh:\n{script}");
    let dir = tempfile::tempdir().unwrap();
    for (name, args) in shots {
        let png = root.join(format!("screenshots/{name}.png"));
        assert!(png.is_file(), "{} is not committed", png.display());
        let out = dir.path().join(format!("{name}.txt"));
        let status = Command::new(env!("CARGO_BIN_EXE_warroom"))
            .current_dir(root)
            .arg("snapshot")
            .args(&args)
            .arg("-o")
            .arg(&out)
            .status()
            .unwrap();
        assert!(status.success(), "warroom snapshot {args:?} failed");
        let now = std::fs::read_to_string(&out).unwrap();
        let committed = std::fs::read_to_string(root.join(format!("screenshots/{name}.txt")))
            .unwrap_or_else(|e| panic!("screenshots/{name}.txt: {e} (run screenshots/make.sh)"));
        assert!(
            now == committed,
            "screenshots/{name} no longer matches what `warroom snapshot {}` renders: run \
             screenshots/make.sh\n--- committed\n{committed}\n--- now\n{now}",
            args.join(" ")
        );
    }
}

/// The README's hero picture has no text cut off.
#[test]
fn the_hero_picture_has_no_cut_text() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let hero = readme
        .lines()
        .find_map(|l| {
            l.strip_prefix("![")
                .and_then(|r| r.split_once("]("))
                .map(|(_, p)| p.trim_end_matches(')'))
        })
        .unwrap();
    let text = std::fs::read_to_string(root.join(hero.replace(".png", ".txt"))).unwrap();
    assert!(!text.contains('…'), "{hero} cuts text:\n{text}");
}
