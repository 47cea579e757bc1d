//! `search::`: ranked, deduplicated populations, option maps for recipes (defaults merged,
//! unknown keys and wrong types refused), the stage and generation labels of scored
//! candidates, rank correlations, and (from `pareto_api`) Pareto fronts.

use rhai::plugin::*;
use rhai::{Array, Dynamic, Engine, ImmutableString, Map, Module, FLOAT, INT};

use super::convert::{bad, count, described, kind, lift, number, numbers, Fallible, RhaiResultOf};
use super::registry::function;
use super::shared_population::SharedPopulation;
use crate::run::Shared;
use crate::search::Member;
use crate::space::Arch;

/// The `search` module.
pub fn module(context: &Shared) -> Module {
    let mut m = Module::new();
    m.combine_flatten(exported_module!(search_functions));
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
    super::pareto_api::add_to(&mut m);
    super::operators_api::add_to(&mut m);
    m
}

/// The functions of `search::` that need no run, with signatures and docs taken from here.
#[export_module]
mod search_functions {
    use super::*;

    pub type Population = SharedPopulation;

    /// An empty ranked, deduplicated population.
    pub fn population() -> Population {
        SharedPopulation::default()
    }

    /// `defaults` with `given` applied. A key not in `defaults` is an error naming it; a value
    /// must have its default's type (integers pass for numbers; a closure may replace a
    /// closure or a unit default).
    #[rhai_fn(return_raw)]
    pub fn options(defaults: Map, given: Map) -> RhaiResultOf<Map> {
        super::options(defaults, given)
    }

    /// `options`, for a map that holds more than these options (a script's whole `params`,
    /// whose keys `params` has checked): keys not in `defaults` are left out, the others
    /// must have their default's type.
    #[rhai_fn(return_raw)]
    pub fn options_within(defaults: Map, given: Map) -> RhaiResultOf<Map> {
        let known: Map = given
            .into_iter()
            .filter(|(key, _)| defaults.contains_key(key.as_str()))
            .collect();
        super::options(defaults, known)
    }

    /// Kendall's tau-b between two lists of numbers (how alike two rankings are).
    #[rhai_fn(return_raw)]
    pub fn kendall_tau(a: Array, b: Array) -> RhaiResultOf<FLOAT> {
        let (a, b) = (numbers("a", &a)?, numbers("b", &b)?);
        crate::search::kendall_tau(&a, &b).ok_or_else(|| undefined(&a, &b))
    }

    /// Spearman's rank correlation between two lists of numbers.
    #[rhai_fn(return_raw)]
    pub fn spearman_rho(a: Array, b: Array) -> RhaiResultOf<FLOAT> {
        let (a, b) = (numbers("a", &a)?, numbers("b", &b)?);
        crate::search::spearman_rho(&a, &b).ok_or_else(|| undefined(&a, &b))
    }
}

/// Registers the methods of `Population`.
pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<SharedPopulation>("Population");
    engine.register_fn("to_string", |p: &mut SharedPopulation| describe(p));
    engine.register_fn("to_debug", |p: &mut SharedPopulation| describe(p));
    engine.register_global_module(exported_module!(population_methods).into());
}

/// The properties and methods of `Population`, with signatures and docs taken from here.
#[export_module]
mod population_methods {
    use super::*;

    pub type Population = SharedPopulation;

    /// Adds `arch` with `score`; false when it was already in (nothing changes).
    #[rhai_fn(return_raw)]
    pub fn add(population: &mut Population, arch: Arch, score: Dynamic) -> RhaiResultOf<bool> {
        let score = number("score", &score)?;
        lift(population.locked().add(arch, score))
    }

    /// Whether `arch` has been scored.
    #[rhai_fn(pure)]
    pub fn contains(population: &mut Population, arch: Arch) -> bool {
        population.locked().contains(&arch)
    }

    /// The score of `arch`, or () when it has none.
    #[rhai_fn(pure)]
    pub fn score_of(population: &mut Population, arch: Arch) -> Dynamic {
        population
            .locked()
            .score_of(&arch)
            .map_or(Dynamic::UNIT, Dynamic::from)
    }

    /// Number of members.
    #[rhai_fn(get = "len", name = "len", pure)]
    pub fn len(population: &mut Population) -> INT {
        population.locked().len() as INT
    }

    /// The best member `#{arch, score}`, or () when empty.
    #[rhai_fn(get = "best", pure)]
    pub fn best(population: &mut Population) -> Dynamic {
        population
            .locked()
            .best()
            .map_or(Dynamic::UNIT, |m| member_map(m).into())
    }

    /// The best `k` members as maps `#{arch, score}`, best first.
    #[rhai_fn(pure, return_raw)]
    pub fn top(population: &mut Population, k: INT) -> RhaiResultOf<Array> {
        best_k(population, k, |m| member_map(m).into())
    }

    /// The best `k` architectures, best first.
    #[rhai_fn(pure, return_raw)]
    pub fn top_archs(population: &mut Population, k: INT) -> RhaiResultOf<Array> {
        best_k(population, k, |m| Dynamic::from(m.arch.clone()))
    }

    /// Every member `#{arch, score}`, best first.
    #[rhai_fn(get = "members", pure)]
    pub fn members(population: &mut Population) -> Array {
        population
            .locked()
            .members()
            .iter()
            .map(|m| member_map(m).into())
            .collect()
    }
}

/// The best `k` members, each as `item` makes it.
fn best_k(p: &SharedPopulation, k: INT, item: fn(&Member) -> Dynamic) -> Fallible<Array> {
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
