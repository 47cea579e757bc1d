//! glit patch: softmax as one operation that keeps the composition's numbers.
//!
//! [`forward`] is upstream's default `softmax`, moved here unchanged. [`backward`] runs the
//! operations that the autodiff backend records for that composition when it differentiates
//! it, on the same values and in the same order. A backend that fuses both (glit's CPU
//! backend) must give the same bits as these defaults.

use crate::tensor::FloatTensor;
use crate::{Backend, TensorMetadata};

/// `exp(x - max) / sum(exp(x - max))` along `dim`, composed as maximum, subtraction,
/// exponential, sum and division.
pub fn forward<B: Backend>(tensor: FloatTensor<B>, dim: usize) -> FloatTensor<B> {
    let max = B::float_max_dim(B::float_detach(tensor.clone()), dim);
    let shifted = B::float_sub(tensor, max);
    let exp = B::float_exp(shifted);
    let sum = B::float_sum_dim(exp.clone(), dim);
    B::float_div(exp, sum)
}

/// The gradient of [`forward`]'s input, as the autodiff backend computes it from the
/// composition (the maximum is detached, so no gradient flows through it).
pub fn backward<B: Backend>(
    tensor: FloatTensor<B>,
    grad: FloatTensor<B>,
    dim: usize,
) -> FloatTensor<B> {
    let shape = tensor.shape();
    let device = B::float_device(&tensor);
    let dtype = grad.dtype().into();

    let max = B::float_max_dim(tensor.clone(), dim);
    let shifted = B::float_sub(tensor, max);
    let exp = B::float_exp(shifted.clone());
    let sum = B::float_sum_dim(exp.clone(), dim);

    // `exp / sum`: the numerator's share, then the denominator's.
    let grad_exp_div = B::float_mul(grad.clone(), B::float_recip(sum.clone()));
    let quotient = B::float_div(B::float_neg(exp), B::float_powi_scalar(sum, 2.into()));
    let grad_sum = B::float_sum_dim(B::float_mul(grad, quotient), dim);

    // `sum(exp)` spreads its gradient over the row; the autodiff backend adds it to the
    // division's share.
    let ones = B::float_ones(shape, &device, dtype);
    let grad_exp_sum = B::float_mul(ones, B::float_sum_dim(grad_sum, dim));
    let grad_exp = B::float_add(grad_exp_sum, grad_exp_div);

    // `exp(shifted)`, recomputed from its input as the autodiff backend does.
    B::float_mul(grad_exp, B::float_exp(shifted))
}
