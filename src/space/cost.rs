//! Parameters and FLOPs (multiply-adds) of an architecture, per block and in total.
//!
//! Two conventions:
//! - [`Convention::Official`]: the released GLiT code's counter (`glit_models.py`), quirks
//!   kept: matrix products, convolutions and attention only, and the GLU's first pointwise
//!   conv counted at half its real width. It gives the README's 1.33 G for GLiT-Tiny. The
//!   released counter hard-codes 3 heads and 197 tokens; here the skeleton's heads and tokens
//!   stand in, which are exactly those for the paper presets at N = 3.
//! - [`Convention::Exact`]: every multiply-add of the network's matrix products and
//!   convolutions, the GLU's pointwise conv at its full 2·E·c outputs. Element-wise work
//!   (norms, activations, gates, biases, residual adds) is not counted, as in fvcore.
//!
//! The local part follows the space's [`LocalKind`]: Conv1d as above (k taps at every
//! token), Conv2d the same module with k² taps at every patch (the class token skips the
//! spatial convolution), local attention its q/k/v and projection matrices plus, for each
//! query, its scores and weighted values over only the keys its window lets it see (the
//! released counter has no local attention, so both conventions count it so).
//!
//! Parameters are the same under both conventions (the official code sums the model's
//! tensors): every weight and bias, 2 per LayerNorm or BatchNorm channel, the class token and
//! the position embedding. BatchNorm running statistics are buffers, not parameters.

use serde::{Deserialize, Serialize};
use std::fmt;

use super::arch::{Arch, BlockArch};
use super::dimension::Dimension;
use super::local_kind::LocalKind;
use super::skeleton::Skeleton;
use crate::error::{Error, Result};

/// How FLOPs are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Convention {
    /// The released GLiT counter, quirks included.
    Official,
    /// Every multiply-add of every matrix product and convolution.
    Exact,
}

impl Convention {
    /// Both conventions, official first.
    pub const ALL: [Convention; 2] = [Convention::Official, Convention::Exact];

    /// The name used on the command line and in scripts.
    pub fn name(self) -> &'static str {
        match self {
            Convention::Official => "official",
            Convention::Exact => "exact",
        }
    }

    /// The convention called `name`.
    pub fn from_name(name: &str) -> Result<Convention> {
        Convention::ALL
            .into_iter()
            .find(|c| c.name() == name)
            .ok_or_else(|| Error::InvalidValue {
                key: "convention".into(),
                message: format!("unknown convention `{name}` (known: official, exact)"),
            })
    }
}

impl fmt::Display for Convention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Parameters and multiply-adds of one part of a network.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    /// Trainable parameters.
    pub params: u64,
    /// Multiply-adds for one image.
    pub macs: u64,
}

impl Count {
    /// Multiply-adds in millions, the unit FLOPs are quoted in.
    pub fn mflops(&self) -> f64 {
        self.macs as f64 / 1e6
    }
}

impl std::ops::Add for Count {
    type Output = Count;
    fn add(self, other: Count) -> Count {
        Count {
            params: self.params + other.params,
            macs: self.macs + other.macs,
        }
    }
}

impl std::iter::Sum for Count {
    fn sum<I: Iterator<Item = Count>>(iter: I) -> Count {
        iter.fold(Count::default(), |a, b| a + b)
    }
}

/// The cost of a whole architecture under one convention.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cost {
    /// The convention the FLOPs follow.
    pub convention: Convention,
    /// Patch embedding, class token and position embedding.
    pub embedding: Count,
    /// Each block.
    pub blocks: Vec<Count>,
    /// Final LayerNorm and the linear classifier.
    pub head: Count,
}

impl Cost {
    /// The whole network.
    pub fn total(&self) -> Count {
        self.embedding + self.blocks.iter().copied().sum::<Count>() + self.head
    }

    /// Total parameters.
    pub fn params(&self) -> u64 {
        self.total().params
    }

    /// Total multiply-adds in millions.
    pub fn mflops(&self) -> f64 {
        self.total().mflops()
    }
}

/// The cost of `arch` on `skeleton` under `convention`. Fails when the architecture's head
/// count differs from the skeleton's or a block lacks a value it needs.
pub fn cost(skeleton: &Skeleton, arch: &Arch, convention: Convention) -> Result<Cost> {
    if arch.heads != skeleton.heads {
        return Err(Error::NotInSpace(format!(
            "it has {} heads per block, the skeleton {}",
            arch.heads, skeleton.heads
        )));
    }
    let blocks = arch
        .blocks
        .iter()
        .enumerate()
        .map(|(index, block)| block_cost(skeleton, block, convention, index))
        .collect::<Result<Vec<_>>>()?;
    let (d, n) = (skeleton.embed_dim as u64, skeleton.tokens() as u64);
    let patches = n - 1;
    let patch_inputs = (skeleton.channels * skeleton.patch_size * skeleton.patch_size) as u64;
    let embedding = Count {
        params: patch_inputs * d + d + d + n * d, // conv weight + bias, cls token, positions
        macs: patches * patch_inputs * d,
    };
    let classes = skeleton.classes as u64;
    let head = Count {
        params: 2 * d + d * classes + classes,
        macs: d * classes,
    };
    Ok(Cost {
        convention,
        embedding,
        blocks,
        head,
    })
}

impl super::Space {
    /// The cost of `arch`, checked against the space first.
    pub fn cost(&self, arch: &Arch, convention: Convention) -> Result<Cost> {
        self.check(arch)?;
        cost(&self.skeleton, arch, convention)
    }
}

