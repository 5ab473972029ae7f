#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]
//! End to end: the real `warroom` binary in a real pseudo-terminal, its output parsed by a
//! terminal emulator (vt100), keys typed as bytes. Every step waits for what the screen shows
//! (polling every 20 ms up to a deadline) instead of sleeping, and a timeout panics with the
//! whole screen so a failure can be read without re-running anything.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{native_pty_system, Child, CommandBuilder, ExitStatus, MasterPty, PtySize};

mod common;

const FIXTURE: &str = "fixtures/edgeplug-fleet-rollback-tabletop.jsonl";
/// Longest wait for any one thing to show up on screen.
const WAIT: Duration = Duration::from_secs(10);
/// Longest wait for the process to exit once asked to.
const EXIT: Duration = Duration::from_secs(5);
const POLL: Duration = Duration::from_millis(20);

/// A running `warroom` in a pseudo-terminal.
struct Pty {
    child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    parser: Arc<Mutex<vt100::Parser>>,
    /// Every byte the program wrote, for checks on escape sequences.
    raw: Arc<Mutex<Vec<u8>>>,
    /// Kept open: dropping the master hangs up the terminal.
    master: Box<dyn MasterPty + Send>,
    cols: u16,
    rows: u16,
}

impl Pty {
    fn spawn(args: &[&str], cols: u16, rows: u16, env: &[(&str, &str)]) -> Pty {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("openpty");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_warroom"));
        cmd.args(args);
        cmd.cwd(env!("CARGO_MANIFEST_DIR"));
        // Deterministic environment: whatever the test runner has, only what a test asks for.
        for k in [
            "NO_COLOR",
            "COLUMNS",
            "LINES",
            "RUST_BACKTRACE",
            "RUST_LIB_BACKTRACE",
        ] {
            cmd.env_remove(k);
        }
        cmd.env("TERM", "xterm-256color");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair
            .slave
            .spawn_command(cmd)
            .expect("spawn warroom in the pty");
        // Only the child holds the slave side now, so the reader sees the end when it exits.
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer = pair.master.take_writer().expect("pty writer");
        let parser = Arc::new(Mutex::new(vt100::Parser::new(
            rows.try_into().unwrap(),
            cols.try_into().unwrap(),
            0,
        )));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let (p, r) = (Arc::clone(&parser), Arc::clone(&raw));
        std::thread::Builder::new()
            .name("pty-reader".into())
            .spawn(move || {
                let mut buf = [0u8; 8192];
                loop {
                    match reader.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            p.lock().unwrap().process(&buf[..n]);
                            r.lock().unwrap().extend_from_slice(&buf[..n]);
                        }
                    }
                }
            })
            .expect("reader thread");
        Pty {
            child,
            writer,
            parser,
            raw,
            master: pair.master,
            cols,
            rows,
        }
    }

    fn replay(extra: &[&str], cols: u16, rows: u16, env: &[(&str, &str)]) -> Pty {
        let mut args = vec!["replay", FIXTURE];
        args.extend_from_slice(extra);
        Pty::spawn(&args, cols, rows, env)
    }

    /// The live demo at twice its speed, as `ic@warroom`, once its first wave shows.
    fn demo(extra: &[&str], cols: u16, rows: u16, env: &[(&str, &str)]) -> Pty {
        let mut args = vec!["demo", "--speed", "2", "--actor", "ic@warroom"];
        args.extend_from_slice(extra);
        let mut pty = Pty::spawn(&args, cols, rows, env);
        pty.wait_for(
            "the live demo",
            |s| s.contains("LIVE") && s.contains("wave 1/4"),
            Duration::from_secs(15),
        );
        pty
    }

    fn send(&mut self, keys: &str) {
        self.writer
            .write_all(keys.as_bytes())
            .expect("write to pty");
        self.writer.flush().expect("flush pty");
    }

    /// The screen as text: exactly one line per row (trailing blanks trimmed).
    fn text(&self) -> String {
        let parser = self.parser.lock().unwrap();
        parser
            .screen()
            .rows(0, self.cols)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The screen, with row numbers, for failure messages.
    fn dump(&self) -> String {
        let (alt, text) = {
            let parser = self.parser.lock().unwrap();
            (
                parser.screen().alternate_screen(),
                parser.screen().rows(0, self.cols).collect::<Vec<_>>(),
            )
        };
        let mut out = format!(
            "--- screen {}x{} (alternate screen: {alt}) ---\n",
            self.cols, self.rows
        );
        for (i, row) in text.iter().enumerate() {
            let _ = writeln!(out, "{i:>2}|{row}");
        }
        out.push_str("--- end of screen ---");
        out
    }

    /// Polls the screen until `pred` holds; returns the screen text that satisfied it.
    fn wait_for(&mut self, what: &str, pred: impl Fn(&str) -> bool, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let text = self.text();
            if pred(&text) {
                return text;
            }
            if Instant::now() >= deadline {
                let exited = match self.child.try_wait() {
                    Ok(Some(s)) => format!("the program had exited: {s:?}"),
                    Ok(None) => "the program was still running".to_string(),
                    Err(e) => format!("try_wait failed: {e}"),
                };
                panic!(
                    "timed out after {timeout:?} waiting for: {what}\n{exited}\n{}",
                    self.dump()
                );
            }
            std::thread::sleep(POLL);
        }
    }

    fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "warroom did not exit within {timeout:?}\n{}",
                self.dump()
            );
            std::thread::sleep(POLL);
        }
    }

    /// Presses `q` and checks the program exits cleanly.
    fn quit(mut self) {
        self.send("q");
        let status = self.wait_exit(EXIT);
        assert!(
            status.success(),
            "warroom exited with {status:?} after q\n{}",
            self.dump()
        );
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn lines(text: &str) -> Vec<&str> {
    text.split('\n').collect()
}

fn row(text: &str, i: usize) -> &str {
    lines(text).get(i).copied().unwrap_or("")
}

/// The footer: the last row of the screen.
fn footer(text: &str) -> &str {
    lines(text).last().copied().unwrap_or("")
}

/// The header's T± clock (second header row: " UTC <date> <time>  T+12m │ ...").
fn clock(text: &str) -> Option<&str> {
    row(text, 1)
        .split_whitespace()
        .find(|w| w.starts_with("T+") || w.starts_with("T-"))
}

/// The header's UTC date and time ("2024-02-27 14:12:00Z"), which moves every second.
fn utc(text: &str) -> Option<String> {
    let mut it = row(text, 1)
        .split_whitespace()
        .skip_while(|w| *w != "UTC")
        .skip(1);
    Some(format!("{} {}", it.next()?, it.next()?))
}

/// A timeline row mentioning a rollback (the header's title says "rollback" in lower case).
fn has_rollback_line(text: &str) -> bool {
    lines(text)
        .iter()
        .any(|l| l.contains("ROLLBACK") && l.contains("T+00:"))
}

/// The screen of the fixture at T+12m is fully drawn: header clock, and the newest timeline
/// entry (T+11m30s), which is below everything else a frame redraws.
fn at_t12m_drawn(text: &str) -> bool {
    clock(text) == Some("T+12m") && text.contains("T+00:11:30") && footer(text).contains("space")
}

#[test]
fn replay_plays_seeks_and_quits() {
    let mut pty = Pty::replay(&["--at", "T-1h"], 120, 40, &[]);

    // Starts paused at T-1h.
    let s = pty.wait_for(
        "the replay header at T-1h",
        |s| s.contains("REPLAY") && clock(s) == Some("T-1h"),
        WAIT,
    );
    assert!(
        row(&s, 0).contains("REPLAY ×60 ‖"),
        "should start paused at ×60\n{}",
        pty.dump()
    );
    assert!(
        !has_rollback_line(&s),
        "nothing has been rolled back at T-1h\n{}",
        pty.dump()
    );

    // t, T+12m, Enter: seek forward through the prompt.
    pty.send("t");
    pty.wait_for(
        "the go-to prompt",
        |s| {
            s.contains("Go to (T+12m, T-1h, 09:17:38Z, RFC 3339)")
                && s.contains("Enter to go, Esc to cancel")
        },
        WAIT,
    );
    pty.send("T+12m");
    pty.wait_for(
        "the typed offset in the prompt",
        |s| s.contains("> T+12m_"),
        WAIT,
    );
    pty.send("\r");
    // The footer (drawn last) confirms the jump, so the whole frame has been read.
    pty.wait_for(
        "T+12m with CRITICAL status, a ROLLBACK timeline line and \"go to T+12m\" in the footer",
        |s| {
            clock(s) == Some("T+12m")
                && row(s, 0).contains("CRITICAL")
                && has_rollback_line(s)
                && !s.contains("Go to (")
                && footer(s).contains("go to T+12m")
        },
        WAIT,
    );

    // ? opens the help screen, Esc closes it.
    pty.send("?");
    // Wait for the whole box (its last line), not just the title: a frame arrives in pieces.
    pty.wait_for(
        "the help screen listing the key table",
        |s| {
            s.contains("Keys (? or Esc to close)")
                && s.contains("Play or pause the replay")
                && s.contains("Quit")
                && s.contains("Every status shows a glyph and a word")
        },
        WAIT,
    );
    pty.send("\x1b");
    pty.wait_for(
        "the help screen to close",
        |s| !s.contains("Keys (") && clock(s) == Some("T+12m"),
        WAIT,
    );

    // g jumps back to the start: a backward seek restores the earlier state.
    pty.send("g");
    pty.wait_for(
        "a T- clock after g (jump to start), status no longer CRITICAL, the rollback gone",
        |s| {
            clock(s).is_some_and(|c| c.starts_with("T-"))
                && !row(s, 0).contains("CRITICAL")
                && !has_rollback_line(s)
        },
        WAIT,
    );

    // space plays: the clock moves by itself, and the badge says so.
    pty.send(" ");
    let s = pty.wait_for(
        "the play badge",
        |s| row(s, 0).contains("REPLAY ×60 ▶"),
        WAIT,
    );
    let first = utc(&s).unwrap_or_else(|| panic!("no UTC clock in the header\n{}", pty.dump()));
    let s = pty.wait_for(
        &format!("the UTC clock to advance past {first}"),
        |s| utc(s).is_some_and(|u| u > first),
        WAIT,
    );
    let second = utc(&s).unwrap_or_default();
    pty.wait_for(
        &format!("the UTC clock to advance past {second}"),
        |s| utc(s).is_some_and(|u| u > second),
        WAIT,
    );

    pty.quit();
}

#[test]
fn compact_80x24_shows_all_panels() {
    let mut pty = Pty::replay(&["--at", "T+12m"], 80, 24, &[]);
    let s = pty.wait_for("the compact screen at T+12m", at_t12m_drawn, WAIT);
    let dump = pty.dump();
    assert!(
        row(&s, 0).contains("CRITICAL"),
        "status word in the header\n{dump}"
    );
    assert!(
        row(&s, 0).contains("REPLAY"),
        "mode badge in the header\n{dump}"
    );
    // The compact layout draws titled rules, not boxes: "SLOs ✖ 4 CRIT ───", "Checklist 20/20 ✔ GO ──",
    // "▸Timeline · all kinds · 73 entries ──".
    assert!(
        lines(&s)
            .iter()
            .any(|l| l.contains("SLOs") && l.contains("CRIT")),
        "SLO panel\n{dump}"
    );
    assert!(s.contains("Checklist 20/20"), "checklist panel\n{dump}");
    assert!(s.contains("Timeline · all kinds"), "timeline panel\n{dump}");
    assert!(
        s.contains("FAILED"),
        "wave pipeline (batch 5 FAILED)\n{dump}"
    );
    assert!(
        footer(&s).contains("space play/pause"),
        "footer keys\n{dump}"
    );
    assert!(
        footer(&s).contains("quit"),
        "the footer must say how to quit at 80x24\n{dump}"
    );
    pty.quit();
}

#[test]
fn bad_fixture_refused_before_terminal() {
    let file = "tests/invalid_fixtures/time-backwards.jsonl";
    let expected = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/invalid_fixtures/time-backwards.expected"
    ))
    .unwrap();
    let expected = expected.trim_end().to_string();
    assert!(
        expected.starts_with(&format!("{file}:32:6: ")),
        "unexpected .expected file: {expected}"
    );

    let mut pty = Pty::spawn(&["replay", file], 120, 40, &[]);
    let status = pty.wait_exit(WAIT);
    assert_eq!(
        status.exit_code(),
        1,
        "exit status {status:?}\n{}",
        pty.dump()
    );
    let s = pty.wait_for(
        &format!("the error line {expected:?}"),
        |s| lines(s).iter().any(|l| l.trim_end() == expected),
        WAIT,
    );
    assert_eq!(
        s.trim(),
        expected,
        "the error should be the only output\n{}",
        pty.dump()
    );
    assert!(
        !pty.parser.lock().unwrap().screen().alternate_screen(),
        "alternate screen still on\n{}",
        pty.dump()
    );
    let raw = pty.raw.lock().unwrap().clone();
    assert!(
        !raw.contains(&0x1b),
        "the terminal was touched (escape sequences written) before refusing the file: {:?}",
        String::from_utf8_lossy(&raw)
    );
}

