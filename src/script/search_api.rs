//! `search::`: ranked, deduplicated populations, option maps for recipes (defaults merged,
//! unknown keys and wrong types refused), the stage and generation labels of scored
//! candidates, rank correlations, and (from `pareto_api`) Pareto fronts.

use rhai::{Array, Dynamic, Engine, ImmutableString, Map, Module, INT};

use super::convert::{bad, count, described, kind, lift, number, numbers, Fallible};
use super::registry::{function, getter, method};
use super::shared_population::SharedPopulation;
use crate::run::Shared;
use crate::search::{kendall_tau, spearman_rho, Member};
use crate::space::Arch;

/// The `search` module.
pub fn module(context: &Shared) -> Module {
    let mut m = Module::new();
    function(
        "population",
        &["Population"],
        "An empty ranked, deduplicated population.",
    )
    .set_into_module(&mut m, SharedPopulation::default);
    function(
        "options",
        &["defaults: Map", "given: Map", "Map"],
        "`defaults` with `given` applied. A key not in `defaults` is an error naming it; a value\n\
         must have its default's type (integers pass for numbers; a closure may replace a\n\
         closure or a unit default).",
    )
    .set_into_module(&mut m, options);
    function(
        "options_within",
        &["defaults: Map", "given: Map", "Map"],
        "`options`, for a map that holds more than these options (a script's whole `params`,\n\
         whose keys `params` has checked): keys not in `defaults` are left out, the others\n\
         must have their default's type.",
    )
    .set_into_module(&mut m, |defaults: Map, given: Map| {
        let known: Map = given
            .into_iter()
            .filter(|(key, _)| defaults.contains_key(key.as_str()))
            .collect();
        options(defaults, known)
    });
    let ctx = context.clone();
    function(
        "stage",
        &["name: &str", "()"],
        "Files the candidates scored from now on under stage `name` (candidates.csv).",
    )
    .set_into_module(&mut m, move |name: ImmutableString| ctx.set_stage(&name));
    let ctx = context.clone();
    function(
        "generation",
        &["number: i64", "()"],
        "Files the candidates scored from now on under generation `number`.",
    )
    .set_into_module(&mut m, move |n: INT| ctx.set_generation(n));
    function(
        "kendall_tau",
        &["a: Array", "b: Array", "f64"],
        "Kendall's tau-b between two lists of numbers (how alike two rankings are).",
    )
    .set_into_module(&mut m, |a: Array, b: Array| {
        let (a, b) = (numbers("a", &a)?, numbers("b", &b)?);
        kendall_tau(&a, &b).ok_or_else(|| undefined(&a, &b))
    });
    function(
        "spearman_rho",
        &["a: Array", "b: Array", "f64"],
        "Spearman's rank correlation between two lists of numbers.",
    )
    .set_into_module(&mut m, |a: Array, b: Array| {
        let (a, b) = (numbers("a", &a)?, numbers("b", &b)?);
        spearman_rho(&a, &b).ok_or_else(|| undefined(&a, &b))
    });
    super::pareto_api::add_to(&mut m);
    super::operators_api::add_to(&mut m);
    m
}

