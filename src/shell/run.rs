//! The event loop: every source feeds one bounded channel; the loop receives, applies each
//! input to the console ([`App::apply`]), executes the effects ([`Sinks::execute`]; what
//! failed comes back as inputs), and draws at most once per frame budget, and only when
//! something changed. A change that is only the clocks moving waits for the clock's budget
//! instead, so a fast replay redraws its clock a few times a second, not thirty. With
//! nothing arriving it sleeps: no timers, no redraws.

use std::time::{Duration, Instant};

use ratatui::backend::Backend;
use ratatui::layout::Rect;
use ratatui::Terminal;
use tokio::sync::mpsc;

use crate::core::app::App;
use crate::core::input::Input;
use crate::view;
use crate::view::look::Look;

use super::sinks::Sinks;

/// Shortest time between two frames.
pub const FRAME_BUDGET: Duration = Duration::from_millis(16);
/// Shortest time between two frames when only the clocks moved: the clocks show seconds, so
/// at real time they move once a second and every move is drawn; a replay playing faster
/// than three seconds a second shows its clocks three times a second, which is as fast as
/// anyone reads a changing number.
pub const CLOCK_BUDGET: Duration = Duration::from_millis(333);
/// Capacity of the input channel.
pub const CHANNEL: usize = 256;

/// What the loop did, for tests and the exit path.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub frames: u64,
    pub inputs: u64,
}

/// Whether the screen needs drawing, and how soon.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Redraw {
    /// Something other than time changed: draw within [`FRAME_BUDGET`].
    pub dirty: bool,
    /// The clocks moved: draw within [`CLOCK_BUDGET`].
    pub ticked: bool,
}

impl std::ops::BitOrAssign for Redraw {
    fn bitor_assign(&mut self, other: Redraw) {
        self.dirty |= other.dirty;
        self.ticked |= other.ticked;
    }
}

impl Redraw {
    /// The shortest time after the last frame that the next one may be drawn, if any is due.
    #[must_use]
    pub fn budget(self) -> Option<Duration> {
        if self.dirty {
            Some(FRAME_BUDGET)
        } else if self.ticked {
            Some(CLOCK_BUDGET)
        } else {
            None
        }
    }
}

/// Applies one input and executes its effects, then whatever the sinks reported back.
/// Returns what the screen needs and whether to quit.
pub fn step(app: &mut App, sinks: &mut Sinks, input: Input) -> (Redraw, bool) {
    let (mut redraw, mut quit) = (Redraw::default(), false);
    let mut queue = vec![input];
    while let Some(input) = queue.pop() {
        let fx = app.apply(input);
        redraw |= Redraw {
            dirty: fx.dirty,
            ticked: fx.ticked,
        };
        quit |= fx.quit;
        queue.extend(sinks.execute(fx, app.state.plan.spec.t0));
    }
    (redraw, quit)
}

/// Runs the console on a screen until quit. `wrap_draw` lets a caller wrap each frame
/// (synchronized update markers and one write on a real terminal).
///
/// # Errors
/// Drawing failed (the terminal went away).
pub async fn run<B: Backend<Error: Send + Sync + 'static>>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    look: &mut Look,
    rx: &mut mpsc::Receiver<Input>,
    sinks: &mut Sinks,
    mut wrap_draw: impl FnMut(&mut Terminal<B>, &dyn Fn(&mut ratatui::Frame)) -> std::io::Result<()>,
) -> std::io::Result<Stats> {
    let mut stats = Stats::default();
    let mut redraw = Redraw {
        dirty: true,
        ticked: false,
    };
    let mut last_draw: Option<Instant> = None;
    app.ui.themes = crate::view::theme::BUILTIN
        .iter()
        .map(|(n, _)| (*n).to_string())
        .collect();
    let mut handle =
        |m: Input, app: &mut App, look: &mut Look, redraw: &mut Redraw, stats: &mut Stats| {
            stats.inputs += 1;
            let (r, q) = step(app, sinks, m);
            *redraw |= r;
            if let Some(name) = app.ui.theme_request.take() {
                switch_theme(app, look, &name);
                redraw.dirty = true;
            }
            q
        };
    loop {
        if let Some(budget) = redraw.budget() {
            let due = last_draw.map_or(Instant::now(), |t| t + budget);
            if Instant::now() >= due {
                let size = terminal.size().map_err(std::io::Error::other)?;
                // The page the timeline scrolls by is whatever fits on this screen now.
                let rows =
                    view::layout::timeline_rows(Rect::new(0, 0, size.width, size.height), app);
                if rows != app.ui.page {
                    app.apply(Input::Layout {
                        timeline_rows: rows,
                    });
                }
                wrap_draw(terminal, &|f| view::render(f, app, look))?;
                stats.frames += 1;
                last_draw = Some(Instant::now());
                redraw = Redraw::default();
                continue;
            }
            // Something changed but the last frame was too recent: wait for the budget or
            // for more input, whichever comes first.
            tokio::select! {
                () = tokio::time::sleep_until(due.into()) => continue,
                msg = rx.recv() => match msg {
                    Some(m) => if handle(m, app, look, &mut redraw, &mut stats) { return Ok(stats) },
                    None => return Ok(stats),
                },
            }
        } else {
            match rx.recv().await {
                Some(m) => {
                    if handle(m, app, look, &mut redraw, &mut stats) {
                        return Ok(stats);
                    }
                }
                None => return Ok(stats),
            }
        }
        // Drain whatever else is already queued before drawing.
        while let Ok(m) = rx.try_recv() {
            if handle(m, app, look, &mut redraw, &mut stats) {
                return Ok(stats);
            }
        }
    }
}

/// `:theme NAME`: a built-in theme or a theme file, with `NO_COLOR` still honoured; what
/// went wrong goes to the footer and the old theme stays.
fn switch_theme(app: &mut App, look: &mut Look, name: &str) {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    match crate::view::theme::Theme::load(name) {
        Ok(theme) => {
            look.theme = if no_color {
                theme.without_color()
            } else {
                theme
            };
            app.ui.notice = Some(format!(
                "theme {}{}",
                crate::core::sanitize::sanitize(name),
                if no_color {
                    " (NO_COLOR: without colour)"
                } else {
                    ""
                }
            ));
        }
        Err(e) => {
            app.ui.notice =
                Some(crate::core::sanitize::sanitize(&format!("theme not changed: {e}")).into());
        }
    }
}

/// Runs the console without a screen until quit or until every source has gone: the same
/// loop, with the changes going to the output sink.
pub async fn headless(app: &mut App, rx: &mut mpsc::Receiver<Input>, sinks: &mut Sinks) -> Stats {
    let mut stats = Stats::default();
    while let Some(m) = rx.recv().await {
        stats.inputs += 1;
        if step(app, sinks, m).1 {
            break;
        }
    }
    stats
}