/// A file broken far past its first screenful: the first frame is drawn before the check
/// reaches the bad line; then the console ends with the same one-line refusal as a file
/// broken early, the terminal given back, exit status 1.
#[test]
fn a_file_broken_late_is_refused_after_the_first_frame() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("late.jsonl");
    let made = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["generate", "--records", "60000", "-o"])
        .arg(&file)
        .status()
        .unwrap();
    assert!(made.success());
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let bad = 50_000;
    assert!(bad > warroom::shell::replay::FIRST_LINES + 10 && bad < lines.len());
    lines[bad - 1] = r#"{"t":"later","type":"note","by":"ic","text":"x"}"#;
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let name = file.to_str().unwrap();

    let mut pty = Pty::spawn(&["replay", name], 120, 40, &[]);
    let status = pty.wait_exit(WAIT);
    assert_eq!(
        status.exit_code(),
        1,
        "exit status {status:?}\n{}",
        pty.dump()
    );
    let want = format!("{name}:{bad}:");
    let s = pty.wait_for(
        &format!("the error line {want:?}"),
        |s| lines_of_screen(s).iter().any(|l| l.starts_with(&want)),
        WAIT,
    );
    let line = lines_of_screen(&s)
        .into_iter()
        .find(|l| l.starts_with(&want))
        .unwrap()
        .to_string();
    assert!(line.contains("\"later\""), "the refusal says what: {line}");
    let raw = pty.raw.lock().unwrap().clone();
    assert!(
        find_last(&raw, b"\x1b[?1049h").is_some(),
        "the screen was taken (the first frame came before the check reached the line)"
    );
    terminal_given_back(&pty, "a late refusal");
}

