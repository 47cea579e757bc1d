//! The fixed frame every architecture of a space shares: input shape, patching, widths, depth.

use serde::{Deserialize, Serialize};
use std::fmt;

use super::local_kind::LocalKind;
use crate::error::{Error, Result};

/// The activation of the feed-forward network in every block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// GELU, as the released GLiT code uses.
    Gelu,
    /// Swish (x·sigmoid(x)), as the GLiT paper describes.
    Swish,
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Activation::Gelu => "GELU",
            Activation::Swish => "Swish",
        })
    }
}

/// The largest value of any size in a space (pixels, channels, widths, candidates): far past
/// any real network, and small enough that sizes multiply without overflow.
pub const MAX_SIZE: usize = 1 << 20;

/// The model skeleton: what does not vary between the architectures of one space.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Skeleton {
    /// Height and width of the (square) input image, in pixels.
    pub image_size: usize,
    /// Colour channels of the input image.
    pub channels: usize,
    /// Side of a square patch, in pixels.
    pub patch_size: usize,
    /// Embedding dimension d (channels of every token).
    pub embed_dim: usize,
    /// Heads per block N: global plus local heads.
    pub heads: usize,
    /// Classes of the linear head.
    pub classes: usize,
    /// The feed-forward activation.
    pub activation: Activation,
    /// The module of every local head. Absent from the JSON of a Conv1d space, so spaces
    /// written before other kinds existed read, and write, exactly as they did.
    #[serde(default, skip_serializing_if = "LocalKind::is_conv1d")]
    pub local: LocalKind,
}

impl Skeleton {
    /// Patches along one side of the image.
    pub fn patches_per_side(&self) -> usize {
        self.image_size / self.patch_size
    }

    /// Tokens the blocks see: every patch plus the class token.
    pub fn tokens(&self) -> usize {
        self.patches_per_side() * self.patches_per_side() + 1
    }

    /// Channels owned by one head (d / N).
    pub fn head_width(&self) -> usize {
        self.embed_dim / self.heads
    }

    /// Checks that the skeleton describes a buildable network.
    pub fn check(&self) -> Result<()> {
        let fail = |msg: String| Err(Error::InvalidSpace(msg));
        for (name, value) in [
            ("image_size", self.image_size),
            ("channels", self.channels),
            ("patch_size", self.patch_size),
            ("embed_dim", self.embed_dim),
            ("heads", self.heads),
            ("classes", self.classes),
        ] {
            if value == 0 {
                return fail(format!("`{name}` must be at least 1"));
            }
            if value > MAX_SIZE {
                return fail(format!(
                    "`{name}` {value} is larger than any network glit can build (at most {MAX_SIZE})"
                ));
            }
        }
        if !self.image_size.is_multiple_of(self.patch_size) {
            return fail(format!(
                "`patch_size` {} does not divide `image_size` {}",
                self.patch_size, self.image_size
            ));
        }
        if !self.embed_dim.is_multiple_of(self.heads) {
            return fail(format!(
                "`heads` {} does not divide `embed_dim` {}",
                self.heads, self.embed_dim
            ));
        }
        Ok(())
    }
}

impl fmt::Display for Skeleton {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{s}×{s}×{c} images, patch {p} → {t} tokens (cls included), d {d}, {n} heads, {k} classes, FFN {a}",
            s = self.image_size,
            c = self.channels,
            p = self.patch_size,
            t = self.tokens(),
            d = self.embed_dim,
            n = self.heads,
            k = self.classes,
            a = self.activation,
        )?;
        if !self.local.is_conv1d() {
            write!(f, ", local heads {}", self.local)?;
        }
        Ok(())
    }
}
