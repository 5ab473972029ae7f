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
        Command::Serve(args) => serve(&args),
        Command::Connect(args) => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?;
            rt.block_on(live_console(
                args.url.clone(),
                args.seat.clone(),
                &args.look,
                args.headless,
            ))
        }
        Command::Demo(args) => demo(&args),
        Command::Config(crate::cli::ConfigCommand::Template) => {
            print!("{}", crate::config::TEMPLATE);
            Ok(0)
        }
        Command::Config(crate::cli::ConfigCommand::Check { file }) => {
            match crate::config::load(&file) {
                Ok(c) => {
                    let gated: usize = c.gates.values().map(Vec::len).sum();
                    println!(
                        "{}: ok: Prometheus at {} every {}, {} SLOs, {} gate(s){}",
                        file.display(),
                        c.prometheus.url,
                        c.prometheus.interval,
                        c.slos.len(),
                        gated,
                        c.alertmanager
                            .as_ref()
                            .map_or_else(String::new, |a| format!(", Alertmanager at {}", a.url))
                    );
                    Ok(0)
                }
                Err(e) => {
                    eprintln!("{e}");
                    Ok(1)
                }
            }
        }
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
        state.plan.spec.waves.len(),
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
        let mut links = shell::app::Links {
            replay: Some(ctl_tx),
            live: None,
        };
        on_screen(&mut console, &look, tx, &mut rx, &mut links).await
    })
}

/// Takes the terminal, runs the console on it until quit, and gives the terminal back (on
/// every way out: the guard restores it on drop and on panic).
async fn on_screen(
    console: &mut Console,
    look: &crate::view::look::Look,
    tx: tokio::sync::mpsc::Sender<shell::app::Input>,
    rx: &mut tokio::sync::mpsc::Receiver<shell::app::Input>,
    links: &mut shell::app::Links,
) -> Result<i32> {
    tokio::spawn(shell::events::keys(tx.clone()));
    tokio::spawn(shell::events::signals(tx));
    let mut guard = shell::terminal::Guard::enter()?;
    let stats = shell::app::run(
        &mut guard.terminal,
        console,
        look,
        rx,
        links,
        shell::events::synchronized_draw,
    )
    .await;
    drop(guard);
    stats?;
    Ok(0)
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

/// `user@host`, for commands when no `--actor` is given.
fn default_actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "someone".into());
    let host = std::fs::read_to_string("/etc/hostname")
        .map_or_else(|_| "localhost".into(), |h| h.trim().to_string());
    format!("{user}@{host}")
}

/// The credential: `--token-file`, else `WARROOM_TOKEN`. Never from the command line itself.
fn token(seat: &crate::cli::Seat) -> Result<Option<String>> {
    if let Some(p) = &seat.token_file {
        let t =
            std::fs::read_to_string(p).map_err(|e| eyre!("--token-file {}: {e}", p.display()))?;
        return Ok(Some(t.trim().to_string()));
    }
    Ok(std::env::var("WARROOM_TOKEN")
        .ok()
        .filter(|t| !t.is_empty()))
}

