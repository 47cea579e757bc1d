//! The weight and bias gradients of a linear layer (a glit patch, see `PATCHED.md`).
//!
//! A linear layer over `[batch, tokens, d_in]` multiplies every sequence by the same weight,
//! so its weight gradient is `Σ_b x_bᵀ · g_b`. Computed as a broadcast matrix product (as
//! Burn's autodiff backend did before `linear` reached the backend whole), that is `batch`
//! products written out as a `[batch, d_in, d_out]` tensor and then summed over the batch: on
//! the paper-tiny stack about 1.4 GB written and read back per training step. Here each
//! product is added into the running sum as `gemm` stores it (`read_dst`), so the sums never
//! leave the cache, and the threads split the output's columns instead of the batch.
//!
//! Every value is the one the product-then-sum computed: each product is one fused
//! multiply-add chain from zero over `tokens` (one depth block: `tokens ≤ 512`), and `gemm`
//! adds it to the running sum as `dst + chain` (a multiply-add by exactly 1), in batch order,
//! as the sum over the batch added the products in order. Where that cannot be guaranteed
//! (other ranks, longer sequences, products small enough for `gemm`'s lane-reducing paths),
//! the product-then-sum runs as before.

use alloc::vec::Vec;
use burn_backend::ops::FloatTensorOps;
use burn_backend::{DType, TensorMetadata};
use burn_std::{Bytes, Shape};

use super::matmul::{ONE_DEPTH_BLOCK, runs_register_kernels};
use crate::{Flex, FlexTensor, Layout};

/// `ModuleOps::linear_weight_backward`: the gradient `[d_in, d_out]` of the weight of a
/// linear layer whose input is `x` `[..., d_in]` and whose output's gradient is
/// `output_grad` `[..., d_out]`.
pub(crate) fn linear_weight_backward(x: FlexTensor, output_grad: FlexTensor) -> FlexTensor {
    if let Some(grad) = summed_in_place_f32(&x, &output_grad) {
        return grad;
    }
    product_then_sum(x, output_grad)
}

/// `ModuleOps::linear_bias_backward`: `output_grad` summed over every dimension but the last,
/// one dimension at a time in order, skipping dimensions of size 1 (as the autodiff backend's
/// broadcast add summed them).
pub(crate) fn linear_bias_backward(output_grad: FlexTensor) -> FlexTensor {
    let shape = output_grad.shape();
    let rank = shape.num_dims();
    let features = shape[rank - 1];
    let mut grad = output_grad;
    for dim in 0..rank - 1 {
        if shape[dim] > 1 {
            grad = Flex::float_sum_dim(grad, dim);
        }
    }
    Flex::float_reshape(grad, Shape::new([features]))
}

/// `xᵀ · output_grad` as a broadcast product over the leading dimensions, then summed over
/// each leading dimension of size above 1, in order: the autodiff backend's matrix-product
/// gradient for a weight broadcast over those dimensions.
fn product_then_sum(x: FlexTensor, output_grad: FlexTensor) -> FlexTensor {
    let rank = x.shape().num_dims();
    let x_t = Flex::float_swap_dims(x, rank - 2, rank - 1);
    let mut grad = Flex::float_matmul(x_t, output_grad);
    let shape = grad.shape();
    for dim in 0..rank - 2 {
        if shape[dim] > 1 {
            grad = Flex::float_sum_dim(grad, dim);
        }
    }
    Flex::float_reshape(grad, Shape::new([shape[rank - 2], shape[rank - 1]]))
}

/// The weight gradient of f32 `[batch, tokens, d_in]` and `[batch, tokens, d_out]` operands,
/// each sequence's product added into the sum as it is computed, or `None` where that would
/// not give [`product_then_sum`]'s bits.
fn summed_in_place_f32(x: &FlexTensor, output_grad: &FlexTensor) -> Option<FlexTensor> {
    if x.dtype() != DType::F32 || output_grad.dtype() != DType::F32 {
        return None;
    }
    let (x_layout, g_layout) = (x.layout(), output_grad.layout());
    let &[batch, tokens, d_in] = x_layout.shape().as_slice() else {
        return None;
    };
    let &[g_batch, g_tokens, d_out] = g_layout.shape().as_slice() else {
        return None;
    };
    if g_batch != batch || g_tokens != tokens || batch < 2 {
        return None;
    }
    // One depth block, and products (whole and each thread's columns) that run the register
    // kernels rather than the paths that reduce across lanes.
    if tokens > ONE_DEPTH_BLOCK || !runs_register_kernels(d_in, d_out, tokens) {
        return None;
    }
    let stripes = column_stripes(d_out, |columns| {
        runs_register_kernels(d_in, columns, tokens)
    });

    let (xs, gs) = (x_layout.strides(), g_layout.strides());
    let x_data: &[f32] = x.storage();
    let g_data: &[f32] = output_grad.storage();
    let x_base = x_data.as_ptr() as usize + x_layout.start_offset() * 4;
    let g_base = g_data.as_ptr() as usize + g_layout.start_offset() * 4;

    let len = d_in * d_out;
    let mut out: Vec<f32> = Vec::with_capacity(len);
    let out_base = out.as_mut_ptr() as usize;
    let stripe = |&(first, columns): &(usize, usize)| {
        for b in 0..batch {
            // SAFETY: every offset below addresses an element of its tensor (in bounds by its
            // layout); stripes write disjoint columns of `out`, which has `len` elements of
            // capacity; the first product of each stripe (`read_dst` false) writes every
            // element of its columns before any later one reads them.
            unsafe {
                gemm::gemm(
                    d_in,
                    columns,
                    tokens,
                    (out_base as *mut f32).add(first),
                    1,
                    d_out as isize,
                    b > 0,
                    (x_base as *const f32).offset(b as isize * xs[0]),
                    xs[1],
                    xs[2],
                    (g_base as *const f32).offset(b as isize * gs[0] + first as isize * gs[2]),
                    gs[2],
                    gs[1],
                    1.0,
                    1.0,
                    false,
                    false,
                    false,
                    gemm::Parallelism::None,
                );
            }
        }
    };
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        stripes.par_iter().for_each(stripe);
    }
    #[cfg(not(feature = "rayon"))]
    stripes.iter().for_each(stripe);
    // SAFETY: the stripes cover all `d_out` columns of every row, each written above.
    unsafe { out.set_len(len) };

    Some(FlexTensor::new(
        Bytes::from_elems(out),
        Layout::contiguous(Shape::new([d_in, d_out])),
        DType::F32,
    ))
}

/// `(first column, columns)` of each thread's share of `d_out` columns: one share per thread
/// where each still runs the register kernels (`runs_kernels(columns)`), else one share.
fn column_stripes(d_out: usize, runs_kernels: impl Fn(usize) -> bool) -> Vec<(usize, usize)> {
    #[cfg(feature = "rayon")]
    let threads = rayon::current_num_threads().max(1);
    #[cfg(not(feature = "rayon"))]
    let threads = 1;
    // Widths a multiple of 16 keep the last share's tail as short as the others'.
    let width = d_out.div_ceil(threads).next_multiple_of(16);
    if threads == 1 || width >= d_out || !runs_kernels(d_out - width * (d_out.div_ceil(width) - 1))
    {
        return alloc::vec![(0, d_out)];
    }
    (0..d_out)
        .step_by(width)
        .map(|first| (first, width.min(d_out - first)))
        .collect()
}
