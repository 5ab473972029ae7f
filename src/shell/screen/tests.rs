use std::io::Write;

use proptest::prelude::*;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};
use ratatui::Terminal;

use super::Screen;
use crate::shell::terminal::synchronized_draw;

/// A writer that keeps every `write()` it was given, apart.
#[derive(Default)]
struct Writes(Vec<Vec<u8>>);

impl Write for Writes {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.push(b.to_vec());
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn term(w: u16, h: u16) -> Terminal<Screen<Writes>> {
    Terminal::new(Screen::fixed(Writes::default(), w, h)).expect("an off-screen terminal")
}

/// Draws `lines` (one styled run each) as the console's loop draws a frame; returns what
/// this frame wrote, write by write, and the frame itself.
fn drawn(
    t: &mut Terminal<Screen<Writes>>,
    lines: &[Vec<(String, Style)>],
) -> (Vec<Vec<u8>>, Buffer) {
    let lines: Vec<Line<'static>> = lines
        .iter()
        .map(|runs| {
            Line::from(
                runs.iter()
                    .map(|(s, st)| Span::styled(s.clone(), *st))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    let buffer = if RATATUI_DIFF.get() {
        // Through ratatui's own diff and `Backend::draw`, as `Terminal::draw` does.
        t.backend_mut().begin_frame();
        let buffer = t
            .draw(|f| f.render_widget(Paragraph::new(lines.clone()), f.area()))
            .expect("drawing off screen")
            .buffer
            .clone();
        t.backend_mut().end_frame().expect("writing off screen");
        buffer
    } else {
        synchronized_draw(t, &|f| {
            f.render_widget(Paragraph::new(lines.clone()), f.area());
        })
        .expect("drawing off screen");
        let mut buffer = Buffer::empty(t.get_frame().area());
        Paragraph::new(lines).render(buffer.area, &mut buffer);
        buffer
    };
    (std::mem::take(&mut t.backend_mut().writer_mut().0), buffer)
}

thread_local! {
    /// Whether [`drawn`] goes through ratatui's diff rather than the screen's own.
    static RATATUI_DIFF: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn frame(t: &mut Terminal<Screen<Writes>>, lines: &[Vec<(String, Style)>]) -> Vec<Vec<u8>> {
    drawn(t, lines).0
}

fn plain(text: &str) -> Vec<(String, Style)> {
    vec![(text.to_string(), Style::default())]
}

#[test]
fn a_frame_is_one_write_and_a_frame_that_changed_nothing_is_none() {
    let mut t = term(40, 12);
    let text = "wave 2 of 4 · 7 min left · nothing blocking\n".repeat(12);
    synchronized_draw(&mut t, &|f| {
        f.render_widget(Paragraph::new(text.clone()), f.area());
    })
    .expect("drawing off screen");
    let first = std::mem::take(&mut t.backend_mut().writer_mut().0);
    assert_eq!(first.len(), 1, "one write for the frame: {first:?}");
    assert!(first[0].starts_with(b"\x1b[?2026h") && first[0].ends_with(b"\x1b[?2026l"));
    synchronized_draw(&mut t, &|f| {
        f.render_widget(Paragraph::new(text.clone()), f.area());
    })
    .expect("drawing off screen");
    let again = std::mem::take(&mut t.backend_mut().writer_mut().0);
    assert!(
        again.is_empty(),
        "nothing changed, nothing written: {again:?}"
    );
    // A few cells go out in one short write, without the markers.
    let text = text.replacen("wave 2", "wave 3", 1);
    synchronized_draw(&mut t, &|f| {
        f.render_widget(Paragraph::new(text.clone()), f.area());
    })
    .expect("drawing off screen");
    let small = std::mem::take(&mut t.backend_mut().writer_mut().0);
    assert_eq!(small, vec![b"\x1b[;6H3".to_vec()]);
    assert!(!small[0].starts_with(b"\x1b[?2026h"), "{small:?}");
}

#[test]
fn the_pen_and_the_hidden_cursor_carry_over_between_frames() {
    let mut t = term(20, 3);
    let green = Style::default()
        .fg(Color::Green)
        .add_modifier(Modifier::BOLD);
    frame(&mut t, &[vec![("T+00:01".into(), green)]]);
    let next = frame(&mut t, &[vec![("T+00:02".into(), green)]]);
    // Only the changed digit, where it is, in the pen already set: no SGR, no reset, no
    // cursor hiding.
    assert_eq!(String::from_utf8_lossy(&next[0]), "\x082");
}

#[test]
fn the_sixteen_colours_go_out_as_their_short_codes() {
    let mut t = term(10, 1);
    let out = frame(
        &mut t,
        &[vec![
            ("a".into(), Style::default().fg(Color::Green)),
            (
                "b".into(),
                Style::default().fg(Color::Indexed(9)).bg(Color::Blue),
            ),
            ("c".into(), Style::default().fg(Color::Indexed(200))),
            ("d".into(), Style::default().fg(Color::Rgb(1, 2, 3))),
        ]],
    );
    let s = String::from_utf8_lossy(&out[0]).into_owned();
    // The first frame clears the screen with the plain pen, so green is all there is to say.
    assert!(s.starts_with("\x1b[0m\x1b[2J"), "{s:?}");
    assert!(s.contains("\x1b[32ma"), "{s:?}");
    assert!(s.contains("\x1b[91;44mb"), "{s:?}");
    // Back to the default background and to colour 200: a reset is shorter than saying both.
    assert!(s.contains("\x1b[0;38;5;200mc"), "{s:?}");
    assert!(s.contains("\x1b[38;2;1;2;3md"), "{s:?}");
    assert!(!s.contains("38;5;2;"), "{s:?}");
}

#[test]
fn the_cursor_takes_the_shortest_way_and_short_gaps_are_written_over() {
    let mut t = term(20, 2);
    frame(&mut t, &[plain("age 12s  p99 301")]);
    let step = |t: &mut Terminal<Screen<Writes>>, text: &str| {
        String::from_utf8_lossy(&frame(t, &[plain(text)])[0])
            .trim_start_matches("\x1b[?2026h")
            .trim_end_matches("\x1b[?2026l")
            .to_string()
    };
    // From after the last "1" (column 16) back to column 5: the absolute move (five
    // bytes, as short as a carriage return and five steps right); then nine cells on: a
    // relative step.
    assert_eq!(step(&mut t, "age 13s  p99 302"), "\x1b[;6H3\x1b[9C2");
    // One back (column 6 to 5): a backspace.
    assert_eq!(step(&mut t, "age 14s  p99 302"), "\x1b[;6H4");
    assert_eq!(step(&mut t, "age 15s  p99 302"), "\x085");
    // Five on to column 11; then column 14, with " 3" between in the same pen: rewritten,
    // two bytes rather than a four-byte step.
    assert_eq!(step(&mut t, "age 15s  p98 312"), "\x1b[5C8 31");
    // Down a row to its start: a line feed and a carriage return.
    let out = frame(&mut t, &[plain("age 15s  p98 312"), plain("x")]);
    assert_eq!(String::from_utf8_lossy(&out[0]), "\n\rx");
}

/// An off-screen terminal and an emulated one of the same size, fed what the first writes.
fn emulated(w: u16, h: u16) -> (Terminal<Screen<Writes>>, vt100::Parser) {
    (term(w, h), vt100::Parser::new(nz(h), nz(w), 0))
}

fn nz(n: u16) -> std::num::NonZeroU16 {
    std::num::NonZeroU16::new(n).expect("a size is at least 1")
}

/// Draws `lines`, feeds what was written to the emulated terminal, and checks that it was one
/// write and that the emulated terminal shows the frame.
fn draw_and_compare(
    t: &mut Terminal<Screen<Writes>>,
    vt: &mut vt100::Parser,
    lines: &[Vec<(String, Style)>],
) -> Result<(), TestCaseError> {
    let (writes, want) = drawn(t, lines);
    prop_assert!(writes.len() <= 1, "one write a frame, not {}", writes.len());
    for bytes in writes {
        vt.process(&bytes);
    }
    same_screen(&want, vt).map_err(TestCaseError::fail)
}

/// A ratatui colour as vt100 reads it back.
fn vt_color(c: Color) -> vt100::Color {
    match c {
        Color::Reset => vt100::Color::Default,
        Color::Black => vt100::Color::Idx(0),
        Color::Red => vt100::Color::Idx(1),
        Color::Green => vt100::Color::Idx(2),
        Color::Yellow => vt100::Color::Idx(3),
        Color::Blue => vt100::Color::Idx(4),
        Color::Magenta => vt100::Color::Idx(5),
        Color::Cyan => vt100::Color::Idx(6),
        Color::Gray => vt100::Color::Idx(7),
        Color::DarkGray => vt100::Color::Idx(8),
        Color::LightRed => vt100::Color::Idx(9),
        Color::LightGreen => vt100::Color::Idx(10),
        Color::LightYellow => vt100::Color::Idx(11),
        Color::LightBlue => vt100::Color::Idx(12),
        Color::LightMagenta => vt100::Color::Idx(13),
        Color::LightCyan => vt100::Color::Idx(14),
        Color::White => vt100::Color::Idx(15),
        Color::Indexed(n) => vt100::Color::Idx(n),
        Color::Rgb(r, g, b) => vt100::Color::Rgb(r, g, b),
    }
}

/// Every cell of `want` is what the emulated terminal shows.
fn same_screen(want: &Buffer, vt: &vt100::Parser) -> Result<(), String> {
    let screen = vt.screen();
    for y in 0..want.area.height {
        let mut skip = 0;
        for x in 0..want.area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let c = &want[(x, y)];
            let got = screen
                .cell(y, x)
                .ok_or_else(|| format!("no cell at {x},{y}"))?;
            let sym = c.symbol();
            let w = unicode_width::UnicodeWidthStr::width(sym);
            skip = w.saturating_sub(1);
            let text = if sym == " " { "" } else { sym };
            let shown = got.contents();
            let shown = if shown == " " { "" } else { shown };
            let wrong = |what: &str| format!("{what} at {x},{y}: want {c:?}, shown {got:?}");
            if shown != text {
                return Err(wrong("text"));
            }
            let m = c.modifier;
            if got.bgcolor() != vt_color(c.bg)
                || got.inverse() != m.contains(Modifier::REVERSED)
                || got.underline() != m.contains(Modifier::UNDERLINED)
            {
                return Err(wrong("background"));
            }
            if text.is_empty() && !m.contains(Modifier::REVERSED) {
                // A blank's colour, weight and slant do not show. (A terminal clears the
                // second half of a wide character it writes over in its current pen, which
                // ratatui leaves alone unless that half's background shows.)
                continue;
            }
            if got.fgcolor() != vt_color(c.fg) {
                return Err(wrong("colour"));
            }
            if got.bold() != m.contains(Modifier::BOLD)
                || got.dim() != m.contains(Modifier::DIM)
                || got.italic() != m.contains(Modifier::ITALIC)
                || got.underline() != m.contains(Modifier::UNDERLINED)
                || got.inverse() != m.contains(Modifier::REVERSED)
            {
                return Err(wrong("attributes"));
            }
        }
    }
    Ok(())
}

fn style() -> impl Strategy<Value = Style> {
    let colors = prop_oneof![
        Just(Color::Reset),
        Just(Color::Green),
        Just(Color::LightRed),
        Just(Color::DarkGray),
        Just(Color::White),
        (0u8..=255).prop_map(Color::Indexed),
        (0u8..3, 0u8..3, 0u8..3).prop_map(|(r, g, b)| Color::Rgb(r * 100, g * 100, b * 100)),
    ];
    let mods = prop_oneof![
        Just(Modifier::empty()),
        Just(Modifier::BOLD),
        Just(Modifier::DIM),
        Just(Modifier::ITALIC | Modifier::UNDERLINED),
        Just(Modifier::REVERSED),
        Just(Modifier::BOLD | Modifier::REVERSED),
    ];
    (colors.clone(), colors, mods)
        .prop_map(|(fg, bg, m)| Style::default().fg(fg).bg(bg).add_modifier(m))
}

fn runs() -> impl Strategy<Value = Vec<(String, Style)>> {
    let text = prop::collection::vec(
        prop_oneof![
            Just("a"),
            Just("Z"),
            Just(" "),
            Just("  "),
            Just("7"),
            Just("█"),
            Just("▁"),
            Just("界"),
            Just("é"),
            Just("—"),
        ],
        0..8,
    )
    .prop_map(|v| v.concat());
    prop::collection::vec((text, style()), 0..5)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// Whatever the frames, what a terminal shows after each is exactly the frame.
    #[test]
    fn a_terminal_shows_every_frame_exactly(
        w in 1u16..30,
        h in 1u16..8,
        frames in prop::collection::vec((prop::collection::vec(runs(), 0..8), any::<bool>()), 1..6),
    ) {
        let (mut t, mut vt) = emulated(w, h);
        let (mut w, mut h) = (w, h);
        for (lines, resize) in frames {
            if resize {
                // As a terminal resizes: a new size, then the frame drawn into it.
                w = w % 29 + 1;
                h = h % 7 + 1;
                t.backend_mut().resize(w, h);
                vt.screen_mut().set_size(nz(h), nz(w));
            }
            draw_and_compare(&mut t, &mut vt, &lines)?;
        }
    }

    /// The same, through ratatui's diff (`Terminal::draw`), which the backend also takes.
    #[test]
    fn a_terminal_shows_every_frame_drawn_through_ratatui_exactly(
        w in 1u16..30,
        h in 1u16..8,
        frames in prop::collection::vec(prop::collection::vec(runs(), 0..8), 1..6),
    ) {
        RATATUI_DIFF.set(true);
        let (mut t, mut vt) = emulated(w, h);
        let shown = frames.iter().try_for_each(|lines| draw_and_compare(&mut t, &mut vt, lines));
        RATATUI_DIFF.set(false);
        shown?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    /// A row that moves left a column a frame (a sparkline taking samples), beside rows that
    /// change any way: the terminal still shows every frame exactly.
    #[test]
    fn a_stretch_that_moves_left_is_shown_exactly(
        w in 8u16..40,
        h in 1u16..5,
        tape in prop::collection::vec(prop_oneof![Just("▁"), Just("▅"), Just("█"), Just("a"), Just(" ")], 40..80),
        from in 0u16..6,
        tail in prop::collection::vec(runs(), 1..4),
        other in prop::collection::vec(prop::collection::vec(runs(), 0..4), 1..5),
    ) {
        let (mut t, mut vt) = emulated(w, h);
        let len = usize::from(w / 2);
        for step in 0..tape.len() - len {
            let mut row = vec![(" ".repeat(usize::from(from)), Style::default())];
            row.push((tape[step..step + len].concat(), Style::default().fg(Color::Green)));
            row.extend(tail[step % tail.len()].iter().cloned());
            let mut lines = vec![row];
            lines.extend(other[step % other.len()].iter().cloned());
            draw_and_compare(&mut t, &mut vt, &lines)
                .map_err(|e| TestCaseError::fail(format!("step {step}: {e}")))?;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    /// A list that scrolls up or down by a few rows a frame and a panel above it that grows
    /// and shrinks (so the list also moves down and up the screen), under a header and over a
    /// footer that change any way: the terminal still shows every frame exactly.
    #[test]
    fn rows_that_move_up_or_down_are_shown_exactly(
        w in 4u16..30,
        h in 6u16..16,
        tape in prop::collection::vec(runs(), 12..40),
        steps in prop::collection::vec((-3isize..=3, 0usize..4, 0usize..3), 1..10),
        header in prop::collection::vec(runs(), 1..4),
    ) {
        let (mut t, mut vt) = emulated(w, h);
        let mut at = 0usize;
        for (i, &(by, panel, footer)) in steps.iter().enumerate() {
            at = at.saturating_add_signed(by).min(tape.len() - 1);
            let mut lines = vec![header[i % header.len()].clone()];
            lines.extend((0..panel).map(|n| vec![(format!("panel {n}"), Style::default().bg(Color::Blue))]));
            lines.extend(tape[at..].iter().take(usize::from(h) - 2 - panel).cloned());
            lines.resize(usize::from(h) - 1, Vec::new());
            lines.push(vec![(format!("footer {footer}"), Style::default())]);
            draw_and_compare(&mut t, &mut vt, &lines)
                .map_err(|e| TestCaseError::fail(format!("step {i}: {e}")))?;
        }
    }
}

#[test]
fn a_list_taking_an_entry_moves_on_the_terminal_not_on_the_wire() {
    let mut t = term(40, 12);
    let entry = |n: usize| {
        vec![
            (
                format!("T+00:{n:02} "),
                Style::default().fg(Color::DarkGray),
            ),
            (format!("note number {n} from the room"), Style::default()),
        ]
    };
    let list = |from: usize| -> Vec<Vec<(String, Style)>> {
        let mut lines = vec![vec![("header".to_string(), Style::default())]];
        lines.extend((from..from + 10).map(entry));
        lines.push(vec![("footer".to_string(), Style::default())]);
        lines
    };
    frame(&mut t, &list(0));
    let next = frame(&mut t, &list(1));
    let s = String::from_utf8_lossy(&next[0]).into_owned();
    // Rows 2 to 11 scroll up a line in a region, and the one new entry is written.
    assert!(
        s.contains("\x1b[2;11r") && s.contains("\x1b[M") && s.contains("\x1b[r"),
        "{s:?}"
    );
    assert!(
        s.contains("note number 10") && !s.contains("note number 9"),
        "{s:?}"
    );
    assert!(next[0].len() <= 80, "{} bytes: {s:?}", next[0].len());
    // And down again: the entry that left comes back at the top.
    let back = frame(&mut t, &list(0));
    let s = String::from_utf8_lossy(&back[0]).into_owned();
    assert!(
        s.contains("\x1b[L") && s.contains("note number 0") && !s.contains("number 5"),
        "{s:?}"
    );
}

#[test]
fn rows_that_alternate_two_colours_are_written_a_colour_at_a_time() {
    let mut t = term(30, 6);
    let green = Style::default()
        .fg(Color::Green)
        .add_modifier(Modifier::BOLD);
    let grey = Style::default().fg(Color::DarkGray);
    let gauges = |v: u32| -> Vec<Vec<(String, Style)>> {
        (0..6)
            .map(|n| {
                vec![
                    (format!("{}.{}%", n + 1, v + n), green),
                    (format!(" +0.{v}"), grey),
                ]
            })
            .collect()
    };
    frame(&mut t, &gauges(1));
    let next = frame(&mut t, &gauges(2));
    let s = String::from_utf8_lossy(&next[0]).into_owned();
    // Row by row would switch colours twelve times; a colour at a time, twice.
    assert_eq!(s.matches('m').count(), 2, "{s:?}");
}

#[test]
fn a_cell_to_update_always_is_written_at_every_frame_as_ratatui_would() {
    use ratatui::buffer::CellDiffOption;
    let mut t = term(8, 3);
    let draw = |f: &mut ratatui::Frame| {
        f.buffer_mut()[(3, 1)]
            .set_symbol("x")
            .set_diff_option(CellDiffOption::AlwaysUpdate);
    };
    synchronized_draw(&mut t, &draw).expect("drawing off screen");
    t.backend_mut().writer_mut().0.clear();
    synchronized_draw(&mut t, &draw).expect("drawing off screen");
    let again = std::mem::take(&mut t.backend_mut().writer_mut().0);
    assert_eq!(again, vec![b"\x1b[2;4Hx".to_vec()]);
}

#[test]
fn a_screen_of_no_size_writes_nothing_after_its_first_frame() {
    let mut t = term(0, 0);
    synchronized_draw(&mut t, &|_| {}).expect("drawing off screen");
    // The first frame hides the cursor; then there is nothing to say.
    t.backend_mut().writer_mut().0.clear();
    synchronized_draw(&mut t, &|_| {}).expect("drawing off screen");
    assert_eq!(t.backend_mut().writer_mut().0, Vec::<Vec<u8>>::new());
}

#[test]
fn a_sparkline_taking_a_sample_moves_on_the_terminal_not_on_the_wire() {
    let mut t = term(40, 1);
    let spark = "▁▂▃▄▅▆▇█▁▂▃▄▅▆▇█▁▂▃▄";
    let line = |s: &str| {
        vec![
            ("p99 ".to_string(), Style::default()),
            (s.to_string(), Style::default().fg(Color::Green)),
            (" age 0s │".to_string(), Style::default()),
        ]
    };
    frame(&mut t, &[line(&spark.chars().take(16).collect::<String>())]);
    let next = frame(
        &mut t,
        &[line(&spark.chars().skip(1).take(16).collect::<String>())],
    );
    let s = String::from_utf8_lossy(&next[0]).into_owned();
    // Sixteen three-byte glyphs would be 48 bytes: a delete, an insert and one glyph.
    assert!(s.contains("\x1b[P") && s.contains("\x1b[@"), "{s:?}");
    assert!(next[0].len() <= 24, "{} bytes: {s:?}", next[0].len());
}