/// Registers the methods of `Population`.
pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<SharedPopulation>("Population");
    engine.register_fn("to_string", |p: &mut SharedPopulation| describe(p));
    engine.register_fn("to_debug", |p: &mut SharedPopulation| describe(p));
    method(
        "add",
        &["population: Population", "arch: Arch", "score: f64", "bool"],
        "Adds `arch` with `score`; false when it was already in (nothing changes).",
    )
    .register_into_engine(
        engine,
        |p: &mut SharedPopulation, arch: Arch, score: Dynamic| {
            let score = number("score", &score)?;
            lift(p.locked().add(arch, score))
        },
    );
    method(
        "contains",
        &["population: Population", "arch: Arch", "bool"],
        "Whether `arch` has been scored.",
    )
    .register_into_engine(engine, |p: &mut SharedPopulation, arch: Arch| {
        p.locked().contains(&arch)
    });
    method(
        "score_of",
        &["population: Population", "arch: Arch", "?"],
        "The score of `arch`, or () when it has none.",
    )
    .register_into_engine(engine, |p: &mut SharedPopulation, arch: Arch| {
        p.locked()
            .score_of(&arch)
            .map_or(Dynamic::UNIT, Dynamic::from)
    });
    getter(
        "len",
        &["population: Population", "i64"],
        "Number of members.",
    )
    .register_into_engine(engine, |p: &mut SharedPopulation| p.locked().len() as INT);
    method(
        "len",
        &["population: Population", "i64"],
        "Number of members.",
    )
    .register_into_engine(engine, |p: &mut SharedPopulation| p.locked().len() as INT);
    getter(
        "best",
        &["population: Population", "?"],
        "The best member `#{arch, score}`, or () when empty.",
    )
    .register_into_engine(engine, |p: &mut SharedPopulation| {
        p.locked()
            .best()
            .map_or(Dynamic::UNIT, |m| member_map(m).into())
    });
    method(
        "top",
        &["population: Population", "k: i64", "Array"],
        "The best `k` members as maps `#{arch, score}`, best first.",
    )
    .register_into_engine(engine, |p: &mut SharedPopulation, k: INT| {
        top(p, k, |m| member_map(m).into())
    });
    method(
        "top_archs",
        &["population: Population", "k: i64", "Array"],
        "The best `k` architectures, best first.",
    )
    .register_into_engine(engine, |p: &mut SharedPopulation, k: INT| {
        top(p, k, |m| Dynamic::from(m.arch.clone()))
    });
    getter(
        "members",
        &["population: Population", "Array"],
        "Every member `#{arch, score}`, best first.",
    )
    .register_into_engine(engine, |p: &mut SharedPopulation| -> Array {
        p.locked()
            .members()
            .iter()
            .map(|m| member_map(m).into())
            .collect()
    });
}

/// The best `k` members, each as `item` makes it.
fn top(p: &SharedPopulation, k: INT, item: fn(&Member) -> Dynamic) -> Fallible<Array> {
    let k = count("k", k)?;
    Ok(p.locked().top(k).iter().map(item).collect())
}

fn member_map(m: &Member) -> Map {
    let mut map = Map::new();
    map.insert("arch".into(), Dynamic::from(m.arch.clone()));
    map.insert("score".into(), m.score.into());
    map
}

fn describe(p: &SharedPopulation) -> String {
    let population = p.locked();
    let mut out = format!("population of {}", population.len());
    for (rank, m) in population.top(5).iter().enumerate() {
        out.push_str(&format!("\n  {}. {:.4}  {}", rank + 1, m.score, m.arch));
    }
    if population.len() > 5 {
        out.push_str("\n  ...");
    }
    out
}

fn undefined(a: &[f64], b: &[f64]) -> Box<rhai::EvalAltResult> {
    bad(
        "b",
        format!(
            "a rank correlation needs two lists of one length, at least 2, not all tied (got {} and {})",
            a.len(),
            b.len()
        ),
    )
}

/// `search::options(defaults, given)`.
fn options(mut defaults: Map, given: Map) -> Fallible<Map> {
    for (key, value) in given {
        let Some(default) = defaults.get(key.as_str()) else {
            let known: Vec<&str> = defaults.keys().map(|k| k.as_str()).collect();
            return Err(bad(
                &key,
                format!("no such option (known: {})", known.join(", ")),
            ));
        };
        let fits = default.is_unit()
            || value.type_name() == default.type_name()
            || (default.is_float() && value.is_int());
        if !fits {
            return Err(bad(
                &key,
                format!(
                    "must be {} like the default {default}, got {}",
                    kind(default),
                    described(&value)
                ),
            ));
        }
        let value = if default.is_float() && value.is_int() {
            Dynamic::from(value.as_int().unwrap_or_default() as f64)
        } else {
            value
        };
        defaults.insert(key, value);
    }
    Ok(defaults)
}
