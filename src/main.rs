//! The `glit` command: parse the arguments, run one subcommand, print one error.

use clap::Parser;

/// Training allocates a fresh buffer for nearly every tensor operation; mimalloc keeps freed
/// pages for reuse where the system allocator would unmap and re-fault them (measured in
/// BENCHMARKS.md). The counting wrapper lets a script's memory limit see what the script's
/// own values hold (`glit::thread_heap`).
#[global_allocator]
static ALLOCATOR: glit::thread_heap::CountedHeap<mimalloc::MiMalloc> =
    glit::thread_heap::CountedHeap(mimalloc::MiMalloc);

/// `mi_option_purge_delay` in mimalloc 3's `mi_option_e` (`include/mimalloc.h`); the Rust
/// bindings name no constant for it.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Tells mimalloc to keep the pages it frees instead of purging them after its default 10 ms.
/// A training step frees and reallocates the same activation-sized buffers every few
/// milliseconds, so purged pages came straight back as page faults and kernel page clears:
/// about a tenth of a micro-preset training step (BENCHMARKS.md). The resident set stays at
/// the run's high-water mark, which it reaches anyway at every step.
fn keep_freed_pages() {
    // SAFETY: setting an option is a plain store into mimalloc's option table; the value -1
    // ("never purge") is documented for this option.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
}

fn main() -> std::process::ExitCode {
    keep_freed_pages();
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
