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
use crate::view;
use crate::view::look::Look;

use super::replay::Feed;

/// Shortest time between two frames.
pub const FRAME_BUDGET: Duration = Duration::from_millis(16);
/// Capacity of the input channel.
pub const CHANNEL: usize = 256;

/// Where intents go besides the console: the replay engine, or the live connection with its
/// audit log and recording.
#[derive(Default)]
pub struct Links {
    pub replay: Option<std::sync::mpsc::Sender<ReplayCtl>>,
    pub live: Option<LiveLink>,
}

pub struct LiveLink {
    pub commands: mpsc::Sender<crate::core::command::Command>,
    pub audit: Option<super::sinks::Audit>,
    pub recorder: Option<super::sinks::Recorder>,
    /// The control plane's address (for the audit log).
    pub url: String,
    /// With `--config`: the SLOs come from Prometheus, so the plan is overlaid with the
    /// configuration's and the control plane's own metric records are left out.
    pub config: Option<std::sync::Arc<crate::config::Config>>,
}

/// Everything that reaches the loop.
pub enum Input {
    /// From the live connection.
    Live(super::ws_client::Feed),
    /// From Prometheus and Alertmanager.
    Sources(super::metrics_poll::Feed),
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
    links: &mut Links,
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
                console.page = view::layout::timeline_rows(
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
                    Some(m) => if handle(m, console, links, &mut dirty, &mut stats) { return Ok(stats) },
                    None => return Ok(stats),
                },
            }
        } else {
            match rx.recv().await {
                Some(m) => {
                    if handle(m, console, links, &mut dirty, &mut stats) {
                        return Ok(stats);
                    }
                }
                None => return Ok(stats),
            }
        }
        // Drain whatever else is already queued before drawing.
        while let Ok(m) = rx.try_recv() {
            if handle(m, console, links, &mut dirty, &mut stats) {
                return Ok(stats);
            }
        }
    }
}

/// Applies one input outside the loop (headless consoles); true when it asks to quit.
pub fn apply_input(msg: Input, console: &mut Console, links: &mut Links) -> bool {
    let (mut dirty, mut stats) = (false, Stats::default());
    handle(msg, console, links, &mut dirty, &mut stats)
}

/// Applies one input; true when the console should quit.
fn handle(
    msg: Input,
    console: &mut Console,
    links: &mut Links,
    dirty: &mut bool,
    stats: &mut Stats,
) -> bool {
    stats.inputs += 1;
    match msg {
        Input::Key(k) => {
            let r = console.key(k);
            *dirty |= r.dirty;
            if let (Some(ctl), Some(tx)) = (r.replay, links.replay.as_ref()) {
                let _ = tx.send(ctl);
            }
            if let (Some(cmd), Some(live)) = (r.command, links.live.as_mut()) {
                dispatch(cmd, console, live);
            }
            r.quit
        }
        Input::Sources(feed) => {
            let fires = console.state.trigger_fires;
            *dirty |= sources_feed(feed, &mut console.state);
            if let Some(live) = links.live.as_mut() {
                if let Some(cmd) = console.auto_pause_after(fires) {
                    dispatch(cmd, console, live);
                    *dirty = true;
                }
            }
            false
        }
        Input::Resize => {
            *dirty = true;
            false
        }
        Input::Quit => true,
        Input::Live(feed) => {
            live_feed(feed, console, links.live.as_mut(), dirty);
            false
        }
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
                        crate::core::sanitize::sanitize(&e)
                    ));
                    *dirty = true;
                }
            }
            false
        }
    }
}

/// Logs a command to the audit log and hands it to the connection. Written and synced
/// before it leaves; if that fails, it does not leave.
fn dispatch(cmd: crate::core::command::Command, console: &mut Console, live: &mut LiveLink) {
    let logged = live
        .audit
        .as_mut()
        .map_or(Ok(()), |a| a.sent(&cmd, &live.url));
    match logged {
        Ok(()) => {
            if live.commands.try_send(cmd).is_err() {
                console.notice = Some("command queue full: not sent".into());
            }
        }
        Err(e) => {
            console.pending.retain(|p| p.command.id != cmd.id);
            console.notice = Some(format!("audit log unwritable ({e}): command NOT sent"));
        }
    }
}

