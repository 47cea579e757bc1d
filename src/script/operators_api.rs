//! `search::operators(options)`: a search loop's evolutionary operators, each the closure the
//! options give or, where they give none, the space's own (SPOS's). One Rust primitive that
//! `evolve`, `aging`, `random` and `nsga2` share: Rhai cannot call a closure made in another
//! module, so defaults written as Rhai closures would need a copy in every stdlib module.

use rhai::plugin::*;
use rhai::{Array, Dynamic, FnPtr, Map, Module, NativeCallContext, INT};

use super::convert::{bad, count, described, kind, lift, number, Fallible, RhaiResultOf};
use super::rng_api::SharedRng;
use super::shared_population::SharedPopulation;
use crate::space::{Arch, Space};

/// SPOS's probability of redrawing each value in a mutation.
pub const SPOS_MUTATION_PROB: f64 = 0.1;

/// A search loop's operators: `None` where the space's own applies.
#[derive(Clone, Debug)]
pub struct Operators {
    sample: Option<FnPtr>,
    mutate: Option<FnPtr>,
    crossover: Option<FnPtr>,
    select: Option<FnPtr>,
    constraint: Option<FnPtr>,
    mutation_prob: f64,
}

impl Operators {
    /// The operators `options` sets (a closure, or `()` for the default); every other key is
    /// left alone, so a recipe passes its whole options map.
    fn from_options(options: &Map) -> Fallible<Self> {
        let mutation_prob = match options.get("mutation_prob") {
            None => SPOS_MUTATION_PROB,
            Some(p) => number("mutation_prob", p)?,
        };
        Ok(Operators {
            sample: closure(options, "sample", "|space, rng| arch")?,
            mutate: closure(options, "mutate", "|space, arch, rng| arch")?,
            crossover: closure(options, "crossover", "|space, a, b, rng| arch")?,
            select: closure(options, "select", "|population, k, rng| [arch, ...]")?,
            constraint: closure(options, "constraint", "|arch| bool")?,
            mutation_prob,
        })
    }

    /// Whether `arch` passes the constraint (every architecture does without one).
    pub fn passes(&self, ctx: &NativeCallContext, arch: Arch) -> Fallible<bool> {
        match &self.constraint {
            None => Ok(true),
            Some(constraint) => constraint.call_within_context(ctx, (arch,)),
        }
    }
}

/// The closure `options` holds under `key` (`None` for `()` or no entry); anything else is
/// an error naming the key and the closure's expected `shape`.
fn closure(options: &Map, key: &str, shape: &str) -> Fallible<Option<FnPtr>> {
    match options.get(key) {
        None => Ok(None),
        Some(value) if value.is_unit() => Ok(None),
        Some(value) => value.clone().try_cast::<FnPtr>().map(Some).ok_or_else(|| {
            bad(
                key,
                format!(
                    "must be a closure `{shape}` or (), got {}",
                    described(value)
                ),
            )
        }),
    }
}

/// Adds `search::operators` to the `search` module.
pub fn add_to(m: &mut Module) {
    m.combine_flatten(exported_module!(operator_functions));
}

/// The methods of `Operators`, registered globally so scripts call them as `op.mutate(...)`.
pub fn register(engine: &mut rhai::Engine) {
    engine.register_type_with_name::<Operators>("Operators");
    engine.register_fn("to_string", |_: &mut Operators| "Operators".to_string());
    engine.register_fn("to_debug", |_: &mut Operators| "Operators".to_string());
    engine.register_global_module(exported_module!(operator_methods).into());
}

/// The constructor, in `search::`.
#[export_module]
mod operator_functions {
    use super::*;

    /// The operators of a search loop's `options`: `sample`, `mutate`, `crossover`, `select`
    /// and `constraint` where the map holds a closure, the space's own where it holds `()` or
    /// nothing (uniform sampling, SPOS's mutation with `mutation_prob` (0.1 by default),
    /// uniform crossover, the top-k as parents, no constraint). Other keys are ignored.
    #[rhai_fn(return_raw)]
    pub fn operators(options: Map) -> RhaiResultOf<Operators> {
        Operators::from_options(&options)
    }
}

/// The methods, as scripts name the types.
#[export_module]
mod operator_methods {
    use super::*;

    pub type Rng = SharedRng;
    pub type Population = SharedPopulation;

    /// A new architecture: the `sample` closure's, or a uniform draw from `space`.
    #[rhai_fn(return_raw)]
    pub fn sample(
        ctx: NativeCallContext,
        op: &mut Operators,
        space: Space,
        rng: Rng,
    ) -> RhaiResultOf<Dynamic> {
        match &op.sample {
            Some(f) => f.call_within_context(&ctx, (space, rng)),
            None => Ok(Dynamic::from(rng.with(|r| space.sample(r)))),
        }
    }

    /// A mutant of `arch`: the `mutate` closure's, or `arch` with each value redrawn with
    /// probability `mutation_prob` (SPOS's mutation).
    #[rhai_fn(return_raw)]
    pub fn mutate(
        ctx: NativeCallContext,
        op: &mut Operators,
        space: Space,
        arch: Arch,
        rng: Rng,
    ) -> RhaiResultOf<Dynamic> {
        match &op.mutate {
            Some(f) => f.call_within_context(&ctx, (space, arch, rng)),
            None => lift(rng.with(|r| space.mutate(&arch, op.mutation_prob, r))).map(Dynamic::from),
        }
    }

    /// A child of `a` and `b`: the `crossover` closure's, or each value from `a` or `b`
    /// with equal probability.
    #[rhai_fn(return_raw)]
    pub fn crossover(
        ctx: NativeCallContext,
        op: &mut Operators,
        space: Space,
        a: Arch,
        b: Arch,
        rng: Rng,
    ) -> RhaiResultOf<Dynamic> {
        match &op.crossover {
            Some(f) => f.call_within_context(&ctx, (space, a, b, rng)),
            None => lift(rng.with(|r| space.crossover(&a, &b, r))).map(Dynamic::from),
        }
    }

    /// The parents, `k` of them: the `select` closure's, or the best `k` of `population`.
    #[rhai_fn(return_raw)]
    pub fn select(
        ctx: NativeCallContext,
        op: &mut Operators,
        population: Population,
        k: INT,
        rng: Rng,
    ) -> RhaiResultOf<Array> {
        if let Some(f) = &op.select {
            let chosen: Dynamic = f.call_within_context(&ctx, (population, k, rng))?;
            let shown = described(&chosen);
            return chosen
                .try_cast::<Array>()
                .ok_or_else(|| bad("select", format!("must return a list, returned {shown}")));
        }
        let k = count("k", k)?;
        Ok(population
            .locked()
            .top(k)
            .iter()
            .map(|m| Dynamic::from(m.arch.clone()))
            .collect())
    }

    /// Whether `arch` passes the `constraint` closure (true without one); anything but an
    /// Arch is an error naming what an operator returned.
    #[rhai_fn(return_raw)]
    pub fn passes(ctx: NativeCallContext, op: &mut Operators, arch: Dynamic) -> RhaiResultOf<bool> {
        let returned = kind(&arch);
        let Some(arch) = arch.try_cast::<Arch>() else {
            return Err(format!("an operator returned {returned}, not an Arch").into());
        };
        op.passes(&ctx, arch)
    }
}
