//! Layer normalization with the numbers of Burn's composition, fused (a glit patch, see
//! `PATCHED.md`).
//!
//! Burn's autodiff backend records a layer normalization as one node that runs
//! `layer_norm_composed` forward and `layer_norm_composed_backward` backward, whose defaults
//! compose it from nine tensor operations forward and about twenty backward, each a pass over
//! the tensor. Here each row is done in one pass each way, with every operation of the
//! composition rounded as the composition rounds it: the same operands, the same order, and
//! the sums over a row by `reduce::sum_f32_row`, the kernel `sum_dim` uses. The bits are the
//! composition's (`tests/integration/cpu_kernels.rs`).

use alloc::vec;
use alloc::vec::Vec;

use burn_backend::DType;
use burn_std::Bytes;

use super::reduce::sum_f32_row;
use super::split_loops::{collect_row_pairs, collect_rows};
use crate::{Flex, FlexTensor, Layout};

/// One row's statistics, as the composition computes them.
struct RowStats {
    /// `mean_dim(centered²) + epsilon`.
    shifted_var: f32,
    /// `sqrt(shifted_var)`.
    denom: f32,
}

/// Writes `x - mean` into `centered` and its squares into `squares`; returns the row's
/// statistics.
fn row_stats(x: &[f32], centered: &mut [f32], squares: &mut [f32], epsilon: f32) -> RowStats {
    let d = x.len() as f32;
    let mean = sum_f32_row(x) / d;
    for ((c, s), &v) in centered.iter_mut().zip(squares.iter_mut()).zip(x) {
        *c = v - mean;
        *s = *c * *c;
    }
    let shifted_var = sum_f32_row(squares) / d + epsilon;
    RowStats {
        shifted_var,
        denom: shifted_var.sqrt(),
    }
}

/// `layer_norm_composed`: fused for f32, else Burn's composition.
pub(crate) fn forward(
    x: FlexTensor,
    gamma: FlexTensor,
    beta: Option<FlexTensor>,
    epsilon: f64,
) -> FlexTensor {
    let beta_fits = beta.as_ref().is_none_or(|b| fits(b, &x));
    if fits(&gamma, &x) && beta_fits {
        let gamma = gamma.to_contiguous();
        let beta = beta.map(|b| b.to_contiguous());
        forward_f32(
            &x.to_contiguous(),
            gamma.storage(),
            beta.as_ref().map(|b| b.storage()),
            epsilon as f32,
        )
    } else {
        burn_backend::ops::layer_norm::forward::<Flex>(x, gamma, beta, epsilon)
    }
}

/// `layer_norm_composed_backward`: fused for f32, else Burn's composition.
pub(crate) fn backward(
    x: FlexTensor,
    gamma: FlexTensor,
    grad: FlexTensor,
    epsilon: f64,
    prior: Option<FlexTensor>,
) -> (FlexTensor, FlexTensor) {
    let same_shape =
        |t: &FlexTensor| t.dtype() == DType::F32 && t.layout().shape() == x.layout().shape();
    if fits(&gamma, &x) && same_shape(&grad) && prior.as_ref().is_none_or(same_shape) {
        let gamma = gamma.to_contiguous();
        let grad = grad.to_contiguous();
        let prior = prior.map(|p| p.to_contiguous());
        backward_f32(
            &x.to_contiguous(),
            gamma.storage(),
            grad.storage(),
            epsilon as f32,
            prior.as_ref().map(|p| p.storage()),
        )
    } else {
        burn_backend::ops::layer_norm::backward::<Flex>(x, gamma, grad, epsilon, prior)
    }
}

/// Whether the fused kernels apply to input `x` with parameter `param` (`gamma` or `beta`):
/// both f32, the parameter `[d]` for an input `[..., d]`, `d` not 0.
fn fits(param: &FlexTensor, x: &FlexTensor) -> bool {
    let shape = x.layout().shape();
    let d = shape.last().copied().unwrap_or(0);
    x.dtype() == DType::F32
        && param.dtype() == DType::F32
        && param.layout().shape().num_dims() == 1
        && param.layout().shape()[0] == d
        && d > 0
}

