//! Binary element-wise operations on two arbitrarily strided operands, walked as rows of the
//! innermost dimension (a glit patch, see `PATCHED.md`).
//!
//! Upstream's fallback computed both offsets of every element with `StridedIter`, which
//! dominated the profile of a transformer's backward pass: the gradients of transposed views
//! (attention heads, a convolution's channel axis) meet their partners here. Walking rows
//! computes the offsets once per row, and a row whose operands are contiguous or broadcast
//! (stride 1 or 0) becomes a loop the compiler vectorises.

use alloc::vec::Vec;
use core::mem::MaybeUninit;

#[cfg(feature = "rayon")]
use rayon::prelude::*;

use crate::layout::Layout;

/// Rows per task below which the walk stays on the calling thread.
#[cfg(feature = "rayon")]
const SPLIT_MIN_ELEMENTS: usize = 32 * 1024;

/// `op(lhs[i], rhs[i])` for every logical index `i` of two same-shaped layouts, in row-major
/// order, into a new contiguous vector.
pub(crate) fn map2<E, R, F>(
    lhs: &[E],
    lhs_layout: &Layout,
    rhs: &[E],
    rhs_layout: &Layout,
    op: F,
) -> Vec<R>
where
    E: Copy + Sync,
    R: Send,
    F: Fn(E, E) -> R + Sync + Send,
{
    let shape = lhs_layout.shape();
    debug_assert_eq!(
        shape,
        rhs_layout.shape(),
        "strided_rows::map2: shapes differ"
    );
    let len = lhs_layout.num_elements();
    let mut out = Vec::with_capacity(len);
    if len == 0 {
        return out;
    }
    let walk = RowWalk::new(lhs_layout, rhs_layout);
    let slots = &mut out.spare_capacity_mut()[..len];

    #[cfg(feature = "rayon")]
    {
        let threads = rayon::current_num_threads();
        if len >= SPLIT_MIN_ELEMENTS && threads > 1 {
            let rows_per_task = walk.rows.div_ceil(threads * 2).max(1);
            slots
                .par_chunks_mut(rows_per_task * walk.row_len)
                .enumerate()
                .for_each(|(task, dst)| walk.fill(task * rows_per_task, dst, lhs, rhs, &op));
            // SAFETY: the chunks cover all `len` slots and `fill` writes every slot it is given.
            unsafe { out.set_len(len) };
            return out;
        }
    }
    walk.fill(0, slots, lhs, rhs, &op);
    // SAFETY: `fill` wrote every one of the `len` slots.
    unsafe { out.set_len(len) };
    out
}

/// The row structure shared by both operands: the outer shape, and each operand's offset
/// and strides.
struct RowWalk<'a> {
    outer_shape: &'a [usize],
    lhs_outer_strides: &'a [isize],
    rhs_outer_strides: &'a [isize],
    lhs_start: isize,
    rhs_start: isize,
    lhs_step: isize,
    rhs_step: isize,
    row_len: usize,
    rows: usize,
}

impl<'a> RowWalk<'a> {
    fn new(lhs: &'a Layout, rhs: &'a Layout) -> Self {
        let shape: &[usize] = lhs.shape();
        let dims = shape.len();
        let (row_len, outer) = if dims == 0 {
            (1, 0)
        } else {
            (shape[dims - 1], dims - 1)
        };
        let step = |layout: &Layout| {
            if dims == 0 {
                0
            } else {
                layout.strides()[dims - 1]
            }
        };
        RowWalk {
            outer_shape: &shape[..outer],
            lhs_outer_strides: &lhs.strides()[..outer],
            rhs_outer_strides: &rhs.strides()[..outer],
            lhs_start: lhs.start_offset() as isize,
            rhs_start: rhs.start_offset() as isize,
            lhs_step: step(lhs),
            rhs_step: step(rhs),
            row_len,
            rows: shape[..outer].iter().product(),
        }
    }

    /// Both operands' offsets of the first element of `row`.
    fn row_offsets(&self, row: usize) -> (isize, isize) {
        let (mut lhs, mut rhs) = (self.lhs_start, self.rhs_start);
        let mut rest = row;
        for d in (0..self.outer_shape.len()).rev() {
            let index = (rest % self.outer_shape[d]) as isize;
            rest /= self.outer_shape[d];
            lhs += index * self.lhs_outer_strides[d];
            rhs += index * self.rhs_outer_strides[d];
        }
        (lhs, rhs)
    }

