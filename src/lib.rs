//! warroom: a full-screen terminal war-room console for rollouts and incidents.
//!
//! `core` is the pure model and reducer, `format` reads fixtures and protocol records,
//! `view` draws a state, and `shell` does the I/O (terminal, files, clocks).
#![forbid(unsafe_code)]

pub mod cli;
mod commands;
pub mod config;
pub mod core;
pub mod format;
pub mod server;
pub mod shell;
pub mod view;

/// Runs a parsed command line; returns the process exit code.
///
/// A fixture that is refused (bad JSON, unknown wave, time going backwards…) is reported as
/// `FILE:LINE:COLUMN: message` on stderr with exit status 1, before the terminal is touched.
///
/// # Errors
/// Other start-up failures (bad theme, bad option, unwritable output), worded for people.
pub fn run(cli: cli::Cli) -> color_eyre::Result<i32> {
    match commands::dispatch(cli) {
        Err(e) if e.downcast_ref::<format::fixture::FixtureError>().is_some() => {
            eprintln!("{e}");
            Ok(1)
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

/// The look asked for on the command line, with `NO_COLOR` honoured.
///
/// # Errors
/// A theme that cannot be loaded (file, key and value named).
pub fn look(args: &cli::Look) -> color_eyre::Result<view::look::Look> {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    view::look::Look::load(&args.theme, args.ascii, no_color)
        .map_err(|e| color_eyre::eyre::eyre!("bad theme: {e}"))
}
