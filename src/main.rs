//! The `glit` command: parse the arguments, run one subcommand, print one error.

use clap::Parser;

/// Training allocates a fresh buffer for nearly every tensor operation; mimalloc keeps freed
/// pages for reuse where the system allocator would unmap and re-fault them (measured in
/// BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