/// The console on a control plane: checks the look, the audit log and the recording, waits
/// for the first hello (so a dead address is an error before the terminal is touched), then
/// runs the screen (or, headless, prints every change as NDJSON).
async fn live_console(
    url: String,
    seat: crate::cli::Seat,
    look_args: &crate::cli::Look,
    headless: bool,
) -> Result<i32> {
    use crate::core::command::Role;
    use crate::core::source::{Link, SourceStatus};
    use crate::core::state::{Event, State, TIMELINE_CAP};
    use shell::app::{Input, Links, LiveLink, CHANNEL};
    use shell::live::{self, Feed};
    let look = crate::look(look_args)?;
    let audit_path = seat
        .audit_log
        .clone()
        .unwrap_or_else(shell::sinks::Audit::default_path);
    let audit = shell::sinks::Audit::open(&audit_path)
        .map_err(|e| eyre!("--audit-log {}: {e}", audit_path.display()))?;
    let recorder = seat
        .record
        .as_ref()
        .map(|p| {
            shell::sinks::Recorder::create(p).map_err(|e| eyre!("--record {}: {e}", p.display()))
        })
        .transpose()?;
    let role = if seat.observer {
        Role::Observer
    } else {
        Role::Commander
    };
    let actor = seat.actor.clone().unwrap_or_else(default_actor);
    let sources = seat.config.as_deref().map(metric_sources).transpose()?;
    let opts = live::Options {
        url: url.clone(),
        actor: actor.clone(),
        role,
        token: token(&seat)?,
        seed: u64::from(std::process::id()),
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Input>(CHANNEL);
    let (cmd_tx, cmd_rx) = tokio::sync::mpsc::channel(64);
    tokio::spawn(live::run(
        opts,
        cmd_rx,
        live::Out {
            tx: tx.clone(),
            wrap: Input::Live,
        },
    ));

    // The first hello, before the terminal is touched.
    let mut last = String::from("no answer");
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let hello = loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(Input::Live(Feed::Hello {
                plan,
                role: granted,
                reset,
                now,
                speed,
                ..
            }))) => break (plan, granted, reset.unwrap_or_default(), now, speed),
            Ok(Some(Input::Live(Feed::Link(Link::Down { reason })))) => last = reason.to_string(),
            Ok(Some(Input::Live(Feed::Refused(why)))) => {
                bail!("{url}: the control plane refused this console: {why}")
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => bail!("{url}: cannot reach the control plane ({last})"),
        }
    };
    let (plan, granted, records, now, speed) = hello;
    let mut notice = None;
    let shown = match &sources {
        Some((config, _)) => {
            let (overlaid, notes) = config.overlay(&plan.spec);
            notice = notes.into_iter().next();
            if (speed - 1.0).abs() > 1e-9 {
                notice = Some(format!(
                    "the control plane runs at ×{speed}: Prometheus samples are on wall time, \
                     so they will look old"
                ));
            }
            std::sync::Arc::new(
                crate::core::plan::Plan::new(overlaid)
                    .map_err(|e| eyre!("the configuration does not fit the plan: {e}"))?,
            )
        }
        None => plan.clone(),
    };
    let mut state = State::new(
        shown,
        SourceStatus {
            name: std::sync::Arc::from("control-plane"),
            link: Link::Connected,
        },
        TIMELINE_CAP,
    );
    state.track_changes(headless);
    for r in &records {
        if sources.is_none() || !matches!(r.body, crate::core::record::Body::Metric { .. }) {
            state.apply(Event::Record(r.clone()));
        }
    }
    state.apply(Event::Clock(now));
    let mut console = Console::new(state, Mode::Live);
    console.notice = notice;
    console.role = role.min_with(granted);
    console.actor = actor;
    console.id_prefix = format!(
        "{:x}{:x}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
    );
    let mut recorder = recorder;
    if let Some(rec) = recorder.as_mut() {
        rec.plan(&plan)?;
        rec.records(&plan, &records)?;
    }
    let mut links = Links {
        replay: None,
        live: Some(LiveLink {
            commands: cmd_tx,
            audit: Some(audit),
            recorder,
            url,
            config: sources.as_ref().map(|s| s.0.clone()),
        }),
    };
    if let Some((config, client)) = sources {
        console.auto_pause = config.auto_pause;
        tokio::spawn(shell::sources::run(
            config,
            client,
            shell::sources::Out {
                tx: tx.clone(),
                wrap: Input::Sources,
            },
        ));
    }
    if headless {
        return headless_live(&mut console, &mut rx, &mut links).await;
    }
    on_screen(&mut console, &look, tx, &mut rx, &mut links).await
}

