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

/// Types `text` into the console, a key a character.
fn type_in(c: &mut App, text: &str) {
    for ch in text.chars() {
        c.apply(Input::Key(warroom::core::intent::Key::Char(ch)));
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
    focus(&mut c, warroom::core::ui::Panel::Checklist);
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
    // Every row of the timeline's box is filled, from the oldest entry down.
    let rows: Vec<&str> = s
        .lines()
        .skip_while(|l| !l.contains("Timeline ·"))
        .skip(1)
        .take_while(|l| !l.starts_with('└'))
        .collect();
    assert!(
        rows.iter()
            .all(|r| !r.trim_matches(|ch| ch == '│' || ch == ' ').is_empty()),
        "a full page of rows, not one:\n{s}"
    );
    assert_eq!(rows.len(), c.ui.page, "{s}");
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
    type_in(&mut c, "error rate over 10%");
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

/// Tabs to `panel`, as a person would.
fn focus(c: &mut App, panel: warroom::core::ui::Panel) {
    for _ in 0..5 {
        if c.ui.focus == panel {
            return;
        }
        c.intent(Intent::FocusNext);
    }
    assert_eq!(c.ui.focus, panel);
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
    focus(&mut c, warroom::core::ui::Panel::Checklist);
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
    type_in(&mut c, "wave 1 held for 40s");
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
    type_in(&mut c, ":chek w2_error_trend");
    let l = look("dark", false);
    let s = screen(&c, &l, 80, 24);
    assert!(
        s.lines()
            .last()
            .unwrap()
            .starts_with(":chek w2_error_trend_  Tab completes · Enter runs"),
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

/// Zoomed, the waves panel lists every wave and every gate of the next wave with its whole
/// reason, blocking ones first, at 80×24 as at 120×40.
#[test]
fn zoomed_gates_list_every_gate_whole_blocking_first() {
    use warroom::core::ui::Panel;
    let mut c = console(
        "fixtures/orchestrator-blue-green-cutover-rollback.jsonl",
        "T+59m30s",
    );
    focus(&mut c, Panel::Waves);
    c.intent(Intent::Zoom);
    let l = look("dark", false);
    for (cols, rows) in [(80u16, 24u16), (120, 40)] {
        let s = screen(&c, &l, cols, rows);
        // Reflowed to one line, every gate's label and reason are there whole.
        let flat = s
            .lines()
            .map(|l| l.trim_matches(|ch| ch == '│' || ch == ' '))
            .collect::<Vec<_>>()
            .join(" ");
        for g in c.state.next_gates() {
            let whole = match &g.why {
                Some(why) => format!("{} — {why}", g.label),
                None => g.label.clone(),
            };
            let flat = flat.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(
                flat.contains(&whole),
                "{whole:?} not whole at {cols}x{rows}:\n{s}"
            );
        }
        let first_green = s.find("green:").unwrap_or(usize::MAX);
        let last_blocking = s.rfind("BLOCKING:").unwrap_or(0);
        assert!(last_blocking < first_green, "blocking gates first:\n{s}");
        insta::assert_snapshot!(format!("zoomed_gates_{cols}x{rows}"), s);
    }
}

/// The alerts list: firing ones (critical first), then the recently resolved, with severity,
/// state, source and age; focused in the compact layout it takes the checklist's place.
#[test]
fn the_alerts_list_counts_as_the_header_does() {
    use warroom::core::ui::Panel;
    let mut c = console("fixtures/batch-patches-wave3-rollback.jsonl", "T+101h54m");
    let l = look("dark", false);
    let wide = screen(&c, &l, 120, 40);
    let n = c.state.alert_counts();
    assert!(wide.contains(&format!("✖ {} crit alert", n.crit)), "{wide}");
    assert!(
        wide.contains(&format!("Alerts ✖ {} crit ▲ {} warn", n.crit, n.warn)),
        "{wide}"
    );
    insta::assert_snapshot!("alerts_list_120x40", wide);
    focus(&mut c, Panel::Alerts);
    c.intent(Intent::Zoom);
    let zoomed = screen(&c, &l, 120, 40);
    for r in c.state.alert_rows() {
        assert!(
            zoomed.contains(&*r.info.name),
            "{} missing:\n{zoomed}",
            r.info.name
        );
    }
    assert!(
        zoomed.contains("FIRING") && zoomed.contains("resolved"),
        "{zoomed}"
    );
    insta::assert_snapshot!("alerts_list_zoomed_120x40", zoomed);
    c.intent(Intent::Zoom);
    let narrow = screen(&c, &l, 80, 24);
    assert!(narrow.contains("▸Alerts"), "{narrow}");
    insta::assert_snapshot!("alerts_list_80x24", narrow);
}

/// Enter opens the selected timeline entry whole: its text wrapped, T+ and UTC, kind,
/// severity and source.
#[test]
fn enter_shows_the_selected_entry_whole() {
    use warroom::core::intent::Key;
    let mut c = console("fixtures/batch-patches-wave3-rollback.jsonl", "T+101h54m");
    // Up twice: the entry three from the newest.
    c.apply(Input::Key(Key::Up));
    c.apply(Input::Key(Key::Up));
    let i = c.ui.selected_entry(&c.state.timeline).unwrap();
    let e = c.state.timeline.get(i).unwrap().to_entry();
    c.apply(Input::Key(Key::Enter));
    assert!(c.ui.detail.is_some());
    let l = look("dark", false);
    for (cols, rows) in [(80u16, 24u16), (120, 40)] {
        let s = screen(&c, &l, cols, rows);
        let flat: String = s
            .lines()
            .map(|l| l.trim_matches(|ch| ch == '│' || ch == ' '))
            .collect::<Vec<_>>()
            .join(" ");
        let flat = flat.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat.contains(&*e.text),
            "the whole text at {cols}x{rows}:\n{s}"
        );
        assert!(s.contains(&e.t.clock_label()), "{s}");
        assert!(s.contains(&c.state.plan.spec.t0.utc_label(e.t)), "{s}");
        assert!(s.contains(&*e.source), "{s}");
        insta::assert_snapshot!(format!("detail_entry_{cols}x{rows}"), s);
    }
    c.apply(Input::Key(Key::Esc));
    assert!(c.ui.detail.is_none());
}

/// A fired rollback trigger is a call to action, with the key, until someone acts.
#[test]
fn a_fired_trigger_calls_for_rollback_with_the_key() {
    let c = console(
        "fixtures/orchestrator-blue-green-cutover-rollback.jsonl",
        "T+59m30s",
    );
    let l = look("dark", false);
    for (cols, rows) in [(80u16, 24u16), (120, 40)] {
        let s = screen(&c, &l, cols, rows);
        let line = s.lines().nth(if cols == 80 { 2 } else { 3 }).unwrap();
        assert!(
            line.contains("Error rate above 10% for 2m: rollback trigger FIRED — B to roll back"),
            "{line}"
        );
        insta::assert_snapshot!(format!("call_to_action_{cols}x{rows}"), s);
    }
    // After the rollback, nothing is asked any more.
    let after = console(
        "fixtures/orchestrator-blue-green-cutover-rollback.jsonl",
        "T+1h10m",
    );
    assert!(!screen(&after, &l, 120, 40).contains("rollback trigger FIRED —"));
}

/// The `:` line completes command names and their arguments with Tab, and lists the choices
/// when there are several.
#[test]
fn the_command_line_completes_with_tab() {
    use warroom::core::intent::Key;
    let mut c = console("fixtures/batch-patches-wave3-rollback.jsonl", "T+101h54m");
    as_live_commander(&mut c);
    let l = look("dark", false);
    type_in(&mut c, ":rol");
    c.apply(Input::Key(Key::Tab));
    let s = screen(&c, &l, 80, 24);
    let last = s.lines().last().unwrap();
    assert!(
        last.starts_with(":rollback _  :rollback REASON · Tab completes"),
        "{last}"
    );
    c.apply(Input::Key(Key::Esc));
    type_in(&mut c, ":filter al");
    c.apply(Input::Key(Key::Tab));
    let s = screen(&c, &l, 80, 24);
    assert!(
        s.lines()
            .last()
            .unwrap()
            .starts_with(":filter al_  all  alert"),
        "{s}"
    );
    insta::assert_snapshot!("command_line_completion_80x24", s);
    let wide = screen(&c, &l, 120, 40);
    insta::assert_snapshot!("command_line_completion_120x40", wide);
    // The same confirmations as the keys: `:rollback REASON` opens the rollback's, typed.
    c.apply(Input::Key(Key::Esc));
    type_in(&mut c, ":rollback error rate over 10%");
    c.apply(Input::Key(Key::Enter));
    let cf = c
        .outbox
        .confirm
        .clone()
        .expect("the rollback's confirmation");
    assert_eq!(cf.action, warroom::core::command::Action::Rollback);
    assert_eq!(cf.reason, "error rate over 10%");
}

/// `/` searches the timeline as it is typed; matches are highlighted, the title counts them,
/// and n / N go back and forward.
#[test]
fn search_highlights_and_steps_through_matches() {
    use warroom::core::intent::Key;
    let mut c = console("fixtures/batch-patches-wave3-rollback.jsonl", "T+101h54m");
    type_in(&mut c, "/maya");
    let s = c.ui.search.clone().unwrap();
    assert!(s.editing && s.total >= 2, "{s:?}");
    assert_eq!(s.ordinal, s.total, "typing finds the newest match first");
    c.apply(Input::Key(Key::Enter));
    c.apply(Input::Key(Key::Char('n')));
    let back = c.ui.search.clone().unwrap();
    assert_eq!(back.ordinal, s.total - 1, "n goes back in time");
    let l = look("dark", false);
    let screen80 = screen(&c, &l, 80, 24);
    assert!(
        screen80.contains(&format!("match {} of {}", back.ordinal, back.total)),
        "{screen80}"
    );
    insta::assert_snapshot!("search_80x24", screen80);
    insta::assert_snapshot!("search_120x40", screen(&c, &l, 120, 40));
    // The highlight is reverse video on the matched text (it reads without colour).
    let buf = warroom::shell::snapshot::draw(&c, &l, 120, 40).unwrap();
    let highlighted: String = buf
        .content()
        .iter()
        .filter(|cell| cell.modifier.contains(ratatui::style::Modifier::REVERSED))
        .map(ratatui::buffer::Cell::symbol)
        .collect();
    assert!(highlighted.to_lowercase().contains("maya"), "{highlighted}");
    c.apply(Input::Key(Key::Char('N')));
    assert_eq!(
        c.ui.search.as_ref().unwrap().ordinal,
        s.total,
        "N comes forward"
    );
    c.apply(Input::Key(Key::Esc));
    assert!(c.ui.search.is_none());
}

/// At 80×24 the help does not fit: it shows a page, says there is more, and scrolls.
#[test]
fn help_scrolls_where_it_does_not_fit() {
    use warroom::core::intent::Key;
    let mut c = console("fixtures/trackshift-progressive-delivery.jsonl", "T+40h");
    c.intent(Intent::Help);
    let l = look("dark", false);
    let first = screen(&c, &l, 80, 24);
    assert!(first.contains("PgUp PgDn: more (rows 1–"), "{first}");
    assert!(first.contains("Play or pause the replay"), "{first}");
    assert!(!first.contains("colour only repeats it"), "{first}");
    c.apply(Input::Key(Key::PageDown));
    c.apply(Input::Key(Key::PageDown));
    let last = screen(&c, &l, 80, 24);
    assert!(c.ui.help, "scrolling keeps the help open");
    assert!(last.contains("colour only repeats it"), "{last}");
    insta::assert_snapshot!("help_80x24_scrolled", last);
}

/// The advance confirmation wraps, and lists every gate still blocking with why.
#[test]
fn the_advance_confirmation_lists_the_blocking_gates() {
    use warroom::core::intent::Key;
    let mut c = console("fixtures/batch-patches-wave3-rollback.jsonl", "T+101h54m");
    as_live_commander(&mut c);
    c.apply(Input::Key(Key::Char('A')));
    let cf = c
        .outbox
        .confirm
        .clone()
        .expect("the advance's confirmation");
    let blocking: Vec<_> = c
        .state
        .next_gates()
        .into_iter()
        .filter(|g| !g.green)
        .collect();
    assert_eq!(cf.blocking.len(), blocking.len());
    let l = look("dark", false);
    let s = screen(&c, &l, 80, 24);
    for g in &blocking {
        assert!(s.contains(&g.label), "{} missing:\n{s}", g.label);
    }
    assert!(s.contains("Reason (optional): _"), "{s}");
    insta::assert_snapshot!("advance_confirmation_80x24", s);
}

/// `U` opens the status update pre-filled in the runbook's shape (timestamp, status, phase,
/// every wave's progress, the metrics with their bands, the next update's time), editable in
/// place; at 80×24 the box scrolls to the cursor and still says what Ctrl+S does.
#[test]
fn the_status_update_composer() {
    use warroom::core::intent::Key;
    let mut c = console(
        "fixtures/orchestrator-blue-green-cutover-rollback.jsonl",
        "T+51m",
    );
    as_live_commander(&mut c);
    c.apply(Input::Key(Key::Char('U')));
    let l = look("dark", false);
    let wide = screen(&c, &l, 120, 40);
    for part in [
        "STATUS UPDATE",
        "TIMESTAMP:",
        "STATUS:",
        "CURRENT PHASE:",
        "Progress:",
        "Metrics:",
        "Next Update:",
        "Ctrl+S posts",
    ] {
        assert!(wide.contains(part), "{part}:\n{wide}");
    }
    insta::assert_snapshot!("status_update_composer_120x40", wide);
    type_in(&mut c, "Cutover holding at 50%.");
    let small = screen(&c, &l, 80, 24);
    assert!(small.contains("Cutover holding at 50%."), "{small}");
    insta::assert_snapshot!("status_update_composer_80x24", small);
}

/// The milestones of an open incident: the header names its severity, age and next
/// milestone, and `:incident` lists each one with the time it took, T+ and UTC.
#[test]
fn the_incident_milestones() {
    use warroom::core::intent::Key;
    let mut c = console("fixtures/edgeplug-fleet-rollback-tabletop.jsonl", "T+12m");
    as_live_commander(&mut c);
    let l = look("dark", false);
    let home = screen(&c, &l, 120, 40);
    let header: String = home.lines().take(2).collect::<Vec<_>>().join("\n");
    assert!(header.contains("INCIDENT"), "{home}");
    assert!(header.contains("next"), "{home}");
    type_in(&mut c, ":incident");
    c.apply(Input::Key(Key::Enter));
    let wide = screen(&c, &l, 120, 40);
    assert!(wide.contains("to acknowledge"), "{wide}");
    insta::assert_snapshot!("incident_milestones_120x40", wide);
    insta::assert_snapshot!("incident_milestones_80x24", screen(&c, &l, 80, 24));
}
