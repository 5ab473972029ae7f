//! Whole-screen snapshots: every fixture at chosen moments, at 120×40 and 80×24, drawn by the
//! same view the terminal uses. Time is an input, so no filters are needed. Review snapshot
//! diffs like code.
#![allow(clippy::unwrap_used, clippy::panic)]

use warroom::core::app::App;
use warroom::core::input::Input;
use warroom::core::intent::Intent;
use warroom::core::time::parse_offset;
use warroom::shell::{fixtures, snapshot};
use warroom::view::glyphs;
use warroom::view::look::Look;
use warroom::view::theme::Theme;

fn console(file: &str, at: &str) -> App {
    let path = format!("{}/{file}", env!("CARGO_MANIFEST_DIR"));
    let src = fixtures::open(&path).unwrap();
    snapshot::still_at(src, Some(parse_offset(at).unwrap())).unwrap()
}

fn look(theme: &str, ascii: bool) -> Look {
    Look {
        theme: Theme::load(theme).unwrap(),
        glyphs: if ascii {
            glyphs::ASCII
        } else {
            glyphs::UNICODE
        },
    }
}

fn screen(c: &App, look: &Look, cols: u16, rows: u16) -> String {
    snapshot::to_text(&snapshot::draw(c, look, cols, rows).unwrap())
}

macro_rules! screens {
    ($($name:ident: $file:expr, $at:expr;)*) => {$(
        #[test]
        fn $name() {
            let c = console($file, $at);
            let l = look("dark", false);
            insta::assert_snapshot!(concat!(stringify!($name), "_120x40"), screen(&c, &l, 120, 40));
            insta::assert_snapshot!(concat!(stringify!($name), "_80x24"), screen(&c, &l, 80, 24));
        }
    )*};
}

screens! {
    batch_patches_wave1_baking: "fixtures/batch-patches-wave3-rollback.jsonl", "T+30h";
    batch_patches_wave3_breach: "fixtures/batch-patches-wave3-rollback.jsonl", "T+101h54m";
    batch_patches_rolled_back: "fixtures/batch-patches-wave3-rollback.jsonl", "T+104h15m";
    edgeplug_before_detection: "fixtures/edgeplug-fleet-rollback-tabletop.jsonl", "T-1h";
    edgeplug_emergency_response: "fixtures/edgeplug-fleet-rollback-tabletop.jsonl", "T+12m";
    edgeplug_recovery: "fixtures/edgeplug-fleet-rollback-tabletop.jsonl", "T+31m";
    sonicator_batch3_paused: "fixtures/multi-sonicator-firmware-rollout.jsonl", "T+50h55m";
    orchestrator_pre_deployment_gate: "fixtures/orchestrator-blue-green-cutover-rollback.jsonl", "T-22h";
    orchestrator_cutover_50: "fixtures/orchestrator-blue-green-cutover-rollback.jsonl", "T+51m";
    orchestrator_error_spike: "fixtures/orchestrator-blue-green-cutover-rollback.jsonl", "T+59m30s";
    trackshift_50_percent: "fixtures/trackshift-progressive-delivery.jsonl", "T+40h";
}

#[test]
fn wide_200x60_uses_the_room() {
    let c = console("fixtures/batch-patches-wave3-rollback.jsonl", "T+101h54m");
    insta::assert_snapshot!(screen(&c, &look("dark", false), 200, 60));
}

