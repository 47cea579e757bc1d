//! Element-wise loops split into contiguous chunks over rayon's pool (a glit patch, see
//! `PATCHED.md`).
//!
//! Upstream runs element-wise operations on one thread and only matrix products on the pool,
//! so a training step used about one core of two. Every element is still computed by the same
//! expression from the same inputs, so the results are bit-identical to the one-thread loops
//! whatever the number of threads.

use alloc::vec::Vec;
use core::mem::MaybeUninit;

#[cfg(feature = "rayon")]
use rayon::prelude::*;

/// Below this many elements a loop stays on the calling thread: splitting costs a few
/// microseconds, about what a thread needs for this many elements.
#[cfg(feature = "rayon")]
const SPLIT_MIN: usize = 32 * 1024;

/// Elements per chunk for a loop of `len`, or `None` when the loop should not be split.
#[cfg(feature = "rayon")]
fn chunk_len(len: usize) -> Option<usize> {
    let threads = rayon::current_num_threads();
    if len < SPLIT_MIN || threads < 2 {
        return None;
    }
    // Two chunks per thread evens out a thread that starts late; a multiple of 64 elements
    // keeps every chunk but the last aligned to whole cache lines and SIMD vectors.
    Some(len.div_ceil(threads * 2).next_multiple_of(64))
}

/// Runs `body` over `data`, in chunks on the pool when `data` is large.
pub(crate) fn update<E, F>(data: &mut [E], body: F)
where
    E: Send,
    F: Fn(&mut [E]) + Sync + Send,
{
    #[cfg(feature = "rayon")]
    if let Some(chunk) = chunk_len(data.len()) {
        data.par_chunks_mut(chunk).for_each(body);
        return;
    }
    body(data)
}

/// Runs `body` over matching chunks of `dst` and `src` (of equal length).
pub(crate) fn update_with<E, R, F>(dst: &mut [E], src: &[R], body: F)
where
    E: Send,
    R: Sync,
    F: Fn(&mut [E], &[R]) + Sync + Send,
{
    debug_assert_eq!(dst.len(), src.len());
    #[cfg(feature = "rayon")]
    if let Some(chunk) = chunk_len(dst.len()) {
        dst.par_chunks_mut(chunk)
            .zip(src.par_chunks(chunk))
            .for_each(|(d, s)| body(d, s));
        return;
    }
    body(dst, src)
}

/// `src.map(op)` collected into a new vector.
pub(crate) fn map<E, R, F>(src: &[E], op: F) -> Vec<R>
where
    E: Copy + Sync,
    R: Send,
    F: Fn(E) -> R + Sync + Send,
{
    let len = src.len();
    let mut out = Vec::with_capacity(len);
    let body = |dst: &mut [MaybeUninit<R>], src: &[E]| {
        for (d, &s) in dst.iter_mut().zip(src) {
            d.write(op(s));
        }
    };
    fill(&mut out.spare_capacity_mut()[..len], src, body);
    // SAFETY: `fill` wrote every one of the first `len` slots.
    unsafe { out.set_len(len) };
    out
}

/// `lhs.zip(rhs).map(op)` collected into a new vector (`rhs` as long as `lhs`).
pub(crate) fn map2<E, R, F>(lhs: &[E], rhs: &[E], op: F) -> Vec<R>
where
    E: Copy + Sync,
    R: Send,
    F: Fn(E, E) -> R + Sync + Send,
{
    assert_eq!(lhs.len(), rhs.len(), "map2: operands of different lengths");
    let len = lhs.len();
    let mut out = Vec::with_capacity(len);
    let slots = &mut out.spare_capacity_mut()[..len];
    #[cfg(feature = "rayon")]
    if let Some(chunk) = chunk_len(len) {
        slots
            .par_chunks_mut(chunk)
            .zip(lhs.par_chunks(chunk).zip(rhs.par_chunks(chunk)))
            .for_each(|(d, (l, r))| write2(d, l, r, &op));
        // SAFETY: every chunk of the first `len` slots was written.
        unsafe { out.set_len(len) };
        return out;
    }
    write2(slots, lhs, rhs, &op);
    // SAFETY: `write2` wrote every one of the first `len` slots.
    unsafe { out.set_len(len) };
    out
}

fn write2<E: Copy, R, F: Fn(E, E) -> R>(dst: &mut [MaybeUninit<R>], lhs: &[E], rhs: &[E], op: &F) {
    for ((d, &l), &r) in dst.iter_mut().zip(lhs).zip(rhs) {
        d.write(op(l, r));
    }
}

fn fill<E, R, F>(dst: &mut [MaybeUninit<R>], src: &[E], body: F)
where
    E: Sync,
    R: Send,
    F: Fn(&mut [MaybeUninit<R>], &[E]) + Sync + Send,
{
    update_with(dst, src, body)
}
