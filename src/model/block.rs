//! One block of the supernet for one set of global head counts: pre-LN residual attention
//! (global and local parts side by side on split channels) and FFN, with drop path. The
//! local part is the space's local module: the conv head (Conv1d or Conv2d) or local
//! attention heads.

use burn::module::Module;
use burn::nn::{LayerNorm, LayerNormConfig};
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;

use super::bank::{all_keys, key_of, size_for};
use super::parts::{Ffn, GlobalPart, LocalPart};
use super::pass::Pass;
use super::sharing::SharingPlan;
use super::window::window_bias;
use crate::rng::SearchRng;
use crate::space::{Activation, BlockArch, BlockChoices, Dimension, LocalKind, Skeleton};

const GLOBAL_DIMS: [Dimension; 1] = [Dimension::QkDim];
const LOCAL_DIMS: [Dimension; 2] = [Dimension::ConvExpand, Dimension::Kernel];
const FFN_DIMS: [Dimension; 1] = [Dimension::FfnRatio];

/// A block serving the global head counts in `choices.global_heads`.
#[derive(Module, Debug)]
pub struct Block<B: Backend> {
    norm1: LayerNorm<B>,
    globals: Vec<GlobalPart<B>>,
    locals: Vec<LocalPart<B>>,
    /// The local heads of a local-attention space (its `locals` are empty, and these are
    /// empty in a conv space).
    local_attention: Vec<GlobalPart<B>>,
    norm2: LayerNorm<B>,
    ffns: Vec<Ffn<B>>,
    #[module(skip)]
    global_keys: Vec<Vec<usize>>,
    #[module(skip)]
    local_keys: Vec<Vec<usize>>,
    #[module(skip)]
    ffn_keys: Vec<Vec<usize>>,
    #[module(skip)]
    plan: SharingPlan,
    #[module(skip)]
    dim: usize,
    #[module(skip)]
    heads: usize,
    #[module(skip)]
    local: LocalKind,
    /// Patches per side of the grid (the spatial local modules' frame).
    #[module(skip)]
    side: usize,
}

impl<B: Backend> Block<B> {
    /// Weights for every candidate of `choices` in a model of `skeleton`'s width, heads and
    /// local module.
    pub fn new(
        choices: &BlockChoices,
        skeleton: &Skeleton,
        plan: &SharingPlan,
        rng: &mut SearchRng,
        device: &B::Device,
    ) -> Self {
        let (dim, heads, side) = (
            skeleton.embed_dim,
            skeleton.heads,
            skeleton.patches_per_side(),
        );
        let most_global = choices.global_heads.iter().copied().max().unwrap_or(0);
        let most_local = heads - choices.global_heads.iter().copied().min().unwrap_or(heads);
        let norm = || LayerNormConfig::new(dim).with_epsilon(1e-6).init(device);
        let norm1 = norm();

        let global_keys = if most_global > 0 {
            all_keys(choices, &GLOBAL_DIMS, plan)
        } else {
            vec![]
        };
        let globals = global_keys
            .iter()
            .map(|key| {
                let width = size_for(choices, &GLOBAL_DIMS, key, Dimension::QkDim, plan);
                GlobalPart::new(dim * most_global / heads, most_global, width, rng, device)
            })
            .collect();
        let local_keys = if most_local > 0 {
            all_keys(choices, &LOCAL_DIMS, plan)
        } else {
            vec![]
        };
        let local_channels = dim * most_local / heads;
        let (mut locals, mut local_attention) = (vec![], vec![]);
        for key in &local_keys {
            let expand = size_for(choices, &LOCAL_DIMS, key, Dimension::ConvExpand, plan);
            let kernel = size_for(choices, &LOCAL_DIMS, key, Dimension::Kernel, plan);
            match skeleton.local {
                // A window is a mask, not a weight: every window size uses the same heads.
                LocalKind::LocalAttention => local_attention.push(GlobalPart::new(
                    local_channels,
                    most_local,
                    expand * (dim / heads),
                    rng,
                    device,
                )),
                kind => {
                    let grid = (kind == LocalKind::Conv2d).then_some(side);
                    locals.push(LocalPart::new(
                        local_channels,
                        expand,
                        kernel,
                        grid,
                        rng,
                        device,
                    ));
                }
            }
        }
        let norm2 = norm();
        let ffn_keys = all_keys(choices, &FFN_DIMS, plan);
        let ffns = ffn_keys
            .iter()
            .map(|key| {
                let ratio = size_for(choices, &FFN_DIMS, key, Dimension::FfnRatio, plan);
                Ffn::new(dim, dim * ratio, rng, device)
            })
            .collect();
        Block {
            norm1,
            globals,
            locals,
            local_attention,
            norm2,
            ffns,
            global_keys,
            local_keys,
            ffn_keys,
            plan: plan.clone(),
            dim,
            heads,
            local: skeleton.local,
            side,
        }
    }

