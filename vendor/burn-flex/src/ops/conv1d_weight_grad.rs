//! The weight gradient of a Conv1d (a glit patch, see `PATCHED.md`): a depthwise conv's for
//! every channel at once, any other as Burn computes it.
//!
//! Burn's default (`conv1d_weight_grad_groups`) loops over the groups on the calling thread:
//! for each channel it slices the input and the output gradient, runs a Conv1d of the input
//! (batch as channels) with the gradient as its weight, and writes the result into a zeroed
//! gradient with `slice_assign`. On this backend each of those convs goes through
//! `conv3d_impl`'s im2col and one small matrix product, so a GLiT block's local heads spent
//! most of their backward pass in single-threaded copies.
//!
//! Here every channel builds the same im2col columns and calls the same matrix product
//! (`conv::gemm_f32`, same sizes, same strides, same tiles of output positions), so each
//! gradient value is computed exactly as before; the channels are split over the pool and
//! read the input and gradient through their strides, without copies. Every other case runs
//! Burn's default, copied below because Burn keeps it crate-private.

use alloc::vec;
use burn_backend::ops::conv::calculate_conv_output_size;
use burn_backend::ops::{ConvOptions, FloatTensorOps, ModuleOps};
use burn_backend::{DType, TensorMetadata};
use burn_std::{Bytes, Shape, Slice};

use crate::{Flex, FlexTensor, Layout};

/// `ModuleOps::conv1d_weight_backward` for this backend: the gradient of `weight` of a Conv1d
/// of `x` whose output's gradient is `output_grad`.
pub(crate) fn conv1d_weight_backward(
    x: FlexTensor,
    weight: FlexTensor,
    output_grad: FlexTensor,
    options: ConvOptions<1>,
) -> FlexTensor {
    let weight_shape = weight.shape();
    if let Some(grad) = depthwise_f32(&x, &weight_shape, &output_grad, &options) {
        return grad;
    }
    if options.groups == 1 {
        burn_default_no_groups(x, output_grad, weight_shape, options)
    } else {
        let zeros = Flex::float_zeros(weight_shape, &Default::default(), weight.dtype().into());
        burn_default_groups(x, zeros, output_grad, options)
    }
}

/// Output positions per im2col tile, as `conv3d_impl` tiles them.
const TILE_SIZE: usize = 512;

/// The weight gradient `[channels, 1, kernel]` of a depthwise Conv1d (`groups == channels`,
/// one input and one output channel per group) of f32 `x` `[batch, channels, length_in]`
/// given `output_grad` `[batch, channels, length_out]`, or `None` where Burn's per-group
/// convs would not have run through `conv3d_impl` (and so would sum in another order).
fn depthwise_f32(
    x: &FlexTensor,
    weight_shape: &Shape,
    output_grad: &FlexTensor,
    options: &ConvOptions<1>,
) -> Option<FlexTensor> {
    let plan = Plan::new(x, weight_shape, output_grad, options)?;
    let x_data: &[f32] = x.storage();
    let grad_data: &[f32] = output_grad.storage();
    let (x_view, grad_view) = (View::of(x), View::of(output_grad));
    let (batch, kernel) = (plan.batch, plan.kernel);
    let col_len = batch * plan.length_out;

    let mut out = vec![0.0f32; plan.channels * kernel];
    let reads = plan.channels * kernel * col_len;
    crate::ops::split_loops::update_rows_reading(&mut out, kernel, reads, |first, rows| {
        // Per run of channels, reused: the gradient as the product's left row, the input
        // transposed to `[length_in, batch]` (the NHWC copy), and one im2col tile.
        let mut lhs = vec![0.0f32; col_len];
        let mut x_t = vec![0.0f32; plan.length_in * batch];
        let mut columns = vec![0.0f32; TILE_SIZE.min(kernel) * col_len];
        for (row, grad_row) in rows.chunks_mut(kernel).enumerate() {
            let channel = first + row;
            // `w_flat`'s order: tap-major, batch-minor.
            for t in 0..plan.length_out {
                for b in 0..batch {
                    lhs[t * batch + b] = grad_data[grad_view.index(b, channel, t)];
                }
            }
            for w in 0..plan.length_in {
                for b in 0..batch {
                    x_t[w * batch + b] = x_data[x_view.index(b, channel, w)];
                }
            }
            for tile_start in (0..kernel).step_by(TILE_SIZE) {
                let tile_end = (tile_start + TILE_SIZE).min(kernel);
                let tile = &mut columns[..(tile_end - tile_start) * col_len];
                plan.fill_columns(tile, &x_t, tile_start..tile_end);
                let product = super::conv::gemm_f32(&lhs, tile, 1, col_len, tile_end - tile_start);
                grad_row[tile_start..tile_end].copy_from_slice(&product);
            }
        }
    });

    Some(FlexTensor::new(
        Bytes::from_elems(out),
        Layout::contiguous(weight_shape.clone()),
        DType::F32,
    ))
}

