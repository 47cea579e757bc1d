//! The `glit` command: parse the arguments, run one subcommand, print one error.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = glit::cli::Cli::parse();
    match glit::cli::run(cli) {
        Ok(text) => {
            print!("{text}");
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
