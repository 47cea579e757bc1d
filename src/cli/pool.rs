//! Commands run on a worker of rayon's thread pool, the pool the CPU backend splits its loops
//! and matrix products over.
//!
//! A thread outside the pool that starts a split loop hands the pieces to the pool's threads
//! and sleeps until they finish, so each of the thousands of tensor operations in a training
//! step woke the pool's two threads and then the caller: three context switches, and one of
//! the two cores idle while the caller ran the serial parts. On a worker of the pool the caller
//! runs one piece itself and wakes one other thread, which made the micro preset's training
//! step about a quarter faster with the same numbers.

/// Checks `GLIT_POOL_SPIN_US` before any work starts: the spinners (`crate::pool_spin`) would
/// ignore a value they cannot read and wait their default 50 ms, which a user who set it would
/// not expect.
pub fn check_spin_setting() -> crate::error::Result<()> {
    crate::pool_spin::spin_setting().map(|_| ())
}

/// Stack of each pool thread: Rhai scripts and the search run on one, so it gets more than
/// the 8 MiB of a main thread instead of rayon's default 2 MiB.
const STACK_BYTES: usize = 32 << 20;

/// Runs `work` on a worker of the global pool, first building that pool with `threads`
/// threads (every core when `None`) unless this process built it already.
pub fn on_pool<T: Send>(threads: Option<usize>, work: impl FnOnce() -> T + Send) -> T {
    // An error means the pool exists (a second command in one process): use it as it is.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .stack_size(STACK_BYTES)
        .build_global();
    rayon::scope(|_| {
        // This thread drives the command's computations: the spinners keep off it.
        crate::pool_spin::mark_driver();
        work()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_runs_on_a_thread_of_the_pool_and_returns_its_result() {
        let (index, answer) = on_pool(None, || (rayon::current_thread_index(), 6 * 7));
        assert!(index.is_some(), "the work ran outside the pool");
        assert_eq!(answer, 42);
    }
}