/// Reads `--config` and its credentials: everything that can be wrong is said before the
/// terminal is touched.
fn metric_sources(
    path: &std::path::Path,
) -> Result<(
    std::sync::Arc<crate::config::Config>,
    shell::prometheus::Client,
)> {
    use crate::config::Auth;
    use shell::prometheus::{Client, Credential};
    let config = crate::config::load(path).map_err(|e| eyre!("--config {e}"))?;
    let credential =
        match &config.prometheus.auth {
            None => None,
            Some(Auth::Bearer(secret)) => Some(Credential::Bearer(secret.read().map_err(|e| {
                eyre!("--config {}: prometheus bearer token: {e}", path.display())
            })?)),
            Some(Auth::Basic { user, password }) => Some(Credential::Basic {
                user: user.clone(),
                password: password.read().map_err(|e| {
                    eyre!(
                        "--config {}: prometheus basic password: {e}",
                        path.display()
                    )
                })?,
            }),
        };
    let client = Client::new(
        config.prometheus.url.clone(),
        credential,
        config.prometheus.timeout.as_duration(),
    )
    .map_err(|e| eyre!("--config {}: {e}", path.display()))?;
    Ok((std::sync::Arc::new(config), client))
}

/// A live console without a screen: every state change as one JSON line on stdout.
async fn headless_live(
    console: &mut Console,
    rx: &mut tokio::sync::mpsc::Receiver<shell::app::Input>,
    links: &mut shell::app::Links,
) -> Result<i32> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let epoch = console.state.plan.spec.t0;
    while let Some(input) = rx.recv().await {
        if matches!(input, shell::app::Input::Quit) {
            break;
        }
        shell::app::apply_input(input, console, links);
        for c in console.state.take_changes() {
            serde_json::to_writer(
                &mut out,
                &serde_json::json!({ "t": crate::core::time::exact_offset(console.state.now), "utc": epoch.rfc3339(console.state.now), "change": c }),
            )?;
            writeln!(out)?;
        }
        out.flush()?;
    }
    Ok(0)
}

fn serve(args: &crate::cli::ServeArgs) -> Result<i32> {
    use crate::server::net::{self, ControlPlane, Tokens};
    if !args.listen.ip().is_loopback() && !args.allow_remote {
        bail!(
            "--listen {}: not a loopback address; add --allow-remote to listen there",
            args.listen
        );
    }
    if !(args.speed > 0.0 && args.speed <= 1000.0) {
        bail!(
            "--speed {}: use a number above 0 and at most 1000",
            args.speed
        );
    }
    let tokens = match &args.tokens {
        Some(p) => Tokens::parse(
            &std::fs::read_to_string(p).map_err(|e| eyre!("--tokens {}: {e}", p.display()))?,
        )
        .map_err(|e| eyre!("--tokens {}: {e}", p.display()))?,
        None => Tokens::default(),
    };
    let plane = match &args.fixture {
        None => ControlPlane::new(
            crate::server::scenario::Scenario::batch_patches_demo(args.seed),
            args.speed,
            tokens,
        ),
        Some(f) => {
            let mut src = load::open(f)?;
            let mut records = Vec::new();
            while src.next_records(&mut |r| records.push(r))?.is_some() {}
            ControlPlane::from_fixture(
                src.fixture().plan.clone(),
                records,
                args.speed,
                tokens,
                args.seed,
            )
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let (addr, serving) = net::bind(args.listen, plane)
            .await
            .map_err(|e| eyre!("--listen {}: {e}", args.listen))?;
        eprintln!("warroom control plane on ws://{addr}  (GET http://{addr}/metrics, /healthz)");
        tokio::select! {
            () = serving => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        Ok(0)
    })
}

fn demo(args: &crate::cli::DemoArgs) -> Result<i32> {
    use crate::server::net::{self, ControlPlane, Tokens};
    if !(args.speed > 0.0 && args.speed <= 1000.0) {
        bail!(
            "--speed {}: use a number above 0 and at most 1000",
            args.speed
        );
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let plane = ControlPlane::new(
            crate::server::scenario::Scenario::batch_patches_demo(args.seed),
            args.speed,
            Tokens::default(),
        );
        let (addr, serving) =
            net::bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)), plane).await?;
        tokio::spawn(serving);
        live_console(format!("ws://{addr}"), args.seat.clone(), &args.look, false).await
    })
}