/// Sizes of one depthwise weight gradient, and the per-channel conv Burn would run: the
/// input (batch as channels) convolved with the output gradient as a kernel of
/// `length_out` taps, with the stride and dilation swapped.
struct Plan {
    batch: usize,
    channels: usize,
    length_in: usize,
    length_out: usize,
    kernel: usize,
    /// The per-channel conv's stride (the layer's dilation).
    stride: usize,
    /// The per-channel conv's dilation (the layer's stride).
    dilation: usize,
    padding: usize,
}

impl Plan {
    fn new(
        x: &FlexTensor,
        weight_shape: &Shape,
        output_grad: &FlexTensor,
        options: &ConvOptions<1>,
    ) -> Option<Self> {
        let (x_shape, grad_shape) = (x.layout().shape(), output_grad.layout().shape());
        if x.dtype() != DType::F32
            || output_grad.dtype() != DType::F32
            || x_shape.num_dims() != 3
            || grad_shape.num_dims() != 3
            || weight_shape.num_dims() != 3
        {
            return None;
        }
        let (batch, channels, length_in) = (x_shape[0], x_shape[1], x_shape[2]);
        let kernel = weight_shape[2];
        let plan = Plan {
            batch,
            channels,
            length_in,
            length_out: grad_shape[2],
            kernel,
            stride: options.dilation[0],
            dilation: options.stride[0],
            padding: options.padding[0],
        };
        // Depthwise with more than one group; the batch above the small-channel threshold
        // (4) and padding present, so that neither the depthwise, small-channel, direct nor
        // 1x1 path would have taken the per-channel conv.
        let depthwise = options.groups == channels
            && channels > 1
            && weight_shape[0] == channels
            && weight_shape[1] == 1
            && grad_shape[0] == batch
            && grad_shape[1] == channels;
        let conv3d_impl_path = batch > 4 && plan.padding > 0 && plan.length_out > 0;
        let fits = calculate_conv_output_size(
            plan.length_out,
            plan.stride,
            plan.padding,
            plan.dilation,
            length_in,
        ) == kernel;
        (depthwise && conv3d_impl_path && fits && kernel > 0).then_some(plan)
    }

    /// `im2col_3d_tile` for output positions `positions` of one channel: row `p` holds, tap
    /// by tap, the batch's inputs at `p·stride + t·dilation − padding` (zeros outside).
    fn fill_columns(&self, tile: &mut [f32], x_t: &[f32], positions: core::ops::Range<usize>) {
        let batch = self.batch;
        let col_len = batch * self.length_out;
        for (local, p) in positions.enumerate() {
            let row = &mut tile[local * col_len..(local + 1) * col_len];
            for t in 0..self.length_out {
                let slots = &mut row[t * batch..(t + 1) * batch];
                let w = (p * self.stride + t * self.dilation) as isize - self.padding as isize;
                if w >= 0 && (w as usize) < self.length_in {
                    let w = w as usize;
                    slots.copy_from_slice(&x_t[w * batch..(w + 1) * batch]);
                } else {
                    slots.fill(0.0);
                }
            }
        }
    }
}