    /// `[B, T, d] → [B, T, d]` for `arch` (checked against the space by the caller). In a
    /// training pass, drop path keeps each sample's residual branches with probability
    /// 1 − rate, where rate is the pass's rate times `block_share` (0 at the first block, 1 at
    /// the last).
    pub fn forward(
        &self,
        x: Tensor<B, 3>,
        arch: &BlockArch,
        activation: Activation,
        pass: &mut Pass,
        block_share: f64,
    ) -> Tensor<B, 3> {
        let [batch, tokens, dim] = x.dims();
        let global_width = dim * arch.global_heads / self.heads;
        let h = self.norm1.forward(x.clone());
        let mut parts = Vec::with_capacity(2);
        if arch.global_heads > 0 {
            let part = self.global_for(arch);
            let input = h.clone().slice([0..batch, 0..tokens, 0..global_width]);
            let width = arch.qk_dim.expect("checked: a global part has a q/k width");
            parts.push(part.forward(input, global_width, arch.global_heads, width));
        }
        if arch.global_heads < self.heads {
            let input = h.slice([0..batch, 0..tokens, global_width..dim]);
            let expand = arch
                .conv_expand
                .expect("checked: a local part has an expansion");
            let kernel = arch.kernel.expect("checked: a local part has a kernel");
            let channels = dim - global_width;
            parts.push(if self.local == LocalKind::LocalAttention {
                let bias = window_bias::<B>(self.side, kernel, &x.device());
                let local = self.heads - arch.global_heads;
                let width = expand * (dim / self.heads);
                self.attention_for(arch)
                    .forward_biased(input, channels, local, width, Some(bias))
            } else {
                let part = self.local_for(arch);
                part.forward(input, channels, expand, kernel, pass.norms())
            });
        }
        let mixer = Tensor::cat(parts, 2); // global channels first, then local; no projection
        let (mixer, ffn_mask) = match pass.drop_path(block_share) {
            Some((rate, rng)) => {
                let m1 = keep_mask::<B>(batch, rate, rng, &x.device());
                let m2 = keep_mask::<B>(batch, rate, rng, &x.device());
                (mixer * m1, Some(m2))
            }
            _ => (mixer, None),
        };
        let x = x + mixer;
        let ffn = self.ffn_for(arch);
        let out = ffn.forward(
            self.norm2.forward(x.clone()),
            self.dim,
            self.dim * arch.ffn_ratio,
            activation,
        );
        match ffn_mask {
            Some(mask) => x + out * mask,
            None => x + out,
        }
    }
}

impl<B: Backend> Block<B> {
    /// Elements of BatchNorm running statistics (buffers, not parameters).
    pub fn buffer_count(&self) -> usize {
        self.locals.iter().map(LocalPart::buffer_count).sum()
    }

