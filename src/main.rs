#![forbid(unsafe_code)]

use clap::{CommandFactory, Parser};

fn main() {
    // Panics still get the full report (with the terminal restored first); errors a person
    // can fix are one line.
    if let Err(e) = color_eyre::install() {
        eprintln!("warroom: {e}");
    }
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
    match warroom::mode::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("warroom: {}", warroom::mode::one_line(&e));
            std::process::exit(1)
        }
    }
}
