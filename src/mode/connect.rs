//! `warroom connect` and `warroom demo`: a console on a control plane, with its seat, token,
//! audit log, recording and metric sources.

use crate::core::console::{Console, Mode};
use crate::mode::on_screen;
use crate::shell::{self};
use color_eyre::eyre::{bail, eyre};
use color_eyre::Result;
use std::io::Write;

/// `user@host`, for commands when no `--actor` is given.
pub(super) fn default_actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "someone".into());
    let host = std::fs::read_to_string("/etc/hostname")
        .map_or_else(|_| "localhost".into(), |h| h.trim().to_string());
    format!("{user}@{host}")
}

/// The credential: `--token-file`, else `WARROOM_TOKEN`. Never from the command line itself.
pub(super) fn token(seat: &crate::cli::Seat) -> Result<Option<String>> {
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
pub(super) async fn live_console(
    url: String,
    seat: crate::cli::Seat,
    look_args: &crate::cli::Look,
    headless: bool,
) -> Result<i32> {
    use crate::core::command::Role;
    use crate::core::source::{Link, SourceStatus};
    use crate::core::state::{Event, State, TIMELINE_CAP};
    use shell::run::{Input, Links, LiveLink, CHANNEL};
    use shell::ws_client::{self, Feed};
    let look = super::look(look_args)?;
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
    let opts = ws_client::Options {
        url: url.clone(),
        actor: actor.clone(),
        role,
        token: token(&seat)?,
        seed: u64::from(std::process::id()),
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Input>(CHANNEL);
    let (cmd_tx, cmd_rx) = tokio::sync::mpsc::channel(64);
    tokio::spawn(ws_client::run(
        opts,
        cmd_rx,
        ws_client::Out {
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
        tokio::spawn(shell::metrics_poll::run(
            config,
            client,
            shell::metrics_poll::Out {
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
pub(super) fn metric_sources(
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
pub(super) async fn headless_live(
    console: &mut Console,
    rx: &mut tokio::sync::mpsc::Receiver<shell::run::Input>,
    links: &mut shell::run::Links,
) -> Result<i32> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let epoch = console.state.plan.spec.t0;
    while let Some(input) = rx.recv().await {
        if matches!(input, shell::run::Input::Quit) {
            break;
        }
        shell::run::apply_input(input, console, links);
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

pub(super) fn demo(args: &crate::cli::DemoArgs) -> Result<i32> {
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
