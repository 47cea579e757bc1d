//! The seeded random stream every random choice draws from.
//!
//! glit never uses global or unseeded randomness: a caller creates a [`SearchRng`] from a seed
//! and passes it down. ChaCha8 is value-stable across releases and platforms, so a seed names
//! the same run everywhere.

use rand::SeedableRng;

/// The random number generator threaded through sampling, mutation, crossover and training.
pub type SearchRng = rand_chacha::ChaCha8Rng;

/// A new stream for `seed`.
pub fn seeded(seed: u64) -> SearchRng {
    SearchRng::seed_from_u64(seed)
}
