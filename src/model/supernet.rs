//! The weight-sharing GLiT supernet over any [`Space`], and standalone networks (a supernet
//! over a space holding one architecture).

use burn::module::{Module, Param};
use burn::nn::{LayerNorm, LayerNormConfig};
use burn::tensor::backend::Backend;
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::Tensor;

use super::block::Block;
use super::init;
use super::pass::Pass;
use super::sharing::{Sharing, SharingPlan};
use super::sliced::{Init, SlicedLinear};
use crate::error::Result;
use crate::rng::SearchRng;
use crate::space::{Arch, BlockChoices, Space};

/// A GLiT supernet: conv patch embedding, cls token, learned positions, M blocks, final
/// LayerNorm and a linear head on the cls token. `forward(x, &arch)` runs one path.
#[derive(Module, Debug)]
pub struct Supernet<B: Backend> {
    patch_weight: Param<Tensor<B, 4>>,
    patch_bias: Param<Tensor<B, 1>>,
    cls_token: Param<Tensor<B, 3>>,
    positions: Param<Tensor<B, 3>>,
    /// Per block, one [`Block`] per separately shared global head count (or one for all).
    blocks: Vec<Vec<Block<B>>>,
    norm: LayerNorm<B>,
    head: SlicedLinear<B>,
    #[module(skip)]
    space: Space,
    #[module(skip)]
    plan: SharingPlan,
}

impl<B: Backend> Supernet<B> {
    /// A freshly initialised supernet over `space`, its weights drawn from `rng`.
    pub fn new(space: &Space, plan: &SharingPlan, rng: &mut SearchRng, device: &B::Device) -> Self {
        let s = space.skeleton();
        let (d, tokens) = (s.embed_dim, s.tokens());
        let fan_in = s.channels * s.patch_size * s.patch_size;
        let bound = 1.0 / (fan_in as f64).sqrt();
        let patch_weight = init::uniform(
            [d, s.channels, s.patch_size, s.patch_size],
            bound,
            rng,
            device,
        );
        let patch_bias = init::uniform([d], bound, rng, device);
        let cls_token = init::normal([1, 1, d], 0.02, rng, device);
        let positions = init::normal([1, tokens, d], 0.02, rng, device);
        let blocks = space
            .blocks()
            .iter()
            .map(|choices| {
                block_groups(choices, plan)
                    .iter()
                    .map(|group| Block::new(group, s, plan, rng, device))
                    .collect()
            })
            .collect();
        Supernet {
            patch_weight: Param::from_tensor(patch_weight),
            patch_bias: Param::from_tensor(patch_bias),
            cls_token: Param::from_tensor(cls_token),
            positions: Param::from_tensor(positions),
            blocks,
            norm: LayerNormConfig::new(d).with_epsilon(1e-6).init(device),
            head: SlicedLinear::new(d, s.classes, Init::Transformer, rng, device),
            space: space.clone(),
            plan: plan.clone(),
        }
    }

    /// A standalone network for `arch`, trained from scratch: the same model over a space that
    /// holds only `arch`.
    pub fn standalone(
        space: &Space,
        arch: &Arch,
        rng: &mut SearchRng,
        device: &B::Device,
    ) -> Result<Self> {
        let single = space.only(arch)?;
        Ok(Supernet::new(&single, &SharingPlan::default(), rng, device))
    }

    /// A standalone network for `arch` that inherits its weights (and BatchNorm statistics)
    /// from this supernet: every slice `arch` uses, copied. It gives the supernet's outputs
    /// for `arch` and trains on its own from there.
    pub fn extract(&self, arch: &Arch) -> Result<Self> {
        let single = self.space.only(arch)?;
        let arch = arch.canonical();
        let blocks = self
            .blocks
            .iter()
            .zip(&arch.blocks)
            .enumerate()
            .map(|(index, (groups, block))| {
                let group = group_of(&self.space.blocks()[index], block.global_heads, &self.plan);
                vec![groups[group].extract(block)]
            })
            .collect();
        Ok(Supernet {
            patch_weight: Param::from_tensor(self.patch_weight.val().detach()),
            patch_bias: Param::from_tensor(self.patch_bias.val().detach()),
            cls_token: Param::from_tensor(self.cls_token.val().detach()),
            positions: Param::from_tensor(self.positions.val().detach()),
            blocks,
            norm: self.norm.clone(),
            head: self.head.narrowed(
                self.space.skeleton().embed_dim,
                self.space.skeleton().classes,
            ),
            space: single,
            plan: SharingPlan::default(),
        })
    }

