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
    /// Playback speed (0.5 to 1000), or "max" for as fast as possible.
    #[arg(long, default_value = "60")]
    pub speed: String,
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