/// The value of `dimension` a block needs, or an error naming the block.
fn needed(block: &BlockArch, dimension: Dimension, index: usize) -> Result<u64> {
    block.get(dimension).map(|v| v as u64).ok_or_else(|| {
        Error::NotInSpace(format!(
            "block {index}: `{dimension}` is missing (needed with {} global heads)",
            block.global_heads
        ))
    })
}

/// One block: LN1, the global part, the local part, LN2 and the FFN.
fn block_cost(
    skeleton: &Skeleton,
    block: &BlockArch,
    convention: Convention,
    index: usize,
) -> Result<Count> {
    let heads = skeleton.heads as u64;
    let (d, n) = (skeleton.embed_dim as u64, skeleton.tokens() as u64);
    let global = block.global_heads as u64;
    if global > heads {
        return Err(Error::NotInSpace(format!(
            "block {index}: {global} global heads exceed the {heads} heads"
        )));
    }
    let local = heads - global;
    let norms = Count {
        params: 2 * (2 * d),
        macs: 0,
    };

    let attention = if global > 0 {
        let width = d * global / heads; // channels the global part reads and writes
        let inner = global * needed(block, Dimension::QkDim, index)?; // all heads' q (= k = v) width
        Count {
            params: width * 3 * inner + 3 * inner + inner * width + width,
            macs: n * width * 3 * inner + 2 * n * n * inner + n * inner * width,
        }
    } else {
        Count::default()
    };

    let local_part = if local > 0 {
        let width = d * local / heads; // channels the local part reads and writes
        let expand = needed(block, Dimension::ConvExpand, index)?;
        let kernel = needed(block, Dimension::Kernel, index)?;
        local_cost(skeleton, width, expand * width, kernel, convention)
    } else {
        Count::default()
    };

    let hidden = d * block.ffn_ratio as u64;
    let ffn = Count {
        params: d * hidden + hidden + hidden * d + d,
        macs: 2 * n * d * hidden,
    };
    Ok(norms + attention + local_part + ffn)
}

/// The local part of `width` channels and inner width `inner` (E·width) with kernel or
/// window `kernel`, by the space's local module.
fn local_cost(
    skeleton: &Skeleton,
    width: u64,
    inner: u64,
    kernel: u64,
    convention: Convention,
) -> Count {
    let n = skeleton.tokens() as u64;
    let patches = n - 1;
    if skeleton.local == LocalKind::LocalAttention {
        // q, k, v into `inner`, the projection back; each query meets the keys it may
        // attend to once for its scores and once for its values.
        return Count {
            params: width * 3 * inner + 3 * inner + inner * width + width,
            macs: n * width * 3 * inner
                + n * inner * width
                + 2 * inner * window_pairs(skeleton.patches_per_side() as u64, kernel),
        };
    }
    // The depthwise stage: k taps along the tokens (Conv1d, every token), or k² over the
    // grid (Conv2d, the patches only: the class token skips it).
    let (taps, positions) = match skeleton.local {
        LocalKind::Conv2d => (kernel * kernel, patches),
        _ => (kernel, n),
    };
    // The GLU halves 2·inner channels to inner; the official counter counts only inner.
    let pointwise_in_outputs = match convention {
        Convention::Official => inner,
        Convention::Exact => 2 * inner,
    };
    Count {
        params: width * 2 * inner + 2 * inner // pointwise in
            + inner * taps + inner            // depthwise
            + 2 * inner                       // BatchNorm
            + inner * width + width, // pointwise out
        macs: n * (width * pointwise_in_outputs + inner * width) + positions * inner * taps,
    }
}

/// Query-key pairs of local attention over a `side`×`side` grid with windows of `window`:
/// the class token meets every token, each patch the class token and the patches of its
/// window (cut off at the grid's edges).
fn window_pairs(side: u64, window: u64) -> u64 {
    let reach = window / 2;
    // Patches within reach along one axis, summed over positions; the window is their square.
    let along: u64 = (0..side)
        .map(|i| i.min(reach) + (side - 1 - i).min(reach) + 1)
        .sum();
    let tokens = side * side + 1;
    tokens + side * side + along * along
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::presets::{named_arch, preset};

    fn cost_of(name: &str, convention: Convention) -> Cost {
        let space = preset("paper-tiny").unwrap();
        cost(space.skeleton(), &named_arch(name).unwrap(), convention).unwrap()
    }

    #[test]
    fn deit_tiny_matches_the_official_figures() {
        let official = cost_of("deit-tiny", Convention::Official);
        // timm's DeiT-Tiny has 5,717,416 parameters.
        assert_eq!(official.params(), 5_717_416);
        assert!(
            (official.mflops() - 1253.8).abs() < 0.5,
            "{}",
            official.mflops()
        );
        // No conv heads: both conventions agree.
        assert_eq!(
            cost_of("deit-tiny", Convention::Exact),
            Cost {
                convention: Convention::Exact,
                ..official
            }
        );
    }

    #[test]
    fn glit_tiny_matches_the_released_readme() {
        let official = cost_of("glit-tiny", Convention::Official);
        assert!(
            (official.params() as f64 / 1e6 - 7.3).abs() < 0.05,
            "{}",
            official.params()
        );
        assert!(
            (official.mflops() / 1e3 - 1.33).abs() < 0.005,
            "{}",
            official.mflops()
        );
        let exact = cost_of("glit-tiny", Convention::Exact);
        assert_eq!(exact.params(), official.params());
        assert!(exact.mflops() > official.mflops() + 50.0);
    }
}
