//! `rng(seed)`: a seeded random stream shared by handle, so passing it to a function or a
//! closure never copies its state and every draw advances the one stream.

use std::sync::{Arc, Mutex};

use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rhai::{Array, Dynamic, Engine, FLOAT, INT};

use super::convert::{bad, Fallible};
use super::registry::method;
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
    method(
        "rng",
        &["seed: i64", "Rng"],
        "A random stream seeded with `seed`, shared by handle: every copy draws from it.",
    )
    .register_into_engine(engine, |seed: INT| SharedRng::seeded(seed as u64));
    method(
        "int",
        &["rng: Rng", "low: i64", "high: i64", "i64"],
        "A uniform integer in `low..=high` (both ends included).",
    )
    .register_into_engine(engine, |rng: &mut SharedRng, low: INT, high: INT| {
        if low > high {
            return Err(bad("high", format!("{high} is below low {low}")));
        }
        Ok(rng.with(|r| r.random_range(low..=high)))
    });
    method("float", &["rng: Rng", "f64"], "A uniform number in [0, 1).")
        .register_into_engine(engine, |rng: &mut SharedRng| -> FLOAT {
            rng.with(|r| r.random::<f64>())
        });
    method(
        "chance",
        &["rng: Rng", "probability: f64", "bool"],
        "True with probability `probability`.",
    )
    .register_into_engine(engine, |rng: &mut SharedRng, p: FLOAT| -> Fallible<bool> {
        if !(0.0..=1.0).contains(&p) {
            return Err(bad("probability", format!("{p} is not in [0, 1]")));
        }
        Ok(rng.with(|r| r.random_bool(p)))
    });
    method(
        "choice",
        &["rng: Rng", "items: Array", "?"],
        "One element of `items`, uniformly.",
    )
    .register_into_engine(
        engine,
        |rng: &mut SharedRng, items: Array| -> Fallible<Dynamic> {
            if items.is_empty() {
                return Err(bad("items", "cannot choose from an empty array"));
            }
            let i = rng.with(|r| r.random_range(0..items.len()));
            Ok(items[i].clone())
        },
    );
    method(
        "shuffle",
        &["rng: Rng", "items: Array", "Array"],
        "`items` in a random order.",
    )
    .register_into_engine(engine, |rng: &mut SharedRng, mut items: Array| {
        rng.with(|r| items.shuffle(r));
        items
    });
    method(
        "fork",
        &["rng: Rng", "Rng"],
        "A new independent stream seeded from this one (advances this one by one draw).",
    )
    .register_into_engine(engine, |rng: &mut SharedRng| {
        SharedRng::seeded(rng.with(|r| r.random::<u64>()))
    });
    engine.register_fn("to_string", |_: &mut SharedRng| "Rng".to_string());
    engine.register_fn("to_debug", |_: &mut SharedRng| "Rng".to_string());
}