/// The forward pass for a contiguous f32 input `[..., d]`, `gamma` and `beta` of `[d]`.
fn forward_f32(x: &FlexTensor, gamma: &[f32], beta: Option<&[f32]>, epsilon: f32) -> FlexTensor {
    let shape = x.layout().shape().clone();
    let d = gamma.len();
    let data: &[f32] = x.storage();
    let out = collect_rows(data.len(), d, |first_row, slots| {
        let mut centered = vec![0.0f32; d];
        let mut squares = vec![0.0f32; d];
        for (row, out) in slots.chunks_mut(d).enumerate() {
            let start = (first_row + row) * d;
            let stats = row_stats(
                &data[start..start + d],
                &mut centered,
                &mut squares,
                epsilon,
            );
            for (i, slot) in out.iter_mut().enumerate() {
                let scaled = (centered[i] / stats.denom) * gamma[i];
                slot.write(match beta {
                    Some(beta) => scaled + beta[i],
                    None => scaled,
                });
            }
        }
    });
    FlexTensor::new(
        Bytes::from_elems(out),
        Layout::contiguous(shape),
        DType::F32,
    )
}

/// The backward pass for a contiguous f32 input, gradient and prior: the input's gradient
/// (with `prior` added where the composition adds it) and `grad * normalized`.
fn backward_f32(
    x: &FlexTensor,
    gamma: &[f32],
    grad: &[f32],
    epsilon: f32,
    prior: Option<&[f32]>,
) -> (FlexTensor, FlexTensor) {
    let shape = x.layout().shape().clone();
    let d = gamma.len();
    let data: &[f32] = x.storage();
    // `mean_dim`'s gradient: `ones * (1/d)`, the share rounded from f64 as the scalar is.
    let share = (1.0f64 / d as f64) as f32;
    // `powf` with an exponent the optimiser cannot see, as in the element-wise operation.
    let minus_half = core::hint::black_box(-0.5f32);
    let (grad_x, grad_times_normalized) =
        collect_row_pairs(data.len(), d, |first_row, out_x, out_t| {
            let mut centered = vec![0.0f32; d];
            let mut scratch = vec![0.0f32; d];
            let mut grad_centered = vec![0.0f32; d];
            let rows = out_x.chunks_mut(d).zip(out_t.chunks_mut(d));
            for (row, (out_x, out_t)) in rows.enumerate() {
                let start = (first_row + row) * d;
                let x = &data[start..start + d];
                let g = &grad[start..start + d];
                let stats = row_stats(x, &mut centered, &mut scratch, epsilon);
                let recip = 1.0 / stats.denom;
                let denom_squared = stats.denom * stats.denom;
                // `normalized * gamma` and `centered / denom`.
                for i in 0..d {
                    let grad_normalized = g[i] * gamma[i];
                    out_t[i].write(g[i] * (centered[i] / stats.denom));
                    grad_centered[i] = grad_normalized * recip;
                    scratch[i] = grad_normalized * (-centered[i] / denom_squared);
                }
                // `sqrt(var + epsilon)` and `mean(centered²)`.
                let grad_denom = sum_f32_row(&scratch);
                let slope = stats.shifted_var.powf(minus_half) / 2.0;
                let grad_var = grad_denom * slope;
                let grad_square = share * sum_f32_row(&[grad_var]);
                // The square's two factors, registered after the division's share.
                for i in 0..d {
                    let factor = grad_square * centered[i];
                    grad_centered[i] = factor + (factor + grad_centered[i]);
                    scratch[i] = -grad_centered[i];
                }
                // `x - mean`: the input's share (after its prior), then the mean's.
                let grad_mean = share * sum_f32_row(&[sum_f32_row(&scratch)]);
                for i in 0..d {
                    let own = match prior {
                        Some(prior) => grad_centered[i] + prior[start + i],
                        None => grad_centered[i],
                    };
                    out_x[i].write(grad_mean + own);
                }
            }
        });
    let tensor = |values: Vec<f32>| {
        FlexTensor::new(
            Bytes::from_elems(values),
            Layout::contiguous(shape.clone()),
            DType::F32,
        )
    };
    (tensor(grad_x), tensor(grad_times_normalized))
}
