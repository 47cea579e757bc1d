//! Which CPU backend glit builds on: one GLiT supernet path, trained and evaluated on `flex`
//! and `ndarray` in the same run, through Burn's run-time `Dispatch` backend and directly.
//!
//! Run: `cargo bench --features ndarray --bench backend_choice`
//!
//! The network is the configuration of the project's CPU baseline (12 blocks, d 64, 3 heads,
//! 32×32×3 images, patch 4 → 65 tokens, batch 64, every block 1 global + 2 local heads with
//! kernel 31, expansion 2, FFN ratio 4), written here with Burn's layers so that the choice of
//! backend can be made before the supernet exists. It also times the `micro` preset's widest
//! path (d 48, 6 blocks, 28×28×1), which sets how long a supernet epoch takes on 2 cores.
//! Figures are images per second, higher is better; the ratio column compares to `flex` through
//! `Dispatch`, measured in the same run.

use std::time::Instant;

use burn::backend::{Autodiff, Flex};
use burn::module::Module;
use burn::nn::conv::{Conv1d, Conv1dConfig, Conv2d, Conv2dConfig};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::norm::{BatchNorm, BatchNormConfig};
use burn::nn::{LayerNorm, LayerNormConfig, Linear, LinearConfig, PaddingConfig1d};
use burn::optim::{AdamWConfig, GradientsParams, Optimizer};
use burn::tensor::activation::{gelu, sigmoid, silu, softmax};
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Distribution, Int, Tensor};
use burn::{Dispatch, DispatchDevice};

/// The path being timed.
#[derive(Clone, Copy, Debug)]
struct Shape {
    name: &'static str,
    image: usize,
    channels: usize,
    patch: usize,
    dim: usize,
    heads: usize,
    global: usize,
    qk: usize,
    expand: usize,
    kernel: usize,
    ffn: usize,
    blocks: usize,
    batch: usize,
}

#[derive(Module, Debug)]
struct Block<B: burn::tensor::backend::Backend> {
    norm1: LayerNorm<B>,
    qkv: Linear<B>,
    proj: Linear<B>,
    pointwise_in: Conv1d<B>,
    depthwise: Conv1d<B>,
    batch_norm: BatchNorm<B>,
    pointwise_out: Conv1d<B>,
    norm2: LayerNorm<B>,
    fc1: Linear<B>,
    fc2: Linear<B>,
    global_width: usize,
    heads: usize,
    qk: usize,
}

impl<B: burn::tensor::backend::Backend> Block<B> {
    fn new(s: Shape, device: &B::Device) -> Self {
        let global_width = s.dim * s.global / s.heads;
        let local_width = s.dim - global_width;
        let inner = s.expand * local_width;
        let norm = || LayerNormConfig::new(s.dim).with_epsilon(1e-6).init(device);
        Block {
            norm1: norm(),
            qkv: LinearConfig::new(global_width, 3 * s.global * s.qk).init(device),
            proj: LinearConfig::new(s.global * s.qk, global_width).init(device),
            pointwise_in: Conv1dConfig::new(local_width, 2 * inner, 1).init(device),
            depthwise: Conv1dConfig::new(inner, inner, s.kernel)
                .with_groups(inner)
                .with_padding(PaddingConfig1d::Same)
                .init(device),
            batch_norm: BatchNormConfig::new(inner).init(device),
            pointwise_out: Conv1dConfig::new(inner, local_width, 1).init(device),
            norm2: norm(),
            fc1: LinearConfig::new(s.dim, s.dim * s.ffn).init(device),
            fc2: LinearConfig::new(s.dim * s.ffn, s.dim).init(device),
            global_width,
            heads: s.global,
            qk: s.qk,
        }
    }

    fn forward(&self, x: Tensor<B, 3>) -> Tensor<B, 3> {
        let [batch, tokens, dim] = x.dims();
        let h = self.norm1.forward(x.clone());
        let global_in = h.clone().slice([0..batch, 0..tokens, 0..self.global_width]);
        let local_in = h.slice([0..batch, 0..tokens, self.global_width..dim]);

        // Global heads: [B, T, 3·g·qk] → q, k, v of [B, g, T, qk].
        let qkv = self
            .qkv
            .forward(global_in)
            .reshape([batch, tokens, 3, self.heads, self.qk])
            .permute([2, 0, 3, 1, 4]);
        let q = qkv.clone().slice([0..1]).squeeze_dim::<4>(0);
        let k = qkv.clone().slice([1..2]).squeeze_dim::<4>(0);
        let v = qkv.slice([2..3]).squeeze_dim::<4>(0);
        let scores = q.matmul(k.swap_dims(2, 3)) / (self.qk as f64).sqrt();
        let attended = softmax(scores, 3).matmul(v); // [B, g, T, qk]
        let global_out = self.proj.forward(attended.swap_dims(1, 2).reshape([
            batch,
            tokens,
            self.heads * self.qk,
        ]));

        // Local heads: channels first, GLU, depthwise conv along tokens, BN, Swish.
        let c = self.pointwise_in.forward(local_in.swap_dims(1, 2)); // [B, 2·E·c, T]
        let half = c.dims()[1] / 2;
        let gated =
            c.clone().slice([0..batch, 0..half]) * sigmoid(c.slice([0..batch, half..2 * half]));
        let c = silu(self.batch_norm.forward(self.depthwise.forward(gated)));
        let local_out = self.pointwise_out.forward(c).swap_dims(1, 2);

        let x = x + Tensor::cat(vec![global_out, local_out], 2);
        let f = self
            .fc2
            .forward(gelu(self.fc1.forward(self.norm2.forward(x.clone()))));
        x + f
    }
}

