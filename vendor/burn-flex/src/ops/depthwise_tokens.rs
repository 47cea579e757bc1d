//! A depthwise Conv1d and its transposed convolution (the Conv1d's input gradient) on
//! channel-last data (a glit patch, see `PATCHED.md`).
//!
//! A transformer's tokens are `[batch, length, channels]`; a depthwise Conv1d along the
//! tokens takes them as the transposed view `[batch, channels, length]`. Upstream copied that
//! view into channel-first order, convolved each `(batch, channel)` row (65 tokens: four
//! vectors and a scalar tail, with every kernel tap loading and storing the row again), and
//! returned channel-first data, which the next layer transposed back with a second copy. The
//! input gradient took the same two copies, and a loop with a bounds check per element.
//!
//! Here such a view is read where it lies, and the result is written channel-last and
//! returned as the same kind of view, so neither copy happens. Each output row
//! `out[b, t, ..]` is computed in blocks of channels held in registers across every kernel
//! tap, the taps' weights laid out `[kernel, channels]` so that a tap is one vector load of
//! weights and one of inputs per block.
//!
//! Every output is the sum upstream computed, in upstream's order: from zero, the valid taps
//! in ascending order, each adding `weight * input` (a product, then a sum: Rust never fuses
//! them), and the bias last. Taps that fall in the zero padding are skipped, as upstream
//! skipped them. The results are therefore bit-identical to upstream's whatever the CPU.

use alloc::vec;
use alloc::vec::Vec;
use core::mem::MaybeUninit;

use burn_backend::DType;
use burn_backend::ops::{ConvOptions, ConvTransposeOptions};
use burn_std::{Bytes, Shape};

use crate::{FlexTensor, Layout};

/// Channels one register block holds: four AVX-512 vectors (eight AVX2 ones).
const BLOCK: usize = 64;

/// A depthwise `conv1d` of a channel-last `x`, or `None` (nothing computed) when `x`, the
/// weight or the options are not that case: f32 operands, `groups == channels`, one input
/// and one output channel per group, stride and dilation 1.
pub(crate) fn conv1d_f32(
    x: &FlexTensor,
    weight: &FlexTensor,
    bias: Option<&FlexTensor>,
    options: &ConvOptions<1>,
) -> Option<FlexTensor> {
    if options.stride != [1] || options.dilation != [1] {
        return None;
    }
    let padding = options.padding[0];
    let taps = Taps::new(x, weight, bias, options.groups)?;
    // Output `t` reads input `t + k − padding` for tap `k`.
    let out_len = (taps.in_len + 2 * padding)
        .checked_sub(taps.kernel - 1)
        .filter(|&n| n > 0)?;
    Some(taps.run(out_len, Direction::Forward { padding }))
}

/// A depthwise `conv_transpose1d` of a channel-last `x` (the input gradient of a depthwise
/// `conv1d`), or `None` when it is not that case (as for [`conv1d_f32`], and no output
/// padding).
pub(crate) fn conv_transpose1d_f32(
    x: &FlexTensor,
    weight: &FlexTensor,
    bias: Option<&FlexTensor>,
    options: &ConvTransposeOptions<1>,
) -> Option<FlexTensor> {
    if options.stride != [1] || options.dilation != [1] || options.padding_out != [0] {
        return None;
    }
    let padding = options.padding[0];
    let taps = Taps::new(x, weight, bias, options.groups)?;
    // Input `i` adds into output `i + k − padding` for tap `k`.
    let out_len = (taps.in_len + taps.kernel - 1)
        .checked_sub(2 * padding)
        .filter(|&n| n > 0)?;
    Some(taps.run(out_len, Direction::Transposed { padding }))
}

/// Which input position a tap reads for an output position.
#[derive(Clone, Copy)]
enum Direction {
    /// `conv1d`: output `t`, tap `k` reads input `t + k − padding`.
    Forward { padding: usize },
    /// `conv_transpose1d`: output `t`, tap `k` reads input `t + padding − k`.
    Transposed { padding: usize },
}