    /// The block of a standalone network for `arch`, holding exactly the weights `arch` uses
    /// here (what a standalone network built over `arch` alone would have).
    pub fn extract(&self, arch: &BlockArch) -> Self {
        let dim = self.dim;
        let global_width = dim * arch.global_heads / self.heads;
        let globals = match arch.qk_dim {
            Some(width) if arch.global_heads > 0 => {
                let part = self.global_for(arch);
                vec![part.narrowed(global_width, arch.global_heads, width)]
            }
            _ => vec![],
        };
        let (mut locals, mut local_attention) = (vec![], vec![]);
        if let (Some(expand), Some(kernel)) = (arch.conv_expand, arch.kernel) {
            let (channels, local) = (dim - global_width, self.heads - arch.global_heads);
            match self.local {
                _ if local == 0 => {}
                LocalKind::LocalAttention => local_attention.push(
                    self.attention_for(arch)
                        .narrowed(channels, local, expand * (dim / self.heads)),
                ),
                _ => locals.push(self.local_for(arch).narrowed(channels, expand, kernel)),
            }
        }
        let has_local = !locals.is_empty() || !local_attention.is_empty();
        let ffn = self.ffn_for(arch);
        let plan = SharingPlan::default();
        let single = |dims: &[Dimension], present: bool| {
            if present {
                vec![key_of(arch, dims, &plan)]
            } else {
                vec![]
            }
        };
        Block {
            norm1: self.norm1.clone(),
            global_keys: single(&GLOBAL_DIMS, !globals.is_empty()),
            local_keys: single(&LOCAL_DIMS, has_local),
            ffn_keys: single(&FFN_DIMS, true),
            globals,
            locals,
            local_attention,
            norm2: self.norm2.clone(),
            ffns: vec![ffn.narrowed(dim, dim * arch.ffn_ratio)],
            plan,
            dim,
            heads: self.heads,
            local: self.local,
            side: self.side,
        }
    }
}

impl<B: Backend> Block<B> {
    /// The attention weights `arch` uses (it must have a global part).
    fn global_for(&self, arch: &BlockArch) -> &GlobalPart<B> {
        &self.globals[position(&self.global_keys, &key_of(arch, &GLOBAL_DIMS, &self.plan))]
    }

    /// The conv head weights `arch` uses (it must have a local part).
    fn local_for(&self, arch: &BlockArch) -> &LocalPart<B> {
        &self.locals[position(&self.local_keys, &key_of(arch, &LOCAL_DIMS, &self.plan))]
    }

    /// The local attention heads `arch` uses (it must have a local part, in a
    /// local-attention space).
    fn attention_for(&self, arch: &BlockArch) -> &GlobalPart<B> {
        &self.local_attention[position(&self.local_keys, &key_of(arch, &LOCAL_DIMS, &self.plan))]
    }

    /// The FFN weights `arch` uses.
    fn ffn_for(&self, arch: &BlockArch) -> &Ffn<B> {
        &self.ffns[position(&self.ffn_keys, &key_of(arch, &FFN_DIMS, &self.plan))]
    }
}

/// Index of `key` in `keys`; the space check guarantees it is there.
fn position(keys: &[Vec<usize>], key: &[usize]) -> usize {
    keys.iter()
        .position(|k| k == key)
        .expect("checked: every candidate has its weights")
}

/// Per-sample keep mask `[B, 1, 1]`, scaled by 1/keep so the expectation is unchanged.
fn keep_mask<B: Backend>(
    batch: usize,
    rate: f64,
    rng: &mut SearchRng,
    device: &B::Device,
) -> Tensor<B, 3> {
    use rand::RngExt;
    let keep = 1.0 - rate;
    let values: Vec<f32> = (0..batch)
        .map(|_| {
            if rng.random_bool(keep) {
                (1.0 / keep) as f32
            } else {
                0.0
            }
        })
        .collect();
    Tensor::from_data(burn::tensor::TensorData::new(values, [batch, 1, 1]), device)
}
