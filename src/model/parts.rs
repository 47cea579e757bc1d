//! The three parts of a GLiT block: global attention heads, the local conv head, the FFN.
//! Each is sized for the largest candidates it serves and runs any smaller ones by slicing.

use burn::module::Module;
use burn::tensor::activation::{gelu, sigmoid, silu, softmax};
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;

use super::pass::Norms;
use super::sliced::{HeadLinear, Init, SlicedBatchNorm, SlicedDepthwise, SlicedLinear};
use crate::rng::SearchRng;
use crate::space::Activation;

/// Multi-head self-attention over the global channels (q, k and v of one width per head; no
/// attention or projection dropout, as in the official code). Local attention heads are the
/// same layers, their scores biased to windows of the patch grid.
#[derive(Module, Debug)]
pub struct GlobalPart<B: Backend> {
    query: HeadLinear<B>,
    key: HeadLinear<B>,
    value: HeadLinear<B>,
    projection: HeadLinear<B>,
}

impl<B: Backend> GlobalPart<B> {
    /// Attention for up to `channels` channels, `heads` heads of width `width`.
    pub fn new(
        channels: usize,
        heads: usize,
        width: usize,
        rng: &mut SearchRng,
        device: &B::Device,
    ) -> Self {
        GlobalPart {
            query: HeadLinear::new(channels, heads, width, true, rng, device),
            key: HeadLinear::new(channels, heads, width, true, rng, device),
            value: HeadLinear::new(channels, heads, width, true, rng, device),
            projection: HeadLinear::new(channels, heads, width, false, rng, device),
        }
    }

    /// Exactly-sized attention holding this one's slice.
    pub fn narrowed(&self, channels: usize, heads: usize, width: usize) -> Self {
        GlobalPart {
            query: self.query.narrowed(channels, heads, width),
            key: self.key.narrowed(channels, heads, width),
            value: self.value.narrowed(channels, heads, width),
            projection: self.projection.narrowed(channels, heads, width),
        }
    }

    /// `[B, T, channels] → [B, T, channels]` with `heads` heads of `width`, every token
    /// attending to every token.
    pub fn forward(
        &self,
        x: Tensor<B, 3>,
        channels: usize,
        heads: usize,
        width: usize,
    ) -> Tensor<B, 3> {
        self.forward_biased(x, channels, heads, width, None)
    }

    /// As [`GlobalPart::forward`], with `bias` `[T, T]` added to every head's scores before
    /// the softmax (−∞ keeps a query from a key: local attention's windows).
    pub fn forward_biased(
        &self,
        x: Tensor<B, 3>,
        channels: usize,
        heads: usize,
        width: usize,
        bias: Option<Tensor<B, 2>>,
    ) -> Tensor<B, 3> {
        let [batch, tokens, _] = x.dims();
        let split = |layer: &HeadLinear<B>| {
            layer
                .forward(x.clone(), channels, heads, width)
                .reshape([batch, tokens, heads, width])
                .swap_dims(1, 2) // [B, heads, T, width]
        };
        let (q, k, v) = (split(&self.query), split(&self.key), split(&self.value));
        let scores = q.matmul(k.swap_dims(2, 3)) / (width as f64).sqrt(); // [B, heads, T, T]
        let scores = match bias {
            Some(bias) => scores + bias.unsqueeze::<4>(),
            None => scores,
        };
        let attended = softmax(scores, 3).matmul(v); // [B, heads, T, width]
        let merged = attended
            .swap_dims(1, 2)
            .reshape([batch, tokens, heads * width]);
        self.projection.forward(merged, channels, heads, width)
    }
}

/// The Conformer-style conv head over the local channels: pointwise to 2·E·c, GLU, depthwise
/// Conv1d along the token sequence (cls token included, zero same padding) or Conv2d over the
/// patch grid (the cls token passing that stage unchanged), BatchNorm1d, Swish, pointwise
/// back to c.
#[derive(Module, Debug)]
pub struct LocalPart<B: Backend> {
    glu_value: SlicedLinear<B>,
    glu_gate: SlicedLinear<B>,
    depthwise: SlicedDepthwise<B>,
    batch_norm: SlicedBatchNorm<B>,
    pointwise_out: SlicedLinear<B>,
}