impl Direction {
    /// The taps `k` (ascending, within `0..kernel`) whose input position for output `t` lies
    /// in `0..in_len`.
    fn valid_taps(self, t: usize, kernel: usize, in_len: usize) -> core::ops::Range<usize> {
        let (start, end) = match self {
            // 0 ≤ t + k − p < in_len  ⇔  p − t ≤ k < in_len + p − t
            Direction::Forward { padding } => (
                padding.saturating_sub(t),
                (in_len + padding).saturating_sub(t),
            ),
            // 0 ≤ t + p − k < in_len  ⇔  t + p + 1 − in_len ≤ k ≤ t + p
            Direction::Transposed { padding } => {
                ((t + padding + 1).saturating_sub(in_len), t + padding + 1)
            }
        };
        let end = end.min(kernel);
        start.min(end)..end
    }

    /// The input position tap `k` reads for output `t` (one of [`Direction::valid_taps`]).
    #[inline(always)]
    fn source(self, t: usize, k: usize) -> usize {
        match self {
            Direction::Forward { padding } => t + k - padding,
            Direction::Transposed { padding } => t + padding - k,
        }
    }
}

/// The operands of a depthwise convolution on channel-last data, checked.
struct Taps<'a> {
    /// The input's storage, from its first element: `[batch][in_len][channels]`.
    x: &'a [f32],
    /// The weights by tap: `[kernel][channels]`.
    weights_by_tap: Vec<f32>,
    bias: Option<Vec<f32>>,
    batch: usize,
    channels: usize,
    in_len: usize,
    kernel: usize,
}

impl<'a> Taps<'a> {
    /// The operands if `x` is `[batch, channels, length]` stored channel-last (the transposed
    /// view of a contiguous `[batch, length, channels]`) and `weight` is `[channels, 1,
    /// kernel]` with `groups == channels`, all f32.
    fn new(
        x: &'a FlexTensor,
        weight: &FlexTensor,
        bias: Option<&FlexTensor>,
        groups: usize,
    ) -> Option<Self> {
        if x.dtype() != DType::F32
            || weight.dtype() != DType::F32
            || bias.is_some_and(|b| b.dtype() != DType::F32)
        {
            return None;
        }
        let layout = x.layout();
        let &[batch, channels, in_len] = layout.shape().as_slice() else {
            return None;
        };
        let &[out_channels, per_group, kernel] = weight.layout().shape().as_slice() else {
            return None;
        };
        if groups != channels || out_channels != channels || per_group != 1 || kernel == 0 {
            return None;
        }
        if batch == 0 || channels == 0 || in_len == 0 || !is_channel_last(layout) {
            return None;
        }
        let start = layout.start_offset();
        let x = &x.storage::<f32>()[start..start + batch * in_len * channels];

        let weight = weight.to_contiguous();
        let w: &[f32] = weight.storage();
        let mut weights_by_tap = vec![0.0f32; kernel * channels];
        for c in 0..channels {
            for k in 0..kernel {
                weights_by_tap[k * channels + c] = w[c * kernel + k];
            }
        }
        let bias = match bias {
            Some(b) => {
                let b = b.to_contiguous();
                let values: &[f32] = b.storage();
                if values.len() != channels {
                    return None;
                }
                Some(values.to_vec())
            }
            None => None,
        };
        Some(Taps {
            x,
            weights_by_tap,
            bias,
            batch,
            channels,
            in_len,
            kernel,
        })
    }

    /// The convolution: `[batch, channels, out_len]`, stored channel-last.
    fn run(self, out_len: usize, direction: Direction) -> FlexTensor {
        let channels = self.channels;
        let len = self.batch * out_len * channels;
        let mut data: Vec<f32> = Vec::with_capacity(len);
        let reads = len * self.kernel;
        super::split_loops::update_rows_reading(
            &mut data.spare_capacity_mut()[..len],
            channels,
            reads,
            |first_row, rows| self.rows(first_row, rows, out_len, direction),
        );
        // SAFETY: `rows` wrote every element of every row (see `output_row`); f32 is plain
        // data.
        unsafe { data.set_len(len) };
        let shape = Shape::from(vec![self.batch, channels, out_len]);
        let strides = vec![(out_len * channels) as isize, 1, channels as isize];
        FlexTensor::new(
            Bytes::from_elems(data),
            Layout::new(shape, strides, 0),
            DType::F32,
        )
    }

