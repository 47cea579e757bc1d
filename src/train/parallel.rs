//! Work split across threads. Forward passes with running BatchNorm statistics treat every
//! image on its own, so contiguous shares of an evaluation can run at once, as tasks on the
//! thread pool the CPU backend's own loops use (no more threads than cores), and their counts
//! add up to exactly what one thread would find. Jobs for separate devices run on threads of
//! their own.

use std::ops::Range;

use crate::error::Result;

/// Threads evaluation uses: every core the process may use.
pub fn evaluation_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Sums `work(share)` over at most `threads` contiguous shares of `0..len`, each at least
/// `min_share` long (so small inputs stay on one thread), run at once. The first error wins.
pub fn sum_over_shares(
    len: usize,
    threads: usize,
    min_share: usize,
    work: impl Fn(Range<usize>) -> Result<usize> + Sync,
) -> Result<usize> {
    use rayon::prelude::*;
    // One pool task per share, the caller taking one itself; collected in order,
    // so the first error is the first share's.
    let counts: Vec<Result<usize>> = shares(len, threads, min_share)
        .into_par_iter()
        .map(&work)
        .collect();
    counts.into_iter().sum()
}

/// Runs every job at once, one thread each (the caller's own when there is a single job),
/// and returns their results in order. A panicking job panics the caller.
pub fn at_once<T: Send>(jobs: impl IntoIterator<Item = impl FnOnce() -> T + Send>) -> Vec<T> {
    let mut jobs: Vec<_> = jobs.into_iter().collect();
    if jobs.len() <= 1 {
        return jobs.drain(..).map(|job| job()).collect();
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = jobs.into_iter().map(|job| scope.spawn(job)).collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// `0..len` cut into at most `threads` near-equal contiguous ranges of at least `min_share`.
pub(crate) fn shares(len: usize, threads: usize, min_share: usize) -> Vec<Range<usize>> {
    let count = threads.min(len / min_share.max(1)).max(1);
    let size = len.div_ceil(count);
    (0..count)
        .map(|i| i * size..((i + 1) * size).min(len))
        .filter(|r| !r.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_cover_the_range_once() {
        assert_eq!(shares(400, 2, 64), vec![0..200, 200..400]);
        assert_eq!(shares(401, 3, 64), vec![0..134, 134..268, 268..401]);
        assert_eq!(shares(100, 2, 64), vec![0..100]);
        assert!(shares(0, 2, 64).is_empty());
    }

    #[test]
    fn the_sum_does_not_depend_on_the_threads() {
        let count = |r: Range<usize>| Ok(r.filter(|i| i % 3 == 0).count());
        let one = sum_over_shares(1000, 1, 1, count).unwrap();
        let four = sum_over_shares(1000, 4, 1, count).unwrap();
        assert_eq!(one, 334);
        assert_eq!(four, one);
    }
}
