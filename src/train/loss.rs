//! Cross-entropy with label smoothing (timm's `LabelSmoothingCrossEntropy`) and top-1
//! accuracy.

use burn::tensor::activation::log_softmax;
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};

/// Mean over the batch of −Σₖ tₖ log pₖ, where the target puts 1 − ε + ε/K on the label and
/// ε/K on every other class.
pub fn smoothed_cross_entropy<B: Backend>(
    logits: Tensor<B, 2>,
    labels: &[u32],
    smoothing: f64,
) -> Tensor<B, 1> {
    let [batch, classes] = logits.dims();
    let off = (smoothing / classes as f64) as f32;
    let on = (1.0 - smoothing) as f32 + off;
    let mut targets = vec![off; batch * classes];
    for (row, &label) in labels.iter().enumerate() {
        targets[row * classes + label as usize] = on;
    }
    let targets =
        Tensor::<B, 2>::from_data(TensorData::new(targets, [batch, classes]), &logits.device());
    (log_softmax(logits, 1) * targets).sum_dim(1).mean().neg()
}

/// How many rows of `logits` have their largest value at the label.
pub fn correct<B: Backend>(logits: Tensor<B, 2>, labels: &[u32]) -> usize {
    let predicted: Vec<i64> = logits
        .argmax(1)
        .into_data()
        .convert::<i64>()
        .to_vec()
        .expect("argmax yields integers");
    predicted
        .iter()
        .zip(labels)
        .filter(|(&p, &l)| p == l as i64)
        .count()
}