fn lines_of_screen(text: &str) -> Vec<&str> {
    lines(text).into_iter().map(str::trim_end).collect()
}

/// In a terminal too, a start-up error is one line (no report sections, no colour codes),
/// and the escapes in the file name it quotes are shown, not obeyed.
#[test]
fn start_up_errors_in_a_terminal_are_one_plain_line() {
    let dir = tempfile::tempdir().unwrap();
    let theme = dir.path().join("t\x1b]0;pwned\x07\x1b[2J.toml");
    std::fs::write(&theme, "[roles]\nok = 5\n").unwrap();
    let mut pty = Pty::spawn(
        &["replay", FIXTURE, "--theme", theme.to_str().unwrap()],
        300,
        10,
        &[],
    );
    let status = pty.wait_exit(WAIT);
    assert_eq!(status.exit_code(), 1, "{}", pty.dump());
    let s = pty.wait_for(
        "the error line",
        |s| s.contains("found the integer 5"),
        WAIT,
    );
    let said: Vec<&str> = lines(&s)
        .into_iter()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(said.len(), 1, "{}", pty.dump());
    assert!(
        said[0].starts_with("warroom: bad theme: ")
            && said[0].contains("]0;pwned")
            && said[0].contains("[2J.toml: line 2: roles.ok: expected a colour"),
        "{}",
        pty.dump()
    );
    let raw = pty.raw.lock().unwrap().clone();
    let raw = String::from_utf8_lossy(&raw);
    assert!(
        !raw.contains(['\x1b', '\x07'])
            && raw.contains("/t\u{FFFD}]0;pwned\u{FFFD}\u{FFFD}[2J.toml"),
        "escape bytes reached the terminal: {raw:?}"
    );
}

