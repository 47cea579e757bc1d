//! Which CPU backend glit builds on: one GLiT supernet path, trained and evaluated on `flex`
//! and `ndarray` in the same run, through Burn's run-time `Dispatch` backend and directly.
//!
//! Run: `cargo bench --features ndarray --bench backend_choice`
//!
//! The network is the configuration of the project's CPU baseline (12 blocks, d 64, 3 heads,
//! 32×32×3 images, patch 4 → 65 tokens, batch 64, every block 1 global + 2 local heads with
//! kernel 31, expansion 2, FFN ratio 4), written here with Burn's layers so that the choice of
//! backend can be made before the supernet exists. It also times a typical and the widest path
//! of the `micro` preset (d 48, 6 blocks, 28×28×1), which set how long a supernet epoch takes
//! on 2 cores, and all-global and all-local variants of the baseline, which show where each
//! backend is weak. `GLIT_BENCH_STEPS` (default 4), `GLIT_BENCH_ONLY` (a network name part),
//! `GLIT_BENCH_BACKEND` (a backend name part) and `GLIT_BENCH_MICRO` (one more micro path)
//! narrow or extend the run.
//! Figures are images per second, higher is better; the ratio column compares to `flex` through
//! `Dispatch`, measured in the same run.

use std::time::Instant;

use burn::backend::{Autodiff, Flex};
use burn::module::{AutodiffModule, Module};
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
struct GlobalPart<B: burn::tensor::backend::Backend> {
    qkv: Linear<B>,
    proj: Linear<B>,
    heads: usize,
    qk: usize,
}

impl<B: burn::tensor::backend::Backend> GlobalPart<B> {
    fn forward(&self, x: Tensor<B, 3>) -> Tensor<B, 3> {
        let [batch, tokens, _] = x.dims();
        // [B, T, 3·g·qk] → [B, 3·g, T, qk] with one transpose; q, k, v are head ranges.
        let g = self.heads;
        let qkv = self
            .qkv
            .forward(x)
            .reshape([batch, tokens, 3 * g, self.qk])
            .swap_dims(1, 2);
        let q = qkv.clone().slice([0..batch, 0..g]);
        let k = qkv.clone().slice([0..batch, g..2 * g]);
        let v = qkv.slice([0..batch, 2 * g..3 * g]);
        let scores = q.matmul(k.swap_dims(2, 3)) / (self.qk as f64).sqrt();
        let attended = softmax(scores, 3).matmul(v); // [B, g, T, qk]
        self.proj.forward(
            attended
                .swap_dims(1, 2)
                .reshape([batch, tokens, self.heads * self.qk]),
        )
    }
}

#[derive(Module, Debug)]
struct LocalPart<B: burn::tensor::backend::Backend> {
    pointwise_in: Conv1d<B>,
    depthwise: Conv1d<B>,
    batch_norm: BatchNorm<B>,
    pointwise_out: Conv1d<B>,
}

impl<B: burn::tensor::backend::Backend> LocalPart<B> {
    fn forward(&self, x: Tensor<B, 3>) -> Tensor<B, 3> {
        let batch = x.dims()[0];
        // Channels first, GLU, depthwise conv along tokens, BN, Swish.
        let c = self.pointwise_in.forward(x.swap_dims(1, 2)); // [B, 2·E·c, T]
        let half = c.dims()[1] / 2;
        let gated =
            c.clone().slice([0..batch, 0..half]) * sigmoid(c.slice([0..batch, half..2 * half]));
        let c = silu(self.batch_norm.forward(self.depthwise.forward(gated)));
        self.pointwise_out.forward(c).swap_dims(1, 2)
    }
}

#[derive(Module, Debug)]
struct Block<B: burn::tensor::backend::Backend> {
    norm1: LayerNorm<B>,
    global: Option<GlobalPart<B>>,
    local: Option<LocalPart<B>>,
    norm2: LayerNorm<B>,
    fc1: Linear<B>,
    fc2: Linear<B>,
    global_width: usize,
}

