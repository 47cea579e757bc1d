//! The script's `Population` value: one ranked, deduplicated population behind a shared
//! handle, so a recipe and the closures it hands out add to the same one.

use std::sync::{Arc, Mutex, MutexGuard};

use crate::run::lock;
use crate::search::{Member, Population};

/// The script's `Population`: a shared handle, so a recipe and its closures add to one.
#[derive(Clone, Debug, Default)]
pub struct SharedPopulation(Arc<Mutex<Population>>);

impl SharedPopulation {
    /// Every member, best first.
    pub fn members(&self) -> Vec<Member> {
        self.locked().members().to_vec()
    }

    /// The population itself, for as long as the guard lives.
    pub fn locked(&self) -> MutexGuard<'_, Population> {
        lock(&self.0)
    }
}
