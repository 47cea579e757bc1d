//! Element-wise operations on arbitrarily strided views, walked as rows of the innermost
//! dimension (a glit patch, see `PATCHED.md`).
//!
//! Upstream's fallbacks computed the offset of every element with `StridedIter`, which
//! dominated the profile of a transformer's backward pass: the gradients of transposed views
//! (attention heads, a convolution's channel axis) meet their partners here, and permuted
//! heads are copied to contiguous form here. Walking rows computes the offsets once per row,
//! and a row that is contiguous or broadcast (stride 1 or 0) becomes a loop the compiler
//! vectorises. The rows are split over the pool by `split_loops`.

use alloc::vec::Vec;
use core::mem::MaybeUninit;

use super::split_loops;
use crate::layout::Layout;

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
    debug_assert_eq!(
        lhs_layout.shape(),
        rhs_layout.shape(),
        "map2: shapes differ"
    );
    let shape: &[usize] = lhs_layout.shape();
    let l = Rows::new(
        shape,
        lhs_layout.strides(),
        lhs_layout.start_offset() as isize,
    );
    let r = Rows::new(
        shape,
        rhs_layout.strides(),
        rhs_layout.start_offset() as isize,
    );
    if l.len() == 0 {
        return Vec::new();
    }
    split_loops::collect_rows(l.len(), l.row_len, |first_row, slots| {
        for (i, row) in slots.chunks_mut(l.row_len).enumerate() {
            let (l0, r0) = (l.start(first_row + i), r.start(first_row + i));
            let n = row.len();
            match (l.step, r.step) {
                (1, 1) => {
                    let (a, b) = (&lhs[l0 as usize..][..n], &rhs[r0 as usize..][..n]);
                    for ((d, &x), &y) in row.iter_mut().zip(a).zip(b) {
                        d.write(op(x, y));
                    }
                }
                (1, 0) => {
                    let (a, y) = (&lhs[l0 as usize..][..n], rhs[r0 as usize]);
                    for (d, &x) in row.iter_mut().zip(a) {
                        d.write(op(x, y));
                    }
                }
                (0, 1) => {
                    let (x, b) = (lhs[l0 as usize], &rhs[r0 as usize..][..n]);
                    for (d, &y) in row.iter_mut().zip(b) {
                        d.write(op(x, y));
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
    })
}

/// The elements of a strided view (`shape`, `strides`, `start`) of `src`, in row-major
/// order: rows of the innermost dimension, copied whole when they are contiguous.
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
    let view = Rows::new(shape, strides, start);
    if view.len() == 0 {
        return Vec::new();
    }
    split_loops::collect_rows(view.len(), view.row_len, |first_row, slots| {
        for (i, row) in slots.chunks_mut(view.row_len).enumerate() {
            let r0 = view.start(first_row + i);
            fill_row(row, src, r0, view.step, &op);
        }
    })
}

/// One row: `op` of `src[r0 + j * step]` for each slot `j`.
fn fill_row<E: Copy, R, F: Fn(E) -> R>(
    row: &mut [MaybeUninit<R>],
    src: &[E],
    r0: isize,
    step: isize,
    op: &F,
) {
    if step == 1 {
        let n = row.len();
        for (d, &s) in row.iter_mut().zip(&src[r0 as usize..][..n]) {
            d.write(op(s));
        }
    } else {
        for (j, d) in row.iter_mut().enumerate() {
            d.write(op(src[(r0 + j as isize * step) as usize]));
        }
    }
}

/// A strided view seen as rows of its innermost dimension.
struct Rows<'a> {
    outer_shape: &'a [usize],
    outer_strides: &'a [isize],
    start: isize,
    /// The innermost stride.
    step: isize,
    row_len: usize,
}

impl<'a> Rows<'a> {
    fn new(shape: &'a [usize], strides: &'a [isize], start: isize) -> Self {
        let outer = shape.len().saturating_sub(1);
        Rows {
            outer_shape: &shape[..outer],
            outer_strides: &strides[..outer],
            start,
            step: strides.get(outer).copied().unwrap_or(0),
            row_len: shape.get(outer).copied().unwrap_or(1),
        }
    }

    /// The number of elements.
    fn len(&self) -> usize {
        self.outer_shape.iter().product::<usize>() * self.row_len
    }

    /// The offset of the first element of `row`.
    fn start(&self, row: usize) -> isize {
        let (mut offset, mut rest) = (self.start, row);
        for d in (0..self.outer_shape.len()).rev() {
            offset += (rest % self.outer_shape[d]) as isize * self.outer_strides[d];
            rest /= self.outer_shape[d];
        }
        offset
    }
}
