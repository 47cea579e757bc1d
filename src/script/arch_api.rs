//! The `Arch` value in scripts: its blocks as maps (read and replaced), its distribution of
//! global heads, JSON, the blocks where two architectures differ, and building one from a
//! map (`space::arch`).

use rhai::plugin::*;
use rhai::{Array, Dynamic, Engine, Map, INT};

use super::convert::{bad, block_from_map, block_to_map, kind, Fallible, Options, RhaiResultOf};
use crate::space::Arch;

/// Registers the properties and methods of `Arch`.
pub fn register(engine: &mut Engine) {
    engine.register_global_module(exported_module!(arch_methods).into());
}

/// The properties and methods, with signatures and docs taken from here.
#[export_module]
mod arch_methods {
    use super::*;

    /// Each block's values: `#{global_heads, qk_dim, ffn_ratio, conv_expand, kernel}` (values
    /// a block cannot use are absent).
    #[rhai_fn(get = "blocks", pure)]
    pub fn blocks(arch: &mut Arch) -> Array {
        arch.blocks.iter().map(|b| block_to_map(b).into()).collect()
    }

    /// Replaces the blocks (maps as `arch.blocks` gives them); the result is canonical.
    #[rhai_fn(set = "blocks", return_raw)]
    pub fn set_blocks(arch: &mut Arch, blocks: Array) -> RhaiResultOf<()> {
        let blocks = blocks_from_array(&blocks)?;
        *arch = Arch {
            heads: arch.heads,
            blocks,
        }
        .canonical();
        Ok(())
    }

    /// Global heads per block.
    #[rhai_fn(get = "distribution", pure)]
    pub fn distribution(arch: &mut Arch) -> Array {
        arch.distribution()
            .iter()
            .map(|&g| (g as INT).into())
            .collect()
    }

    /// Heads per block N.
    #[rhai_fn(get = "heads", pure)]
    pub fn heads(arch: &mut Arch) -> INT {
        arch.heads as INT
    }

    /// Number of blocks.
    #[rhai_fn(get = "depth", pure)]
    pub fn depth(arch: &mut Arch) -> INT {
        arch.blocks.len() as INT
    }

    /// The architecture as JSON text.
    #[rhai_fn(pure)]
    pub fn to_json(arch: &mut Arch) -> String {
        arch.to_json()
    }

    /// The indices of the blocks where `arch` and `other` differ (compared in canonical form,
    /// so values a block does not use are ignored); every block when the depths differ.
    #[rhai_fn(pure)]
    pub fn differing_blocks(arch: &mut Arch, other: Arch) -> Array {
        let (a, b) = (arch.canonical(), other.canonical());
        let depth = a.blocks.len().max(b.blocks.len());
        (0..depth)
            .filter(|&i| a.heads != b.heads || a.blocks.get(i) != b.blocks.get(i))
            .map(|i| Dynamic::from_int(i as INT))
            .collect::<Array>()
    }
}

/// `space::arch(map)`: an architecture from the map form `arch.blocks` gives, canonical.
pub fn arch_from_map(map: Map) -> Fallible<Arch> {
    let mut options = Options::new("space::arch", map);
    let heads = options.count("heads", 0)?;
    let blocks = options
        .take("blocks")
        .ok_or_else(|| bad("blocks", "missing"))?;
    options.finish()?;
    if heads == 0 {
        return Err(bad("heads", "missing or zero"));
    }
    let blocks = blocks
        .into_array()
        .map_err(|_| bad("blocks", "must be a list of blocks (maps)"))?;
    Ok(Arch {
        heads,
        blocks: blocks_from_array(&blocks)?,
    }
    .canonical())
}

fn blocks_from_array(blocks: &Array) -> Fallible<Vec<crate::space::BlockArch>> {
    blocks
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let map = b.clone().try_cast::<Map>().ok_or_else(|| {
                bad(
                    &format!("blocks[{i}]"),
                    format!("must be a map of the block's choices, got {}", kind(b)),
                )
            })?;
            block_from_map(i, &map)
        })
        .collect()
}