#[test]
fn ascii_mode_has_no_non_ascii_glyphs() {
    let mut pty = Pty::replay(
        &["--at", "T+12m", "--ascii", "--theme", "mono"],
        120,
        40,
        &[],
    );
    let s = pty.wait_for(
        "the ASCII screen at T+12m",
        |s| at_t12m_drawn(s) && footer(s).contains("quit"),
        WAIT,
    );
    let dump = pty.dump();
    assert!(
        row(&s, 0).contains("X CRITICAL"),
        "ASCII status glyph\n{dump}"
    );
    assert!(
        row(&s, 0).contains("REPLAY x60 ||"),
        "ASCII mode badge\n{dump}"
    );
    let ls = lines(&s);
    for (i, l) in ls.iter().take(3).chain(ls.last()).enumerate() {
        let bad: Vec<char> = l.chars().filter(|c| !c.is_ascii()).collect();
        assert!(
            bad.is_empty(),
            "header/footer line {i} has non-ASCII {bad:?}: {l:?}\n{dump}"
        );
    }
    // --ascii rewrites every cell (fixture text included) to ASCII.
    for (i, l) in ls.iter().enumerate() {
        let bad: Vec<char> = l.chars().filter(|c| !c.is_ascii()).collect();
        assert!(
            bad.is_empty(),
            "row {i} has non-ASCII {bad:?}: {l:?}\n{dump}"
        );
    }
    pty.quit();
}

