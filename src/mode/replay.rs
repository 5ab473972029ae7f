//! `warroom replay` (on screen, or headless when asked or when stdout is not a terminal)
//! and `warroom check`.

use std::io::Write;

use color_eyre::eyre::eyre;
use color_eyre::Result;

use super::Progress;
use crate::cli::ReplayArgs;
use crate::core::app::App;
use crate::core::input::Input;
use crate::core::playback::{Mode, ReplayInfo, Speed};
use crate::format::ndjson;
use crate::shell::sinks::Sinks;
use crate::shell::{fixtures, replay, run};

use super::{on_screen, parse_at};

/// The fixture named on the command line, or the built-in one.
pub(super) fn fixture_name(file: Option<&String>) -> String {
    file.cloned()
        .unwrap_or_else(|| format!("builtin:{}", fixtures::BUILTIN[0].0))
}

pub(super) fn check(file: &str) -> Result<i32> {
    let mut src = fixtures::open(file)?;
    let mut progress = Progress::on_stderr(file, "checking", src.len_bytes());
    let mut app = App::new(fixtures::initial_state(&src), Mode::Live);
    let read = fixtures::fold(&mut src, &mut app, None, |_, _| true, |at| progress.at(at));
    progress.clear();
    read?;
    let state = app.state;
    let s = ndjson::summary(&state);
    let unknown = if s.unknown_records > 0 {
        format!(
            ", {} records of newer types shown as generic entries",
            s.unknown_records
        )
    } else {
        String::new()
    };
    super::say(&format!(
        "{file}: ok: {} records, {} waves, {} SLOs, {} checklist items{unknown}; ends {} {}",
        s.records,
        state.plan.spec.waves.len(),
        s.slos.len(),
        s.checklist.total,
        s.end,
        s.status
    ));
    Ok(0)
}

/// Every change as one NDJSON line, then the summary: the console's reducer, with the output
/// sink in place of a screen.
/// `--speed` and `--idle-limit` as given, or what is wrong with them.
fn check_pace(args: &ReplayArgs) -> Result<()> {
    if args.speed != "auto" {
        Speed::parse(&args.speed).map_err(|e| eyre!("--speed: {e}"))?;
    }
    if !(0.0..=86_400.0).contains(&args.idle_limit) {
        return Err(eyre!(
            "--idle-limit {}: use a number of seconds from 0 (off) to 86400",
            args.idle_limit
        ));
    }
    Ok(())
}

pub(super) fn replay_headless(args: &ReplayArgs) -> Result<i32> {
    // Headless output goes as fast as it can be written; a bad flag is still refused, not
    // ignored.
    check_pace(args)?;
    let mut src = fixtures::open(&fixture_name(args.file.as_ref()))?;
    // A broken file prints nothing but its error: every line is read and checked before the
    // first change is written, then the replay starts again from the first record.
    let first = src.position();
    let mut progress = Progress::on_stderr(&src.fixture().file, "checking", src.len_bytes());
    let checked = loop {
        match src.next_records(&mut |_| {}) {
            Ok(Some(_)) => progress.at(src.position().offset),
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    progress.clear();
    checked?;
    let mut src = src.reopen(first)?;
    let mut app = App::new(
        fixtures::initial_state(&src),
        Mode::Replay(ReplayInfo {
            speed: Speed::Max,
            playing: true,
            start: crate::core::time::Offset::ZERO,
            end: crate::core::time::Offset::ZERO,
        }),
    );
    app.state.track_changes(true);
    let mut sinks = Sinks {
        output: Some(Box::new(std::io::BufWriter::new(std::io::stdout()))),
        ..Sinks::default()
    };
    let mut closed = false;
    let mut failed: Option<String> = None;
    fixtures::fold(
        &mut src,
        &mut app,
        None,
        |app, fx| {
            let mut back = sinks.execute(fx, app.state.plan.spec.t0);
            while let Some(input) = back.pop() {
                match input {
                    // The reader went away (`| head`): not a failure.
                    Input::Quit => closed = true,
                    Input::SinkFailed { error, .. } => failed = Some(error),
                    other => back.extend(sinks.execute(app.apply(other), app.state.plan.spec.t0)),
                }
            }
            !closed && failed.is_none()
        },
        |_| {},
    )?;
    if let Some(e) = failed {
        return Err(eyre!("writing the output: {e}"));
    }
    if closed {
        return Ok(0);
    }
    let mut out = std::io::BufWriter::new(std::io::stdout());
    match ndjson::write_summary(&mut out, &app.state).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(0),
    }
}

pub(super) fn replay_screen(args: &ReplayArgs) -> Result<i32> {
    let mut look = super::look(&args.look)?;
    let mut src = fixtures::open(&fixture_name(args.file.as_ref()))?;
    let initial = fixtures::initial_state(&src);
    // The first lines are checked before the screen is taken; the rest of the file is
    // checked on a thread of its own while the first frames are drawn.
    let prep = replay::begin(&mut src, initial.clone())?;
    let at = parse_at(args.at.as_deref())?;
    check_pace(args)?;
    let speed = if args.speed == "auto" {
        replay::auto_speed(prep.start, prep.end)
    } else {
        Speed::parse(&args.speed).map_err(|e| eyre!("--speed: {e}"))?
    };
    let checking = (!prep.index().done)
        .then(|| src.reopen(prep.first_pos))
        .transpose()?;
    let src = src.reopen(prep.first_pos)?;
    let info = ReplayInfo {
        speed,
        playing: false,
        start: prep.start,
        end: prep.end,
    };
    let mut app = App::new(initial, Mode::Replay(info));
    app.ui.checking = checking.is_some().then_some(0);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Input>(run::CHANNEL);
    if let Some(check) = checking {
        let check_tx = tx.clone();
        replay::start_check(check, &prep, move |msg| {
            check_tx.blocking_send(Input::Replay(msg)).is_ok()
        })?;
    }
    let engine = replay::Engine::new(src, prep, speed)
        .idle_limit(Some(std::time::Duration::from_secs_f64(args.idle_limit)));

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let (ctl_tx, ctl_rx) = std::sync::mpsc::channel();
        let feed_tx = tx.clone();
        std::thread::Builder::new()
            .name("replay".into())
            .spawn(move || {
                engine.run(&ctl_rx, at, at.is_none(), |msg| {
                    feed_tx.blocking_send(Input::Replay(msg)).is_ok()
                });
            })?;
        let mut sinks = Sinks {
            replay: Some(ctl_tx),
            ..Sinks::default()
        };
        on_screen(&mut app, &mut look, tx, &mut rx, &mut sinks).await
    })
}
