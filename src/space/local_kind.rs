//! Which module a space's local heads use: the paper's Conv1d, or one of the two other ways
//! of bringing in locality its ablation compares (Conv2d over the patch grid, attention
//! within a window of the grid).

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::error::{Error, Result};

/// The local module of every local head in a space. The `kernel` dimension is its kernel
/// size (Conv1d: tokens; Conv2d: the side of a square kernel) or its window side (local
/// attention); `conv_expand` E sets its inner width, E times its channels, for every kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LocalKind {
    /// GLiT's module: pointwise to 2·E·c, GLU, depthwise Conv1d along the token sequence
    /// (class token included), BatchNorm, Swish, pointwise back to c.
    #[default]
    #[serde(rename = "conv1d")]
    Conv1d,
    /// The same module with a k×k depthwise Conv2d over the patch grid; the class token
    /// skips the spatial convolution (it passes through that stage unchanged).
    #[serde(rename = "conv2d")]
    Conv2d,
    /// Self-attention heads of width E·d/N whose patch tokens attend to the patches of
    /// their k×k window of the grid and to the class token; the class token attends to
    /// every token.
    #[serde(rename = "local-attention")]
    LocalAttention,
}

impl LocalKind {
    /// Every kind, GLiT's first.
    pub const ALL: [LocalKind; 3] = [
        LocalKind::Conv1d,
        LocalKind::Conv2d,
        LocalKind::LocalAttention,
    ];

    /// The name used in JSON, on the command line and in scripts.
    pub fn name(self) -> &'static str {
        match self {
            LocalKind::Conv1d => "conv1d",
            LocalKind::Conv2d => "conv2d",
            LocalKind::LocalAttention => "local-attention",
        }
    }

    /// The kind called `name`, or an error listing the known ones.
    pub fn from_name(name: &str) -> Result<LocalKind> {
        LocalKind::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| Error::InvalidValue {
                key: "local".into(),
                message: format!(
                    "unknown local module `{name}` (known: conv1d, conv2d, local-attention)"
                ),
            })
    }

    /// Whether GLiT's own module (what spaces without a `local` field use).
    pub fn is_conv1d(&self) -> bool {
        *self == LocalKind::Conv1d
    }

    /// Whether the kernel spans the patch grid in two dimensions (so a kernel wider than
    /// twice the grid's side would only add padding).
    pub fn is_spatial(self) -> bool {
        self != LocalKind::Conv1d
    }

    /// The kernel candidates this kind gets in a preset whose patch grid is `side` patches
    /// wide and whose Conv1d kernels are `conv1d_kernels`: those themselves for Conv1d; for
    /// the spatial kinds the usual 3, 5 and 7, those that reach no further than the grid
    /// (at most 2·side − 1).
    pub fn preset_kernels(self, side: usize, conv1d_kernels: &[usize]) -> Vec<usize> {
        if !self.is_spatial() {
            return conv1d_kernels.to_vec();
        }
        [3, 5, 7].into_iter().filter(|&k| k < 2 * side).collect()
    }
}

impl fmt::Display for LocalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
