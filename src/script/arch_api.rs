//! The `Arch` value in scripts: its blocks as maps (read and replaced), its distribution of
//! global heads, JSON, the blocks where two architectures differ, and building one from a
//! map (`space::arch`).

use rhai::{Array, Dynamic, Engine, Map, INT};

use super::convert::{bad, block_from_map, block_to_map, kind, Fallible, Options};
use super::registry::{getter, method, setter};
use crate::space::Arch;

/// Registers the properties and methods of `Arch`.
pub fn register(engine: &mut Engine) {
    getter(
        "blocks",
        &["arch: Arch", "Array"],
        "Each block's values: `#{global_heads, qk_dim, ffn_ratio, conv_expand, kernel}` (values\n\
         a block cannot use are absent).",
    )
    .register_into_engine(engine, |a: &mut Arch| -> Array {
        a.blocks.iter().map(|b| block_to_map(b).into()).collect()
    });
    setter(
        "blocks",
        &["arch: Arch", "blocks: Array", "()"],
        "Replaces the blocks (maps as `arch.blocks` gives them); the result is canonical.",
    )
    .register_into_engine(engine, |a: &mut Arch, blocks: Array| -> Fallible<()> {
        let blocks = blocks_from_array(&blocks)?;
        *a = Arch {
            heads: a.heads,
            blocks,
        }
        .canonical();
        Ok(())
    });
    getter(
        "distribution",
        &["arch: Arch", "Array"],
        "Global heads per block.",
    )
    .register_into_engine(engine, |a: &mut Arch| -> Array {
        a.distribution()
            .iter()
            .map(|&g| (g as INT).into())
            .collect()
    });
    getter("heads", &["arch: Arch", "i64"], "Heads per block N.")
        .register_into_engine(engine, |a: &mut Arch| a.heads as INT);
    getter("depth", &["arch: Arch", "i64"], "Number of blocks.")
        .register_into_engine(engine, |a: &mut Arch| a.blocks.len() as INT);
    method(
        "to_json",
        &["arch: Arch", "String"],
        "The architecture as JSON text.",
    )
    .register_into_engine(engine, |a: &mut Arch| a.to_json());
    method(
        "differing_blocks",
        &["arch: Arch", "other: Arch", "Array"],
        "The indices of the blocks where `arch` and `other` differ (compared in canonical form,\n\
         so values a block does not use are ignored); every block when the depths differ.",
    )
    .register_into_engine(engine, |a: &mut Arch, other: Arch| {
        let (a, b) = (a.canonical(), other.canonical());
        let depth = a.blocks.len().max(b.blocks.len());
        (0..depth)
            .filter(|&i| a.heads != b.heads || a.blocks.get(i) != b.blocks.get(i))
            .map(|i| Dynamic::from_int(i as INT))
            .collect::<Array>()
    });
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