    /// Output rows `first_row..` (row `b * out_len + t` is `out[b, t, ..]`), compiled for the
    /// widest vectors the CPU has.
    fn rows(
        &self,
        first_row: usize,
        rows: &mut [MaybeUninit<f32>],
        out_len: usize,
        direction: Direction,
    ) {
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        {
            if std::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU has just been found to support AVX-512F.
                unsafe { self.rows_avx512(first_row, rows, out_len, direction) };
                return;
            }
            if std::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has just been found to support AVX2.
                unsafe { self.rows_avx2(first_row, rows, out_len, direction) };
                return;
            }
        }
        self.rows_portable(first_row, rows, out_len, direction)
    }

    /// [`Taps::rows_portable`] with AVX-512 vectors.
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    #[target_feature(enable = "avx512f")]
    unsafe fn rows_avx512(
        &self,
        first_row: usize,
        rows: &mut [MaybeUninit<f32>],
        out_len: usize,
        direction: Direction,
    ) {
        self.rows_portable(first_row, rows, out_len, direction)
    }

    /// [`Taps::rows_portable`] with AVX2 vectors.
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    #[target_feature(enable = "avx2")]
    unsafe fn rows_avx2(
        &self,
        first_row: usize,
        rows: &mut [MaybeUninit<f32>],
        out_len: usize,
        direction: Direction,
    ) {
        self.rows_portable(first_row, rows, out_len, direction)
    }

    #[inline(always)]
    fn rows_portable(
        &self,
        first_row: usize,
        rows: &mut [MaybeUninit<f32>],
        out_len: usize,
        direction: Direction,
    ) {
        for (i, out) in rows.chunks_exact_mut(self.channels).enumerate() {
            let row = first_row + i;
            self.output_row(out, row / out_len, row % out_len, direction);
        }
    }

    /// Writes every element of `out[b, t, ..]`: blocks of [`BLOCK`] channels, then of 16, then
    /// single channels.
    #[inline(always)]
    fn output_row(&self, out: &mut [MaybeUninit<f32>], b: usize, t: usize, direction: Direction) {
        let taps = direction.valid_taps(t, self.kernel, self.in_len);
        let mut c = 0;
        while c + BLOCK <= self.channels {
            self.block::<BLOCK>(out, b, t, c, taps.clone(), direction);
            c += BLOCK;
        }
        while c + 16 <= self.channels {
            self.block::<16>(out, b, t, c, taps.clone(), direction);
            c += 16;
        }
        while c < self.channels {
            self.block::<1>(out, b, t, c, taps.clone(), direction);
            c += 1;
        }
    }

    /// Channels `c..c + N` of `out[b, t, ..]`: `N` sums kept in registers over the taps.
    #[inline(always)]
    fn block<const N: usize>(
        &self,
        out: &mut [MaybeUninit<f32>],
        b: usize,
        t: usize,
        c: usize,
        taps: core::ops::Range<usize>,
        direction: Direction,
    ) {
        let channels = self.channels;
        let x_batch = &self.x[b * self.in_len * channels..][..self.in_len * channels];
        let mut sums = [0.0f32; N];
        for k in taps {
            let input: &[f32; N] = x_batch[direction.source(t, k) * channels + c..][..N]
                .try_into()
                .expect("N values");
            let weights: &[f32; N] = self.weights_by_tap[k * channels + c..][..N]
                .try_into()
                .expect("N values");
            for j in 0..N {
                sums[j] = sums[j] + weights[j] * input[j];
            }
        }
        if let Some(bias) = &self.bias {
            let bias: &[f32; N] = bias[c..c + N].try_into().expect("N values");
            for j in 0..N {
                sums[j] = sums[j] + bias[j];
            }
        }
        for (o, s) in out[c..c + N].iter_mut().zip(sums) {
            o.write(s);
        }
    }
}

/// Whether `layout` is `[batch, channels, length]` over contiguous `[batch, length, channels]`
/// storage: unit channel stride, the length stride one row of channels, the batch stride
/// one `[length, channels]` plane (any stride for a dimension of size 1).
fn is_channel_last(layout: &Layout) -> bool {
    let shape = layout.shape();
    let strides = layout.strides();
    let (batch, channels, length) = (shape[0], shape[1], shape[2]);
    let stride_is =
        |dim: usize, size: usize, expected: usize| size == 1 || strides[dim] == expected as isize;
    stride_is(1, channels, 1)
        && stride_is(2, length, channels)
        && stride_is(0, batch, length * channels)
}
