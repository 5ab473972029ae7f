//! Command-line interface.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// A full-screen terminal war-room console for rollouts and incidents.
#[derive(Parser, Debug)]
#[command(name = "warroom", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Replay a recorded fixture on the full screen (headless NDJSON when stdout is not a terminal).
    Replay(ReplayArgs),
    /// Check a fixture and print a one-line summary; exit 1 with <FILE:LINE:COLUMN> on the first error.
    Check {
        /// Fixture file (JSON Lines), or builtin:NAME.
        file: String,
    },
    /// Render the screen of a fixture at a moment to PNG, SVG or text.
    Snapshot(SnapshotArgs),
    /// Write the after-action report of a fixture or a recording: Markdown in the shape of
    /// the post-mortem template, or one self-contained HTML page with the SLO charts.
    Report(ReportArgs),
    /// Run a control plane: a live rollout for any number of consoles over WebSocket, with
    /// `GET /metrics` and `GET /healthz` on the same port.
    Serve(ServeArgs),
    /// Open the console on a control plane (`ws://` or `wss://` URL).
    Connect(ConnectArgs),
    /// A control plane inside this process, on a loopback port, and the console on it: the
    /// Batch Patches rollout in which wave 3 goes wrong. Nothing to set up.
    Demo(DemoArgs),
    /// The metric and alert sources configuration (`warroom.toml`).
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Plan files: a whole rollout for `warroom serve --plan` (docs/plan-format.md).
    #[command(subcommand)]
    Plan(PlanCommand),
    /// Write a large synthetic fixture (for benchmarks) to stdout or a file.
    Generate {
        /// Number of records.
        #[arg(long, default_value_t = 1_000_000)]
        records: u64,
        /// Seed for the generator: the same seed writes the same file.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Output file (stdout when omitted).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

#[derive(clap::Args, Debug, Clone)]
pub struct Look {
    /// Theme: a built-in name (dark, light, high-contrast, colorblind, mono) or a TOML file.
    #[arg(long, default_value = "dark")]
    pub theme: String,
    /// Use ASCII glyphs only, for terminals without Unicode.
    #[arg(long)]
    pub ascii: bool,
}

#[derive(clap::Args, Debug)]
pub struct ReplayArgs {
    /// Fixture file (JSON Lines), or builtin:NAME; the built-in Batch Patches rollout when omitted.
    pub file: Option<String>,
    /// Run without a screen: print state changes as NDJSON and a final summary.
    #[arg(long)]
    pub headless: bool,
    /// Playback speed: 0.5 to 1000 (fixture seconds per second), "max" for as fast as
    /// possible, or "auto" for the speed that plays the whole fixture in about three minutes.
    #[arg(long, default_value = "60")]
    pub speed: String,
    /// Longest time, in seconds, a quiet stretch (nothing new on the timeline) takes to play:
    /// the replay moves on to just before the next event, and the clocks show the real time.
    /// 0 plays quiet stretches at speed.
    #[arg(long, default_value = "2", value_name = "SECONDS")]
    pub idle_limit: f64,
    /// Start paused at this offset (e.g. T+2h, T-30m).
    #[arg(long)]
    pub at: Option<String>,
    #[command(flatten)]
    pub look: Look,
}

#[derive(clap::Args, Debug)]
pub struct SnapshotArgs {
    /// Fixture file (JSON Lines), or builtin:NAME.
    pub file: String,
    /// The moment to show (T+12m, T-1h, 00:30:00); the end of the fixture when omitted.
    #[arg(long)]
    pub at: Option<String>,
    /// Screen size, `COLSxROWS`.
    #[arg(long, default_value = "120x40")]
    pub size: String,
    /// Output file: .png, .svg or .txt.
    #[arg(short, long)]
    pub output: PathBuf,
    #[command(flatten)]
    pub look: Look,
}

#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// Fixture or recording (JSON Lines: a live console's --record, an exercise, a journal's
    /// records), or builtin:NAME.
    pub file: String,
    /// Output file: .html (one page, no network needed) or .md.
    #[arg(short, long)]
    pub output: PathBuf,
    /// The fixture an exercise was played from: each key moment's decision latency is shown
    /// beside the time this reference took.
    #[arg(long)]
    pub reference: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Play this fixture in real time first, then answer commands; the built-in demo
    /// scenario when omitted.
    #[arg(conflicts_with = "plan")]
    pub fixture: Option<String>,
    /// Conduct the rollout this plan file describes (docs/plan-format.md): bake timers, gates,
    /// triggers, and the actuator that moves real traffic.
    #[arg(long)]
    pub plan: Option<PathBuf>,
    /// Address to listen on. Only loopback unless --allow-remote.
    #[arg(long, default_value = "127.0.0.1:7878")]
    pub listen: std::net::SocketAddr,
    /// Listen on a non-loopback address (consoles elsewhere can reach it).
    #[arg(long)]
    pub allow_remote: bool,
    /// Rollout seconds per wall second.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Seed for the scenario's generated metrics (the same seed gives the same run).
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// File of `TOKEN facilitator|commander|participant|observer` lines; without it anyone may connect as they ask.
    #[arg(long)]
    pub tokens: Option<PathBuf>,
    /// Directory of the journal: every event is written there before it is published, and a
    /// control plane started again on it goes on where it was. Default:
    /// `$XDG_STATE_HOME/warroom/serve/ROLLOUT-ID` (`~/.local/state/…`).
    #[arg(long, value_name = "DIR", conflicts_with = "ephemeral")]
    pub state: Option<PathBuf>,
    /// Keep no journal: a restart starts a new session from T+0.
    #[arg(long)]
    pub ephemeral: bool,
    /// Most connections open at once (consoles, HTTP requests, clients still sending their
    /// request); more are answered 503. Default 1024, or less when the descriptor limit
    /// (`ulimit -n`) is lower.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: Option<u32>,
    /// Most connections open at once from one IP address; more are answered 503. Default 128.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_per_address: Option<u32>,
}

