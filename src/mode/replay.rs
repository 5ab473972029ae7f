//! `warroom replay` (on screen, or headless when asked or when stdout is not a terminal)
//! and `warroom check`.

use crate::cli::ReplayArgs;
use crate::core::console::{Console, Mode, ReplayInfo};
use crate::core::playback::Speed;
use crate::mode::on_screen;
use crate::mode::parse_at;
use crate::shell::{self, fixtures, headless, replay};
use color_eyre::eyre::eyre;
use color_eyre::Result;
use std::io::Write;

/// The fixture named on the command line, or the built-in one.
pub(super) fn fixture_name(file: Option<&String>) -> String {
    file.cloned()
        .unwrap_or_else(|| format!("builtin:{}", fixtures::BUILTIN[0].0))
}

pub(super) fn check(file: &str) -> Result<i32> {
    let state = headless::run(fixtures::open(file)?, None)?;
    let s = headless::summary(&state);
    let unknown = if s.unknown_records > 0 {
        format!(
            ", {} records of newer types shown as generic entries",
            s.unknown_records
        )
    } else {
        String::new()
    };
    println!(
        "{file}: ok: {} records, {} waves, {} SLOs, {} checklist items{unknown}; ends {} {}",
        s.records,
        state.plan.spec.waves.len(),
        s.slos.len(),
        s.checklist.total,
        s.end,
        s.status
    );
    Ok(0)
}

pub(super) fn replay_headless(args: &ReplayArgs) -> Result<i32> {
    let src = fixtures::open(&fixture_name(args.file.as_ref()))?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let state = headless::run(src, Some(&mut out))?;
    serde_json::to_writer(
        &mut out,
        &serde_json::json!({ "summary": headless::summary(&state) }),
    )?;
    writeln!(out)?;
    out.flush()?;
    Ok(0)
}

pub(super) fn replay_screen(args: &ReplayArgs) -> Result<i32> {
    use shell::run::{Input, CHANNEL};
    let look = super::look(&args.look)?;
    let mut src = fixtures::open(&fixture_name(args.file.as_ref()))?;
    let initial = fixtures::initial_state(&src);
    let prep = replay::prepare(&mut src, initial.clone())?;
    let at = parse_at(args.at.as_deref())?;
    let speed = if args.speed == "auto" {
        replay::auto_speed(prep.start, prep.end)
    } else {
        Speed::parse(&args.speed).map_err(|e| eyre!("--speed: {e}"))?
    };
    let src = src.reopen(prep.first_pos)?;
    let info = ReplayInfo {
        speed,
        playing: false,
        start: prep.start,
        end: prep.end,
    };
    let engine = replay::Engine::new(src, prep, speed);
    let mut console = Console::new(initial, Mode::Replay(info));

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Input>(CHANNEL);
        let (ctl_tx, ctl_rx) = std::sync::mpsc::channel();
        let feed_tx = tx.clone();
        std::thread::Builder::new()
            .name("replay".into())
            .spawn(move || {
                engine.run(&ctl_rx, at, at.is_none(), |feed| {
                    feed_tx.blocking_send(Input::Replay(feed)).is_ok()
                });
            })?;
        let mut links = shell::run::Links {
            replay: Some(ctl_tx),
            live: None,
        };
        on_screen(&mut console, &look, tx, &mut rx, &mut links).await
    })
}
