//! `space::`: building and editing search spaces, and the `Space` and `Arch` values:
//! sampling (with predicates), mutation, crossover, containment, the stage-1 and stage-2
//! sub-spaces, and costs in both FLOPs conventions.

use rhai::{Array, Engine, FnPtr, ImmutableString, Map, Module, NativeCallContext, INT};

use super::convert::{bad, count, fail, int_list, lift, Fallible, Options};
use super::data_api::SharedData;
use super::registry::{function, getter, method};
use super::rng_api::SharedRng;
use crate::run::Shared;
use crate::space::cost::Convention;
use crate::space::{first_accepted, presets, Arch, Details, Dimension, Space, SAMPLE_TRIES};

/// The `space` module.
pub fn module(_context: &Shared) -> Module {
    let mut m = Module::new();
    function(
        "preset",
        &["name: &str", "Space"],
        "A built-in space: paper-tiny, paper-small, released-tiny, micro (28×28×1, 10 classes).",
    )
    .set_into_module(&mut m, |name: ImmutableString| lift(presets::preset(&name)));
    function(
        "glit",
        &["preset: &str", "data: Data", "Space"],
        "GLiT's space for `data`: `micro` sized to its images, channels and classes; other\n\
         presets must match the data.",
    )
    .set_into_module(&mut m, |preset: ImmutableString, data: SharedData| {
        let d = data.dataset();
        lift(presets::sized_for(
            &preset,
            d.image_size,
            d.channels,
            d.classes(),
            &d.name,
        ))
    });
    function(
        "from_json",
        &["json: &str", "Space"],
        "A space from its JSON text (as `space.to_json()` or `glit space P --json` write it).",
    )
    .set_into_module(&mut m, |json: ImmutableString| -> Fallible<Space> {
        serde_json::from_str(&json).map_err(|e| fail(crate::Error::json("space::from_json", &e)))
    });
    function(
        "arch",
        &["text: &str", "Arch"],
        "An architecture from its compact form (\"G3(qk16,f2) L3(k5,e1,f2)\") or a built-in name.",
    )
    .set_into_module(&mut m, |text: ImmutableString| -> Fallible<Arch> {
        if presets::preset_of(&text).is_some() {
            lift(presets::named_arch(&text))
        } else {
            lift(text.parse::<Arch>())
        }
    });
    function(
        "arch",
        &["map: Map", "Arch"],
        "An architecture from a map `#{heads: 3, blocks: [#{global_heads: 1, ...}, ...]}` (as\n\
         `load` returns a saved one).",
    )
    .set_into_module(&mut m, super::arch_api::arch_from_map);
    m
}

/// Registers the methods of `Space` and `Arch`.
pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<Space>("Space");
    engine.register_type_with_name::<Arch>("Arch");
    engine.register_fn("to_string", |s: &mut Space| s.to_string());
    engine.register_fn("to_debug", |s: &mut Space| s.to_string());
    engine.register_fn("to_string", |a: &mut Arch| a.to_string());
    engine.register_fn("to_debug", |a: &mut Arch| a.to_string());
    engine.register_fn("==", |a: &mut Arch, b: Arch| *a == b.canonical());
    engine.register_fn("!=", |a: &mut Arch, b: Arch| *a != b.canonical());
    register_space_properties(engine);
    register_space_operators(engine);
    register_space_stages(engine);
    register_costs(engine);
    super::arch_api::register(engine);
}

