//! Composition: each subcommand wires sources and sinks around the console, and checks
//! everything that can refuse to start before it touches the terminal.

use std::io::Write;

use color_eyre::eyre::eyre;
use color_eyre::Result;

use crate::cli;
use crate::cli::{Cli, Command};
use crate::core::app::App;
use crate::core::input::Input;
use crate::core::sanitize::{sanitize, sanitize_line};
use crate::core::time::{parse_offset, Offset};
use crate::mode::connect::demo;
use crate::mode::connect::live_console;
use crate::mode::replay::check;
use crate::mode::replay::replay_headless;
use crate::mode::replay::replay_screen;
use crate::mode::serve::serve;
use crate::mode::snapshot::snapshot_cmd;
use crate::shell::sinks::Sinks;
use crate::shell::{self};

mod connect;
mod replay;
mod report;
pub use report::gather as gather_report;
mod serve;
mod snapshot;

/// Runs a parsed command line; returns the process exit code.
///
/// A fixture that is refused (bad JSON, unknown wave, time going backwards…) is reported as
/// `FILE:LINE:COLUMN: message` on stderr with exit status 1, before the terminal is touched.
///
/// # Errors
/// Other start-up failures (bad theme, bad option, unwritable output), worded for people.
pub fn run(cli: cli::Cli) -> color_eyre::Result<i32> {
    match dispatch(cli) {
        Err(e)
            if e.downcast_ref::<crate::format::fixture::FixtureError>()
                .is_some() =>
        {
            Ok(refuse(&e))
        }
        // `warroom replay --headless | head`: the reader went away, which is not a failure.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            Ok(0)
        }
        other => other,
    }
}

/// Writes a line for a person on stdout. Lines quote what was given (file names, values), so
/// they go through the screen's sanitiser on the way out, and stay one line.
pub(super) fn say(line: &str) {
    println!("{}", sanitize_line(line));
}

/// Writes a refusal on stderr as one line, sanitised like [`say`]; returns the exit status, 1.
fn refuse(e: &dyn std::fmt::Display) -> i32 {
    eprintln!("{}", sanitize_line(&e.to_string()));
    1
}

/// An error as one line for people: its causes joined with ": ", each cleaned of terminal
/// escapes (errors quote file names and values), without source locations or backtraces.
#[must_use]
pub fn one_line(e: &color_eyre::Report) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = sanitize(&cause.to_string()).to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

