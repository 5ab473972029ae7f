//! The event loop: every source feeds one bounded channel; the loop drains it, applies what
//! came to the console, and draws at most once per frame budget, and only when something
//! changed. With nothing arriving it sleeps: no timers, no redraws.

use std::time::{Duration, Instant};

use ratatui::backend::Backend;
use ratatui::Terminal;
use tokio::sync::mpsc;

use crate::core::console::{Console, Mode, ReplayCtl};
use crate::core::intent::Key;
use crate::core::state::Event;
use crate::view::{self, Look};

use super::replay::Feed;

/// Shortest time between two frames.
pub const FRAME_BUDGET: Duration = Duration::from_millis(16);
/// Capacity of the input channel.
pub const CHANNEL: usize = 256;

/// Everything that reaches the loop.
pub enum Input {
    Key(Key),
    Resize,
    Replay(Feed),
    /// SIGTERM, SIGHUP, or the input stream ended.
    Quit,
}

/// What the loop did, for tests and the exit path.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub frames: u64,
    pub inputs: u64,
}

/// Runs the console until quit. `before_draw` lets a caller wrap each frame (synchronized
/// update markers on a real terminal).
///
/// # Errors
/// Drawing failed (the terminal went away).
pub async fn run<B: Backend>(
    terminal: &mut Terminal<B>,
    console: &mut Console,
    look: &Look,
    rx: &mut mpsc::Receiver<Input>,
    replay: Option<std::sync::mpsc::Sender<ReplayCtl>>,
    mut wrap_draw: impl FnMut(&mut Terminal<B>, &dyn Fn(&mut ratatui::Frame)) -> std::io::Result<()>,
) -> std::io::Result<Stats> {
    let mut stats = Stats::default();
    let mut dirty = true;
    let mut last_draw: Option<Instant> = None;
    loop {
        if dirty {
            let due = last_draw.map_or(Instant::now(), |t| t + FRAME_BUDGET);
            if Instant::now() >= due {
                let size = terminal.size()?;
                console.page = view::timeline_rows(
                    ratatui::layout::Rect::new(0, 0, size.width, size.height),
                    console,
                );
                wrap_draw(terminal, &|f| view::render(f, console, look))?;
                stats.frames += 1;
                last_draw = Some(Instant::now());
                dirty = false;
                continue;
            }
            // Something changed but the last frame was very recent: wait for the budget or
            // for more input, whichever comes first.
            tokio::select! {
                () = tokio::time::sleep_until(due.into()) => continue,
                msg = rx.recv() => match msg {
                    Some(m) => if handle(m, console, replay.as_ref(), &mut dirty, &mut stats) { return Ok(stats) },
                    None => return Ok(stats),
                },
            }
        } else {
            match rx.recv().await {
                Some(m) => {
                    if handle(m, console, replay.as_ref(), &mut dirty, &mut stats) {
                        return Ok(stats);
                    }
                }
                None => return Ok(stats),
            }
        }
        // Drain whatever else is already queued before drawing.
        while let Ok(m) = rx.try_recv() {
            if handle(m, console, replay.as_ref(), &mut dirty, &mut stats) {
                return Ok(stats);
            }
        }
    }
}

/// Applies one input; true when the console should quit.
fn handle(
    msg: Input,
    console: &mut Console,
    replay: Option<&std::sync::mpsc::Sender<ReplayCtl>>,
    dirty: &mut bool,
    stats: &mut Stats,
) -> bool {
    stats.inputs += 1;
    match msg {
        Input::Key(k) => {
            let r = console.key(k);
            *dirty |= r.dirty;
            if let (Some(ctl), Some(tx)) = (r.replay, replay) {
                let _ = tx.send(ctl);
            }
            r.quit
        }
        Input::Resize => {
            *dirty = true;
            false
        }
        Input::Quit => true,
        Input::Replay(feed) => {
            match feed {
                Feed::Batch {
                    records,
                    clock,
                    info,
                } => {
                    for r in records {
                        *dirty |= console.state.apply(Event::Record(r)).dirty;
                    }
                    *dirty |= console.state.apply(Event::Clock(clock)).dirty;
                    *dirty |= set_info(console, info);
                }
                Feed::Restore {
                    state,
                    records,
                    clock,
                    info,
                } => {
                    console.state = *state;
                    for r in records {
                        console.state.apply(Event::Record(r));
                    }
                    console.state.apply(Event::Clock(clock));
                    set_info(console, info);
                    *dirty = true;
                }
                Feed::Info(info) => *dirty |= set_info(console, info),
                Feed::Failed(e) => {
                    console.notice = Some(format!(
                        "replay stopped: {}",
                        crate::core::text::sanitize(&e)
                    ));
                    *dirty = true;
                }
            }
            false
        }
    }
}

fn set_info(console: &mut Console, info: crate::core::console::ReplayInfo) -> bool {
    let new = Mode::Replay(info);
    if console.mode == new {
        return false;
    }
    console.mode = new;
    true
}
