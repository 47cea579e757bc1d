//! An architecture: named values for every block, in canonical form.
//!
//! Values that cannot shape a block (kernel and expansion of an all-global block, q/k width of
//! an all-local block) are absent, so two architectures that build the same network compare and
//! hash equal. [`Arch::canonical`] drops such values; every operation of a
//! [`Space`](super::Space) returns canonical architectures.

use serde::{Deserialize, Serialize};
use std::path::Path;

use super::dimension::Dimension;
use crate::error::{Error, Result};

/// The searched values of one block.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockArch {
    /// Global heads g; the block has N − g local heads.
    pub global_heads: usize,
    /// Per-head q/k/v width of the global part; absent when g = 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qk_dim: Option<usize>,
    /// FFN hidden width as a multiple of d.
    pub ffn_ratio: usize,
    /// Expansion E of the local part; absent when g = N.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conv_expand: Option<usize>,
    /// Depthwise Conv1d kernel K of the local part; absent when g = N.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel: Option<usize>,
}

impl BlockArch {
    /// The value of `dimension`, if the block holds one.
    pub fn get(&self, dimension: Dimension) -> Option<usize> {
        match dimension {
            Dimension::GlobalHeads => Some(self.global_heads),
            Dimension::QkDim => self.qk_dim,
            Dimension::FfnRatio => Some(self.ffn_ratio),
            Dimension::ConvExpand => self.conv_expand,
            Dimension::Kernel => self.kernel,
        }
    }

    /// Sets `dimension`; `None` clears an optional one (and is ignored for the other two).
    pub fn set(&mut self, dimension: Dimension, value: Option<usize>) {
        match dimension {
            Dimension::GlobalHeads => {
                if let Some(v) = value {
                    self.global_heads = v
                }
            }
            Dimension::QkDim => self.qk_dim = value,
            Dimension::FfnRatio => {
                if let Some(v) = value {
                    self.ffn_ratio = v
                }
            }
            Dimension::ConvExpand => self.conv_expand = value,
            Dimension::Kernel => self.kernel = value,
        }
    }

    /// Local heads of this block in a model of `heads` heads.
    pub fn local_heads(&self, heads: usize) -> usize {
        heads.saturating_sub(self.global_heads)
    }

    /// The block with every value that cannot matter removed.
    pub fn canonical(&self, heads: usize) -> BlockArch {
        let mut block = self.clone();
        for dimension in Dimension::ALL {
            if !dimension.matters(block.global_heads, heads) {
                block.set(dimension, None);
            }
        }
        block
    }
}

/// A whole architecture: the head count N and one [`BlockArch`] per block.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arch {
    /// Heads per block N (global plus local), as in the space's skeleton.
    pub heads: usize,
    /// The blocks, input side first.
    pub blocks: Vec<BlockArch>,
}

impl Arch {
    /// The canonical form: equal for any two architectures that build the same network.
    pub fn canonical(&self) -> Arch {
        Arch {
            heads: self.heads,
            blocks: self
                .blocks
                .iter()
                .map(|b| b.canonical(self.heads))
                .collect(),
        }
    }

    /// Whether the architecture is already canonical.
    pub fn is_canonical(&self) -> bool {
        *self == self.canonical()
    }

    /// Global heads per block: the architecture's distribution (stage 1 of GLiT's search).
    pub fn distribution(&self) -> Vec<usize> {
        self.blocks.iter().map(|b| b.global_heads).collect()
    }

    /// The JSON text (pretty, one key per line).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("an Arch always serialises")
    }

    /// Parses JSON; `origin` names the source in errors.
    pub fn from_json(text: &str, origin: &str) -> Result<Arch> {
        serde_json::from_str(text).map_err(|e| Error::json(origin, &e))
    }

    /// Reads a JSON file.
    pub fn load(path: &Path) -> Result<Arch> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Arch::from_json(&text, &path.display().to_string())
    }

    /// Writes a JSON file atomically (write, flush, rename), so a kill leaves the old or the new.
    pub fn save(&self, path: &Path) -> Result<()> {
        crate::atomic_file::write(path, self.to_json().as_bytes())
    }
}