/// Cells whose foreground or background is not the terminal default, as (row, col, char).
fn coloured_cells(pty: &Pty) -> Vec<(u16, u16, String, vt100::Color, vt100::Color)> {
    let parser = pty.parser.lock().unwrap();
    let screen = parser.screen();
    let mut out = Vec::new();
    for r in 0..pty.rows {
        for c in 0..pty.cols {
            if let Some(cell) = screen.cell(r, c) {
                if cell.fgcolor() != vt100::Color::Default
                    || cell.bgcolor() != vt100::Color::Default
                {
                    out.push((r, c, cell.contents().into(), cell.fgcolor(), cell.bgcolor()));
                }
            }
        }
    }
    out
}

#[test]
fn no_color_has_no_colors() {
    // Control: the default theme does colour cells, so the probe below can see colour.
    let mut coloured = Pty::replay(&["--at", "T+12m"], 120, 40, &[]);
    coloured.wait_for(
        "the coloured screen at T+12m",
        |s| at_t12m_drawn(s) && footer(s).contains("quit"),
        WAIT,
    );
    assert!(
        !coloured_cells(&coloured).is_empty(),
        "the default theme drew no colour at all\n{}",
        coloured.dump()
    );
    coloured.quit();

    let mut pty = Pty::replay(&["--at", "T+12m"], 120, 40, &[("NO_COLOR", "1")]);
    let s = pty.wait_for(
        "the NO_COLOR screen at T+12m",
        |s| at_t12m_drawn(s) && footer(s).contains("quit"),
        WAIT,
    );
    assert!(
        row(&s, 0).contains("CRITICAL"),
        "status word still shown without colour\n{}",
        pty.dump()
    );
    let bad = coloured_cells(&pty);
    assert!(
        bad.is_empty(),
        "{} cells have colour with NO_COLOR=1, first: {:?}\n{}",
        bad.len(),
        &bad[..bad.len().min(10)],
        pty.dump()
    );
    pty.quit();
}

/// The demo, as a newcomer runs it: the control plane in-process, the console on it; press
/// the rollback key, give a reason, confirm, and see the outcome on screen and in the audit log.
#[test]
fn demo_rollback_is_confirmed_sent_and_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let audit_arg = audit.to_str().unwrap().to_string();
    let mut pty = Pty::demo(&["--audit-log", &audit_arg], 120, 40, &[]);
    pty.wait_for(
        "the command keys",
        |s| footer(s).contains("rollBack"),
        Duration::from_secs(5),
    );
    pty.send("B");
    pty.wait_for(
        "the confirmation",
        |s| s.contains("ROLLBACK — confirm") && s.contains("→ 0%: traffic back to legacy"),
        Duration::from_secs(5),
    );
    // Enter alone does nothing: a rollback needs a reason.
    pty.send("\r");
    pty.wait_for(
        "the reason is required",
        |s| s.contains("rollback needs a reason"),
        Duration::from_secs(5),
    );
    pty.send("canary error budget burning");
    pty.send("\r");
    let screen = pty.wait_for(
        "the outcome",
        |s| s.contains("ROLLBACK accepted") && s.contains("ROLLED BACK"),
        Duration::from_secs(10),
    );
    assert!(
        screen.contains("canary error budget burning"),
        "the reason is on the timeline:\n{screen}"
    );
    let log = std::fs::read_to_string(audit).unwrap();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Confirmed (written and synced before anything leaves), sent (once the frame was on
    // the socket), and the outcome.
    let events: Vec<&str> = lines.iter().filter_map(|l| l["event"].as_str()).collect();
    assert_eq!(events, ["confirmed", "sent", "outcome"], "{log}");
    assert_eq!(
        (
            lines[0]["actor"].as_str(),
            lines[0]["reason"].as_str(),
            lines[1]["attempt"].as_u64()
        ),
        (
            Some("ic@warroom"),
            Some("canary error budget burning"),
            Some(1)
        )
    );
    assert!(
        lines
            .iter()
            .all(|l| l["id"] == lines[0]["id"] && l["session"].is_string()),
        "{log}"
    );
    assert_eq!(lines[2]["result"].as_str(), Some("accepted"), "{log}");
    pty.quit();
}

