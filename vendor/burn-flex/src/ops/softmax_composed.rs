//! Softmax over the last dimension with the numbers of Burn's composition, fused (a glit
//! patch, see `PATCHED.md`).
//!
//! Burn's autodiff backend records a softmax as one node that runs `softmax_composed`
//! forward and `softmax_composed_backward` backward, whose defaults compose it from five
//! tensor operations forward and about ten backward. Here each row is done in one pass, with
//! every operation rounded as the composition rounds it: the row's maximum and sums by the
//! kernels `max_dim` and `sum_dim` use, the exponential by `exp_lanes` (bit for bit
//! `f32::exp`, as `float_exp`). The bits are the composition's
//! (`tests/integration/cpu_kernels.rs`).

use alloc::vec;

use burn_backend::DType;
use burn_std::Bytes;

use super::exp_lanes::expf_in_place;
use super::reduce::{max_f32_row, sum_f32_row};
use super::split_loops::collect_rows;
use crate::{Flex, FlexTensor, Layout};

/// `exp(x - max)` into `exps`; returns their sum.
fn row_exps(x: &[f32], exps: &mut [f32]) -> f32 {
    let max = max_f32_row(x);
    for (e, &v) in exps.iter_mut().zip(x) {
        *e = v - max;
    }
    expf_in_place(exps);
    sum_f32_row(exps)
}

/// `softmax_composed`: fused for f32 over the last dimension, else Burn's composition.
pub(crate) fn forward(tensor: FlexTensor, dim: usize) -> FlexTensor {
    if fused(&tensor, dim) {
        forward_f32(&tensor.to_contiguous())
    } else {
        burn_backend::ops::softmax::forward::<Flex>(tensor, dim)
    }
}

/// `softmax_composed_backward`: fused for f32 over the last dimension, else Burn's
/// composition.
pub(crate) fn backward(tensor: FlexTensor, grad: FlexTensor, dim: usize) -> FlexTensor {
    if fused(&tensor, dim) && grad.dtype() == DType::F32 {
        assert_eq!(
            tensor.layout().shape(),
            grad.layout().shape(),
            "softmax backward: the gradient's shape is not the input's"
        );
        let grad = grad.to_contiguous();
        backward_f32(&tensor.to_contiguous(), grad.storage())
    } else {
        burn_backend::ops::softmax::backward::<Flex>(tensor, grad, dim)
    }
}

/// Whether the fused kernels apply: f32, over the last dimension, rows not empty.
fn fused(tensor: &FlexTensor, dim: usize) -> bool {
    let shape = tensor.layout().shape();
    tensor.dtype() == DType::F32 && dim + 1 == shape.num_dims() && shape[dim] > 0
}

/// The forward pass over the last dimension of a contiguous f32 input.
fn forward_f32(x: &FlexTensor) -> FlexTensor {
    let shape = x.layout().shape().clone();
    let len = *shape.last().expect("softmax: a tensor of rank 0");
    let data: &[f32] = x.storage();
    let out = collect_rows(data.len(), len, |first_row, slots| {
        let mut exps = vec![0.0f32; len];
        for (row, out) in slots.chunks_mut(len).enumerate() {
            let start = (first_row + row) * len;
            let sum = row_exps(&data[start..start + len], &mut exps);
            for (slot, &e) in out.iter_mut().zip(&exps) {
                slot.write(e / sum);
            }
        }
    });
    FlexTensor::new(
        Bytes::from_elems(out),
        Layout::contiguous(shape),
        DType::F32,
    )
}

/// The input's gradient over the last dimension, from a contiguous f32 input and gradient.
fn backward_f32(x: &FlexTensor, grad: &[f32]) -> FlexTensor {
    let shape = x.layout().shape().clone();
    let len = *shape.last().expect("softmax: a tensor of rank 0");
    let data: &[f32] = x.storage();
    let out = collect_rows(data.len(), len, |first_row, slots| {
        let mut exps = vec![0.0f32; len];
        let mut terms = vec![0.0f32; len];
        for (row, out) in slots.chunks_mut(len).enumerate() {
            let start = (first_row + row) * len;
            let g = &grad[start..start + len];
            let sum = row_exps(&data[start..start + len], &mut exps);
            // `exp / sum`: the denominator's share, summed over the row, then spread back.
            let sum_squared = sum * sum;
            for ((t, &gi), &e) in terms.iter_mut().zip(g).zip(&exps) {
                *t = gi * (-e / sum_squared);
            }
            let spread = 1.0 * sum_f32_row(&[sum_f32_row(&terms)]);
            let recip = 1.0 / sum;
            // Added to the numerator's share, times the exponential's slope.
            for ((slot, &gi), &e) in out.iter_mut().zip(g).zip(&exps) {
                slot.write((spread + gi * recip) * e);
            }
        }
    });
    FlexTensor::new(
        Bytes::from_elems(out),
        Layout::contiguous(shape),
        DType::F32,
    )
}