    /// Writes the rows from `first_row` on into `dst` (a whole number of rows).
    fn fill<E: Copy, R, F: Fn(E, E) -> R>(
        &self,
        first_row: usize,
        dst: &mut [MaybeUninit<R>],
        lhs: &[E],
        rhs: &[E],
        op: &F,
    ) {
        let n = self.row_len;
        for (i, row) in dst.chunks_mut(n).enumerate() {
            let (l0, r0) = self.row_offsets(first_row + i);
            match (self.lhs_step, self.rhs_step) {
                (1, 1) => {
                    let (l, r) = (&lhs[l0 as usize..][..n], &rhs[r0 as usize..][..n]);
                    for ((d, &a), &b) in row.iter_mut().zip(l).zip(r) {
                        d.write(op(a, b));
                    }
                }
                (1, 0) => {
                    let (l, b) = (&lhs[l0 as usize..][..n], rhs[r0 as usize]);
                    for (d, &a) in row.iter_mut().zip(l) {
                        d.write(op(a, b));
                    }
                }
                (0, 1) => {
                    let (a, r) = (lhs[l0 as usize], &rhs[r0 as usize..][..n]);
                    for (d, &b) in row.iter_mut().zip(r) {
                        d.write(op(a, b));
                    }
                }
                (ls, rs) => {
                    for (j, d) in row.iter_mut().enumerate() {
                        let j = j as isize;
                        d.write(op(lhs[(l0 + j * ls) as usize], rhs[(r0 + j * rs) as usize]));
                    }
                }
            }
        }
    }
}

/// The elements of a strided view (`shape`, `strides`, `start`) of `src`, in row-major
/// order: rows of the innermost dimension, copied whole when they are contiguous, and split
/// over the pool for large views.
pub(crate) fn gather<E>(src: &[E], start: isize, shape: &[usize], strides: &[isize]) -> Vec<E>
where
    E: Copy + Send + Sync,
{
    gather_map(src, start, shape, strides, |x| x)
}

/// `op` of every element of a strided view of `src`, in row-major order (see [`gather`]).
pub(crate) fn gather_map<E, R, F>(
    src: &[E],
    start: isize,
    shape: &[usize],
    strides: &[isize],
    op: F,
) -> Vec<R>
where
    E: Copy + Sync,
    R: Send,
    F: Fn(E) -> R + Sync + Send,
{
    let len: usize = shape.iter().product();
    let mut out = Vec::with_capacity(len);
    if len == 0 {
        return out;
    }
    let dims = shape.len();
    let (row_len, step) = if dims == 0 {
        (1, 0)
    } else {
        (shape[dims - 1], strides[dims - 1])
    };
    let outer = dims.saturating_sub(1);
    let (outer_shape, outer_strides) = (&shape[..outer], &strides[..outer]);
    let row_start = |row: usize| {
        let (mut offset, mut rest) = (start, row);
        for d in (0..outer).rev() {
            offset += (rest % outer_shape[d]) as isize * outer_strides[d];
            rest /= outer_shape[d];
        }
        offset
    };
    let fill = |first_row: usize, dst: &mut [MaybeUninit<R>]| {
        for (i, row) in dst.chunks_mut(row_len).enumerate() {
            let r0 = row_start(first_row + i);
            if step == 1 {
                for (d, &s) in row.iter_mut().zip(&src[r0 as usize..][..row_len]) {
                    d.write(op(s));
                }
            } else {
                for (j, d) in row.iter_mut().enumerate() {
                    d.write(op(src[(r0 + j as isize * step) as usize]));
                }
            }
        }
    };
    let slots = &mut out.spare_capacity_mut()[..len];
    #[cfg(feature = "rayon")]
    {
        let threads = rayon::current_num_threads();
        if len >= SPLIT_MIN_ELEMENTS && threads > 1 {
            let rows = len / row_len;
            let rows_per_task = rows.div_ceil(threads * 2).max(1);
            slots
                .par_chunks_mut(rows_per_task * row_len)
                .enumerate()
                .for_each(|(task, dst)| fill(task * rows_per_task, dst));
            // SAFETY: the chunks cover all `len` slots and `fill` writes every slot it is given.
            unsafe { out.set_len(len) };
            return out;
        }
    }
    fill(0, slots);
    // SAFETY: `fill` wrote every one of the `len` slots.
    unsafe { out.set_len(len) };
    out
}
