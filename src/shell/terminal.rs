//! The terminal: raw mode and the alternate screen, restored on every way out (drop, panic,
//! signal), and each frame one synchronized update in one write (see [`Screen`]).

use std::io::{self, Write};

use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use crossterm::{cursor, execute};
use ratatui::Terminal;

use super::screen::{Screen, Tty};

/// Owns the terminal while the console runs; puts it back when dropped.
pub struct Guard {
    pub terminal: Terminal<Screen<Tty>>,
}

impl Guard {
    /// Switches to raw mode and the alternate screen, and arranges for a panic on any thread
    /// to restore the terminal, print the report, and end the process (status 101): a
    /// console that panicked anywhere is in a state no one can trust, and drawing on would
    /// scribble over the restored screen. The audit log is synced and the recording flushed
    /// at every step, so nothing written is lost.
    ///
    /// # Errors
    /// The terminal refused raw mode.
    pub fn enter() -> io::Result<Guard> {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
            std::process::exit(101);
        }));
        enable_raw_mode()?;
        let mut out = io::stdout();
        if let Err(e) = execute!(out, EnterAlternateScreen, cursor::Hide) {
            restore();
            return Err(e);
        }
        let terminal = Terminal::new(Screen::new(Tty)).inspect_err(|_| restore())?;
        Ok(Guard { terminal })
    }
}

/// Best-effort restore; errors are ignored because there is nothing left to tell them to.
pub fn restore() {
    let _ = disable_raw_mode();
    let mut out = io::stdout();
    // A frame cut short could leave a scrolling region set (see `Screen::present`): the
    // whole screen scrolls again.
    let _ = out.write_all(b"\x1b[r");
    let _ = execute!(
        out,
        crossterm::style::SetAttribute(crossterm::style::Attribute::Reset),
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = out.flush();
}

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

/// Draws one frame as one synchronized update, so terminals that support it show the whole
/// frame at once, and slow links carry one burst per frame: one `write()`, and none for a
/// frame that changed nothing.
///
/// # Errors
/// Writing to the terminal failed.
pub fn synchronized_draw<W: Write>(
    term: &mut Terminal<Screen<W>>,
    draw: &dyn Fn(&mut ratatui::Frame),
) -> std::io::Result<()> {
    term.backend_mut().begin_frame();
    let drawn = present(term, draw);
    let written = term.backend_mut().end_frame();
    drawn.and(written)
}

/// What ratatui's `Terminal::draw` does, with the diff left to the screen, which compares the
/// frame with what the terminal shows a row at a time (ratatui's diff compares every cell and
/// measures every cell's width): resize to the terminal, render, draw, cursor hidden, buffers
/// swapped (the one rendered into next is reset).
fn present<W: Write>(
    term: &mut Terminal<Screen<W>>,
    draw: &dyn Fn(&mut ratatui::Frame),
) -> io::Result<()> {
    term.autoresize()?;
    draw(&mut term.get_frame());
    let frame = std::mem::take(term.current_buffer_mut());
    term.backend_mut().present(&frame);
    *term.current_buffer_mut() = frame;
    term.hide_cursor()?;
    term.swap_buffers();
    Ok(())
}
