//! `warroom connect` and `warroom demo`: a console on a control plane, with its seat, token,
//! audit log, recording and metric sources.

use std::sync::Arc;

use color_eyre::eyre::{bail, eyre};
use color_eyre::Result;

use crate::core::app::App;
use crate::core::command::Role;
use crate::core::input::{Input, PlaneMsg};
use crate::core::outbox::Outbox;
use crate::core::plan::Plan;
use crate::core::source::Link;
use crate::shell::sinks::Sinks;
use crate::shell::{self, run, ws_client};

use super::on_screen;

/// How long `connect` waits for the control plane's first word before opening the console
/// anyway (a refusal within it is an error on the command line, not a screen).
const FIRST_WORD: std::time::Duration = std::time::Duration::from_secs(3);

/// `user@host`, for commands when no `--actor` is given.
pub(super) fn default_actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "someone".into());
    let host = std::fs::read_to_string("/etc/hostname")
        .map_or_else(|_| "localhost".into(), |h| h.trim().to_string());
    format!("{user}@{host}")
}

/// Room for what this console adds to its actor (" (auto-pause)").
const ACTOR_SUFFIX_ROOM: usize = 16;

/// An actor the control plane will take: plain text, short enough with what this console
/// adds to it.
fn check_actor(actor: &str) -> Result<()> {
    use crate::core::command::MAX_NAME_BYTES;
    let max = MAX_NAME_BYTES - ACTOR_SUFFIX_ROOM;
    if actor.trim().is_empty() || *crate::core::sanitize::sanitize(actor) != *actor {
        return Err(eyre!(
            "--actor {:?}: an actor is plain, non-blank text",
            crate::core::sanitize::sanitize(actor)
        ));
    }
    if actor.len() > max {
        return Err(eyre!(
            "--actor is {} bytes; at most {max} are allowed",
            actor.len()
        ));
    }
    Ok(())
}

/// The credential: `--token-file`, else `WARROOM_TOKEN`. Never from the command line itself.
pub(super) fn token(seat: &crate::cli::Seat) -> Result<Option<String>> {
    if let Some(p) = &seat.token_file {
        let t =
            std::fs::read_to_string(p).map_err(|e| eyre!("--token-file {}: {e}", p.display()))?;
        let t = t.trim();
        let max = crate::format::protocol::MAX_TOKEN_BYTES;
        if t.len() > max {
            return Err(eyre!(
                "--token-file {}: the token is {} bytes; at most {max} are allowed",
                p.display(),
                t.len()
            ));
        }
        return Ok(Some(t.to_string()));
    }
    Ok(std::env::var("WARROOM_TOKEN")
        .ok()
        .filter(|t| !t.is_empty()))
}

/// The console on a control plane: checks the look, the audit log and the recording, gives
/// the control plane a moment to refuse it (an error on the command line), then runs the
/// screen, which shows the connection counting down to its next attempt while the control
/// plane cannot be reached (or, headless, prints every change as NDJSON).
pub(super) async fn live_console(
    url: String,
    seat: crate::cli::Seat,
    look_args: &crate::cli::Look,
    headless: bool,
) -> Result<i32> {
    let mut look = super::look(look_args)?;
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
    let role = seat_role(&seat);
    let actor = seat.actor.clone().unwrap_or_else(default_actor);
    check_actor(&actor)?;
    let sources = seat.config.as_deref().map(metric_sources).transpose()?;
    let opts = ws_client::Options {
        url: url.clone(),
        actor: actor.clone(),
        role,
        token: token(&seat)?,
        seed: u64::from(std::process::id()),
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Input>(run::CHANNEL);
    let (cmd_tx, cmd_rx) = tokio::sync::mpsc::channel(64);
    tokio::spawn(ws_client::run(opts, cmd_rx, tx.clone()));

    let overlay = sources.as_ref().map(|(c, _)| Arc::new(c.overlay()));
    let mut outbox = Outbox::new(
        role,
        actor,
        format!(
            "{:x}{:x}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos())
        ),
    );
    outbox.auto_pause = overlay.as_ref().is_some_and(|o| o.auto_pause);
    let mut app = App::live(
        Arc::new(Plan::placeholder()),
        outbox,
        overlay.clone(),
        headless,
    );
    app.live.url.clone_from(&url);
    let mut sinks = Sinks {
        commands: Some(cmd_tx),
        audit: Some(audit),
        recorder,
        output: headless.then(|| Box::new(std::io::BufWriter::new(std::io::stdout())) as _),
        url: url.clone(),
        status: Some(status_sink(&seat, headless)),
        ..Sinks::default()
    };

    // A refused token or protocol is final and said before the terminal is touched; an
    // unreachable control plane is not: the console opens and counts down to the next try.
    let deadline = tokio::time::Instant::now() + FIRST_WORD;
    while let Ok(Some(input)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        let settled = match &input {
            Input::ControlPlane(PlaneMsg::Hello(h)) => {
                if let Some(o) = &overlay {
                    Plan::new(o.apply(&h.plan.spec).0)
                        .map_err(|e| eyre!("the configuration does not fit the plan: {e}"))?;
                }
                true
            }
            Input::ControlPlane(PlaneMsg::Refused(why)) => {
                bail!("{url}: the control plane refused this console: {why}")
            }
            Input::ControlPlane(PlaneMsg::Link(Link::Down { .. })) => true,
            _ => false,
        };
        run::step(&mut app, &mut sinks, input);
        if settled {
            break;
        }
    }
    if let Some((config, client)) = sources {
        tokio::spawn(shell::metrics_poll::run(config, client, tx.clone()));
    }
    if headless {
        shell::keys::watch_reader(tx.clone());
        tokio::spawn(shell::keys::signals(tx));
        run::headless(&mut app, &mut rx, &mut sinks).await;
        return Ok(0);
    }
    on_screen(&mut app, &mut look, tx, &mut rx, &mut sinks).await
}

/// The seat a console asks for: an observer if it says so, else what its flags name.
fn seat_role(seat: &crate::cli::Seat) -> Role {
    if seat.observer {
        Role::Observer
    } else if seat.facilitator {
        Role::Facilitator
    } else {
        Role::Commander
    }
}

/// Where this console's status updates go: `--status-dir` (else the state directory), and the
/// clipboard over OSC 52 unless `--no-clipboard` or headless (no terminal to hand it to).
fn status_sink(seat: &crate::cli::Seat, headless: bool) -> shell::sinks::StatusSink {
    shell::sinks::StatusSink {
        dir: seat
            .status_dir
            .clone()
            .unwrap_or_else(shell::sinks::StatusSink::default_dir),
        clipboard: !seat.no_clipboard && !headless,
    }
}

/// Reads `--config` and its credentials: everything that can be wrong is said before the
/// terminal is touched.
pub(super) fn metric_sources(
    path: &std::path::Path,
) -> Result<(
    std::sync::Arc<crate::config::Config>,
    shell::prometheus::Client,
)> {
    let config = crate::config::load(path).map_err(|e| eyre!("--config {e}"))?;
    let client = shell::prometheus::Client::for_config(&config)
        .map_err(|e| eyre!("--config {}: {e}", path.display()))?;
    Ok((std::sync::Arc::new(config), client))
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
