//! `warroom snapshot`: the screen of a fixture at a chosen moment, drawn by the same view
//! into an off-screen buffer and written as text, SVG or PNG (through resvg).

use std::fmt::Write as _;
use std::path::Path;

use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use ratatui::Terminal;

use crate::core::app::App;
use crate::core::input::{Input, ReplayMsg};

use crate::core::playback::Speed;
use crate::core::playback::{Mode, ReplayInfo};
use crate::core::state::State;
use crate::core::time::Offset;
use crate::view;
use crate::view::look::Look;

use super::fixtures::Source;

/// A console for a still picture of a fixture: every line read and checked, the records up
/// to `at` (all of them when `None`) applied through the console's reducer, the clock at `at`,
/// and playback paused there.
///
/// # Errors
/// The first malformed record anywhere in the file.
pub fn still_at(mut src: Source, at: Option<Offset>) -> color_eyre::Result<App> {
    let mut app = App::new(
        super::fixtures::initial_state(&src),
        Mode::Replay(ReplayInfo {
            speed: Speed::Times(60.0),
            playing: false,
            start: Offset::ZERO,
            end: Offset::ZERO,
        }),
    );
    let span = super::fixtures::fold(&mut src, &mut app, at, |_, _| true, |_| {})?;
    let (first, last) = span.unwrap_or((Offset::ZERO, Offset::ZERO));
    if let Some(a) = at {
        app.apply(Input::Replay(ReplayMsg::Batch {
            records: Vec::new(),
            clock: a,
            info: ReplayInfo {
                speed: Speed::Times(60.0),
                playing: false,
                start: Offset::ZERO,
                end: Offset::ZERO,
            },
        }));
    }
    Ok(still(app.state, first.min(Offset::ZERO), last))
}

/// A console for a still picture of replay: paused at the state's moment.
#[must_use]
pub fn still(state: State, start: Offset, end: Offset) -> App {
    App::new(
        state,
        Mode::Replay(ReplayInfo {
            speed: Speed::Times(60.0),
            playing: false,
            start,
            end,
        }),
    )
}

/// Draws a console into a buffer of the given size.
///
/// # Errors
/// Only if the off-screen backend fails, which it does not in practice.
pub fn draw(app: &App, look: &Look, cols: u16, rows: u16) -> color_eyre::Result<Buffer> {
    let mut term = Terminal::new(TestBackend::new(cols, rows))?;
    term.draw(|f| view::render(f, app, look))?;
    Ok(term.backend().buffer().clone())
}

/// The buffer's text, one line per row, trailing spaces trimmed.
#[must_use]
pub fn to_text(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        for x in 0..buf.area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

const CELL_W: f32 = 8.43;
const CELL_H: f32 = 17.0;
const FONT: f32 = 14.0;

fn hex(c: Color, default: &str) -> String {
    let named = |s: &str| s.to_string();
    match c {
        Color::Reset => default.to_string(),
        Color::Black => named("#1c1c1c"),
        Color::Red => named("#cd3131"),
        Color::Green => named("#0dbc79"),
        Color::Yellow => named("#e5e510"),
        Color::Blue => named("#2472c8"),
        Color::Magenta => named("#bc3fbc"),
        Color::Cyan => named("#11a8cd"),
        Color::Gray => named("#b4b4b4"),
        Color::DarkGray => named("#767676"),
        Color::LightRed => named("#f14c4c"),
        Color::LightGreen => named("#23d18b"),
        Color::LightYellow => named("#f5f543"),
        Color::LightBlue => named("#3b8eea"),
        Color::LightMagenta => named("#d670d6"),
        Color::LightCyan => named("#29b8db"),
        Color::White => named("#e5e5e5"),
        Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(i) => {
            let v = u32::from(i);
            if v >= 232 {
                let l = 8 + (v - 232) * 10;
                format!("#{l:02x}{l:02x}{l:02x}")
            } else if v >= 16 {
                let (r, g, b) = ((v - 16) / 36, (v - 16) / 6 % 6, (v - 16) % 6);
                let s = |x: u32| if x == 0 { 0 } else { 55 + x * 40 };
                format!("#{:02x}{:02x}{:02x}", s(r), s(g), s(b))
            } else {
                default.to_string()
            }
        }
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The buffer as an SVG picture of a terminal (`DejaVu` Sans Mono, one text run per cell).
#[must_use]
pub fn to_svg(buf: &Buffer, light: bool) -> String {
    let (bg0, fg0) = if light {
        ("#fafafa", "#1c1c1c")
    } else {
        ("#161616", "#d0d0d0")
    };
    let (w, h) = (
        f32::from(buf.area.width) * CELL_W + 16.0,
        f32::from(buf.area.height) * CELL_H + 16.0,
    );
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.0} {h:.0}"><rect width="100%" height="100%" fill="{bg0}"/><g transform="translate(8 8)" font-family="DejaVu Sans Mono" font-size="{FONT}">"#
    );
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            let cell = &buf[(x, y)];
            let rev = cell.modifier.contains(Modifier::REVERSED);
            let (mut fg, mut bg) = (hex(cell.fg, fg0), hex(cell.bg, bg0));
            if rev {
                std::mem::swap(&mut fg, &mut bg);
            }
            let (px, py) = (f32::from(x) * CELL_W, f32::from(y) * CELL_H);
            if bg != bg0 {
                let _ = write!(
                    s,
                    r#"<rect x="{px:.2}" y="{py:.2}" width="{:.2}" height="{CELL_H}" fill="{bg}"/>"#,
                    CELL_W + 0.3
                );
            }
            let sym = cell.symbol();
            if sym.trim().is_empty() {
                continue;
            }
            let mut attrs = format!(r#" fill="{fg}""#);
            if cell.modifier.contains(Modifier::BOLD) {
                attrs.push_str(r#" font-weight="bold""#);
            }
            if cell.modifier.contains(Modifier::DIM) {
                attrs.push_str(r#" opacity="0.6""#);
            }
            if cell.modifier.contains(Modifier::UNDERLINED) {
                attrs.push_str(r#" text-decoration="underline""#);
            }
            let _ = write!(
                s,
                r#"<text x="{px:.2}" y="{:.2}"{attrs}>{}</text>"#,
                py + CELL_H * 0.78,
                esc(sym)
            );
        }
    }
    s.push_str("</g></svg>");
    s
}

/// Rasterises the SVG with resvg, using the system's fonts.
///
/// # Errors
/// The SVG could not be parsed or the PNG not written.
pub fn write_png(svg: &str, path: &Path) -> color_eyre::Result<()> {
    let mut opt = resvg::usvg::Options::default();
    opt.fontdb_mut().load_system_fonts();
    let tree = resvg::usvg::Tree::from_str(svg, &opt)?;
    let size = tree.size().to_int_size();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or_else(|| color_eyre::eyre::eyre!("empty picture"))?;
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    pixmap.save_png(path)?;
    Ok(())
}