    /// Trainable parameters. Burn's `num_params` also counts BatchNorm running statistics,
    /// which are buffers; this does not, so it equals the cost model's count (and PyTorch's).
    pub fn parameter_count(&self) -> usize {
        let buffers: usize = self.blocks.iter().flatten().map(Block::buffer_count).sum();
        self.num_params() - buffers
    }

    /// The space the supernet serves.
    pub fn space(&self) -> &Space {
        &self.space
    }

    /// The sharing plan it was built with.
    pub fn plan(&self) -> &SharingPlan {
        &self.plan
    }

    /// Logits `[B, classes]` of images `[B, channels, H, W]` along `arch`'s path, for
    /// evaluation (running BatchNorm statistics, no drop path).
    pub fn forward(&self, images: Tensor<B, 4>, arch: &Arch) -> Result<Tensor<B, 2>> {
        self.forward_pass(images, arch, &mut Pass::Eval)
    }

    /// As [`Supernet::forward`], for the purpose `pass` names (training, recalibration).
    pub fn forward_pass(
        &self,
        images: Tensor<B, 4>,
        arch: &Arch,
        pass: &mut Pass,
    ) -> Result<Tensor<B, 2>> {
        self.space.check(arch)?;
        crate::pool_spin::keep_awake(&images.device());
        let s = self.space.skeleton();
        let batch = images.dims()[0];
        let options = ConvOptions::new([s.patch_size, s.patch_size], [0, 0], [1, 1], 1);
        let patches = conv2d(
            images,
            self.patch_weight.val(),
            Some(self.patch_bias.val()),
            options,
        )
        .flatten::<3>(2, 3) // [B, d, P]
        .swap_dims(1, 2); // [B, P, d]
        let d = s.embed_dim;
        let cls = self.cls_token.val().expand([batch, 1, d]);
        let mut x = Tensor::cat(vec![cls, patches], 1) + self.positions.val(); // [B, T, d]
        let depth = self.blocks.len();
        for (index, (groups, block)) in self.blocks.iter().zip(&arch.blocks).enumerate() {
            let group = group_of(&self.space.blocks()[index], block.global_heads, &self.plan);
            // timm's schedule: drop path rises linearly over depth.
            let share = if depth > 1 {
                index as f64 / (depth - 1) as f64
            } else {
                1.0
            };
            x = groups[group].forward(x, block, s.activation, pass, share);
        }
        let x = self.norm.forward(x);
        let cls = x.slice([0..batch, 0..1, 0..d]).reshape([batch, d]);
        Ok(self.head.forward(cls, d, s.classes))
    }
}

/// The candidate sets the blocks of one position serve: one per global head count when that
/// dimension is separate, else one for all.
fn block_groups(choices: &BlockChoices, plan: &SharingPlan) -> Vec<BlockChoices> {
    match plan.global_heads {
        Sharing::Entangled => vec![choices.clone()],
        Sharing::Separate => choices
            .global_heads
            .iter()
            .map(|&g| BlockChoices {
                global_heads: vec![g],
                ..choices.clone()
            })
            .collect(),
    }
}

/// Which of a position's blocks serves `global` heads.
fn group_of(choices: &BlockChoices, global: usize, plan: &SharingPlan) -> usize {
    match plan.global_heads {
        Sharing::Entangled => 0,
        Sharing::Separate => choices
            .global_heads
            .iter()
            .position(|&g| g == global)
            .expect("checked: the global head count is a candidate"),
    }
}
