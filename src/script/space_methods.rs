//! The `Space` value in scripts: its properties, sampling (with predicates), mutation,
//! crossover, containment, the stage-1 and stage-2 sub-spaces, and costs in both FLOPs
//! conventions. A plugin module: signatures and docs come from the functions below.

use rhai::plugin::*;
use rhai::{Array, Dynamic, FnPtr, ImmutableString, Map, NativeCallContext, FLOAT, INT};

use super::convert::{bad, count, fail, from_json, int_list, kind, lift, Options, RhaiResultOf};
use super::rng_api::SharedRng;
use crate::space::cost::Convention;
use crate::space::{
    first_accepted, Arch, Census, Details, Dimension, LocalKind, Space, SAMPLE_TRIES,
};

/// Registers the properties and methods of `Space`.
pub fn register(engine: &mut rhai::Engine) {
    engine.register_global_module(exported_module!(space_methods).into());
}

#[export_module]
mod space_methods {
    use super::*;

    pub type Rng = SharedRng;

    /// The space's name.
    #[rhai_fn(get = "name", pure)]
    pub fn name(space: &mut Space) -> String {
        space.name().to_string()
    }

    /// Number of blocks M.
    #[rhai_fn(get = "depth", pure)]
    pub fn depth(space: &mut Space) -> INT {
        space.depth() as INT
    }

    /// Heads per block N.
    #[rhai_fn(get = "heads", pure)]
    pub fn heads(space: &mut Space) -> INT {
        space.heads() as INT
    }

    /// Number of distinct networks (canonical architectures).
    #[rhai_fn(get = "size", pure)]
    pub fn size(space: &mut Space) -> FLOAT {
        space.size()
    }

    /// Each block's candidates: `#{global_heads: [...], qk_dim: [...], ...}`.
    #[rhai_fn(get = "blocks", pure)]
    pub fn blocks(space: &mut Space) -> Array {
        space
            .blocks()
            .iter()
            .map(|b| {
                Dimension::ALL
                    .iter()
                    .map(|&d| {
                        let list: Array = b.get(d).iter().map(|&v| (v as INT).into()).collect();
                        (d.name().into(), list.into())
                    })
                    .collect::<Map>()
                    .into()
            })
            .collect()
    }

    /// The fixed shape: image_size, channels, patch_size, embed_dim, heads, classes,
    /// activation, local.
    #[rhai_fn(get = "skeleton", pure, return_raw)]
    pub fn skeleton(space: &mut Space) -> RhaiResultOf<Map> {
        let json = serde_json::to_value(space.skeleton()).map_err(fail)?;
        let mut map = from_json(&json).cast::<Map>();
        map.insert("local".into(), space.local().name().into());
        Ok(map)
    }

    /// The module of the local heads: "conv1d" (GLiT's), "conv2d" or "local-attention".
    #[rhai_fn(get = "local", pure)]
    pub fn local(space: &mut Space) -> String {
        space.local().name().to_string()
    }

    /// The space with local heads of `local` ("conv1d", "conv2d", "local-attention"); a new
    /// kind brings its kernel (window) candidates for the patch grid: 3, 5 and 7 for the
    /// two spatial kinds. Set others afterwards with `with_candidates(-1, "kernel", [..])`.
    #[rhai_fn(pure, return_raw)]
    pub fn with_local(space: &mut Space, local: ImmutableString) -> RhaiResultOf<Space> {
        lift(LocalKind::from_name(&local).and_then(|local| space.with_local(local)))
    }

    /// The space as JSON text.
    #[rhai_fn(pure)]
    pub fn to_json(space: &mut Space) -> String {
        space.to_json()
    }

    /// The space with block `block`'s candidates for `dimension` replaced by `values`
    /// (`block` -1: every block).
    #[rhai_fn(pure, return_raw)]
    pub fn with_candidates(
        space: &mut Space,
        block: INT,
        dimension: ImmutableString,
        values: Array,
    ) -> RhaiResultOf<Space> {
        super::with_candidates(space, block, &dimension, &values)
    }

    /// A uniform random architecture (each block's values drawn independently).
    #[rhai_fn(pure)]
    pub fn sample(space: &mut Space, rng: Rng) -> Arch {
        rng.with(|r| space.sample(r))
    }

