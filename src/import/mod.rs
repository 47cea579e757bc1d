//! Networks from released weights: PyTorch checkpoints in the layout of the official GLiT
//! code (`glit_models.py`, `mix_attention.py`) or of timm's DeiT, loaded into glit standalone
//! networks of the architecture they were trained as.

mod layout;
mod read;

use std::path::Path;

use burn::tensor::backend::Backend;
use rand::SeedableRng;

pub use layout::Layout;
pub use read::tensors;

use crate::error::{Error, Result};
use crate::model::{load_state, Supernet};
use crate::rng::SearchRng;
use crate::space::{Arch, Space};

/// The standalone network for `arch` (of `space`) holding the weights of the checkpoint at
/// `path` (`.pth`, `.pt` or `.safetensors`), and the layout the checkpoint was in. Every
/// tensor is checked against the shape the architecture implies; a missing tensor, one of
/// another shape, or one with no place in the network is an error that names it.
pub fn import_network<B: Backend>(
    path: &Path,
    space: &Space,
    arch: &Arch,
    device: &B::Device,
) -> Result<(Supernet<B>, Layout)> {
    space.check(arch)?;
    let origin = path.display().to_string();
    let tensors = read::tensors(path)?;
    let layout = Layout::detect(&tensors).ok_or_else(|| {
        Error::invalid_data(
            &origin,
            "is neither in the official GLiT layout (`blocks.0.0.…`) nor in timm's DeiT layout \
             (`blocks.0.attn.…`)",
        )
    })?;
    let mut source = layout::Source::new(tensors, &origin);
    let state = layout::map(&mut source, layout, space.skeleton(), &arch.canonical())?;
    // Every weight is overwritten; the seed only shapes the network before that.
    let net = Supernet::standalone(space, arch, &mut SearchRng::seed_from_u64(0), device)?;
    Ok((load_state(net, &state, &origin)?, layout))
}
