#![forbid(unsafe_code)]

use clap::Parser;

fn main() {
    // Panics still get the full report (with the terminal restored first); errors a person
    // can fix are one line.
    if let Err(e) = color_eyre::install() {
        eprintln!("warroom: {e}");
    }
    let cli = warroom::cli::Cli::parse();
    match warroom::mode::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("warroom: {}", warroom::mode::one_line(&e));
            std::process::exit(1)
        }
    }
}