impl<B: burn::tensor::backend::Backend> Block<B> {
    fn new(s: Shape, device: &B::Device) -> Self {
        let global_width = s.dim * s.global / s.heads;
        let local_width = s.dim - global_width;
        let inner = s.expand * local_width;
        let norm = || LayerNormConfig::new(s.dim).with_epsilon(1e-6).init(device);
        Block {
            norm1: norm(),
            global: (s.global > 0).then(|| GlobalPart {
                qkv: LinearConfig::new(global_width, 3 * s.global * s.qk).init(device),
                proj: LinearConfig::new(s.global * s.qk, global_width).init(device),
                heads: s.global,
                qk: s.qk,
            }),
            local: (local_width > 0).then(|| LocalPart {
                pointwise_in: Conv1dConfig::new(local_width, 2 * inner, 1).init(device),
                depthwise: Conv1dConfig::new(inner, inner, s.kernel)
                    .with_groups(inner)
                    .with_padding(PaddingConfig1d::Same)
                    .init(device),
                batch_norm: BatchNormConfig::new(inner).init(device),
                pointwise_out: Conv1dConfig::new(inner, local_width, 1).init(device),
            }),
            norm2: norm(),
            fc1: LinearConfig::new(s.dim, s.dim * s.ffn).init(device),
            fc2: LinearConfig::new(s.dim * s.ffn, s.dim).init(device),
            global_width,
        }
    }

    fn forward(&self, x: Tensor<B, 3>) -> Tensor<B, 3> {
        let [batch, tokens, dim] = x.dims();
        let h = self.norm1.forward(x.clone());
        let mut parts = Vec::new();
        if let Some(global) = &self.global {
            parts.push(global.forward(h.clone().slice([
                0..batch,
                0..tokens,
                0..self.global_width,
            ])));
        }
        if let Some(local) = &self.local {
            parts.push(local.forward(h.slice([0..batch, 0..tokens, self.global_width..dim])));
        }
        let x = x + Tensor::cat(parts, 2);
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

/// A deferred measurement: train and eval images per second.
type Measurement<'a> = dyn Fn() -> (f64, f64) + 'a;

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
    let _ = net.head.weight.val().into_data();
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
    let only = std::env::var("GLIT_BENCH_ONLY").unwrap_or_default();
    let micro_typical = Shape {
        name: "micro typical ×6",
        qk: 16,
        expand: 2,
        kernel: 15,
        ffn: 4,
        ..micro
    };
    let all_global = Shape {
        name: "all-global d64 ×12",
        global: 3,
        ..baseline
    };
    let all_local = Shape {
        name: "all-local d64 ×12",
        global: 0,
        ..baseline
    };
    let mut shapes = vec![baseline, micro_typical, micro, all_global, all_local];
    // GLIT_BENCH_MICRO="d,blocks,global,qk,expand,kernel,ffn" times one more micro-sized path.
    if let Ok(spec) = std::env::var("GLIT_BENCH_MICRO") {
        let v: Vec<usize> = spec
            .split(',')
            .map(|x| x.trim().parse().expect("a number"))
            .collect();
        assert_eq!(
            v.len(),
            7,
            "GLIT_BENCH_MICRO needs d,blocks,global,qk,expand,kernel,ffn"
        );
        shapes.push(Shape {
            name: "micro custom",
            dim: v[0],
            blocks: v[1],
            global: v[2],
            qk: v[3],
            expand: v[4],
            kernel: v[5],
            ffn: v[6],
            ..micro
        });
    }
    for shape in shapes {
        if !only.is_empty() && !shape.name.contains(only.as_str()) {
            continue;
        }
        let flex = || DispatchDevice::Flex(Default::default());
        let ndarray = || DispatchDevice::NdArray(Default::default());
        let backends: [(&str, &Measurement); 3] = [
            ("dispatch flex", &|| {
                measure::<Dispatch>(shape, &DispatchDevice::autodiff(flex()), steps)
            }),
            ("dispatch ndarray", &|| {
                measure::<Dispatch>(shape, &DispatchDevice::autodiff(ndarray()), steps)
            }),
            ("flex (direct)", &|| {
                measure::<Autodiff<Flex>>(shape, &Default::default(), steps)
            }),
        ];
        // GLIT_BENCH_BACKEND=flex keeps only the backends whose name contains it.
        let wanted = std::env::var("GLIT_BENCH_BACKEND").unwrap_or_default();
        let runs: Vec<(&str, (f64, f64))> = backends
            .iter()
            .filter(|(name, _)| name.contains(wanted.as_str()))
            .map(|(name, run)| (*name, run()))
            .collect();
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
