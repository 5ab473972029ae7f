//! One function per subcommand: each checks everything that can refuse to start before it
//! touches the terminal.

use std::io::Write;

use color_eyre::eyre::{bail, eyre};
use color_eyre::Result;

use crate::cli::{Cli, Command, ReplayArgs, SnapshotArgs};
use crate::core::console::{Console, Mode, ReplayInfo};
use crate::core::playback::Speed;
use crate::core::time::{parse_offset, Offset};
use crate::shell::{self, headless, load, replay, snapshot};

pub(crate) fn dispatch(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Check { file } => check(&file),
        Command::Replay(args)
            if args.headless || !std::io::IsTerminal::is_terminal(&std::io::stdout()) =>
        {
            replay_headless(&args)
        }
        Command::Replay(args) => replay_screen(&args),
        Command::Snapshot(args) => snapshot_cmd(&args),
        Command::Generate {
            records,
            seed,
            output,
        } => {
            let out: Box<dyn Write> = match &output {
                Some(p) => {
                    Box::new(std::fs::File::create(p).map_err(|e| eyre!("{}: {e}", p.display()))?)
                }
                None => Box::new(std::io::stdout().lock()),
            };
            shell::generate::write(std::io::BufWriter::new(out), records, seed)?;
            Ok(0)
        }
    }
}

/// The fixture named on the command line, or the built-in one.
fn fixture_name(file: Option<&String>) -> String {
    file.cloned()
        .unwrap_or_else(|| format!("builtin:{}", load::BUILTIN[0].0))
}

fn parse_at(at: Option<&str>) -> Result<Option<Offset>> {
    at.map(parse_offset)
        .transpose()
        .map_err(|e| eyre!("--at: {e}"))
}

fn check(file: &str) -> Result<i32> {
    let state = headless::run(load::open(file)?, None)?;
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
        state.plan.plan.waves.len(),
        s.slos.len(),
        s.checklist.total,
        s.end,
        s.status
    );
    Ok(0)
}

fn replay_headless(args: &ReplayArgs) -> Result<i32> {
    let src = load::open(&fixture_name(args.file.as_ref()))?;
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

fn replay_screen(args: &ReplayArgs) -> Result<i32> {
    use shell::app::{Input, CHANNEL};
    let look = crate::look(&args.look)?;
    let mut src = load::open(&fixture_name(args.file.as_ref()))?;
    let initial = headless::initial_state(&src);
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
        tokio::spawn(shell::events::keys(tx.clone()));
        tokio::spawn(shell::events::signals(tx));
        let mut guard = shell::terminal::Guard::enter()?;
        let stats = shell::app::run(
            &mut guard.terminal,
            &mut console,
            &look,
            &mut rx,
            &mut shell::app::Links {
                replay: Some(ctl_tx),
                live: None,
            },
            shell::events::synchronized_draw,
        )
        .await;
        drop(guard);
        stats?;
        Ok(0)
    })
}

fn parse_size(s: &str) -> Result<(u16, u16)> {
    let (c, r) = s
        .split_once(['x', 'X'])
        .ok_or_else(|| eyre!("--size {s:?}: use COLSxROWS, e.g. 120x40"))?;
    let (c, r): (u16, u16) = (c.parse()?, r.parse()?);
    if !(20..=500).contains(&c) || !(8..=300).contains(&r) {
        bail!("--size {s:?}: out of range (20x8 to 500x300)");
    }
    Ok((c, r))
}

fn snapshot_cmd(args: &SnapshotArgs) -> Result<i32> {
    let look = crate::look(&args.look)?;
    let (cols, rows) = parse_size(&args.size)?;
    let at = parse_at(args.at.as_deref())?;
    let (state, start, end) = snapshot::state_at(load::open(&args.file)?, at)?;
    let console = snapshot::still(state, start, end);
    let buf = snapshot::draw(&console, &look, cols, rows)?;
    let light = look.theme.name == "light";
    match args
        .output
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
    {
        "txt" => std::fs::write(&args.output, snapshot::to_text(&buf))?,
        "svg" => std::fs::write(&args.output, snapshot::to_svg(&buf, light))?,
        "png" => snapshot::write_png(&snapshot::to_svg(&buf, light), &args.output)?,
        other => bail!(
            "-o {}: unknown extension {other:?} (use .png, .svg or .txt)",
            args.output.display()
        ),
    }
    Ok(0)
}
