//! `glit score`: architectures scored with a trained supernet's weights (BatchNorm
//! recalibrated, on the run's search split) through the run layer, or a network file's test
//! accuracy on a data set.

use std::path::Path;
use std::sync::Arc;

use burn::{Dispatch, DispatchDevice};

use super::open_arch_in;
use super::tables::Scored;
use super::train::{checkpoint_file, load_run, warn};
use crate::data::{self, DataBundle, Loader};
use crate::error::{Error, Result};
use crate::hashes::content_digest;
use crate::rng;
use crate::run::{Run, ScoreRequest};
use crate::space::cost::Convention;
use crate::train::{self, NetworkFile, ScoreConfig, Trainer};

/// Scores `archs` (or `random` sampled ones) with the supernet of the run in `dir`, on
/// `devices`, as a scripted run scores: each candidate is a task in the run's journal (so
/// scoring one again recalls it, and `glit worker`s on the directory may help), one per
/// device at once, each filed in the run's candidates.csv.
pub fn score(
    dir: &Path,
    archs: &[String],
    random: usize,
    seed: u64,
    devices: &[DispatchDevice],
) -> Result<Vec<Scored>> {
    let run = load_run(dir)?;
    if run.arch.is_some() || run.search_split == 0 {
        return Err(Error::InvalidValue {
            key: "RUN_DIR".into(),
            message: format!(
                "{} is a standalone run (or has no search split); scoring needs a supernet run",
                dir.display()
            ),
        });
    }
    let data = Arc::new(DataBundle::open(&run.data_request())?);
    let context = Run::open(dir, Vec::new(), devices.to_vec(), false, true)?;
    let checkpoint = checkpoint_file(dir);
    let (trainer, warnings) = Trainer::<Dispatch>::resume(&checkpoint, &context.training_device())?;
    warn(&warnings);
    let net = trainer.net();
    let space = net.space().clone();
    let mut candidates = archs
        .iter()
        .map(|text| open_arch_in(text, &space))
        .collect::<Result<Vec<_>>>()?;
    let mut stream = rng::seeded(seed);
    candidates.extend((0..random).map(|_| space.sample(&mut stream)));
    // The weights are named by the checkpoint's content: training on changes the name.
    let bytes = std::fs::read(&checkpoint).map_err(|e| Error::io(&checkpoint, e))?;
    let lineage = format!("train-{}", content_digest(&bytes));
    let scores = context.score_candidates(&ScoreRequest {
        net,
        lineage: &lineage,
        data: &data,
        config: &ScoreConfig::scaled_for(data.train.len()),
        archs: &candidates,
    })?;
    candidates
        .into_iter()
        .zip(scores)
        .map(|(arch, score)| {
            let cost = space.cost(&arch, Convention::Official)?;
            Ok(Scored {
                score,
                mflops: cost.mflops(),
                params: cost.params(),
                arch: space.canonical(&arch)?,
            })
        })
        .collect()
}

/// The test accuracy of the network file at `path` on `data`, prepared with the network's
/// own normalisation (no BatchNorm recalibration: the network's statistics are its own).
pub fn score_network(path: &Path, data: Option<&str>, device: &DispatchDevice) -> Result<Scored> {
    let data = data.ok_or_else(|| Error::InvalidValue {
        key: "--data".into(),
        message: format!(
            "{} is a network file; name the data to score it on with --data",
            path.display()
        ),
    })?;
    let dataset = data::open(data)?;
    let network = NetworkFile::<Dispatch>::read(path, device)?;
    network.check_fits(&dataset, path)?;
    let loader = Loader {
        channels: dataset.channels,
        image_size: dataset.image_size,
        normalization: network.input.normalization.clone(),
        mirror_invariant: dataset.mirror_invariant,
    };
    let score = train::accuracy(
        &network.net,
        &network.arch,
        &loader,
        &dataset.test,
        128,
        device,
    )?;
    let cost = network
        .net
        .space()
        .cost(&network.arch, Convention::Official)?;
    Ok(Scored {
        score,
        mflops: cost.mflops(),
        params: cost.params(),
        arch: network.arch,
    })
}
