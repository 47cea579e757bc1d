//! `glit score`: architectures scored with a trained supernet's weights (BatchNorm
//! recalibrated, on the run's search split), or a network file's test accuracy on a data set.

use std::path::Path;

use burn::module::Module;
use burn::{Dispatch, DispatchDevice};

use super::open_arch_in;
use super::tables::Scored;
use super::train::{checkpoint_file, load_run, splits, warn};
use crate::data::{self, Loader};
use crate::error::{Error, Result};
use crate::model::Supernet;
use crate::rng;
use crate::space::cost::Convention;
use crate::train::{self, NetworkFile, ScoreConfig, Trainer};

/// Scores `archs` (or `random` sampled ones) with the supernet of the run in `dir`, on
/// `devices` (each scores a share of the candidates, all at once).
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
    let dataset = data::open(&run.data)?;
    let loader = Loader::for_dataset(&dataset);
    let (train_split, search_split) = splits(&run, &dataset)?;
    let device = DispatchDevice::autodiff(devices[0].clone());
    let (trainer, warnings) = Trainer::<Dispatch>::resume(&checkpoint_file(dir), &device)?;
    warn(&warnings);
    let net = trainer.inference_net();
    let space = net.space().clone();
    let mut candidates = archs
        .iter()
        .map(|text| open_arch_in(text, &space))
        .collect::<Result<Vec<_>>>()?;
    let mut stream = rng::seeded(seed);
    candidates.extend((0..random).map(|_| space.sample(&mut stream)));
    let config = ScoreConfig::scaled_for(train_split.len());
    // Candidate i goes to device i mod n; each device's copy of the network is its own
    // (statistics included), so the scores do not depend on how many devices there are.
    let nets: Vec<Supernet<Dispatch>> = devices.iter().map(|d| net.clone().to_device(d)).collect();
    let jobs = devices
        .iter()
        .zip(&nets)
        .enumerate()
        .map(|(k, (device, net))| {
            let (candidates, loader, train_split, search_split, config, space) = (
                &candidates,
                &loader,
                &train_split,
                &search_split,
                &config,
                &space,
            );
            move || -> Result<Vec<(usize, Scored)>> {
                let mut out = Vec::new();
                for (index, arch) in candidates.iter().enumerate().skip(k).step_by(devices.len()) {
                    let score =
                        train::score(net, arch, loader, train_split, search_split, config, device)?;
                    let cost = space.cost(arch, Convention::Official)?;
                    out.push((
                        index,
                        Scored {
                            score,
                            mflops: cost.mflops(),
                            params: cost.params(),
                            arch: arch.clone(),
                        },
                    ));
                }
                Ok(out)
            }
        });
    let mut scored = Vec::new();
    for part in crate::train::at_once(jobs) {
        scored.extend(part?);
    }
    scored.sort_by_key(|(index, _)| *index);
    Ok(scored.into_iter().map(|(_, s)| s).collect())
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
