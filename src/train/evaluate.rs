//! Scoring an architecture with weights inherited from a supernet (SPOS): extract its path,
//! re-estimate every BatchNorm's statistics on training batches, then measure top-1 accuracy
//! on the held-out search split. The same accuracy loop gives final test numbers.

use burn::tensor::backend::Backend;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

use super::loss::correct;
use super::parallel::{evaluation_threads, sum_over_shares};
use crate::data::{batch_order, Loader, Split};
use crate::error::{Error, Result};
use crate::model::{Pass, Supernet};
use crate::rng::SearchRng;
use crate::space::Arch;

/// How candidates are scored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScoreConfig {
    /// Training batches that re-estimate BatchNorm statistics (SPOS: 200 of 128 on ImageNet;
    /// see [`ScoreConfig::scaled_for`] for small data). 0 keeps the supernet's statistics.
    pub calibration_batches: usize,
    /// Images per batch, for calibration and evaluation.
    pub batch_size: usize,
    /// Seeds which training images calibrate; the same for every candidate, so scores
    /// compare like with like.
    pub seed: u64,
}

impl Default for ScoreConfig {
    fn default() -> Self {
        ScoreConfig {
            calibration_batches: 200,
            batch_size: 128,
            seed: 0,
        }
    }
}

impl ScoreConfig {
    /// SPOS's 200 × 128 calibration images on ImageNet's 1.28 M are 2 % of the training set;
    /// this keeps roughly that share on a training split of `train_len` images, between 4 and
    /// 200 batches of 128.
    pub fn scaled_for(train_len: usize) -> Self {
        let batches = (train_len / 128 / 50).clamp(4, 200);
        ScoreConfig {
            calibration_batches: batches,
            ..ScoreConfig::default()
        }
    }
}

/// Top-1 accuracy (0–1) of `net` along `arch` on `split`, with running BatchNorm statistics;
/// contiguous shares of the split run on every core at once (the count is exact either way).
pub fn accuracy<B: Backend>(
    net: &Supernet<B>,
    arch: &Arch,
    loader: &Loader,
    split: &Split,
    batch_size: usize,
    device: &B::Device,
) -> Result<f64> {
    if split.is_empty() {
        return Err(Error::InvalidValue {
            key: "split".into(),
            message: "cannot measure accuracy on an empty split".into(),
        });
    }
    if split.is_streamed() {
        // Files decode on the prefetch threads while one thread runs the network.
        let order = batch_order(split.len(), batch_size, None, false);
        let mut hits = 0;
        for host in loader.batches(split, &order, 0, None) {
            let batch = loader.to_device::<B>(host?, device);
            let logits = net.forward(batch.images, arch)?;
            hits += correct(logits, &batch.label_values);
        }
        return Ok(hits as f64 / split.len() as f64);
    }
    // Shares of at least half a batch: below that a second thread costs more than it saves.
    let hits = sum_over_shares(
        split.len(),
        evaluation_threads(),
        batch_size.div_ceil(2),
        |share| {
            let mut hits = 0;
            for indices in batch_order(share.len(), batch_size, None, false) {
                let indices: Vec<usize> = indices.iter().map(|i| share.start + i).collect();
                let batch = loader.batch::<B>(split, &indices, None, device)?;
                let logits = net.forward(batch.images, arch)?;
                hits += correct(logits, &batch.label_values);
            }
            Ok(hits)
        },
    )?;
    Ok(hits as f64 / split.len() as f64)
}

/// A standalone copy of `arch`'s path whose BatchNorm statistics are the exact mean of
/// `config.calibration_batches` training batches (drawn with `config.seed`), replacing what
/// supernet training left in them.
pub fn recalibrate<B: Backend>(
    net: &Supernet<B>,
    arch: &Arch,
    loader: &Loader,
    train: &Split,
    config: &ScoreConfig,
    device: &B::Device,
) -> Result<Supernet<B>> {
    let standalone = net.extract(arch)?;
    let has_batch_norm = arch.blocks.iter().any(|b| b.global_heads < arch.heads);
    if !has_batch_norm || config.calibration_batches == 0 {
        return Ok(standalone);
    }
    let mut rng = SearchRng::seed_from_u64(config.seed);
    let order = batch_order(train.len(), config.batch_size, Some(&mut rng), true);
    if order.is_empty() {
        return Err(Error::InvalidValue {
            key: "calibration_batches".into(),
            message: format!(
                "the training split has {} images, fewer than one batch of {}",
                train.len(),
                config.batch_size
            ),
        });
    }
    let order: Vec<Vec<usize>> = order.into_iter().take(config.calibration_batches).collect();
    for (k, host) in loader.batches(train, &order, 0, None).enumerate() {
        let batch = loader.to_device::<B>(host?, device);
        let momentum = 1.0 / (k + 1) as f64;
        standalone.forward_pass(batch.images, arch, &mut Pass::Calibrate { momentum })?;
    }
    Ok(standalone)
}

/// SPOS's score of `arch`: accuracy on `search` after recalibrating on `train`.
pub fn score<B: Backend>(
    net: &Supernet<B>,
    arch: &Arch,
    loader: &Loader,
    train: &Split,
    search: &Split,
    config: &ScoreConfig,
    device: &B::Device,
) -> Result<f64> {
    let calibrated = recalibrate(net, arch, loader, train, config, device)?;
    accuracy(&calibrated, arch, loader, search, config.batch_size, device)
}
