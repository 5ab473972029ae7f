//! The keyboard (keys and resizes) and process signals, read into the input channel; and
//! terminal key events mapped to the key table's keys.

use crossterm::event::{Event as TermEvent, EventStream};
use futures_util::StreamExt;
use tokio::sync::mpsc::Sender;

use crate::core::input::Input;
use crate::core::intent::Key;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// Forwards key presses and resizes until the terminal's input ends.
pub async fn keys(tx: Sender<Input>) {
    let mut events = EventStream::new();
    while let Some(ev) = events.next().await {
        let msg = match ev {
            Ok(TermEvent::Key(k)) => match key(k) {
                Some(key) => Input::Key(key),
                None => continue,
            },
            Ok(TermEvent::Resize(..)) => Input::Resized,
            Ok(_) => continue,
            Err(_) => Input::Quit,
        };
        if tx.send(msg).await.is_err() {
            return;
        }
    }
    let _ = tx.send(Input::Quit).await;
}

/// Turns SIGTERM, SIGHUP (the SSH session ended) and SIGINT (from `kill`: in raw mode Ctrl-C
/// is a key) into a clean quit: the terminal is restored on the way out, and the audit log
/// and the recording, written through at every step, are closed.
pub async fn signals(tx: Sender<Input>) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut hup), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
        signal(SignalKind::interrupt()),
    ) else {
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = hup.recv() => {}
        _ = int.recv() => {}
    }
    let _ = tx.send(Input::Quit).await;
}

/// Asks to quit as soon as whoever reads standard output goes away (`warroom connect | head
/// -2` returns at once, not at the next change). A thread blocked in `poll(2)` on stdout
/// with no events asked for: it wakes only for an error or a hang-up, so it costs nothing
/// while the reader is there (on a terminal or a file it never wakes).
pub fn watch_reader(tx: Sender<Input>) {
    let spawned = std::thread::Builder::new()
        .name("stdout-reader".into())
        .spawn(move || {
            use rustix::event::{poll, PollFd, PollFlags};
            let out = std::io::stdout();
            loop {
                let mut fds = [PollFd::new(&out, PollFlags::empty())];
                match poll(&mut fds, None) {
                    Ok(_)
                        if fds[0]
                            .revents()
                            .intersects(PollFlags::ERR | PollFlags::HUP | PollFlags::NVAL) =>
                    {
                        tx.blocking_send(Input::Quit).ok();
                        return;
                    }
                    Ok(_) | Err(rustix::io::Errno::INTR) => {}
                    Err(_) => return,
                }
            }
        });
    // Without the watcher a closed pipe is still noticed at the next write.
    drop(spawned);
}

/// The key, if the table can know it (releases and unknown keys give `None`).
#[must_use]
pub fn key(ev: KeyEvent) -> Option<Key> {
    if ev.kind == KeyEventKind::Release {
        return None;
    }
    let shift = ev.modifiers.contains(KeyModifiers::SHIFT);
    let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
    Some(match ev.code {
        KeyCode::Char('c') if ctrl => Key::CtrlC,
        KeyCode::Char('s') if ctrl => Key::CtrlS,
        KeyCode::Char(_) if ctrl => return None,
        KeyCode::Char(c) => Key::Char(c),
        KeyCode::Left if shift => Key::ShiftLeft,
        KeyCode::Right if shift => Key::ShiftRight,
        KeyCode::Left => Key::Left,
        KeyCode::Right => Key::Right,
        KeyCode::Up => Key::Up,
        KeyCode::Down => Key::Down,
        KeyCode::PageUp => Key::PageUp,
        KeyCode::PageDown => Key::PageDown,
        KeyCode::Home => Key::Home,
        KeyCode::End => Key::End,
        KeyCode::Tab if shift => Key::BackTab,
        KeyCode::Tab => Key::Tab,
        KeyCode::BackTab => Key::BackTab,
        KeyCode::Esc => Key::Esc,
        KeyCode::Enter => Key::Enter,
        KeyCode::Backspace => Key::Backspace,
        _ => return None,
    })
}