/// Applies what Prometheus and Alertmanager report; true when the screen changed. Samples
/// are placed on the rollout's clock by their Unix time, never ahead of it.
pub fn sources_feed(
    feed: super::metrics_poll::Feed,
    state: &mut crate::core::state::State,
) -> bool {
    use super::metrics_poll::Feed;
    use crate::core::record::{Body, Record};
    use crate::core::slo::Sample;
    let t0 = state.plan.spec.t0;
    let now = state.now;
    let at = |ms: i64| t0.offset_of_unix_ms(ms).min(now);
    let event = match feed {
        Feed::Status(s) => Event::Upstream(s),
        Feed::AddSlo(spec) => Event::AddSlo(spec),
        Feed::Backfill { id, points } => {
            let Some(slo) = state.plan.slo(&id) else {
                return false;
            };
            let points = points
                .into_iter()
                .map(|(ms, value)| Sample { t: at(ms), value })
                .collect();
            Event::Backfill { slo, points }
        }
        Feed::Sample { id, at_ms, value } => {
            let Some(slo) = state.plan.slo(&id) else {
                return false;
            };
            Event::Record(Record {
                t: at(at_ms),
                source: Some("prometheus".into()),
                body: Body::Metric { slo, value },
            })
        }
        Feed::Failed { id, error } => {
            let Some(slo) = state.plan.slo(&id) else {
                return false;
            };
            Event::SloError {
                slo,
                error: crate::core::sanitize::sanitize(&error),
            }
        }
        Feed::Alerts(bodies) => {
            let mut dirty = false;
            for body in bodies {
                let r = Record {
                    t: now,
                    source: Some("alertmanager".into()),
                    body,
                };
                dirty |= state.apply(Event::Record(r)).dirty;
            }
            return dirty;
        }
    };
    state.apply(event).dirty
}

fn set_info(console: &mut Console, info: crate::core::console::ReplayInfo) -> bool {
    let new = Mode::Replay(info);
    if console.mode == new {
        return false;
    }
    console.mode = new;
    true
}

/// Applies what the live connection reports; true when the console should quit.
fn live_feed(
    feed: super::ws_client::Feed,
    console: &mut Console,
    mut live: Option<&mut LiveLink>,
    dirty: &mut bool,
) {
    use super::ws_client::Feed;
    use crate::core::record::{Body, Record};
    use crate::core::source::{Link, SourceStatus};
    use crate::core::state::{State, TIMELINE_CAP};
    let status = |link| SourceStatus {
        name: std::sync::Arc::from("control-plane"),
        link,
    };
    let mut record_out: Vec<Record> = Vec::new();
    // Redraw only when the state says something visible changed (a heartbeat within the same
    // second changes nothing on screen).
    let mut apply = |state: &mut State, e: Event| *dirty |= state.apply(e).dirty;
    match feed {
        Feed::Hello {
            plan,
            role,
            reset,
            now,
            ..
        } => {
            console.role = console.role.min_with(role);
            *dirty = true;
            let config = live.as_deref().and_then(|l| l.config.clone());
            let shown = match &config {
                Some(c) => {
                    let (overlaid, notes) = c.overlay(&plan.spec);
                    if let Some(n) = notes.first() {
                        console.notice = Some(n.clone());
                    }
                    match crate::core::plan::Plan::new(overlaid) {
                        Ok(r) => std::sync::Arc::new(r),
                        Err(e) => {
                            console.notice =
                                Some(format!("configuration does not fit the plan: {e}"));
                            plan.clone()
                        }
                    }
                }
                None => plan.clone(),
            };
            if let Some(records) = reset {
                let mut state = State::new(
                    shown,
                    status(console.state.source.link.clone()),
                    TIMELINE_CAP,
                );
                for r in &records {
                    if config.is_none() || !matches!(r.body, Body::Metric { .. }) {
                        state.apply(Event::Record(r.clone()));
                    }
                }
                state.apply(Event::Clock(now));
                if config.is_some() {
                    state.carry_sources(&console.state);
                }
                console.state = state;
                record_out = records;
            }
            if let Some(rec) = live.as_deref_mut().and_then(|l| l.recorder.as_mut()) {
                let _ = rec.plan(&plan);
            }
        }
        Feed::Events { records, .. } => {
            let ours = live.as_deref().is_some_and(|l| l.config.is_some());
            for r in &records {
                if !(ours && matches!(r.body, Body::Metric { .. })) {
                    apply(&mut console.state, Event::Record(r.clone()));
                }
            }
            record_out = records;
        }
        Feed::Link(link) => apply(&mut console.state, Event::Source(status(link))),
        Feed::Clock(t) => apply(&mut console.state, Event::Clock(t)),
        Feed::Problem(text) => {
            let t = console.state.now;
            let problem = Record {
                t,
                source: Some("connection".into()),
                body: Body::Feed { text: text.into() },
            };
            apply(&mut console.state, Event::Record(problem));
        }
        Feed::Refused(why) => {
            apply(
                &mut console.state,
                Event::Source(status(Link::Down {
                    reason: format!("refused: {why}").into(),
                })),
            );
            console.notice = Some(format!("the control plane refused this console: {why}"));
            *dirty = true;
        }
    }
    let Some(l) = live else { return };
    if let Some(rec) = l.recorder.as_mut() {
        if !record_out.is_empty() {
            let _ = rec.records(&console.state.plan, &record_out);
        }
    }
    for (cmd, result, reason) in console.settle() {
        if let Some(a) = l.audit.as_mut() {
            let _ = a.outcome(&cmd, result, reason.as_deref());
        }
        let word = format!("{result:?}").to_lowercase();
        console.notice = Some(match reason {
            Some(r) => format!(
                "{} {word}: {}",
                cmd.action.word(),
                crate::core::sanitize::sanitize(&r)
            ),
            None => format!("{} {word}", cmd.action.word()),
        });
        *dirty = true;
    }
}
