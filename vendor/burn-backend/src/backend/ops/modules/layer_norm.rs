//! glit patch: layer normalization as one operation that keeps the composition's numbers.
//!
//! [`forward`] is upstream's default `layer_norm`, moved here unchanged. [`backward`] runs the
//! operations that the autodiff backend records for that composition when it differentiates
//! it: the same operations, on the same values, in the same order, with the gradient
//! contributions to the input added in the order the autodiff backend adds them. A backend
//! that fuses both (glit's CPU backend) must give the same bits as these defaults.

use alloc::vec::Vec;

use crate::tensor::{Device, FloatTensor};
use crate::{Backend, TensorMetadata};
use burn_std::Shape;

/// `[1, …, 1, d_model]`: the shape the composition broadcasts `gamma` and `beta` as, for an
/// input of `rank` (the autodiff backend sums their gradients back over it).
pub fn param_broadcast_shape(rank: usize, d_model: usize) -> Shape {
    let dims: Vec<usize> = (0..rank)
        .map(|i| if i + 1 == rank { d_model } else { 1 })
        .collect();
    Shape::from(dims)
}

/// `(x - mean) / sqrt(var + epsilon) * gamma + beta` over the last dimension, composed as
/// mean, subtraction, square, mean, add, square root, division, product and sum.
pub fn forward<B: Backend>(
    tensor: FloatTensor<B>,
    gamma: FloatTensor<B>,
    beta: Option<FloatTensor<B>>,
    epsilon: f64,
) -> FloatTensor<B> {
    let shape = tensor.shape();
    let rank = shape.num_dims();
    let last_dim = rank - 1;
    let d_model = shape[last_dim];

    let mean = B::float_mean_dim(tensor.clone(), last_dim);
    let centered = B::float_sub(tensor, mean);
    let var = B::float_mean_dim(B::float_mul(centered.clone(), centered.clone()), last_dim);
    let denom = B::float_sqrt(B::float_add_scalar(var, epsilon.into()));
    let normalized = B::float_div(centered, denom);

    let gamma_b = B::float_reshape(gamma, param_broadcast_shape(rank, d_model));
    let scaled = B::float_mul(normalized, gamma_b);

    match beta {
        Some(beta) => {
            let beta_b = B::float_reshape(beta, param_broadcast_shape(rank, d_model));
            B::float_add(scaled, beta_b)
        }
        None => scaled,
    }
}

/// The backward pass of [`forward`] as the autodiff backend computes it from the composition.
///
/// Returns the input's gradient with `prior` (the gradient the input already holds from its
/// other uses, if any) added first, and `grad * normalized`, whose sum over every dimension
/// but the last is `gamma`'s gradient.
pub fn backward<B: Backend>(
    tensor: FloatTensor<B>,
    gamma: FloatTensor<B>,
    grad: FloatTensor<B>,
    epsilon: f64,
    prior: Option<FloatTensor<B>>,
) -> (FloatTensor<B>, FloatTensor<B>) {
    let shape = tensor.shape();
    let rank = shape.num_dims();
    let last_dim = rank - 1;
    let d_model = shape[last_dim];
    let device = B::float_device(&tensor);
    let dtype = grad.dtype().into();

    // The forward values the recorded operations kept.
    let mean = B::float_mean_dim(tensor.clone(), last_dim);
    let centered = B::float_sub(tensor, mean);
    let var = B::float_mean_dim(B::float_mul(centered.clone(), centered.clone()), last_dim);
    let shifted = B::float_add_scalar(var, epsilon.into());
    let denom = B::float_sqrt(shifted.clone());
    let normalized = B::float_div(centered.clone(), denom.clone());
    let gamma_b = B::float_reshape(gamma, param_broadcast_shape(rank, d_model));

    // `normalized * gamma`: the gradient of each factor.
    let grad_normalized = B::float_mul(grad.clone(), gamma_b);
    let grad_times_normalized = B::float_mul(grad, normalized);

    // `centered / denom`.
    let grad_centered_div = B::float_mul(grad_normalized.clone(), B::float_recip(denom.clone()));
    let quotient = B::float_div(
        B::float_neg(centered.clone()),
        B::float_powi_scalar(denom, 2.into()),
    );
    let grad_denom = B::float_sum_dim(B::float_mul(grad_normalized, quotient), last_dim);

    // `sqrt(var + epsilon)`; the addition passes the gradient through.
    let sqrt_slope = B::float_div_scalar(B::float_powf_scalar(shifted, (-0.5).into()), 2f32.into());
    let grad_var = B::float_mul(grad_denom, sqrt_slope);

    // `mean(centered * centered)`, then both factors of the square, added in the order the
    // autodiff backend registers them: the division's, the left factor's, the right factor's.
    let grad_square = mean_backward::<B>(grad_var, &shape, last_dim, &device, dtype);
    let grad_left = B::float_mul(grad_square.clone(), centered.clone());
    let grad_right = B::float_mul(grad_square, centered);
    let grad_centered = B::float_add(grad_left, grad_centered_div);
    let grad_centered = B::float_add(grad_right, grad_centered);

    // `tensor - mean`: the input's share first (after its other uses), then the mean's.
    let grad_input = match prior {
        Some(prior) => B::float_add(grad_centered.clone(), prior),
        None => grad_centered.clone(),
    };
    let grad_mean = B::float_sum_dim(B::float_neg(grad_centered), last_dim);
    let grad_mean = mean_backward::<B>(grad_mean, &shape, last_dim, &device, dtype);
    let grad_input = B::float_add(grad_mean, grad_input);

    (grad_input, grad_times_normalized)
}

/// The autodiff backend's gradient of `mean_dim`: `1/n` spread over the reduced dimension.
fn mean_backward<B: Backend>(
    grad: FloatTensor<B>,
    shape: &Shape,
    dim: usize,
    device: &Device<B>,
    dtype: burn_std::FloatDType,
) -> FloatTensor<B> {
    let share = 1_f64 / shape[dim] as f64;
    let ones = B::float_ones(shape.clone(), device, dtype);
    let share = B::float_mul_scalar(ones, share.into());
    B::float_mul(share, B::float_sum_dim(grad, dim))
}