impl<B: Backend> LocalPart<B> {
    /// A conv head for up to `channels` channels, expansion `expand` and `kernel`, its
    /// depthwise convolution along the tokens or, given a `grid` side, k×k over the patches.
    pub fn new(
        channels: usize,
        expand: usize,
        kernel: usize,
        grid: Option<usize>,
        rng: &mut SearchRng,
        device: &B::Device,
    ) -> Self {
        let inner = channels * expand;
        LocalPart {
            glu_value: SlicedLinear::new(channels, inner, Init::Conv, rng, device),
            glu_gate: SlicedLinear::new(channels, inner, Init::Conv, rng, device),
            depthwise: SlicedDepthwise::new(inner, kernel, grid, rng, device),
            batch_norm: SlicedBatchNorm::new(inner, device),
            pointwise_out: SlicedLinear::new(inner, channels, Init::Conv, rng, device),
        }
    }

    /// Elements of BatchNorm running statistics (buffers, not parameters).
    pub fn buffer_count(&self) -> usize {
        self.batch_norm.buffer_count()
    }

    /// An exactly-sized conv head holding this one's slice.
    pub fn narrowed(&self, channels: usize, expand: usize, kernel: usize) -> Self {
        let inner = channels * expand;
        LocalPart {
            glu_value: self.glu_value.narrowed(channels, inner),
            glu_gate: self.glu_gate.narrowed(channels, inner),
            depthwise: self.depthwise.narrowed(inner, kernel),
            batch_norm: self.batch_norm.narrowed(inner),
            pointwise_out: self.pointwise_out.narrowed(inner, channels),
        }
    }

    /// `[B, T, channels] → [B, T, channels]`.
    pub fn forward(
        &self,
        x: Tensor<B, 3>,
        channels: usize,
        expand: usize,
        kernel: usize,
        norms: Norms,
    ) -> Tensor<B, 3> {
        let inner = channels * expand;
        let value = self.glu_value.forward(x.clone(), channels, inner);
        let gate = self.glu_gate.forward(x, channels, inner);
        let gated = (value * sigmoid(gate)).swap_dims(1, 2); // [B, inner, T]
        let mixed = self.depthwise.forward(gated, inner, kernel).swap_dims(1, 2); // [B, T, inner]
        let normed = silu(self.batch_norm.forward(mixed, inner, norms));
        self.pointwise_out.forward(normed, inner, channels) // [B, T, channels]
    }
}

/// The feed-forward network: Linear d → hidden, GELU or Swish, Linear back.
#[derive(Module, Debug)]
pub struct Ffn<B: Backend> {
    expand: SlicedLinear<B>,
    contract: SlicedLinear<B>,
}

impl<B: Backend> Ffn<B> {
    /// An FFN of width `dim` and up to `hidden` hidden units.
    pub fn new(dim: usize, hidden: usize, rng: &mut SearchRng, device: &B::Device) -> Self {
        Ffn {
            expand: SlicedLinear::new(dim, hidden, Init::Transformer, rng, device),
            contract: SlicedLinear::new(hidden, dim, Init::Transformer, rng, device),
        }
    }

    /// An exactly-sized FFN holding this one's slice.
    pub fn narrowed(&self, dim: usize, hidden: usize) -> Self {
        Ffn {
            expand: self.expand.narrowed(dim, hidden),
            contract: self.contract.narrowed(hidden, dim),
        }
    }

    /// `[B, T, dim] → [B, T, dim]` through `hidden` units.
    pub fn forward(
        &self,
        x: Tensor<B, 3>,
        dim: usize,
        hidden: usize,
        activation: Activation,
    ) -> Tensor<B, 3> {
        let h = self.expand.forward(x, dim, hidden);
        let h = match activation {
            Activation::Gelu => gelu(h),
            Activation::Swish => silu(h),
        };
        self.contract.forward(h, hidden, dim)
    }
}
