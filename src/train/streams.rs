//! The random streams of a training run, all from its seed: one per epoch (the epoch's
//! architectures, batch order and in-memory augmentation), one per step and replica for
//! drop-path masks, and the seed of a streamed split's augmentation. Keeping them apart makes
//! a run's architectures and batches independent of how many replicas train it, and lets a
//! resumed run draw exactly what an uninterrupted one would.

use rand::SeedableRng;

use crate::rng::SearchRng;

/// The stream of replica `replica`'s drop-path masks at `step` of a run seeded `seed`. It is
/// apart from the epoch stream (which draws the step's architecture and augmentation), so
/// the architectures and batches of a run do not depend on how many replicas train it.
pub(super) fn mask_stream(seed: u64, step: usize, replica: usize) -> SearchRng {
    let mut stream =
        SearchRng::seed_from_u64(seed ^ 0x6d61_736b_7300_0000_u64.wrapping_add(replica as u64));
    stream.set_stream(step as u64);
    stream
}

/// The seed of epoch `epoch`'s augmentation of a streamed split.
pub(super) fn augment_seed(seed: u64, epoch: usize) -> u64 {
    crate::data::mix(seed ^ 0x6175_676d_656e_7400, epoch as u64)
}

/// The stream of epoch `epoch` of a run seeded `seed`: independent streams of one key.
pub(super) fn epoch_stream(seed: u64, epoch: usize) -> SearchRng {
    let mut stream = SearchRng::seed_from_u64(seed);
    stream.set_stream(epoch as u64);
    stream
}