fn register_space_properties(engine: &mut Engine) {
    getter("name", &["space: Space", "String"], "The space's name.")
        .register_into_engine(engine, |s: &mut Space| s.name().to_string());
    getter("depth", &["space: Space", "i64"], "Number of blocks M.")
        .register_into_engine(engine, |s: &mut Space| s.depth() as INT);
    getter("heads", &["space: Space", "i64"], "Heads per block N.")
        .register_into_engine(engine, |s: &mut Space| s.heads() as INT);
    getter(
        "size",
        &["space: Space", "f64"],
        "Number of distinct networks (canonical architectures).",
    )
    .register_into_engine(engine, |s: &mut Space| s.size());
    getter(
        "blocks",
        &["space: Space", "Array"],
        "Each block's candidates: `#{global_heads: [...], qk_dim: [...], ...}`.",
    )
    .register_into_engine(engine, |s: &mut Space| -> Array {
        s.blocks()
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
    });
    getter(
        "skeleton",
        &["space: Space", "Map"],
        "The fixed shape: image_size, channels, patch_size, embed_dim, heads, classes, activation.",
    )
    .register_into_engine(engine, |s: &mut Space| -> Fallible<Map> {
        let json = serde_json::to_value(s.skeleton()).map_err(fail)?;
        Ok(super::convert::from_json(&json).cast::<Map>())
    });
    method(
        "to_json",
        &["space: Space", "String"],
        "The space as JSON text.",
    )
    .register_into_engine(engine, |s: &mut Space| s.to_json());
    method(
        "with_candidates",
        &[
            "space: Space",
            "block: i64",
            "dimension: &str",
            "values: Array",
            "Space",
        ],
        "The space with block `block`'s candidates for `dimension` replaced by `values`\n\
         (`block` -1: every block).",
    )
    .register_into_engine(
        engine,
        |s: &mut Space, block: INT, dimension: ImmutableString, values: Array| {
            with_candidates(s, block, &dimension, &values)
        },
    );
}

fn register_space_operators(engine: &mut Engine) {
    method(
        "sample",
        &["space: Space", "rng: Rng", "Arch"],
        "A uniform random architecture (each block's values drawn independently).",
    )
    .register_into_engine(engine, |s: &mut Space, rng: SharedRng| {
        rng.with(|r| s.sample(r))
    });
    method(
        "sample_where",
        &["space: Space", "rng: Rng", "accept: FnPtr", "Arch"],
        "The first uniform sample that `accept(arch)` returns true for (at most 10,000 draws).",
    )
    .register_into_engine(
        engine,
        // The space by value: `accept` may capture the very variable the method is called on.
        |ctx: NativeCallContext, s: Space, rng: SharedRng, accept: FnPtr| {
            sample_where(&ctx, &s, &rng, &accept)
        },
    );
    method(
        "mutate",
        &[
            "space: Space",
            "arch: Arch",
            "probability: f64",
            "rng: Rng",
            "Arch",
        ],
        "`arch` with each value redrawn with `probability` (SPOS's mutation).",
    )
    .register_into_engine(
        engine,
        |s: &mut Space, arch: Arch, p: rhai::FLOAT, rng: SharedRng| {
            lift(rng.with(|r| s.mutate(&arch, p, r)))
        },
    );
    method(
        "crossover",
        &["space: Space", "a: Arch", "b: Arch", "rng: Rng", "Arch"],
        "A child taking each value from `a` or `b` with equal probability.",
    )
    .register_into_engine(engine, |s: &mut Space, a: Arch, b: Arch, rng: SharedRng| {
        lift(rng.with(|r| s.crossover(&a, &b, r)))
    });
    method(
        "contains",
        &["space: Space", "arch: Arch", "bool"],
        "Whether `arch` is in the space.",
    )
    .register_into_engine(engine, |s: &mut Space, arch: Arch| s.contains(&arch));
    method(
        "check",
        &["space: Space", "arch: Arch", "()"],
        "Fails, saying why, when `arch` is not in the space.",
    )
    .register_into_engine(engine, |s: &mut Space, arch: Arch| lift(s.check(&arch)));
    method(
        "canonical",
        &["space: Space", "arch: Arch", "Arch"],
        "`arch` checked against the space, in canonical form.",
    )
    .register_into_engine(engine, |s: &mut Space, arch: Arch| lift(s.canonical(&arch)));
    method(
        "baseline",
        &["space: Space", "Arch"],
        "The all-global (DeiT-like) architecture of the space.",
    )
    .register_into_engine(engine, |s: &mut Space| lift(s.baseline()));
}

