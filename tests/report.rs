//! `warroom report`: the after-action report of every fixture, as Markdown with every section
//! of the post-mortem template and as one HTML page that Debian's Chromium opens and draws.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn warroom(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(args)
        .output()
        .unwrap()
}

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    v.sort();
    assert!(v.len() >= 5, "{v:?}");
    v
}

fn report(file: &Path, out: &Path) -> String {
    let o = warroom(&[
        "report",
        file.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(
        o.status.success(),
        "{}: {}",
        file.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::read_to_string(out).unwrap()
}

/// The Trackshift fixture's text, to build broken and hostile files on.
fn trackshift() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/trackshift-progressive-delivery.jsonl"),
    )
    .unwrap()
}

/// The headings of the post-mortem template of the `EdgePlug` roll-out playbook, in order.
const TEMPLATE_HEADINGS: &[&str] = &[
    "## Incident Summary",
    "## Timeline",
    "## Root Cause Analysis",
    "### Primary Cause",
    "### Contributing Factors",
    "### Systemic Issues",
    "## Impact Assessment",
    "### Technical Impact",
    "### Business Impact",
    "### Operational Impact",
    "## Lessons Learned",
    "### What Went Well",
    "### What Could Be Improved",
    "### Key Insights",
    "## Action Items",
    "### Immediate Actions (Next 24 hours)",
    "### Short-term Actions (Next week)",
    "### Long-term Actions (Next month)",
    "## Follow-up",
];

#[test]
fn every_fixture_has_a_markdown_report_with_every_section_of_the_template() {
    let dir = tempfile::tempdir().unwrap();
    for f in fixtures() {
        let md = report(&f, &dir.path().join("r.md"));
        let mut from = 0;
        for h in TEMPLATE_HEADINGS {
            let line = format!("\n{h}\n");
            let at = md[from..]
                .find(&line)
                .unwrap_or_else(|| panic!("{}: no {h:?} after byte {from}", f.display()));
            from += at + line.len() - 1;
        }
        for field in [
            "Date/Time",
            "Duration",
            "Severity",
            "Affected Systems",
            "Impact",
        ] {
            assert!(
                md.contains(&format!("- **{field}**: ")),
                "{}: {field}",
                f.display()
            );
        }
        for part in [
            "### Milestones",
            "### Decision latency",
            "### SLOs",
            "### Checklist",
        ] {
            assert!(md.contains(part), "{}: {part}", f.display());
        }
    }
}

#[test]
fn the_batch_patches_report_says_what_happened_and_how_fast_the_room_was() {
    let dir = tempfile::tempdir().unwrap();
    let f =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/batch-patches-wave3-rollback.jsonl");
    let md = report(&f, &dir.path().join("r.md"));
    // Detected 22:52:30, acknowledged 22:53:40, mitigated 23:06:00, resolved 00:45:00.
    assert!(
        md.contains("| \\#1 critical | T+4d05h52m30s | 1m10s | 13m30s | 1h52m |"),
        "{md}"
    );
    assert!(md.contains("- **Severity**: CRITICAL"));
    assert!(
        md.contains("Wave 3: Gradual GA (w3, now ROLLED BACK)"),
        "{md}"
    );
    // The error-rate trigger fired at 22:56:00; the rollback came at 22:56:40.
    assert!(
        md.contains(
            "| trigger fired | T+4d05h56m00s | Error Rate: above 10% for 5m | rollback at T+4d05h56m40s | 40s |"
        ),
        "{md}"
    );
    // Who decided and why, with the control plane's answer.
    assert!(md.contains("| rollback Wave 3: Gradual GA | Maya Chen (Incident Commander) | Rollback trigger: Error rate &gt; 10% for &gt; 5min"), "{md}");
    assert!(md.contains("→ accepted after 20s"));
    // Who ticked what.
    assert!(
        md.contains(
            "| Code review completed (2+ reviewers) | done | Raj Patel (Development Lead) |"
        ),
        "{md}"
    );
}

#[test]
fn hostile_text_is_shown_not_obeyed_in_either_form() {
    let dir = tempfile::tempdir().unwrap();
    let src = trackshift();
    // After the fixture's last record.
    let hostile = r#"{"t": "T+30d", "type": "note", "by": "<img src=x onerror=alert(1)>", "text": "<script>alert(1)</script> | **bold** [link](http://example.com) \u001b[2J"}"#;
    let f = dir.path().join("hostile.jsonl");
    std::fs::write(&f, format!("{src}{hostile}\n")).unwrap();
    let html = report(&f, &dir.path().join("r.html"));
    assert!(!html.contains("<script"), "a script tag got through");
    assert!(!html.contains("<img"), "an img tag got through");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains('\u{1b}'));
    let md = report(&f, &dir.path().join("r.md"));
    assert!(md.contains("&lt;script&gt;alert(1)&lt;/script&gt; \\| \\*\\*bold\\*\\* \\[link\\](http://example.com)"), "{md}");
    assert!(!md.contains('\u{1b}'));
}

#[test]
fn a_broken_file_is_refused_with_its_place_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let src = trackshift();
    let n = src.lines().count();
    let f = dir.path().join("broken.jsonl");
    std::fs::write(&f, format!("{src}{{\"t\": \"T+9d\", \"type\": \"note\"\n")).unwrap();
    let out = dir.path().join("r.html");
    let o = warroom(&["report", f.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(&format!("broken.jsonl:{}:", n + 1)), "{err}");
    assert!(!out.exists());
    let o = warroom(&["report", f.to_str().unwrap(), "-o", "r.pdf"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("use .html or .md"));
}

/// Share of pixels that are not the page's white: a page Chromium drew blank has none.
fn inked(png: &Path) -> f64 {
    let p = resvg::tiny_skia::Pixmap::load_png(png).unwrap();
    let ink = p
        .pixels()
        .iter()
        .filter(|c| c.red() < 200 || c.green() < 200 || c.blue() < 200)
        .count();
    ink as f64 / p.pixels().len() as f64
}

#[test]
fn every_fixture_has_an_html_report_that_chromium_draws_on_a_desk_and_a_phone() {
    let chromium = common::ensure("chromium", "chromium");
    let dir = tempfile::tempdir().unwrap();
    for f in fixtures() {
        let page = dir.path().join("r.html");
        let html = report(&f, &page);
        let slos = html.matches("<svg class=\"chart\"").count();
        assert!(slos >= 1, "{}: no chart", f.display());
        assert!(
            !html.contains("src=") && !html.contains("href="),
            "{}: links out",
            f.display()
        );
        for (size, name) in [("1000,1600", "desk"), ("390,844", "phone")] {
            let shot = dir.path().join(format!("{name}.png"));
            let o = Command::new(&chromium)
                .args([
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--hide-scrollbars",
                    &format!("--window-size={size}"),
                    &format!("--screenshot={}", shot.display()),
                    &format!("file://{}", page.display()),
                ])
                .env("HOME", dir.path())
                .output()
                .unwrap();
            assert!(
                shot.exists(),
                "{}: no screenshot: {}",
                f.display(),
                String::from_utf8_lossy(&o.stderr)
            );
            let ink = inked(&shot);
            assert!(
                ink > 0.02,
                "{} at {size}: {:.3} of the page is drawn",
                f.display(),
                ink
            );
        }
    }
}