    /// The first uniform sample that `accept(arch)` returns true for (at most 10,000 draws).
    // The space by value: `accept` may capture the very variable the method is called on.
    #[rhai_fn(return_raw)]
    pub fn sample_where(
        ctx: NativeCallContext,
        space: Space,
        rng: Rng,
        accept: FnPtr,
    ) -> RhaiResultOf<Arch> {
        // The stream is never held while `accept` runs: it may draw from it.
        first_accepted(
            SAMPLE_TRIES,
            || Ok(rng.with(|r| space.sample(r))),
            |arch| accept.call_within_context::<bool>(&ctx, (arch.clone(),)),
        )?
        .ok_or_else(|| {
            fail(crate::Error::ConstraintNeverMet {
                tries: SAMPLE_TRIES,
            })
        })
    }

    /// `arch` with each value redrawn with `probability` (SPOS's mutation).
    #[rhai_fn(pure, return_raw)]
    pub fn mutate(
        space: &mut Space,
        arch: Arch,
        probability: FLOAT,
        rng: Rng,
    ) -> RhaiResultOf<Arch> {
        lift(rng.with(|r| space.mutate(&arch, probability, r)))
    }

    /// A child taking each value from `a` or `b` with equal probability.
    #[rhai_fn(pure, return_raw)]
    pub fn crossover(space: &mut Space, a: Arch, b: Arch, rng: Rng) -> RhaiResultOf<Arch> {
        lift(rng.with(|r| space.crossover(&a, &b, r)))
    }

    /// Whether `arch` is in the space.
    #[rhai_fn(pure)]
    pub fn contains(space: &mut Space, arch: Arch) -> bool {
        space.contains(&arch)
    }

    /// Fails, saying why, when `arch` is not in the space.
    #[rhai_fn(pure, return_raw)]
    pub fn check(space: &mut Space, arch: Arch) -> RhaiResultOf<()> {
        lift(space.check(&arch))
    }

    /// `arch` checked against the space, in canonical form.
    #[rhai_fn(pure, return_raw)]
    pub fn canonical(space: &mut Space, arch: Arch) -> RhaiResultOf<Arch> {
        lift(space.canonical(&arch))
    }

    /// The all-global (DeiT-like) architecture of the space.
    #[rhai_fn(pure, return_raw)]
    pub fn baseline(space: &mut Space) -> RhaiResultOf<Arch> {
        lift(space.baseline())
    }

    /// Stage 1's fixed low-level values: `#{qk_dim, ffn_ratio, conv_expand, kernel}`.
    #[rhai_fn(pure)]
    pub fn default_details(space: &mut Space) -> Map {
        details_to_map(&space.default_details())
    }

    /// Stage 1's space: low-level values fixed to `default_details()`, head counts searched.
    #[rhai_fn(name = "fix_details", pure, return_raw)]
    pub fn fix_default_details(space: &mut Space) -> RhaiResultOf<Space> {
        lift(space.fix_details(&space.default_details()))
    }

    /// Stage 1's space with the given fixed values (missing keys keep the defaults).
    #[rhai_fn(name = "fix_details", pure, return_raw)]
    pub fn fix_given_details(space: &mut Space, details: Map) -> RhaiResultOf<Space> {
        let details = details_from_map(&space.default_details(), details)?;
        lift(space.fix_details(&details))
    }

    /// Stage 2's space: block i has `global_heads[i]` global heads, other values searched.
    #[rhai_fn(name = "with_distribution", pure, return_raw)]
    pub fn with_global_heads(space: &mut Space, global_heads: Array) -> RhaiResultOf<Space> {
        let distribution = int_list("global_heads", &global_heads)?;
        lift(space.with_distribution(&distribution))
    }

    /// Stage 2's space with the head distribution of `arch`.
    #[rhai_fn(name = "with_distribution", pure, return_raw)]
    pub fn with_distribution_of(space: &mut Space, arch: Arch) -> RhaiResultOf<Space> {
        lift(space.with_distribution(&arch.distribution()))
    }

    /// The space holding `arch` alone (a standalone network's space).
    #[rhai_fn(pure, return_raw)]
    pub fn only(space: &mut Space, arch: Arch) -> RhaiResultOf<Space> {
        lift(space.only(&arch))
    }

    /// MFLOPs of `arch`, counted as the released GLiT code does.
    #[rhai_fn(name = "mflops", pure, return_raw)]
    pub fn official_mflops(space: &mut Space, arch: Arch) -> RhaiResultOf<FLOAT> {
        lift(space.cost(&arch, Convention::Official)).map(|c| c.mflops())
    }

    /// MFLOPs of `arch` in `convention`: "official" or "exact" (every multiply-add).
    #[rhai_fn(name = "mflops", pure, return_raw)]
    pub fn mflops_in(
        space: &mut Space,
        arch: Arch,
        convention: ImmutableString,
    ) -> RhaiResultOf<FLOAT> {
        let convention = lift(Convention::from_name(&convention))?;
        lift(space.cost(&arch, convention)).map(|c| c.mflops())
    }

