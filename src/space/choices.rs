//! The candidate values of one block.

use serde::{Deserialize, Serialize};

use super::dimension::Dimension;

/// Candidate lists of one block, one per [`Dimension`].
///
/// A list may be empty when its dimension can never matter in this block (for example no
/// kernels for a block whose only `global_heads` candidate is N).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockChoices {
    /// Candidate global head counts, each in 0..=N.
    pub global_heads: Vec<usize>,
    /// Candidate per-head q/k/v widths of the global part.
    #[serde(default)]
    pub qk_dim: Vec<usize>,
    /// Candidate FFN ratios.
    pub ffn_ratio: Vec<usize>,
    /// Candidate expansions of the local part.
    #[serde(default)]
    pub conv_expand: Vec<usize>,
    /// Candidate depthwise kernel sizes of the local part (odd, for "same" padding).
    #[serde(default)]
    pub kernel: Vec<usize>,
}

impl BlockChoices {
    /// The candidates of `dimension`.
    pub fn get(&self, dimension: Dimension) -> &[usize] {
        match dimension {
            Dimension::GlobalHeads => &self.global_heads,
            Dimension::QkDim => &self.qk_dim,
            Dimension::FfnRatio => &self.ffn_ratio,
            Dimension::ConvExpand => &self.conv_expand,
            Dimension::Kernel => &self.kernel,
        }
    }

    /// Mutable candidates of `dimension`.
    pub fn get_mut(&mut self, dimension: Dimension) -> &mut Vec<usize> {
        match dimension {
            Dimension::GlobalHeads => &mut self.global_heads,
            Dimension::QkDim => &mut self.qk_dim,
            Dimension::FfnRatio => &mut self.ffn_ratio,
            Dimension::ConvExpand => &mut self.conv_expand,
            Dimension::Kernel => &mut self.kernel,
        }
    }

    /// Distinct canonical blocks this block can take, for a model of `heads` heads: for each
    /// global head count, the product of the sizes of the dimensions that matter with it.
    pub fn canonical_count(&self, heads: usize) -> u128 {
        self.global_heads
            .iter()
            .map(|&g| {
                Dimension::ALL[1..]
                    .iter()
                    .filter(|d| d.matters(g, heads))
                    .map(|&d| self.get(d).len() as u128)
                    .product::<u128>()
            })
            .sum()
    }

    /// The paper's count: the product of all five list sizes (empty lists count as one).
    pub fn grid_count(&self) -> u128 {
        Dimension::ALL
            .iter()
            .map(|&d| self.get(d).len().max(1) as u128)
            .product()
    }
}
