#![forbid(unsafe_code)]

use clap::Parser;

fn main() -> color_eyre::Result<()> {
    color_eyre::install()?;
    let cli = warroom::cli::Cli::parse();
    std::process::exit(warroom::mode::run(cli)?)
}
