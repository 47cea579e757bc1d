//! The sub-spaces of GLiT's hierarchical search and the all-global baseline.
//!
//! Stage 1 searches only the distribution of global and local heads with the low-level values
//! fixed ([`Space::fix_details`]); stage 2 fixes the distribution it found and searches the
//! low-level values ([`Space::with_distribution`]).

use serde::{Deserialize, Serialize};

use super::arch::{Arch, BlockArch};
use super::dimension::Dimension;
use super::search_space::Space;
use crate::error::{Error, Result};

/// The low-level values stage 1 holds fixed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Details {
    /// Per-head q/k/v width of the global part.
    pub qk_dim: usize,
    /// FFN ratio.
    pub ffn_ratio: usize,
    /// Expansion of the local part.
    pub conv_expand: usize,
    /// Kernel of the local part.
    pub kernel: usize,
}

impl Details {
    /// The value fixed for `dimension` (`None` for `global_heads`, which stage 1 searches).
    pub fn get(&self, dimension: Dimension) -> Option<usize> {
        match dimension {
            Dimension::GlobalHeads => None,
            Dimension::QkDim => Some(self.qk_dim),
            Dimension::FfnRatio => Some(self.ffn_ratio),
            Dimension::ConvExpand => Some(self.conv_expand),
            Dimension::Kernel => Some(self.kernel),
        }
    }
}

/// The middle candidate of a sorted list (the lower middle for even lengths).
fn middle(list: &[usize]) -> Option<usize> {
    list.get(list.len().saturating_sub(1) / 2).copied()
}

impl Space {
    /// Stage-1 defaults: for each dimension, the first block that has candidates for it gives
    /// its middle value (its smallest for the expansion). For `paper-tiny` this is q/k 64,
    /// FFN 4, kernel 31, E 1: the official code's constructor defaults.
    pub fn default_details(&self) -> Details {
        let first_list = |dimension: Dimension| {
            self.blocks
                .iter()
                .map(|b| b.get(dimension))
                .find(|list| !list.is_empty())
                .unwrap_or(&[])
        };
        let or_one = |v: Option<usize>| v.unwrap_or(1);
        Details {
            qk_dim: or_one(middle(first_list(Dimension::QkDim))),
            ffn_ratio: or_one(middle(first_list(Dimension::FfnRatio))),
            conv_expand: or_one(first_list(Dimension::ConvExpand).first().copied()),
            kernel: or_one(middle(first_list(Dimension::Kernel))),
        }
    }

    /// Number of distributions of global heads (the size of any stage-1 space of this one).
    pub fn distribution_count(&self) -> f64 {
        self.blocks
            .iter()
            .map(|b| b.global_heads.len() as f64)
            .product()
    }

    /// The stage-1 space: every block keeps its `global_heads` candidates and has the single
    /// value of `details` for every other dimension. Each fixed value must be a candidate of
    /// every block where it can matter.
    pub fn fix_details(&self, details: &Details) -> Result<Space> {
        let mut blocks = self.blocks.clone();
        for (index, block) in blocks.iter_mut().enumerate() {
            for dimension in Dimension::ALL[1..].iter().copied() {
                let value = details.get(dimension).expect("not global_heads");
                let list = block.get_mut(dimension);
                if list.is_empty() {
                    continue; // this block never uses the dimension
                }
                if !list.contains(&value) {
                    return Err(Error::NotInSpace(format!(
                        "block {index}: fixed `{dimension}` {value} is not a candidate {list:?}"
                    )));
                }
                *list = vec![value];
            }
        }
        Space::new(
            format!("{}/stage1", self.name),
            self.skeleton.clone(),
            blocks,
        )
    }

    /// The stage-2 space: block i has `distribution[i]` global heads and keeps its other
    /// candidates.
    pub fn with_distribution(&self, distribution: &[usize]) -> Result<Space> {
        if distribution.len() != self.depth() {
            return Err(Error::NotInSpace(format!(
                "the distribution has {} blocks, the space `{}` has {}",
                distribution.len(),
                self.name,
                self.depth()
            )));
        }
        let mut blocks = self.blocks.clone();
        for (index, (block, &global)) in blocks.iter_mut().zip(distribution).enumerate() {
            if !block.global_heads.contains(&global) {
                return Err(Error::NotInSpace(format!(
                    "block {index}: {global} global heads is not a candidate {:?}",
                    block.global_heads
                )));
            }
            block.global_heads = vec![global];
        }
        Space::new(
            format!("{}/stage2", self.name),
            self.skeleton.clone(),
            blocks,
        )
    }

    /// The space holding only `arch` (which must be in this one): a standalone network is a
    /// supernet over it. Values that cannot matter for a block get no candidates.
    pub fn only(&self, arch: &Arch) -> Result<Space> {
        self.check(arch)?;
        let arch = arch.canonical();
        let blocks = arch
            .blocks
            .iter()
            .map(|block| {
                let list = |dimension| block.get(dimension).into_iter().collect::<Vec<_>>();
                super::BlockChoices {
                    global_heads: list(Dimension::GlobalHeads),
                    qk_dim: list(Dimension::QkDim),
                    ffn_ratio: list(Dimension::FfnRatio),
                    conv_expand: list(Dimension::ConvExpand),
                    kernel: list(Dimension::Kernel),
                }
            })
            .collect();
        Space::new(
            format!("{}/{}", self.name, "single"),
            self.skeleton.clone(),
            blocks,
        )
    }

    /// The all-global (DeiT-like) baseline: every block all-global, with the q/k width nearest
    /// to d/N and the FFN ratio nearest to 4 among its candidates.
    pub fn baseline(&self) -> Result<Arch> {
        let heads = self.heads();
        let nearest = |list: &[usize], target: usize| {
            list.iter()
                .copied()
                .min_by_key(|&v| (v.abs_diff(target), v))
        };
        let blocks = self
            .blocks
            .iter()
            .enumerate()
            .map(|(index, choices)| {
                if !choices.global_heads.contains(&heads) {
                    return Err(Error::NotInSpace(format!(
                        "block {index} cannot be all-global ({heads} global heads is not a candidate)"
                    )));
                }
                Ok(BlockArch {
                    global_heads: heads,
                    qk_dim: nearest(&choices.qk_dim, self.skeleton.head_width()),
                    ffn_ratio: nearest(&choices.ffn_ratio, 4).expect("validated non-empty"),
                    conv_expand: None,
                    kernel: None,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Arch { heads, blocks })
    }
}
