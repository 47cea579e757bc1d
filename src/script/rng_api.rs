//! `rng(seed)`: a seeded random stream shared by handle, so passing it to a function or a
//! closure never copies its state and every draw advances the one stream.

use std::sync::{Arc, Mutex};

use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rhai::plugin::*;
use rhai::{Array, Dynamic, Engine, FLOAT, INT};

use super::convert::{bad, RhaiResultOf};
use crate::rng::SearchRng;
use crate::run::lock;

/// The script's `Rng`: one ChaCha8 stream behind a shared handle.
#[derive(Clone, Debug)]
pub struct SharedRng(Arc<Mutex<SearchRng>>);

impl SharedRng {
    /// A new stream for `seed`.
    pub fn seeded(seed: u64) -> Self {
        SharedRng::from_stream(SearchRng::seed_from_u64(seed))
    }

    /// A handle on `stream`.
    pub fn from_stream(stream: SearchRng) -> Self {
        SharedRng(Arc::new(Mutex::new(stream)))
    }

    /// Runs `f` on the stream. Never call a script closure inside `f`: the closure may draw
    /// from the same stream.
    pub fn with<T>(&self, f: impl FnOnce(&mut SearchRng) -> T) -> T {
        f(&mut lock(&self.0))
    }

    /// The stream's current state.
    pub fn state(&self) -> SearchRng {
        lock(&self.0).clone()
    }
}

/// Registers `rng(seed)` and the methods of `Rng`.
pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<SharedRng>("Rng");
    engine.register_global_module(exported_module!(rng_functions).into());
}

/// The functions, with their signatures and docs taken from here (`glit api` and the editor
/// definitions read them).
#[export_module]
mod rng_functions {
    use super::*;

    pub type Rng = SharedRng;

    /// A random stream seeded with `seed`, shared by handle: every copy draws from it.
    pub fn rng(seed: INT) -> Rng {
        SharedRng::seeded(seed as u64)
    }

    /// A uniform integer in `low..=high` (both ends included).
    #[rhai_fn(name = "int", return_raw)]
    pub fn uniform_int(rng: &mut Rng, low: INT, high: INT) -> RhaiResultOf<INT> {
        if low > high {
            return Err(bad("high", format!("{high} is below low {low}")));
        }
        Ok(rng.with(|r| r.random_range(low..=high)))
    }

    /// A uniform number in [0, 1).
    #[rhai_fn(name = "float")]
    pub fn uniform_float(rng: &mut Rng) -> FLOAT {
        rng.with(|r| r.random::<f64>())
    }

    /// True with probability `probability`.
    #[rhai_fn(return_raw)]
    pub fn chance(rng: &mut Rng, probability: FLOAT) -> RhaiResultOf<bool> {
        if !(0.0..=1.0).contains(&probability) {
            return Err(bad(
                "probability",
                format!("{probability} is not in [0, 1]"),
            ));
        }
        Ok(rng.with(|r| r.random_bool(probability)))
    }

    /// One element of `items`, uniformly.
    #[rhai_fn(return_raw)]
    pub fn choice(rng: &mut Rng, items: Array) -> RhaiResultOf<Dynamic> {
        if items.is_empty() {
            return Err(bad("items", "cannot choose from an empty array"));
        }
        let i = rng.with(|r| r.random_range(0..items.len()));
        Ok(items[i].clone())
    }

    /// `items` in a random order.
    pub fn shuffle(rng: &mut Rng, items: Array) -> Array {
        let mut items = items;
        rng.with(|r| items.shuffle(r));
        items
    }

    /// A new independent stream seeded from this one (advances this one by one draw).
    pub fn fork(rng: &mut Rng) -> Rng {
        SharedRng::seeded(rng.with(|r| r.random::<u64>()))
    }

    // The stream's name in printed values (its state is not shown; no doc comment, so the
    // API listing leaves it out like the other types' printing).
    #[rhai_fn(name = "to_string", name = "to_debug")]
    pub fn shown(_rng: &mut Rng) -> String {
        "Rng".to_string()
    }
}
