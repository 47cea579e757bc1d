//! Parameter initialisation from the caller's seeded stream, not the backend's global one, so
//! that a seed names the same network on every backend and device.

use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use rand::RngExt;

use crate::rng::SearchRng;

/// Values drawn from N(0, std²) (Box–Muller).
pub fn normal<B: Backend, const D: usize>(
    shape: [usize; D],
    std: f64,
    rng: &mut SearchRng,
    device: &B::Device,
) -> Tensor<B, D> {
    let count: usize = shape.iter().product();
    let values: Vec<f32> = (0..count)
        .map(|_| {
            let u1: f64 = 1.0 - rng.random::<f64>(); // in (0, 1]
            let u2: f64 = rng.random();
            (std * (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
        })
        .collect();
    Tensor::from_data(TensorData::new(values, shape), device)
}

/// Values drawn from U(−bound, bound): PyTorch's default for conv weights and biases, with
/// bound = 1/√fan_in.
pub fn uniform<B: Backend, const D: usize>(
    shape: [usize; D],
    bound: f64,
    rng: &mut SearchRng,
    device: &B::Device,
) -> Tensor<B, D> {
    let count: usize = shape.iter().product();
    let values: Vec<f32> = (0..count)
        .map(|_| rng.random_range(-bound..bound) as f32)
        .collect();
    Tensor::from_data(TensorData::new(values, shape), device)
}
