//! Sources that feed the input channel: the keyboard (and resizes) and process signals; and
//! the synchronized-update wrapper used around each frame on a real terminal.

use std::io::Write;

use crossterm::event::{Event as TermEvent, EventStream};
use futures_util::StreamExt;
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use tokio::sync::mpsc::Sender;

use super::app::Input;

/// Forwards key presses and resizes until the terminal's input ends.
pub async fn keys(tx: Sender<Input>) {
    let mut events = EventStream::new();
    while let Some(ev) = events.next().await {
        let msg = match ev {
            Ok(TermEvent::Key(k)) => match super::input::key(k) {
                Some(key) => Input::Key(key),
                None => continue,
            },
            Ok(TermEvent::Resize(..)) => Input::Resize,
            Ok(_) => continue,
            Err(_) => Input::Quit,
        };
        if tx.send(msg).await.is_err() {
            return;
        }
    }
    let _ = tx.send(Input::Quit).await;
}

/// Turns SIGTERM and SIGHUP into a clean quit (the terminal is restored on the way out).
pub async fn signals(tx: Sender<Input>) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = hup.recv() => {}
    }
    let _ = tx.send(Input::Quit).await;
}

/// Draws one frame inside a synchronized update, so terminals that support it show the whole
/// frame at once (and slow links carry one burst per frame).
///
/// # Errors
/// Writing to the terminal failed.
pub fn synchronized_draw<W: Write>(
    term: &mut Terminal<CrosstermBackend<W>>,
    draw: &dyn Fn(&mut ratatui::Frame),
) -> std::io::Result<()> {
    crossterm::queue!(
        term.backend_mut(),
        crossterm::terminal::BeginSynchronizedUpdate
    )?;
    term.draw(|f| draw(f))?;
    crossterm::execute!(
        term.backend_mut(),
        crossterm::terminal::EndSynchronizedUpdate
    )?;
    Ok(())
}
