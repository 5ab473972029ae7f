#![forbid(unsafe_code)]

use std::io::IsTerminal;

use clap::{CommandFactory, Parser};

fn main() {
    install_reports();
    let cli = match warroom::cli::Cli::try_parse() {
        Ok(cli) => cli,
        // `--help` and `--version` are ours to print as clap does.
        Err(e) if !e.use_stderr() => e.exit(),
        // A usage error echoes the arguments given. Rendered again without styles, the only
        // escapes left in it are the arguments', and the sanitiser shows them as it does on
        // screen (`�[2J`).
        Err(e) => {
            let plain = warroom::cli::Cli::command()
                .styles(clap::builder::Styles::plain())
                .try_get_matches()
                .err()
                .unwrap_or(e);
            eprint!(
                "{}",
                warroom::core::sanitize::sanitize_lines(&plain.render().ansi().to_string())
            );
            std::process::exit(plain.exit_code())
        }
    };
    // Errors a person can fix are one line (`warroom: …`), never a report.
    match warroom::mode::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("warroom: {}", warroom::mode::one_line(&e));
            std::process::exit(1)
        }
    }
}

/// color-eyre's reports, which only a panic prints (a bug: the whole report, with the
/// terminal restored first): colour only when stderr is a terminal and `NO_COLOR` is unset,
/// no hints about environment variables, and no source location for an error report (a
/// panic keeps its own).
fn install_reports() {
    let colour = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let theme = if colour {
        color_eyre::config::Theme::dark()
    } else {
        color_eyre::config::Theme::new()
    };
    if let Err(e) = color_eyre::config::HookBuilder::default()
        .display_env_section(false)
        .display_location_section(false)
        .theme(theme)
        .install()
    {
        eprintln!("warroom: {e}");
    }
}
