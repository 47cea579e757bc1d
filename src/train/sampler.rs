//! Where each SPOS step's architecture comes from: uniform over the space, uniform among the
//! architectures a predicate accepts (a FLOPs budget, say), SPOS's FLOPs bins, one fixed
//! architecture (standalone training), or any function of the caller's.

use crate::error::{Error, Result};
use crate::rng::SearchRng;
use crate::space::cost::Convention;
use crate::space::{Arch, Space, SAMPLE_TRIES};

/// Draws the architecture of one training step. All randomness comes from `rng`.
pub trait Sampler {
    /// The next architecture, in `space`.
    fn sample(&mut self, space: &Space, rng: &mut SearchRng) -> Result<Arch>;
}

/// Every architecture of the space equally likely in each dimension (SPOS's default).
#[derive(Clone, Copy, Debug, Default)]
pub struct Uniform;

impl Sampler for Uniform {
    fn sample(&mut self, space: &Space, rng: &mut SearchRng) -> Result<Arch> {
        Ok(space.sample(rng))
    }
}

/// Always the same architecture: standalone training through the SPOS loop.
#[derive(Clone, Debug)]
pub struct Fixed(pub Arch);

impl Sampler for Fixed {
    fn sample(&mut self, _: &Space, _: &mut SearchRng) -> Result<Arch> {
        Ok(self.0.clone())
    }
}

/// Uniform samples, redrawn until `predicate` accepts one (at most `max_tries` draws).
pub struct Constrained<F> {
    predicate: F,
    max_tries: usize,
}

impl<F: FnMut(&Arch) -> bool> Constrained<F> {
    /// Samples that `predicate` accepts, giving up after `max_tries` draws in one step.
    pub fn new(predicate: F, max_tries: usize) -> Self {
        Constrained {
            predicate,
            max_tries,
        }
    }
}

impl<F: FnMut(&Arch) -> bool> Sampler for Constrained<F> {
    fn sample(&mut self, space: &Space, rng: &mut SearchRng) -> Result<Arch> {
        space.sample_where(rng, self.max_tries, &mut self.predicate)
    }
}

/// SPOS's FLOPs-bin sampling: pick one of `bins` equal-width MFLOPs intervals uniformly, then
/// an architecture inside it, so cheap and costly networks train equally often even where
/// uniform sampling crowds the middle.
#[derive(Clone, Debug)]
pub struct FlopsBins {
    edges: Vec<f64>,
    max_tries: usize,
}

impl FlopsBins {
    /// Bins over the range of `space`'s MFLOPs (official convention), from the 1st to the
    /// 99th percentile of 2,000 uniform samples drawn from `rng` so the end bins are
    /// reachable.
    pub fn new(space: &Space, bins: usize, rng: &mut SearchRng) -> Result<Self> {
        if bins == 0 {
            return Err(Error::InvalidValue {
                key: "bins".into(),
                message: "FLOPs-bin sampling needs at least one bin".into(),
            });
        }
        let mut flops = Vec::with_capacity(2000);
        for _ in 0..2000 {
            flops.push(
                space
                    .cost(&space.sample(rng), Convention::Official)?
                    .mflops(),
            );
        }
        flops.sort_by(f64::total_cmp);
        let (low, high) = (flops[20], flops[1979]);
        let edges = (0..=bins)
            .map(|i| low + (high - low) * i as f64 / bins as f64)
            .collect();
        Ok(FlopsBins {
            edges,
            max_tries: SAMPLE_TRIES,
        })
    }

    /// The bin edges in MFLOPs, lowest first.
    pub fn edges(&self) -> &[f64] {
        &self.edges
    }
}

impl Sampler for FlopsBins {
    fn sample(&mut self, space: &Space, rng: &mut SearchRng) -> Result<Arch> {
        use rand::RngExt;
        let bin = rng.random_range(0..self.edges.len() - 1);
        let (low, high) = (self.edges[bin], self.edges[bin + 1]);
        let last = bin + 2 == self.edges.len();
        space.sample_where(rng, self.max_tries, |arch| {
            let mflops = space
                .cost(arch, Convention::Official)
                .map_or(f64::NAN, |c| c.mflops());
            mflops >= low && (mflops < high || (last && mflops <= high))
        })
    }
}

/// Any function of the space and the stream is a sampler (a script's, for instance).
pub struct FromFn<F>(pub F);

impl<F: FnMut(&Space, &mut SearchRng) -> Result<Arch>> Sampler for FromFn<F> {
    fn sample(&mut self, space: &Space, rng: &mut SearchRng) -> Result<Arch> {
        let arch = (self.0)(space, rng)?;
        space.check(&arch)?;
        Ok(arch)
    }
}

/// A sampler named in text, as `glit train --sampler` and `train::spos`'s `sampler` option
/// take it: `uniform` or `flops-bins:N` (SPOS's FLOPs bins).
pub fn named_sampler(text: &str, key: &str, space: &Space, seed: u64) -> Result<Box<dyn Sampler>> {
    let invalid = |message: String| Error::InvalidValue {
        key: key.into(),
        message,
    };
    if text == "uniform" {
        return Ok(Box::new(Uniform));
    }
    let Some(bins) = text.strip_prefix("flops-bins:") else {
        return Err(invalid(format!(
            "`{text}` is not \"uniform\" or \"flops-bins:N\""
        )));
    };
    let bins: usize = bins
        .parse()
        .map_err(|_| invalid(format!("`{bins}` is not a bin count")))?;
    // The bins' edges come from their own stream of the seed, apart from the training's.
    let mut stream = crate::rng::seeded(seed);
    Ok(Box::new(FlopsBins::new(space, bins, &mut stream)?))
}
