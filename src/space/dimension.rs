//! The five searched dimensions of a GLiT block, by name.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One searched dimension of a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// Global (self-attention) heads of the block, 0..=N; the other N − g heads are local.
    GlobalHeads,
    /// Per-head width of q, k and v in the global part.
    QkDim,
    /// Hidden width of the feed-forward network as a multiple of d.
    FfnRatio,
    /// Expansion E of the local (convolution) part.
    ConvExpand,
    /// Kernel size K of the local part: taps of its depthwise Conv1d, the side of a Conv2d
    /// kernel, or the side of a local-attention window.
    Kernel,
}

impl Dimension {
    /// Every dimension, in the order blocks list them.
    pub const ALL: [Dimension; 5] = [
        Dimension::GlobalHeads,
        Dimension::QkDim,
        Dimension::FfnRatio,
        Dimension::ConvExpand,
        Dimension::Kernel,
    ];

    /// The name used in JSON, scripts and messages.
    pub fn name(self) -> &'static str {
        match self {
            Dimension::GlobalHeads => "global_heads",
            Dimension::QkDim => "qk_dim",
            Dimension::FfnRatio => "ffn_ratio",
            Dimension::ConvExpand => "conv_expand",
            Dimension::Kernel => "kernel",
        }
    }

    /// The dimension called `name`, if any.
    pub fn from_name(name: &str) -> Option<Dimension> {
        Dimension::ALL.into_iter().find(|d| d.name() == name)
    }

    /// Whether this dimension shapes a block with `global` of `heads` heads global.
    /// q/k width only matters with a global part, expansion and kernel only with a local part.
    pub fn matters(self, global: usize, heads: usize) -> bool {
        match self {
            Dimension::GlobalHeads | Dimension::FfnRatio => true,
            Dimension::QkDim => global > 0,
            Dimension::ConvExpand | Dimension::Kernel => global < heads,
        }
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