fn dispatch(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Check { file } => check(&file),
        Command::Replay(args)
            if args.headless || !std::io::IsTerminal::is_terminal(&std::io::stdout()) =>
        {
            replay_headless(&args)
        }
        Command::Replay(args) => replay_screen(&args),
        Command::Snapshot(args) => snapshot_cmd(&args),
        Command::Report(args) => report::report_cmd(&args),
        Command::Serve(args) => serve(&args),
        Command::Connect(args) => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?;
            // Headless when asked, and when stdout is not a terminal (a pipe, a file).
            let headless = args.headless || !std::io::IsTerminal::is_terminal(&std::io::stdout());
            rt.block_on(live_console(
                args.url.clone(),
                args.seat.clone(),
                &args.look,
                headless,
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
                    say(&format!(
                        "{}: ok: Prometheus at {} every {}, {} SLOs, {} gate(s){}",
                        file.display(),
                        c.prometheus.url,
                        c.prometheus.interval,
                        c.slos.len(),
                        gated,
                        c.alertmanager
                            .as_ref()
                            .map_or_else(String::new, |a| format!(", Alertmanager at {}", a.url))
                    ));
                    Ok(0)
                }
                Err(e) => Ok(refuse(&e)),
            }
        }
        Command::Plan(crate::cli::PlanCommand::Check { file }) => {
            match crate::config::plan_file::load(&file) {
                Ok(p) => {
                    say(&format!(
                        "{}: ok: {}",
                        file.display(),
                        crate::config::plan_file::summary(&p)
                    ));
                    Ok(0)
                }
                Err(e) => Ok(refuse(&e)),
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

pub(super) fn parse_at(at: Option<&str>) -> Result<Option<Offset>> {
    at.map(parse_offset)
        .transpose()
        .map_err(|e| eyre!("--at: {e}"))
}

/// Takes the terminal, runs the console on it until quit, and gives the terminal back (on
/// every way out: the guard restores it on drop and on panic).
pub(super) async fn on_screen(
    app: &mut App,
    look: &mut crate::view::look::Look,
    tx: tokio::sync::mpsc::Sender<Input>,
    rx: &mut tokio::sync::mpsc::Receiver<Input>,
    sinks: &mut Sinks,
) -> Result<i32> {
    tokio::spawn(shell::keys::keys(tx.clone()));
    tokio::spawn(shell::keys::signals(tx));
    let mut guard = shell::terminal::Guard::enter()?;
    panic_hook_for_tests();
    let stats = shell::run::run(
        &mut guard.terminal,
        app,
        look,
        rx,
        sinks,
        shell::terminal::synchronized_draw,
    )
    .await;
    drop(guard);
    stats?;
    // A file refused after the first frame is reported as one refused before it would be.
    Ok(app.failure.take().map_or(0, |e| refuse(&e)))
}

/// `WARROOM_TEST_PANIC=SECONDS`: a task panics that long after the screen is taken, so that
/// tests can see the terminal restored and the logs intact after a panic. For tests only.
fn panic_hook_for_tests() {
    let Some(secs) = std::env::var("WARROOM_TEST_PANIC")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
    else {
        return;
    };
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_secs_f64(secs)).await;
        #[expect(clippy::panic, reason = "the test hook's whole point")]
        {
            panic!("WARROOM_TEST_PANIC: a panic on purpose");
        }
    });
}

/// The look asked for on the command line, with `NO_COLOR` honoured.
///
/// # Errors
/// A theme that cannot be loaded (file, key and value named).
pub(crate) fn look(args: &cli::Look) -> color_eyre::Result<crate::view::look::Look> {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    crate::view::look::Look::load(&args.theme, args.ascii, no_color)
        .map_err(|e| color_eyre::eyre::eyre!("bad theme: {e}"))
}

/// How far long work is (checking or reading a big file), on one line of stderr rewritten in place: only when stderr is a
/// terminal, and only for work that takes long enough to be worth it (a line a quarter of a
/// second after the start, then four a second). Told after every line; it looks at the clock
/// once in 4,096.
pub(super) struct Progress {
    /// Stderr is a terminal: otherwise nothing is written.
    on: bool,
    lines: u32,
    /// "checking", "reading".
    verb: &'static str,
    label: String,
    total: u64,
    started: std::time::Instant,
    said: Option<std::time::Instant>,
}

impl Progress {
    pub(super) fn on_stderr(file: &str, verb: &'static str, total: u64) -> Progress {
        Progress {
            on: std::io::IsTerminal::is_terminal(&std::io::stderr()),
            lines: 0,
            verb,
            label: crate::core::sanitize::sanitize_line(file).to_string(),
            total: total.max(1),
            started: std::time::Instant::now(),
            said: None,
        }
    }

    pub(super) fn at(&mut self, offset: u64) {
        let wait = std::time::Duration::from_millis(250);
        self.lines = self.lines.wrapping_add(1);
        if !self.on
            || !self.lines.is_multiple_of(4096)
            || self.started.elapsed() < wait
            || self.said.is_some_and(|s| s.elapsed() < wait)
        {
            return;
        }
        self.said = Some(std::time::Instant::now());
        let pct = (offset.saturating_mul(100) / self.total).min(99);
        eprint!("\r{}: {} {pct}%\x1b[K", self.label, self.verb);
    }

    /// Takes the line away again.
    pub(super) fn clear(&self) {
        if self.said.is_some() {
            eprint!("\r\x1b[K");
        }
    }
}