#[derive(Module, Debug)]
struct Net<B: burn::tensor::backend::Backend> {
    patch: Conv2d<B>,
    cls: burn::module::Param<Tensor<B, 3>>,
    positions: burn::module::Param<Tensor<B, 3>>,
    blocks: Vec<Block<B>>,
    norm: LayerNorm<B>,
    head: Linear<B>,
}

impl<B: burn::tensor::backend::Backend> Net<B> {
    fn new(s: Shape, device: &B::Device) -> Self {
        let tokens = (s.image / s.patch).pow(2) + 1;
        let normal = Distribution::Normal(0.0, 0.02);
        Net {
            patch: Conv2dConfig::new([s.channels, s.dim], [s.patch, s.patch])
                .with_stride([s.patch, s.patch])
                .init(device),
            cls: burn::module::Param::from_tensor(Tensor::random([1, 1, s.dim], normal, device)),
            positions: burn::module::Param::from_tensor(Tensor::random(
                [1, tokens, s.dim],
                normal,
                device,
            )),
            blocks: (0..s.blocks).map(|_| Block::new(s, device)).collect(),
            norm: LayerNormConfig::new(s.dim).with_epsilon(1e-6).init(device),
            head: LinearConfig::new(s.dim, 10).init(device),
        }
    }

    fn forward(&self, images: Tensor<B, 4>) -> Tensor<B, 2> {
        let batch = images.dims()[0];
        let patches = self
            .patch
            .forward(images)
            .flatten::<3>(2, 3)
            .swap_dims(1, 2); // [B, P, d]
        let dim = patches.dims()[2];
        let cls = self.cls.val().expand([batch, 1, dim]);
        let mut x = Tensor::cat(vec![cls, patches], 1) + self.positions.val();
        for block in &self.blocks {
            x = block.forward(x);
        }
        let x = self.norm.forward(x);
        let dim = x.dims()[2];
        self.head
            .forward(x.slice([0..batch, 0..1, 0..dim]).reshape([batch, dim])) // cls token
    }
}

/// Images per second for training steps and for forward-only evaluation.
fn measure<B: AutodiffBackend>(s: Shape, device: &B::Device, steps: usize) -> (f64, f64) {
    let mut net = Net::<B>::new(s, device);
    let mut optim = AdamWConfig::new().with_weight_decay(0.05).init();
    let loss_fn = CrossEntropyLossConfig::new().init(device);
    let images = Tensor::<B, 4>::random(
        [s.batch, s.channels, s.image, s.image],
        Distribution::Normal(0.0, 1.0),
        device,
    );
    let labels = Tensor::<B, 1, Int>::from_ints(
        (0..s.batch as i64)
            .map(|i| i % 10)
            .collect::<Vec<_>>()
            .as_slice(),
        device,
    );
    let mut train = || {
        let logits = net.forward(images.clone());
        let loss = loss_fn.forward(logits, labels.clone());
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        net = optim.step(1e-3, net.clone(), grads);
    };
    train(); // warm-up
    let start = Instant::now();
    for _ in 0..steps {
        train();
    }
    let _ = net.blocks[0].fc1.weight.val().into_data();
    let train_rate = (steps * s.batch) as f64 / start.elapsed().as_secs_f64();

    let eval_net = net.valid();
    let eval_images = images.inner();
    let _ = eval_net.forward(eval_images.clone()).into_data(); // warm-up
    let start = Instant::now();
    for _ in 0..steps {
        let _ = eval_net.forward(eval_images.clone()).into_data();
    }
    let eval_rate = (steps * s.batch) as f64 / start.elapsed().as_secs_f64();
    (train_rate, eval_rate)
}

fn main() {
    let steps: usize = std::env::var("GLIT_BENCH_STEPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4);
    let baseline = Shape {
        name: "baseline d64 ×12",
        image: 32,
        channels: 3,
        patch: 4,
        dim: 64,
        heads: 3,
        global: 1,
        qk: 21,
        expand: 2,
        kernel: 31,
        ffn: 4,
        blocks: 12,
        batch: 64,
    };
    let micro = Shape {
        name: "micro widest ×6",
        image: 28,
        channels: 1,
        patch: 4,
        dim: 48,
        heads: 3,
        global: 1,
        qk: 32,
        expand: 4,
        kernel: 23,
        ffn: 6,
        blocks: 6,
        batch: 64,
    };
    println!(
        "{:<20} {:<22} {:>10} {:>10} {:>12}",
        "network", "backend", "train/s", "eval/s", "train ratio"
    );
    for shape in [baseline, micro] {
        let runs: Vec<(&str, (f64, f64))> = vec![
            (
                "dispatch flex",
                measure::<Dispatch>(
                    shape,
                    &DispatchDevice::autodiff(DispatchDevice::Flex(Default::default())),
                    steps,
                ),
            ),
            (
                "dispatch ndarray",
                measure::<Dispatch>(
                    shape,
                    &DispatchDevice::autodiff(DispatchDevice::NdArray(Default::default())),
                    steps,
                ),
            ),
            (
                "flex (direct)",
                measure::<Autodiff<Flex>>(shape, &Default::default(), steps),
            ),
        ];
        let reference = runs[0].1 .0;
        for (backend, (train, eval)) in runs {
            println!(
                "{:<20} {:<22} {:>10.1} {:>10.1} {:>11.2}×",
                shape.name,
                backend,
                train,
                eval,
                train / reference
            );
        }
    }
}