impl ServeArgs {
    /// The network edge's limits these arguments ask for.
    #[must_use]
    pub fn limits(&self) -> crate::server::net::Limits {
        let mut l = crate::server::net::Limits::default();
        if let Some(n) = self.max_connections {
            l.connections = n as usize;
        }
        if let Some(n) = self.max_per_address {
            l.per_address = n as usize;
        }
        l
    }
}

#[derive(clap::Args, Debug, Clone)]
pub struct Seat {
    /// Who commands are issued as (default: user@host).
    #[arg(long)]
    pub actor: Option<String>,
    /// A read-only seat: no command keys, and the control plane refuses commands too.
    #[arg(long)]
    pub observer: bool,
    /// Ask for the facilitator's seat of an exercise (`warroom serve FIXTURE`): the room's
    /// clock and its injects. A token's seat is its own: a facilitator's token gets it
    /// without this, and another token never does.
    #[arg(long, conflicts_with = "observer")]
    pub facilitator: bool,
    /// Read the credential token from this file (or set `WARROOM_TOKEN`). Never on the command line.
    #[arg(long)]
    pub token_file: Option<PathBuf>,
    /// Append-only audit log of commands and outcomes (default: `$XDG_STATE_HOME/warroom/audit.jsonl`).
    #[arg(long)]
    pub audit_log: Option<PathBuf>,
    /// Where posted status updates are saved (default: `$XDG_STATE_HOME/warroom/status`).
    #[arg(long)]
    pub status_dir: Option<PathBuf>,
    /// Do not copy a posted status update to the clipboard (OSC 52).
    #[arg(long)]
    pub no_clipboard: bool,
    /// Write everything received as a fixture that `warroom replay` plays back.
    #[arg(long)]
    pub record: Option<PathBuf>,
    /// Read SLO values from Prometheus and alerts from Alertmanager as this file says
    /// (`warroom config template` prints an example).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct ConnectArgs {
    /// The control plane, e.g. `ws://127.0.0.1:7878`
    pub url: String,
    #[command(flatten)]
    pub seat: Seat,
    /// Run without a screen: print every change as NDJSON until interrupted.
    #[arg(long)]
    pub headless: bool,
    #[command(flatten)]
    pub look: Look,
}

#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Rollout seconds per wall second (the story takes about four minutes at 1).
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    #[command(flatten)]
    pub seat: Seat,
    #[command(flatten)]
    pub look: Look,
}

#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Print a fully commented example configuration.
    Template,
    /// Check a configuration file; print what it defines, or the file, key and value at fault.
    Check { file: PathBuf },
}

#[derive(Subcommand, Debug)]
pub enum PlanCommand {
    /// Check a plan file; print what it describes, or the file, line, key and value at fault.
    Check { file: PathBuf },
}