    /// What `archs` (architectures of this space, one per seed, say) look like block by
    /// block: `#{networks, blocks, mixed, all_global, all_local, mixed_fraction,
    /// kernels: [#{kernel, blocks}], global_heads_by_depth: [[count of g = 0, 1, ...]],
    /// mean_global_heads: [...]}` (GLiT's paper: a quarter of its blocks mixed, the smallest
    /// kernel never chosen).
    #[rhai_fn(pure, return_raw)]
    pub fn census(space: &mut Space, archs: Array) -> RhaiResultOf<Map> {
        let archs = archs
            .iter()
            .enumerate()
            .map(|(i, a)| {
                a.clone().try_cast::<Arch>().ok_or_else(|| {
                    bad(
                        &format!("archs[{i}]"),
                        format!("must be an Arch, got {}", kind(a)),
                    )
                })
            })
            .collect::<RhaiResultOf<Vec<_>>>()?;
        let census = lift(Census::of(space, &archs))?;
        Ok(census_map(&census))
    }

    /// Parameter count of `arch`.
    #[rhai_fn(pure, return_raw)]
    pub fn params(space: &mut Space, arch: Arch) -> RhaiResultOf<INT> {
        lift(space.cost(&arch, Convention::Official)).map(|c| c.params() as INT)
    }
}

fn with_candidates(
    space: &Space,
    block: INT,
    dimension: &str,
    values: &Array,
) -> RhaiResultOf<Space> {
    let dimension = Dimension::from_name(dimension).ok_or_else(|| {
        bad(
            "dimension",
            format!(
                "`{dimension}` is not one of global_heads, qk_dim, ffn_ratio, conv_expand, kernel"
            ),
        )
    })?;
    let values = int_list("values", values)?;
    let mut blocks = space.blocks().to_vec();
    let chosen: Vec<usize> = if block < 0 {
        (0..blocks.len()).collect()
    } else {
        let b = count("block", block)?;
        if b >= blocks.len() {
            return Err(bad(
                "block",
                format!("{b} is past the last block {}", blocks.len() - 1),
            ));
        }
        vec![b]
    };
    for b in chosen {
        *blocks[b].get_mut(dimension) = values.clone();
    }
    lift(Space::new(space.name(), space.skeleton().clone(), blocks))
}

fn census_map(census: &Census) -> Map {
    let int = |n: usize| Dynamic::from_int(n as INT);
    let counts =
        |list: &[usize]| -> Dynamic { list.iter().map(|&n| int(n)).collect::<Array>().into() };
    let mut m = Map::new();
    m.insert("networks".into(), int(census.networks));
    m.insert("blocks".into(), int(census.blocks));
    m.insert("mixed".into(), int(census.mixed));
    m.insert("all_global".into(), int(census.all_global));
    m.insert("all_local".into(), int(census.all_local));
    m.insert("mixed_fraction".into(), census.mixed_fraction().into());
    let kernels: Array = census
        .kernels
        .iter()
        .map(|&(kernel, blocks)| {
            let mut k = Map::new();
            k.insert("kernel".into(), int(kernel));
            k.insert("blocks".into(), int(blocks));
            k.into()
        })
        .collect();
    m.insert("kernels".into(), kernels.into());
    let by_depth: Array = census
        .global_heads_by_depth
        .iter()
        .map(|c| counts(c))
        .collect();
    m.insert("global_heads_by_depth".into(), by_depth.into());
    let means: Array = census
        .mean_global_heads()
        .into_iter()
        .map(Dynamic::from_float)
        .collect();
    m.insert("mean_global_heads".into(), means.into());
    m
}

fn details_to_map(d: &Details) -> Map {
    let mut m = Map::new();
    m.insert("qk_dim".into(), (d.qk_dim as INT).into());
    m.insert("ffn_ratio".into(), (d.ffn_ratio as INT).into());
    m.insert("conv_expand".into(), (d.conv_expand as INT).into());
    m.insert("kernel".into(), (d.kernel as INT).into());
    m
}

fn details_from_map(defaults: &Details, map: Map) -> RhaiResultOf<Details> {
    let mut o = Options::new("fix_details", map);
    let details = Details {
        qk_dim: o.count("qk_dim", defaults.qk_dim)?,
        ffn_ratio: o.count("ffn_ratio", defaults.ffn_ratio)?,
        conv_expand: o.count("conv_expand", defaults.conv_expand)?,
        kernel: o.count("kernel", defaults.kernel)?,
    };
    o.finish()?;
    Ok(details)
}
