//! What one forward pass is for: it decides how BatchNorm treats its statistics and whether
//! drop path is on. Passed explicitly, so a pass never depends on which device (autodiff or
//! not) the weights happen to live on.

use crate::rng::SearchRng;

/// The purpose of a forward pass.
pub enum Pass<'a> {
    /// Scoring and testing: BatchNorm uses its running statistics; no drop path.
    Eval,
    /// A training step: BatchNorm normalises with batch statistics and blends them into its
    /// running ones (momentum 0.1, as PyTorch); drop path rises linearly from 0 at the first
    /// block to `drop_path` at the last, its masks drawn from `rng`.
    Train {
        /// Drop-path rate of the last block.
        drop_path: f64,
        /// The stream the drop-path masks come from.
        rng: &'a mut SearchRng,
    },
    /// BatchNorm recalibration: batch statistics, blended into the running ones with weight
    /// `momentum`; no drop path. Batch k (from 0) with momentum 1/(k+1) leaves the exact mean
    /// of the statistics of batches 0..=k, whatever was there before.
    Calibrate {
        /// Weight of this batch's statistics.
        momentum: f64,
    },
}

/// How a BatchNorm layer treats statistics in a pass.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Norms {
    /// Normalise with the running statistics; change nothing.
    Running,
    /// Normalise with the batch's statistics and blend them into the running ones.
    Batch {
        /// Weight of the batch's statistics in the blend.
        momentum: f64,
    },
}

/// PyTorch's BatchNorm momentum, which the official code keeps.
pub const TRAINING_MOMENTUM: f64 = 0.1;

impl Pass<'_> {
    /// How BatchNorm behaves in this pass.
    pub fn norms(&self) -> Norms {
        match self {
            Pass::Eval => Norms::Running,
            Pass::Train { .. } => Norms::Batch {
                momentum: TRAINING_MOMENTUM,
            },
            Pass::Calibrate { momentum } => Norms::Batch {
                momentum: *momentum,
            },
        }
    }

    /// Drop-path rate for one block and the stream for its masks, when drop path is on.
    pub fn drop_path(&mut self, block_share: f64) -> Option<(f64, &mut SearchRng)> {
        match self {
            Pass::Train { drop_path, rng } if *drop_path > 0.0 => {
                Some((*drop_path * block_share, &mut **rng))
            }
            _ => None,
        }
    }
}