fn register_space_stages(engine: &mut Engine) {
    method(
        "default_details",
        &["space: Space", "Map"],
        "Stage 1's fixed low-level values: `#{qk_dim, ffn_ratio, conv_expand, kernel}`.",
    )
    .register_into_engine(engine, |s: &mut Space| details_to_map(&s.default_details()));
    method(
        "fix_details",
        &["space: Space", "Space"],
        "Stage 1's space: low-level values fixed to `default_details()`, head counts searched.",
    )
    .register_into_engine(engine, |s: &mut Space| {
        lift(s.fix_details(&s.default_details()))
    });
    method(
        "fix_details",
        &["space: Space", "details: Map", "Space"],
        "Stage 1's space with the given fixed values (missing keys keep the defaults).",
    )
    .register_into_engine(engine, |s: &mut Space, details: Map| {
        let details = details_from_map(&s.default_details(), details)?;
        lift(s.fix_details(&details))
    });
    method(
        "with_distribution",
        &["space: Space", "global_heads: Array", "Space"],
        "Stage 2's space: block i has `global_heads[i]` global heads, other values searched.",
    )
    .register_into_engine(engine, |s: &mut Space, distribution: Array| {
        let distribution = int_list("global_heads", &distribution)?;
        lift(s.with_distribution(&distribution))
    });
    method(
        "with_distribution",
        &["space: Space", "arch: Arch", "Space"],
        "Stage 2's space with the head distribution of `arch`.",
    )
    .register_into_engine(engine, |s: &mut Space, arch: Arch| {
        lift(s.with_distribution(&arch.distribution()))
    });
    method(
        "only",
        &["space: Space", "arch: Arch", "Space"],
        "The space holding `arch` alone (a standalone network's space).",
    )
    .register_into_engine(engine, |s: &mut Space, arch: Arch| lift(s.only(&arch)));
}

fn register_costs(engine: &mut Engine) {
    method(
        "mflops",
        &["space: Space", "arch: Arch", "f64"],
        "MFLOPs of `arch`, counted as the released GLiT code does.",
    )
    .register_into_engine(engine, |s: &mut Space, arch: Arch| {
        lift(s.cost(&arch, Convention::Official)).map(|c| c.mflops())
    });
    method(
        "mflops",
        &["space: Space", "arch: Arch", "convention: &str", "f64"],
        "MFLOPs of `arch` in `convention`: \"official\" or \"exact\" (every multiply-add).",
    )
    .register_into_engine(
        engine,
        |s: &mut Space, arch: Arch, convention: ImmutableString| {
            let convention = lift(Convention::from_name(&convention))?;
            lift(s.cost(&arch, convention)).map(|c| c.mflops())
        },
    );
    method(
        "params",
        &["space: Space", "arch: Arch", "i64"],
        "Parameter count of `arch`.",
    )
    .register_into_engine(engine, |s: &mut Space, arch: Arch| {
        lift(s.cost(&arch, Convention::Official)).map(|c| c.params() as INT)
    });
}

/// `space.sample_where(rng, accept)`: the stream is never held while `accept` runs.
fn sample_where(
    ctx: &NativeCallContext,
    space: &Space,
    rng: &SharedRng,
    accept: &FnPtr,
) -> Fallible<Arch> {
    first_accepted(
        SAMPLE_TRIES,
        || Ok(rng.with(|r| space.sample(r))),
        |arch| accept.call_within_context::<bool>(ctx, (arch.clone(),)),
    )?
    .ok_or_else(|| {
        fail(crate::Error::ConstraintNeverMet {
            tries: SAMPLE_TRIES,
        })
    })
}

fn with_candidates(space: &Space, block: INT, dimension: &str, values: &Array) -> Fallible<Space> {
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

fn details_to_map(d: &Details) -> Map {
    let mut m = Map::new();
    m.insert("qk_dim".into(), (d.qk_dim as INT).into());
    m.insert("ffn_ratio".into(), (d.ffn_ratio as INT).into());
    m.insert("conv_expand".into(), (d.conv_expand as INT).into());
    m.insert("kernel".into(), (d.kernel as INT).into());
    m
}

fn details_from_map(defaults: &Details, map: Map) -> Fallible<Details> {
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
