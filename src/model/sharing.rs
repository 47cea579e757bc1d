//! How the supernet shares weights between the candidates of each dimension.

use serde::{Deserialize, Serialize};

use crate::space::Dimension;

/// Weight sharing for one dimension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sharing {
    /// Every candidate value owns its weights (SPOS).
    Separate,
    /// One set of weights for the largest value, sliced for smaller ones: channel prefixes,
    /// kernel centre crops (AutoFormer).
    Entangled,
}

/// Sharing per dimension. The default is GLiT's reading of SPOS for the head distribution
/// (each global head count its own block, since the channel split changes what every weight
/// sees) and AutoFormer's entanglement for the widths and kernels inside a block (a smaller
/// width or kernel is a sub-tensor of a larger one, and entanglement trains every slice on
/// every step that uses a larger one).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharingPlan {
    /// Sharing across global head counts.
    pub global_heads: Sharing,
    /// Sharing across q/k/v widths.
    pub qk_dim: Sharing,
    /// Sharing across FFN ratios.
    pub ffn_ratio: Sharing,
    /// Sharing across conv expansions.
    pub conv_expand: Sharing,
    /// Sharing across kernels.
    pub kernel: Sharing,
}

impl Default for SharingPlan {
    fn default() -> Self {
        SharingPlan {
            global_heads: Sharing::Separate,
            qk_dim: Sharing::Entangled,
            ffn_ratio: Sharing::Entangled,
            conv_expand: Sharing::Entangled,
            kernel: Sharing::Entangled,
        }
    }
}

impl SharingPlan {
    /// The sharing of `dimension`.
    pub fn get(&self, dimension: Dimension) -> Sharing {
        match dimension {
            Dimension::GlobalHeads => self.global_heads,
            Dimension::QkDim => self.qk_dim,
            Dimension::FfnRatio => self.ffn_ratio,
            Dimension::ConvExpand => self.conv_expand,
            Dimension::Kernel => self.kernel,
        }
    }
}