/// The demo with `--config` pointing at a Prometheus that accepts connections and never
/// answers: the screen answers keys at once while every query hangs, and once the queries
/// time out the gauges and the header say so in words.
#[test]
fn hanging_prometheus_never_holds_up_keys() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("warroom.toml");
    let template = warroom::config::TEMPLATE
        .replace("http://127.0.0.1:9090", &format!("http://{addr}"))
        .replace("http://127.0.0.1:9093", &format!("http://{addr}"))
        .replace("timeout = \"5s\"", "timeout = \"3s\"")
        .replace("interval = \"5s\"", "interval = \"1s\"");
    std::fs::write(&config, template).unwrap();
    let audit = dir.path().join("audit.jsonl");
    let mut pty = Pty::spawn(
        &[
            "demo",
            "--config",
            config.to_str().unwrap(),
            "--audit-log",
            audit.to_str().unwrap(),
        ],
        120,
        40,
        &[],
    );
    pty.wait_for(
        "the live demo with the configured SLOs",
        |s| s.contains("LIVE") && s.contains("Traffic on v1.0.0"),
        Duration::from_secs(15),
    );
    // Every query is hanging now: keys are still answered straight away.
    let asked = std::time::Instant::now();
    pty.send("?");
    pty.wait_for(
        "the help screen",
        |s| s.contains("Keys"),
        Duration::from_secs(2),
    );
    let help_took = asked.elapsed();
    pty.send("?");
    pty.send("B");
    pty.wait_for(
        "the rollback confirmation",
        |s| s.contains("ROLLBACK — confirm"),
        Duration::from_secs(2),
    );
    pty.send("\x1b");
    assert!(help_took < Duration::from_secs(1), "{help_took:?}");
    let screen = pty.wait_for(
        "the timeouts on the gauges and in the header",
        |s| {
            s.contains("no answer within 3s")
                && s.contains("prometheus")
                && s.contains("alertmanager, prometheus FAILING")
        },
        Duration::from_secs(15),
    );
    assert!(screen.contains("NODATA"), "{screen}");
    pty.quit();
}