#[test]
fn ascii_mono_80x24() {
    let c = console("fixtures/edgeplug-fleet-rollback-tabletop.jsonl", "T+12m");
    let s = screen(&c, &look("mono", true), 80, 24);
    assert!(s.is_ascii(), "non-ASCII glyphs in --ascii:\n{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn help_screen_lists_the_key_table() {
    let mut c = console("fixtures/trackshift-progressive-delivery.jsonl", "T+40h");
    c.intent(Intent::Help);
    let s = screen(&c, &look("dark", false), 120, 40);
    for b in warroom::core::intent::KEYMAP {
        let applies = matches!(
            b.when,
            warroom::core::intent::When::Always | warroom::core::intent::When::Replay
        );
        assert_eq!(
            s.contains(b.help),
            applies,
            "a replay's help shows exactly the keys that apply: {:?}",
            b.help
        );
    }
    insta::assert_snapshot!(s);
}

#[test]
fn zoomed_checklist_lists_every_item_with_who_and_when() {
    let mut c = console(
        "fixtures/orchestrator-blue-green-cutover-rollback.jsonl",
        "T-2h",
    );
    c.intent(Intent::FocusNext);
    c.intent(Intent::Zoom);
    insta::assert_snapshot!(screen(&c, &look("dark", false), 120, 40));
}

#[test]
fn timeline_filtered_to_alerts() {
    let mut c = console("fixtures/batch-patches-wave3-rollback.jsonl", "T+104h15m");
    for _ in 0..4 {
        c.intent(Intent::CycleKind);
    }
    assert_eq!(c.ui.filter_label(), "alert");
    let s = screen(&c, &look("dark", false), 120, 40);
    insta::assert_snapshot!(s);
}

#[test]
fn hostile_text_never_reaches_the_screen() {
    let c = console("tests/valid_fixtures/hostile-text.jsonl", "T+10m");
    let buf = snapshot::draw(&c, &look("dark", false), 120, 40).unwrap();
    for cell in buf.content() {
        assert!(
            !cell
                .symbol()
                .chars()
                .any(|ch| ch.is_control() || ('\u{202A}'..='\u{202E}').contains(&ch)),
            "control char in cell {:?}",
            cell.symbol()
        );
    }
}

#[test]
fn snapshot_command_writes_png_svg_and_text() {
    let dir = tempfile::tempdir().unwrap();
    for ext in ["png", "svg", "txt"] {
        let out = dir.path().join(format!("s.{ext}"));
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args([
                "snapshot",
                "fixtures/trackshift-progressive-delivery.jsonl",
                "--at",
                "T+40h",
                "--size",
                "100x30",
                "-o",
            ])
            .arg(&out)
            .status()
            .unwrap();
        assert!(status.success(), "{ext}");
        let bytes = std::fs::read(&out).unwrap();
        match ext {
            "png" => {
                assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
                // IHDR width and height: 100 cols x 30 rows of 8.43 x 17 px cells plus margins.
                let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
                let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
                assert_eq!((w, h), (859, 526));
            }
            "svg" => {
                let svg = String::from_utf8(bytes).unwrap();
                assert!(
                    svg.starts_with("<svg") && svg.matches("<text ").count() > 1000,
                    "{}",
                    &svg[..200]
                );
            }
            _ => {
                let text = String::from_utf8(bytes).unwrap();
                assert_eq!(text.lines().count(), 30);
                assert!(text.contains("HEALTHY"));
            }
        }
    }
}

#[test]
fn home_shows_a_full_page_from_the_oldest_entry_and_end_follows_again() {
    let mut c = console(
        "fixtures/orchestrator-blue-green-cutover-rollback.jsonl",
        "T+59m30s",
    );
    let rows = warroom::view::layout::timeline_rows(ratatui::layout::Rect::new(0, 0, 120, 40), &c);
    c.apply(Input::Layout {
        timeline_rows: rows,
    });
    c.intent(Intent::Top);
    let s = screen(&c, &look("dark", false), 120, 40);
    let rows: Vec<&str> = s
        .lines()
        .filter(|l| l.starts_with("│ T-") || l.starts_with("│ T+") || l.starts_with("│   T"))
        .collect();
    assert_eq!(rows.len(), c.ui.page, "a full page of rows, not one:\n{s}");
    let oldest = c.state.timeline.get(0).unwrap().t.clock_label();
    assert!(
        rows[0].contains(&oldest),
        "oldest ({oldest}) first:\n{}",
        rows[0]
    );
    assert!(s.contains("SCROLLED (End follows)"));
    c.intent(Intent::ScrollDown);
    let after = screen(&c, &look("dark", false), 120, 40);
    assert_ne!(s, after, "scrolling down from the top moves");
    c.intent(Intent::Bottom);
    assert!(!screen(&c, &look("dark", false), 120, 40).contains("SCROLLED"));
}

#[test]
fn live_commander_footer_and_rollback_confirmation() {
    let mut c = console("fixtures/batch-patches-wave3-rollback.jsonl", "T+101h54m");
    c.mode = warroom::core::playback::Mode::Live;
    // As if connected to a control plane: a session, and the link up.
    c.live.session = Some("s1".into());
    c.state.source.link = warroom::core::source::Link::Connected;
    c.outbox = warroom::core::outbox::Outbox::new(
        warroom::core::command::Role::Commander,
        "ic@room".into(),
        "t".into(),
    );
    let s = screen(&c, &look("dark", false), 120, 40);
    assert!(
        s.lines().last().unwrap().contains("rollBack"),
        "footer: {}",
        s.lines().last().unwrap()
    );
    let r = c.apply(Input::Key(warroom::core::intent::Key::Char('B')));
    assert!(r.send.is_empty(), "one key never sends a command");
    let s = screen(&c, &look("dark", false), 120, 40);
    assert!(s.contains("ROLLBACK — confirm"), "{s}");
    assert!(
        s.contains("wave 3 (50%) → 0%: traffic back to legacy, wave 3 marked rolled back"),
        "{s}"
    );
    let r = c.apply(Input::Key(warroom::core::intent::Key::Enter));
    assert!(r.send.is_empty(), "a rollback without a reason is not sent");
    assert!(screen(&c, &look("dark", false), 120, 40).contains("rollback needs a reason"));
    for ch in "error rate over 10%".chars() {
        c.apply(Input::Key(warroom::core::intent::Key::Char(ch)));
    }
    let r = c.apply(Input::Key(warroom::core::intent::Key::Enter));
    let cmd = r
        .send
        .into_iter()
        .next()
        .expect("sent after the second deliberate action");
    assert_eq!(
        (
            cmd.action,
            cmd.wave.as_deref(),
            cmd.reason.as_deref(),
            cmd.id.as_str()
        ),
        (
            warroom::core::command::Action::Rollback,
            Some("w3"),
            Some("error rate over 10%"),
            "t-1"
        )
    );
    assert!(screen(&c, &look("dark", false), 120, 40).contains("rollback pending"));
    // An observer's seat: no command keys, and the attempt is refused here.
    c.outbox.role = warroom::core::command::Role::Observer;
    let s = screen(&c, &look("dark", false), 120, 40);
    assert!(!s.lines().last().unwrap().contains("rollBack") && s.contains("OBSERVER"));
    c.apply(Input::Key(warroom::core::intent::Key::Char('B')));
    assert!(c.outbox.confirm.is_none());
    assert!(screen(&c, &look("dark", false), 120, 40)
        .contains("read-only seat: observers cannot rollback"));
}

/// A live console whose control plane has gone: the badge says DOWN, and the line under it
/// leads with the link, the countdown and the data's age, ahead of the rollout's own news,
/// at 80×24 as at 120×40.
#[test]
fn control_plane_down_leads_the_header() {
    use warroom::core::input::PlaneMsg;
    use warroom::core::source::Link;
    let mut c = console("fixtures/batch-patches-wave3-rollback.jsonl", "T+101h54m");
    c.mode = warroom::core::playback::Mode::Live;
    c.live.session = Some("s1".into());
    c.outbox = warroom::core::outbox::Outbox::new(
        warroom::core::command::Role::Commander,
        "ic@room".into(),
        "t".into(),
    );
    c.apply(Input::ControlPlane(PlaneMsg::Link(Link::Connected)));
    c.apply(Input::ControlPlane(PlaneMsg::Link(Link::Down {
        reason: "connection refused".into(),
        attempt: 4,
        retry_in: Some(warroom::core::time::Span(2_300)),
    })));
    let l = look("dark", false);
    let wide = screen(&c, &l, 120, 40);
    let narrow = screen(&c, &l, 80, 24);
    for s in [&wide, &narrow] {
        let (top, second) = (s.lines().next().unwrap(), s.lines().nth(1).unwrap());
        assert!(top.trim_end().ends_with("DOWN"), "{top}");
        assert!(
            second.contains("control-plane DOWN · retry in 3s · data"),
            "{second}"
        );
    }
    insta::assert_snapshot!("control_plane_down_120x40", wide);
    insta::assert_snapshot!("control_plane_down_80x24", narrow);
}

/// As if connected to a control plane as a commander: a session, and the link up.
fn as_live_commander(c: &mut App) {
    c.mode = warroom::core::playback::Mode::Live;
    c.live.session = Some("s1".into());
    c.state.source.link = warroom::core::source::Link::Connected;
    c.outbox = warroom::core::outbox::Outbox::new(
        warroom::core::command::Role::Commander,
        "ic@room".into(),
        "t".into(),
    );
}

/// The checklist focused with its cursor on an owned item that is still open, then the
/// confirmation its tick opens: the item, its owner, its state and the note, at 80×24. The
/// cursor is a pointer as well as reverse video, so the ASCII mono screen shows it too.
#[test]
fn checklist_cursor_and_the_tick_confirmation_at_80x24() {
    use warroom::core::intent::Key;
    let mut c = console("fixtures/batch-patches-wave3-rollback.jsonl", "T+30h");
    as_live_commander(&mut c);
    c.intent(Intent::FocusNext);
    let plan = c.state.plan.spec.clone();
    let (s, i) = c.state.plan.item("w2_wave1_criteria").unwrap();
    c.ui.point_at(&plan, s, i);
    let l = look("dark", false);
    let screen_with_cursor = screen(&c, &l, 80, 24);
    let footer = screen_with_cursor.lines().last().unwrap().to_string();
    assert!(footer.contains("(un)tick"), "{footer}");
    let row = screen_with_cursor
        .lines()
        .find(|r| r.contains("▸ ☐"))
        .unwrap_or_else(|| panic!("the cursor's row:\n{screen_with_cursor}"));
    assert!(row.contains("All Wave 1"), "{row}");
    insta::assert_snapshot!("checklist_cursor_80x24", screen_with_cursor);
    let mono = screen(&c, &look("mono", true), 80, 24);
    assert!(mono.lines().any(|r| r.contains("> [ ] All Wave")), "{mono}");
    c.apply(Input::Key(Key::Char(' ')));
    for ch in "wave 1 held for 40s".chars() {
        c.apply(Input::Key(Key::Char(ch)));
    }
    let modal = screen(&c, &l, 80, 24);
    assert!(modal.contains("TICK — confirm"), "{modal}");
    assert!(
        modal.contains("owner: Incident Commander · now open"),
        "{modal}"
    );
    insta::assert_snapshot!("tick_confirmation_80x24", modal);
    // Not on a replay's footer, nor when another panel has focus.
    c.apply(Input::Key(Key::Esc));
    c.intent(Intent::FocusNext);
    assert!(!screen(&c, &l, 80, 24)
        .lines()
        .last()
        .unwrap()
        .contains("(un)tick"));
}

/// The `:` line takes the footer's row, and says so when a command is unknown.
#[test]
fn the_command_line_sits_at_the_bottom() {
    use warroom::core::intent::Key;
    let mut c = console("fixtures/batch-patches-wave3-rollback.jsonl", "T+30h");
    as_live_commander(&mut c);
    for ch in ":chek w2_error_trend".chars() {
        c.apply(Input::Key(Key::Char(ch)));
    }
    let l = look("dark", false);
    let s = screen(&c, &l, 80, 24);
    assert!(
        s.lines()
            .last()
            .unwrap()
            .starts_with(":chek w2_error_trend_  Enter runs"),
        "{s}"
    );
    c.apply(Input::Key(Key::Enter));
    let s = screen(&c, &l, 80, 24);
    assert!(
        s.lines().last().unwrap().contains("unknown command :chek"),
        "{}",
        s.lines().last().unwrap()
    );
}