/// Where element `(b, c, t)` of a rank-3 view lies in its storage.
#[derive(Clone, Copy)]
struct View {
    offset: isize,
    strides: [isize; 3],
}

impl View {
    fn of(tensor: &FlexTensor) -> Self {
        let strides = tensor.layout().strides();
        View {
            offset: tensor.layout().start_offset() as isize,
            strides: [strides[0], strides[1], strides[2]],
        }
    }

    #[inline]
    fn index(&self, b: usize, c: usize, t: usize) -> usize {
        (self.offset
            + b as isize * self.strides[0]
            + c as isize * self.strides[1]
            + t as isize * self.strides[2]) as usize
    }
}

/// Burn 0.21's `conv1d_weight_grad_no_groups` (`burn-backend`, `ops/modules/conv.rs`).
fn burn_default_no_groups(
    x: FlexTensor,
    output_grad: FlexTensor,
    weight_shape: Shape,
    options: ConvOptions<1>,
) -> FlexTensor {
    let x_swapped = Flex::float_swap_dims(x, 0, 1);
    let output_grad_swapped = Flex::float_swap_dims(output_grad, 0, 1);
    let weight_grad_swapped = Flex::conv1d(
        x_swapped,
        output_grad_swapped,
        None,
        ConvOptions::new(options.dilation, options.padding, options.stride, 1),
    );
    let mut weight_grad = Flex::float_swap_dims(weight_grad_swapped, 0, 1);

    if weight_grad.shape() != weight_shape {
        let slices = vec![
            Slice::from(0..weight_shape[0]),
            Slice::from(0..weight_shape[1]),
            Slice::from(0..weight_shape[2]),
        ];
        weight_grad = Flex::float_slice(weight_grad, &slices);
    }
    weight_grad
}

/// Burn 0.21's `conv1d_weight_grad_groups` (`burn-backend`, `ops/modules/conv.rs`).
fn burn_default_groups(
    x: FlexTensor,
    mut weight_grad: FlexTensor,
    output_grad: FlexTensor,
    options: ConvOptions<1>,
) -> FlexTensor {
    let [channels_out, increment_ci, kernel_size] = weight_grad.shape().dims();
    let increment_co = channels_out / options.groups;

    let x_swapped = Flex::float_swap_dims(x, 0, 1);
    let output_grad_swapped = Flex::float_swap_dims(output_grad, 0, 1);

    for g in 0..options.groups {
        let start_idx_ci = g * increment_ci;
        let end_idx_ci = (g + 1) * increment_ci;
        let start_idx_co = g * increment_co;
        let end_idx_co = (g + 1) * increment_co;

        let x_slice = vec![Slice::new(
            start_idx_ci as isize,
            Some(end_idx_ci as isize),
            1,
        )];
        let x = Flex::float_slice(x_swapped.clone(), &x_slice);
        let grad_slice = vec![Slice::new(
            start_idx_co as isize,
            Some(end_idx_co as isize),
            1,
        )];
        let grad = Flex::float_slice(output_grad_swapped.clone(), &grad_slice);
        let mut weight_grad_tmp = Flex::conv1d(
            x,
            grad,
            None,
            ConvOptions::new(options.dilation, options.padding, options.stride, 1),
        );
        weight_grad_tmp = Flex::float_swap_dims(weight_grad_tmp, 0, 1);
        weight_grad = Flex::float_slice_assign(
            weight_grad,
            &[
                Slice::from(start_idx_co..end_idx_co),
                Slice::from(0..increment_ci),
                Slice::from(0..kernel_size),
            ],
            weight_grad_tmp,
        );
    }

    weight_grad
}