/// The attempt number in "attempt N" on the screen's header (0 when none is shown).
fn attempt_on(text: &str) -> u32 {
    text.split("attempt ")
        .nth(1)
        .and_then(|t| t.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// The room's worst five minutes at 80×24: the console starts before its control plane is
/// up, the control plane comes, is killed, a command is confirmed while it is down, and it
/// comes back as a new session. At every step the screen says what is true.
#[test]
fn the_room_loses_its_control_plane_and_gets_it_back() {
    let addr = common::free_addr();
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let url = format!("ws://{addr}");
    let audit_arg = audit.to_str().unwrap().to_string();
    let mut pty = Pty::spawn(
        &[
            "connect",
            &url,
            "--actor",
            "ic@warroom",
            "--audit-log",
            &audit_arg,
        ],
        80,
        24,
        &[],
    );
    // Nobody there yet: the console opens anyway and counts down to its next attempt.
    let s = pty.wait_for(
        "the connecting screen",
        |s| s.contains("DOWN") && s.contains("retry in") && s.contains(&url),
        WAIT,
    );
    let first = attempt_on(&s);
    pty.wait_for(
        "a later attempt",
        |s| attempt_on(s) > first,
        Duration::from_secs(15),
    );
    let plane = common::Plane::start(addr, &["--speed", "10"]);
    pty.wait_for(
        "the live console",
        |s| row(s, 0).contains("LIVE") && s.contains("wave 1/4"),
        Duration::from_secs(15),
    );
    plane.kill();
    // Losing the source is the loudest thing on the screen: the badge and the line under it.
    pty.wait_for(
        "the lost link, first on the header",
        |s| row(s, 0).contains("DOWN") && row(s, 1).contains("control-plane DOWN · retry in"),
        Duration::from_secs(15),
    );
    // A note confirmed while the link is down is not sent, and says so at once.
    pty.send("N");
    pty.wait_for("the note prompt", |s| s.contains("NOTE — confirm"), WAIT);
    pty.send("holding the bake until the plane is back");
    pty.send("\r");
    pty.wait_for(
        "the refusal",
        |s| footer(s).contains("note NOT sent: control plane down"),
        WAIT,
    );
    let log = std::fs::read_to_string(audit).unwrap();
    let events: Vec<String> = log
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["event"].to_string())
        .collect();
    assert_eq!(events, ["\"confirmed\"", "\"not_sent\""], "{log}");
    // It comes back, as a new session: the console says so, and kept what it showed. The
    // timeline shows its source lines only (the eighth kind), so that the rollout's own
    // entries cannot scroll them away (`:filter source`, as `f` and the list would).
    pty.send(":filter source\r");
    pty.wait_for(
        "the source lines",
        |s| footer(s).contains("timeline: source"),
        WAIT,
    );
    let _plane = common::Plane::start(addr, &["--speed", "10"]);
    let s = pty.wait_for(
        "the restart on the timeline",
        |s| row(s, 0).contains("LIVE") && s.contains("control plane restarted"),
        Duration::from_secs(20),
    );
    assert!(
        s.contains("down for") && s.contains("NOT sent"),
        "the outage and the refusal stay on the timeline\n{s}"
    );
    pty.quit();
}

/// The keys of the panels and the boxes, typed into the real binary at 80×24: Tab and
/// Shift+Tab move the focus marker, z zooms the waves panel to every gate, Enter opens the
/// detail view, / searches, : runs a command, and Ctrl+C in a prompt closes the prompt and
/// leaves the console running.
#[test]
fn panels_boxes_and_ctrl_c_in_a_prompt() {
    let mut pty = Pty::spawn(
        &[
            "replay",
            "fixtures/batch-patches-wave3-rollback.jsonl",
            "--at",
            "T+101h54m",
        ],
        80,
        24,
        &[],
    );
    pty.wait_for("the timeline focused", |s| s.contains("▸Timeline"), WAIT);
    // Tab: the waves panel; its gates line says which gate the cursor is on.
    pty.send("\t");
    pty.wait_for(
        "the waves panel focused",
        |s| s.contains("▸gate 1/9") && !s.contains("▸Timeline"),
        WAIT,
    );
    // z: every gate of the next wave, whole, blocking first.
    pty.send("z");
    pty.wait_for(
        "the zoomed gates",
        |s| {
            s.contains("BLOCKING: Zero CRITICAL alerts — 1 crit alert firing")
                && s.contains("green: ")
        },
        WAIT,
    );
    pty.send("z");
    // Shift+Tab (CSI Z) twice: back past the waves to the alerts.
    pty.send("\x1b[Z");
    pty.wait_for(
        "the timeline focused again",
        |s| s.contains("▸Timeline"),
        WAIT,
    );
    pty.send("\x1b[Z");
    pty.wait_for("the alerts list focused", |s| s.contains("▸Alerts"), WAIT);
    // Enter: the alert under the cursor, whole.
    pty.send("\r");
    pty.wait_for(
        "the alert's details",
        |s| {
            s.contains("Alert: BatchPatchesErrorRateCritical") && s.contains("source: alertmanager")
        },
        WAIT,
    );
    pty.send("\x1b");
    pty.wait_for("the details closed", |s| !s.contains("Alert: Batch"), WAIT);
    // /: the search line; matches are counted in the timeline's title.
    pty.send("/maya");
    pty.wait_for(
        "the search line",
        |s| s.contains("/maya_") && s.contains("match 16 of 16"),
        WAIT,
    );
    pty.send("\r");
    pty.send("n");
    pty.wait_for("the previous match", |s| s.contains("match 15 of 16"), WAIT);
    pty.send("\x1b");
    // :goto through the command line pauses the replay there.
    pty.send(":goto T+12m\r");
    pty.wait_for(
        "the clock at T+12m and the footer saying where",
        |s| clock(s) == Some("T+12m") && footer(s).contains("go to T+12m"),
        WAIT,
    );
    // Ctrl+C in the go-to prompt closes the prompt; the console is still there.
    pty.send("t");
    pty.wait_for("the go-to prompt", |s| s.contains("Go to ("), WAIT);
    pty.send("\x03");
    pty.wait_for(
        "the prompt closed",
        |s| !s.contains("Go to (") && s.contains("REPLAY"),
        WAIT,
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        pty.text().contains("REPLAY"),
        "still running\n{}",
        pty.dump()
    );
    pty.quit();
}

/// How a console is ended from outside in these tests.
#[derive(Clone, Copy, Debug)]
enum Ending {
    Signal(nix::sys::signal::Signal),
    /// `WARROOM_TEST_PANIC`: a task panics.
    Panic,
}

/// The demo console with an audit log and a recording: a pause is confirmed and
/// acknowledged, then the console is ended by `ending`. Whatever the way out, the terminal
/// is given back (main screen, cursor shown, cooked mode with echo), the audit log holds the
/// pause from confirmation to outcome, and the recording is a fixture that holds it.
fn ended_from_outside(ending: Ending) {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let record = dir.path().join("room.ndjson");
    let (audit_arg, record_arg) = (
        audit.to_str().unwrap().to_string(),
        record.to_str().unwrap().to_string(),
    );
    let env: &[(&str, &str)] = match ending {
        Ending::Panic => &[("WARROOM_TEST_PANIC", "6")],
        Ending::Signal(_) => &[],
    };
    let mut pty = Pty::demo(
        &["--audit-log", &audit_arg, "--record", &record_arg],
        100,
        30,
        env,
    );
    pty.wait_for(
        "the command keys",
        |s| footer(s).contains("Pause"),
        Duration::from_secs(5),
    );
    pty.send("P");
    pty.wait_for(
        "the confirmation",
        |s| s.contains("PAUSE — confirm"),
        Duration::from_secs(5),
    );
    pty.send("holding for the DBA\r");
    pty.wait_for(
        "the outcome",
        |s| s.contains("PAUSE accepted"),
        Duration::from_secs(10),
    );
    let status = match ending {
        Ending::Signal(sig) => {
            let pid = i32::try_from(pty.child.process_id().unwrap()).unwrap();
            nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), sig).unwrap();
            pty.wait_exit(EXIT)
        }
        Ending::Panic => pty.wait_exit(Duration::from_secs(15)),
    };
    match ending {
        Ending::Signal(_) => assert!(status.success(), "{status:?}\n{}", pty.dump()),
        Ending::Panic => assert_eq!(status.exit_code(), 101, "{status:?}\n{}", pty.dump()),
    }
    given_back(&pty, ending);
    logs_hold_the_pause(&audit, &record, ending);
}

