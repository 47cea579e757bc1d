//! Element-wise loops split into contiguous chunks over rayon's pool (a glit patch, see
//! `PATCHED.md`).
//!
//! Upstream runs element-wise operations on one thread and only matrix products on the pool,
//! so a training step used about one core of two. Every element is still computed by the same
//! expression from the same inputs, so the results are bit-identical to the one-thread loops
//! whatever the number of threads.
//!
//! Everything here rests on [`update_rows`]: a buffer of whole rows, handed out in runs of
//! rows, one or two per thread.

use alloc::vec::Vec;
use core::mem::MaybeUninit;

#[cfg(feature = "rayon")]
use rayon::prelude::*;

/// Below this many elements a loop stays on the calling thread: splitting costs a few
/// microseconds, about what a thread needs for this many elements.
#[cfg(feature = "rayon")]
const SPLIT_MIN: usize = 32 * 1024;

/// Runs `body(first_row, rows)` over `data` (whole rows of `row_len`), in runs of rows on
/// the pool when `data` is large, else once over all of it.
pub(crate) fn update_rows<E, F>(data: &mut [E], row_len: usize, body: F)
where
    E: Send,
    F: Fn(usize, &mut [E]) + Sync + Send,
{
    update_rows_reading(data, row_len, data.len(), body)
}

/// [`update_rows`] for a loop whose work is not the size of what it writes (a reduction
/// writes one row and reads many): `reads` elements decide whether to split.
pub(crate) fn update_rows_reading<E, F>(data: &mut [E], row_len: usize, reads: usize, body: F)
where
    E: Send,
    F: Fn(usize, &mut [E]) + Sync + Send,
{
    #[cfg(feature = "rayon")]
    {
        let threads = rayon::current_num_threads();
        if reads.max(data.len()) >= SPLIT_MIN && threads > 1 && row_len > 0 && data.len() > row_len
        {
            // Two runs per thread even out a thread that starts late.
            let rows_per_run = (data.len() / row_len).div_ceil(threads * 2).max(1);
            data.par_chunks_mut(rows_per_run * row_len)
                .enumerate()
                .for_each(|(run, rows)| body(run * rows_per_run, rows));
            return;
        }
    }
    let _ = (reads, row_len);
    body(0, data)
}

/// A new vector of `len` elements (whole rows of `row_len`), `fill(first_row, slots)` writing
/// every slot it is given.
pub(crate) fn collect_rows<R, F>(len: usize, row_len: usize, fill: F) -> Vec<R>
where
    R: Send,
    F: Fn(usize, &mut [MaybeUninit<R>]) + Sync + Send,
{
    let mut out = Vec::with_capacity(len);
    update_rows(&mut out.spare_capacity_mut()[..len], row_len, fill);
    // SAFETY: `update_rows` handed every one of the first `len` slots to `fill`, which writes
    // every slot it is given.
    unsafe { out.set_len(len) };
    out
}

/// Two new vectors of `len` elements each (whole rows of `row_len`), filled together:
/// `fill(first_row, slots_a, slots_b)` gets matching runs of rows of both and writes every
/// slot it is given.
pub(crate) fn collect_row_pairs<R, F>(len: usize, row_len: usize, fill: F) -> (Vec<R>, Vec<R>)
where
    R: Send,
    F: Fn(usize, &mut [MaybeUninit<R>], &mut [MaybeUninit<R>]) + Sync + Send,
{
    let mut a = Vec::with_capacity(len);
    let mut b = Vec::with_capacity(len);
    {
        let slots_a = &mut a.spare_capacity_mut()[..len];
        let slots_b = &mut b.spare_capacity_mut()[..len];
        // Hand out runs of rows of `a` and the same rows of `b` beside them.
        let b_base = super::SendMutPtr::new(slots_b.as_mut_ptr());
        update_rows(slots_a, row_len, |first, rows_a| {
            let start = first * row_len;
            // SAFETY: runs of `a` are disjoint, so the same runs of `b` (as long as `a`) are
            // too; each is borrowed only by the call that got its run of `a`.
            let rows_b =
                unsafe { core::slice::from_raw_parts_mut(b_base.ptr_add(start), rows_a.len()) };
            fill(first, rows_a, rows_b)
        });
    }
    // SAFETY: `update_rows` handed every one of the first `len` slots of `a` to `fill`, with
    // the same slots of `b`, and `fill` writes every slot it is given.
    unsafe {
        a.set_len(len);
        b.set_len(len);
    }
    (a, b)
}

/// Runs `body` over `data`, in chunks on the pool when `data` is large.
pub(crate) fn update<E, F>(data: &mut [E], body: F)
where
    E: Send,
    F: Fn(&mut [E]) + Sync + Send,
{
    update_rows(data, 1, |_, chunk| body(chunk))
}

/// Runs `body` over matching chunks of `dst` and `src` (of equal length).
pub(crate) fn update_with<E, R, F>(dst: &mut [E], src: &[R], body: F)
where
    E: Send,
    R: Sync,
    F: Fn(&mut [E], &[R]) + Sync + Send,
{
    debug_assert_eq!(dst.len(), src.len());
    update_rows(dst, 1, |first, chunk| {
        body(chunk, &src[first..first + chunk.len()])
    })
}

/// `src.map(op)` collected into a new vector.
pub(crate) fn map<E, R, F>(src: &[E], op: F) -> Vec<R>
where
    E: Copy + Sync,
    R: Send,
    F: Fn(E) -> R + Sync + Send,
{
    collect_rows(src.len(), 1, |first, slots| {
        for (slot, &s) in slots.iter_mut().zip(&src[first..]) {
            slot.write(op(s));
        }
    })
}

/// `lhs.zip(rhs).map(op)` collected into a new vector (`rhs` as long as `lhs`).
pub(crate) fn map2<E, R, F>(lhs: &[E], rhs: &[E], op: F) -> Vec<R>
where
    E: Copy + Sync,
    R: Send,
    F: Fn(E, E) -> R + Sync + Send,
{
    assert_eq!(lhs.len(), rhs.len(), "map2: operands of different lengths");
    collect_rows(lhs.len(), 1, |first, slots| {
        for ((slot, &l), &r) in slots.iter_mut().zip(&lhs[first..]).zip(&rhs[first..]) {
            slot.write(op(l, r));
        }
    })
}
