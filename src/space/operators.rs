//! Random operators on a space: sampling, constrained sampling, mutation, crossover.
//!
//! Every operator draws from the [`SearchRng`] its caller passes, returns canonical
//! architectures, and never leaves the space.

use rand::RngExt;

use super::arch::{Arch, BlockArch};
use super::choices::BlockChoices;
use super::dimension::Dimension;
use super::search_space::Space;
use crate::error::{Error, Result};
use crate::rng::SearchRng;

/// A uniformly drawn candidate of `list`, or `None` when the list is empty.
fn draw(list: &[usize], rng: &mut SearchRng) -> Option<usize> {
    (!list.is_empty()).then(|| list[rng.random_range(0..list.len())])
}

/// One block with every dimension drawn uniformly (SPOS's per-block uniform choice).
fn sample_block(choices: &BlockChoices, heads: usize, rng: &mut SearchRng) -> BlockArch {
    let mut block = BlockArch::default();
    // Draw all five, always in the same order, so a seed gives the same arch whatever the
    // global head count turns out to be.
    for dimension in Dimension::ALL {
        block.set(dimension, draw(choices.get(dimension), rng));
    }
    block.canonical(heads)
}

impl Space {
    /// A random architecture: each block's dimensions drawn uniformly and independently from
    /// its candidates (SPOS's uniform path sampling), then put in canonical form.
    pub fn sample(&self, rng: &mut SearchRng) -> Arch {
        Arch {
            heads: self.heads(),
            blocks: self
                .blocks
                .iter()
                .map(|choices| sample_block(choices, self.heads(), rng))
                .collect(),
        }
    }

    /// The first of at most `max_tries` samples for which `predicate` holds (rejection
    /// sampling, as SPOS does for its FLOPs bins). Fails with
    /// [`Error::ConstraintNeverMet`] when none does.
    pub fn sample_where(
        &self,
        rng: &mut SearchRng,
        max_tries: usize,
        mut predicate: impl FnMut(&Arch) -> bool,
    ) -> Result<Arch> {
        first_accepted(
            max_tries,
            || Ok(self.sample(rng)),
            |arch| Ok(predicate(arch)),
        )?
        .ok_or(Error::ConstraintNeverMet { tries: max_tries })
    }

    /// `arch` with each value redrawn with probability `prob` (SPOS's per-gene mutation). A
    /// value that becomes needed because the global head count changed is drawn fresh.
    pub fn mutate(&self, arch: &Arch, prob: f64, rng: &mut SearchRng) -> Result<Arch> {
        self.check(arch)?;
        if !(0.0..=1.0).contains(&prob) {
            return Err(Error::InvalidValue {
                key: "prob".into(),
                message: format!("{prob} is not a probability in [0, 1]"),
            });
        }
        let blocks = arch
            .blocks
            .iter()
            .zip(&self.blocks)
            .map(|(block, choices)| {
                let mut child = block.clone();
                for dimension in Dimension::ALL {
                    let list = choices.get(dimension);
                    // Every gene consumes one coin, so streams stay aligned across arches.
                    let redraw = rng.random_bool(prob);
                    if redraw || child.get(dimension).is_none() {
                        child.set(dimension, draw(list, rng));
                    }
                }
                child.canonical(self.heads())
            })
            .collect();
        Ok(Arch {
            heads: self.heads(),
            blocks,
        })
    }

    /// A child taking each value from parent `a` or `b` with equal probability (uniform
    /// crossover). When the chosen parent lacks a value the child needs, the other parent's is
    /// taken, or a fresh one drawn if neither has it.
    pub fn crossover(&self, a: &Arch, b: &Arch, rng: &mut SearchRng) -> Result<Arch> {
        self.check(a)?;
        self.check(b)?;
        let blocks = a
            .blocks
            .iter()
            .zip(&b.blocks)
            .zip(&self.blocks)
            .map(|((block_a, block_b), choices)| {
                let mut child = block_a.clone();
                for dimension in Dimension::ALL {
                    let (first, second) = if rng.random_bool(0.5) {
                        (block_a, block_b)
                    } else {
                        (block_b, block_a)
                    };
                    let value = first.get(dimension).or(second.get(dimension));
                    child.set(dimension, value);
                    if child.get(dimension).is_none() {
                        child.set(dimension, draw(choices.get(dimension), rng));
                    }
                }
                child.canonical(self.heads())
            })
            .collect();
        Ok(Arch {
            heads: self.heads(),
            blocks,
        })
    }
}

/// Draws a constrained sampler makes before it gives up, unless told otherwise.
pub const SAMPLE_TRIES: usize = 10_000;

/// Rejection sampling, the one loop every constrained sampler runs: the first of at most
/// `max_tries` architectures from `draw` that `accept` takes, or `None`. Errors of either
/// closure (a script's, say) end the loop as they are.
pub fn first_accepted<E>(
    max_tries: usize,
    mut draw: impl FnMut() -> std::result::Result<Arch, E>,
    mut accept: impl FnMut(&Arch) -> std::result::Result<bool, E>,
) -> std::result::Result<Option<Arch>, E> {
    for _ in 0..max_tries {
        let arch = draw()?;
        if accept(&arch)? {
            return Ok(Some(arch));
        }
    }
    Ok(None)
}
