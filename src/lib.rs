//! warroom: a full-screen terminal war-room console for rollouts and incidents.
//!
//! `core` is the pure model and reducer, `format` reads fixtures and protocol records,
//! `view` draws a state, and `shell` does the I/O (terminal, files, clocks).
#![forbid(unsafe_code)]

pub mod cli;
pub mod core;
pub mod format;
pub mod shell;
pub mod view;

/// Runs a parsed command line; returns the process exit code.
///
/// # Errors
/// Start-up failures (bad fixture, bad theme, unwritable output), already worded for people.
pub fn run(cli: cli::Cli) -> color_eyre::Result<i32> {
    use cli::Command;
    match cli.command {
        Command::Check { file } => {
            let src = match shell::load::open(&file) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("{e}");
                    return Ok(1);
                }
            };
            match shell::headless::run(src, None) {
                Ok(state) => {
                    let s = shell::headless::summary(&state);
                    let unknown = if s.unknown_records > 0 {
                        format!(
                            ", {} records of newer types shown as generic entries",
                            s.unknown_records
                        )
                    } else {
                        String::new()
                    };
                    println!("{file}: ok: {} records, {} waves, {} SLOs, {} checklist items{unknown}; ends {} {}", s.records, state.plan.plan.waves.len(), s.slos.len(), s.checklist.total, s.end, s.status);
                    Ok(0)
                }
                Err(e) => {
                    eprintln!("{e}");
                    Ok(1)
                }
            }
        }
        Command::Replay(args)
            if args.headless || !std::io::IsTerminal::is_terminal(&std::io::stdout()) =>
        {
            let file = args
                .file
                .unwrap_or_else(|| format!("builtin:{}", shell::load::BUILTIN[0].0));
            let src = match shell::load::open(&file) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("{e}");
                    return Ok(1);
                }
            };
            let stdout = std::io::stdout();
            let mut lock = std::io::BufWriter::new(stdout.lock());
            match shell::headless::run(src, Some(&mut lock)) {
                Ok(state) => {
                    use std::io::Write;
                    serde_json::to_writer(
                        &mut lock,
                        &serde_json::json!({ "summary": shell::headless::summary(&state) }),
                    )?;
                    writeln!(lock)?;
                    lock.flush()?;
                    Ok(0)
                }
                Err(e) => {
                    eprintln!("{e}");
                    Ok(1)
                }
            }
        }
        Command::Snapshot(args) => snapshot(&args),
        Command::Replay(args) => replay(&args),
        Command::Generate {
            records,
            seed,
            output,
        } => {
            let out: Box<dyn std::io::Write> = match &output {
                Some(p) => Box::new(
                    std::fs::File::create(p)
                        .map_err(|e| color_eyre::eyre::eyre!("{}: {e}", p.display()))?,
                ),
                None => Box::new(std::io::stdout().lock()),
            };
            shell::generate::write(std::io::BufWriter::new(out), records, seed)?;
            Ok(0)
        }
    }
}

/// The look asked for on the command line, with `NO_COLOR` honoured.
///
/// # Errors
/// A theme that cannot be loaded (file, key and value named).
pub fn look(args: &cli::Look) -> color_eyre::Result<view::Look> {
    let theme = view::theme::Theme::load(&args.theme)
        .map_err(|e| color_eyre::eyre::eyre!("bad theme: {e}"))?;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme = if no_color {
        theme.without_color()
    } else {
        theme
    };
    Ok(view::Look {
        theme,
        glyphs: if args.ascii {
            view::glyphs::ASCII
        } else {
            view::glyphs::UNICODE
        },
    })
}

fn parse_size(s: &str) -> color_eyre::Result<(u16, u16)> {
    let (c, r) = s
        .split_once(['x', 'X'])
        .ok_or_else(|| color_eyre::eyre::eyre!("--size {s:?}: use COLSxROWS, e.g. 120x40"))?;
    let (c, r): (u16, u16) = (c.parse()?, r.parse()?);
    if !(20..=500).contains(&c) || !(8..=300).contains(&r) {
        color_eyre::eyre::bail!("--size {s:?}: out of range (20x8 to 500x300)");
    }
    Ok((c, r))
}

fn snapshot(args: &cli::SnapshotArgs) -> color_eyre::Result<i32> {
    let look = look(&args.look)?;
    let (cols, rows) = parse_size(&args.size)?;
    let at = args
        .at
        .as_deref()
        .map(core::time::parse_offset)
        .transpose()
        .map_err(|e| color_eyre::eyre::eyre!("--at: {e}"))?;
    let src = match shell::load::open(&args.file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return Ok(1);
        }
    };
    let (state, start, end) = shell::snapshot::state_at(src, at)?;
    let console = shell::snapshot::still(state, start, end);
    let buf = shell::snapshot::draw(&console, &look, cols, rows)?;
    let ext = args
        .output
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("");
    match ext {
        "txt" => std::fs::write(&args.output, shell::snapshot::to_text(&buf))?,
        "svg" => std::fs::write(
            &args.output,
            shell::snapshot::to_svg(&buf, look.theme.name == "light"),
        )?,
        "png" => shell::snapshot::write_png(
            &shell::snapshot::to_svg(&buf, look.theme.name == "light"),
            &args.output,
        )?,
        other => color_eyre::eyre::bail!(
            "-o {}: unknown extension {other:?} (use .png, .svg or .txt)",
            args.output.display()
        ),
    }
    Ok(0)
}

fn replay(args: &cli::ReplayArgs) -> color_eyre::Result<i32> {
    use shell::app::{Input, CHANNEL};
    // Everything that can refuse to start does so before the terminal is touched.
    let look = look(&args.look)?;
    let file = args
        .file
        .clone()
        .unwrap_or_else(|| format!("builtin:{}", shell::load::BUILTIN[0].0));
    let mut src = match shell::load::open(&file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return Ok(1);
        }
    };
    let initial = shell::headless::initial_state(&src);
    let prep = match shell::replay::prepare(&mut src, initial.clone()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return Ok(1);
        }
    };
    let at = args
        .at
        .as_deref()
        .map(core::time::parse_offset)
        .transpose()
        .map_err(|e| color_eyre::eyre::eyre!("--at: {e}"))?;
    let speed = if args.speed == "auto" {
        shell::replay::auto_speed(prep.start, prep.end)
    } else {
        core::playback::Speed::parse(&args.speed)
            .map_err(|e| color_eyre::eyre::eyre!("--speed: {e}"))?
    };
    let src = src.reopen(prep.first_pos)?;
    let info = core::console::ReplayInfo {
        speed,
        playing: false,
        start: prep.start,
        end: prep.end,
    };
    let engine = shell::replay::Engine::new(src, prep, speed);
    let mut console = core::console::Console::new(initial, core::console::Mode::Replay(info));

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
            Some(ctl_tx),
            shell::events::synchronized_draw,
        )
        .await;
        drop(guard);
        stats?;
        Ok::<i32, color_eyre::Report>(0)
    })
}
