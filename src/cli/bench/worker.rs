//! glit's side of a benchmark, run as `glit bench-worker JOB.json` in a fresh process so its
//! peak memory is its own.

use std::path::Path;
use std::time::Instant;

use burn::module::AutodiffModule;
use burn::optim::GradientsParams;
use burn::tensor::backend::Backend;
use burn::tensor::{Distribution, Tensor};
use burn::{Dispatch, DispatchDevice};

use super::memory::{device_mib, resident_mib};
use super::{Job, Sample};
use crate::error::{Error, Result};
use crate::model::{Pass, SharingPlan, Supernet};
use crate::rng;
use crate::space::Arch;
use crate::train::{smoothed_cross_entropy, sum_over_shares, AdamW, TrainConfig};

/// Reads the job at `path`, measures it, and returns the sample as one JSON line.
pub fn work(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let job: Job =
        serde_json::from_str(&text).map_err(|e| Error::json(path.display().to_string(), &e))?;
    let device = crate::devices::named(&job.device)?;
    // The CPU backend's loops and products run on rayon's global pool: sized as asked.
    let sample = super::super::pool::on_pool(Some(job.threads), || measure(&job, &device))?;
    Ok(serde_json::to_string(&sample).expect("a sample serialises"))
}

/// `job.steps` timed training steps, then as many scorings of a batch (BatchNorm
/// recalibration and evaluation), after warming each up on every architecture, on `device`.
fn measure(job: &Job, device: &DispatchDevice) -> Result<Sample> {
    let base = resident_mib();
    let (space, archs, batch) = (&job.space, &job.archs, job.batch);
    if archs.is_empty() {
        return Err(Error::InvalidValue {
            key: "archs".into(),
            message: "a benchmark needs at least one architecture".into(),
        });
    }
    let training = DispatchDevice::autodiff(device.clone());
    let mut init = rng::seeded(0);
    let mut net = Supernet::<Dispatch>::new(space, &SharingPlan::default(), &mut init, &training);
    let s = space.skeleton();
    let shape = [batch, s.channels, s.image_size, s.image_size];
    let images = Tensor::<Dispatch, 4>::random(shape, Distribution::Normal(0.0, 1.0), &training);
    let labels: Vec<u32> = (0..batch).map(|i| (i % s.classes) as u32).collect();
    let config = TrainConfig::default();
    let mut optimizer = AdamW::<Dispatch>::default();
    let mut stream = rng::seeded(1);
    let mut step = |net: Supernet<Dispatch>, arch: &Arch| -> Result<Supernet<Dispatch>> {
        let mut pass = Pass::Train {
            drop_path: config.drop_path,
            rng: &mut stream,
        };
        let logits = net.forward_pass(images.clone(), arch, &mut pass)?;
        let loss = smoothed_cross_entropy(logits, &labels, config.label_smoothing);
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        Ok(optimizer.step(net, grads, 1e-3, &config).0)
    };
    // Every architecture once before timing: a GPU compiles (and autotunes) kernels for
    // each new shape on first use.
    for arch in archs {
        net = step(net, arch)?;
    }
    sync(&training);
    let started = Instant::now();
    for i in 0..job.steps {
        net = step(net, &archs[i % archs.len()])?;
    }
    sync(&training);
    let train = (batch * job.steps) as f64 / started.elapsed().as_secs_f64();
    let peak = resident_mib();

    // Scoring as `train::score` does it: a standalone copy of the arch's path, one batch that
    // re-estimates BatchNorm statistics, then the evaluation forward pass, split over threads.
    let inference = net.valid();
    let plain = images.inner();
    let score_once = |arch: &Arch| -> Result<()> {
        let standalone = inference.extract(arch)?;
        let calibrate = &mut Pass::Calibrate { momentum: 1.0 };
        logits_sync(standalone.forward_pass(plain.clone(), arch, calibrate)?);
        sum_over_shares(batch, job.threads, batch.div_ceil(2), |share| {
            let part = plain.clone().slice(share.start..share.end);
            logits_sync(standalone.forward(part, arch)?);
            Ok(0)
        })?;
        Ok(())
    };
    for arch in archs {
        score_once(arch)?;
    }
    let started = Instant::now();
    for i in 0..job.steps {
        score_once(&archs[i % archs.len()])?;
    }
    let score = (batch * job.steps) as f64 / started.elapsed().as_secs_f64();
    Ok(Sample {
        train,
        score,
        base_mib: base.map(|(now, _)| now),
        peak_mib: peak.map(|(_, high)| high),
        gpu_mib: (job.device != "cpu").then(device_mib).flatten(),
    })
}

/// Waits for the device's queued work (a GPU runs it lazily), so timings include it.
fn sync(device: &DispatchDevice) {
    let _ = <Dispatch as Backend>::sync(device);
}

/// Waits for a result, so timings include the work a lazy backend defers.
fn logits_sync(logits: Tensor<Dispatch, 2>) {
    let _ = logits.into_data();
}
