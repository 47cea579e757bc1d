//! Which tokens a local-attention query may attend to: the class token meets every token;
//! a patch meets the class token and the patches of the `window`×`window` square of the grid
//! centred on it (cut off at the grid's edges).

use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};

/// Whether token `query` may attend to token `key` (token 0 is the class token, token
/// 1 + r·side + c the patch in row r, column c) on a `side`×`side` grid with windows of
/// `window`.
pub fn attends(side: usize, window: usize, query: usize, key: usize) -> bool {
    if query == 0 || key == 0 {
        return true;
    }
    let (q, k) = (query - 1, key - 1);
    let reach = window / 2;
    (q / side).abs_diff(k / side) <= reach && (q % side).abs_diff(k % side) <= reach
}

/// The additive attention bias `[T, T]` of windows of `window` on a `side`×`side` grid:
/// 0 where [`attends`] allows the pair, −∞ where it does not (softmax gives it weight 0).
pub fn window_bias<B: Backend>(side: usize, window: usize, device: &B::Device) -> Tensor<B, 2> {
    let tokens = side * side + 1;
    let values: Vec<f32> = (0..tokens * tokens)
        .map(|i| {
            if attends(side, window, i / tokens, i % tokens) {
                0.0
            } else {
                f32::NEG_INFINITY
            }
        })
        .collect();
    Tensor::from_data(TensorData::new(values, [tokens, tokens]), device)
}
