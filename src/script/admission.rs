//! Admitting a new candidate, the check every search loop of the stdlib makes before it
//! scores a child: an `Arch` (an operator that returns anything else is an error), in the
//! space, not scored before, not already among this generation's children, and passing the
//! constraint. One Rust primitive, so `evolve`, `aging`, `random` and `nsga2` share it.

use rhai::plugin::*;
use rhai::{Array, Dynamic, Engine, FnPtr, NativeCallContext};

use super::convert::{kind, Fallible, RhaiResultOf};
use super::operators_api::Operators;
use super::shared_population::SharedPopulation;
use crate::space::{Arch, Space};

/// Registers `space.admits(child, scored, children, constraint)`, the constraint a closure
/// or a loop's `Operators`.
pub fn register(engine: &mut Engine) {
    engine.register_global_module(exported_module!(admission).into());
}

/// The two forms of `admits`, with signatures and docs taken from here.
#[export_module]
mod admission {
    use super::*;

    pub type Population = SharedPopulation;

    /// Whether `child` may join `children`: an Arch (anything else is an error naming what
    /// an operator returned), in the space, not in `scored`, not among `children`, and
    /// accepted by `constraint` (`|arch| bool`, called last).
    #[rhai_fn(name = "admits", return_raw)]
    pub fn admits_under(
        ctx: NativeCallContext,
        space: &mut Space,
        child: Dynamic,
        scored: Population,
        children: Array,
        constraint: FnPtr,
    ) -> RhaiResultOf<bool> {
        admits(space, child, &scored, &children, |arch| {
            constraint.call_within_context::<bool>(&ctx, (arch,))
        })
    }

    /// As `admits(child, scored, children, constraint)`, with the constraint of a loop's
    /// `operators` (without one, every architecture passes).
    #[rhai_fn(name = "admits", return_raw)]
    pub fn admits_by(
        ctx: NativeCallContext,
        space: &mut Space,
        child: Dynamic,
        scored: Population,
        children: Array,
        operators: Operators,
    ) -> RhaiResultOf<bool> {
        admits(space, child, &scored, &children, |arch| {
            operators.passes(&ctx, arch)
        })
    }
}

/// The admission check, with `passes` the constraint.
fn admits(
    space: &Space,
    child: Dynamic,
    scored: &SharedPopulation,
    children: &Array,
    passes: impl FnOnce(Arch) -> Fallible<bool>,
) -> Fallible<bool> {
    let returned = kind(&child);
    let Some(child) = child.try_cast::<Arch>() else {
        return Err(format!("an operator returned {returned}, not an Arch").into());
    };
    let canonical = child.canonical();
    let among = |other: &Dynamic| {
        other
            .clone()
            .try_cast::<Arch>()
            .is_some_and(|a| a.canonical() == canonical)
    };
    if !space.contains(&child) || scored.locked().contains(&child) || children.iter().any(among) {
        return Ok(false);
    }
    passes(child)
}