/// The terminal after the console ended: main screen, cursor shown, cooked mode with echo.
fn given_back(pty: &Pty, ending: Ending) {
    terminal_given_back(pty, &format!("{ending:?}"));
    let raw = pty.raw.lock().unwrap().clone();
    if let Ending::Panic = ending {
        let text = String::from_utf8_lossy(&raw);
        assert!(
            text.contains("WARROOM_TEST_PANIC: a panic on purpose"),
            "the report is printed"
        );
    }
}

/// The terminal after the console ended: main screen, cursor shown, cooked mode with echo.
fn terminal_given_back(pty: &Pty, ending: &str) {
    use nix::sys::termios::LocalFlags;
    // Give the reader thread the last bytes.
    std::thread::sleep(Duration::from_millis(200));
    let raw = pty.raw.lock().unwrap().clone();
    let tail = &raw[find_last(&raw, b"\x1b[?1049h").expect("it took the alternate screen")..];
    assert!(
        find_last(tail, b"\x1b[?1049l").is_some() && find_last(tail, b"\x1b[?25h").is_some(),
        "{ending}: the alternate screen is left and the cursor shown"
    );
    assert!(
        !pty.parser.lock().unwrap().screen().alternate_screen(),
        "{ending}: back on the main screen"
    );
    let modes = pty.master.get_termios().expect("the terminal's modes");
    assert!(
        modes
            .local_flags
            .contains(LocalFlags::ICANON | LocalFlags::ECHO | LocalFlags::ISIG),
        "{ending}: raw mode is off: {:?}",
        modes.local_flags
    );
}

/// The audit log and the recording hold the pause, the recording in whole lines.
fn logs_hold_the_pause(audit: &std::path::Path, record: &std::path::Path, ending: Ending) {
    // The audit log and the recording hold the pause.
    let log = std::fs::read_to_string(audit).unwrap();
    let events: Vec<String> = log
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["event"].to_string())
        .collect();
    assert_eq!(
        events,
        ["\"confirmed\"", "\"sent\"", "\"outcome\""],
        "{ending:?}: {log}"
    );
    let recorded = std::fs::read_to_string(record).unwrap();
    assert!(
        recorded.ends_with('\n') && recorded.contains("holding for the DBA"),
        "{ending:?}: the recording holds the pause, whole lines only"
    );
    let check = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .arg("check")
        .arg(record)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{ending:?}: the recording is a fixture: {}",
        String::from_utf8_lossy(&check.stderr)
    );
}

fn find_last(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

#[test]
fn sigterm_restores_the_terminal_and_keeps_the_logs() {
    ended_from_outside(Ending::Signal(nix::sys::signal::Signal::SIGTERM));
}

#[test]
fn sighup_the_ssh_session_ending_restores_the_terminal_and_keeps_the_logs() {
    ended_from_outside(Ending::Signal(nix::sys::signal::Signal::SIGHUP));
}

#[test]
fn sigint_from_kill_restores_the_terminal_and_keeps_the_logs() {
    ended_from_outside(Ending::Signal(nix::sys::signal::Signal::SIGINT));
}

#[test]
fn a_panic_restores_the_terminal_prints_the_report_and_keeps_the_logs() {
    ended_from_outside(Ending::Panic);
}
