//! The SPOS training loop, for supernets and standalone networks alike: each step draws an
//! architecture from a sampler and trains that path. Every random choice of epoch e comes
//! (the architecture, the batch order and augmentation) from one stream seeded by (seed, e),
//! drop-path masks from one per step (see `mask_stream`); a checkpoint records the position and that stream's
//! state, so a resumed run takes exactly the steps an uninterrupted one would.

use std::path::PathBuf;
use std::time::Instant;

use burn::module::{AutodiffModule, Module};
use burn::optim::GradientsParams;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::ElementConversion;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

use super::config::TrainConfig;
use super::data_parallel;
use super::evaluate::accuracy;
use super::loss::{correct, smoothed_cross_entropy};
use super::metrics::{write_csv, EpochMetrics};
use super::optimizer::AdamW;
use super::progress::{clock, ProgressBar};
use super::sampler::Sampler;
use super::schedule::Schedule;
use super::streams::{augment_seed, epoch_stream, mask_stream};
use crate::data::{batch_order, Batch, Loader, Split, StreamAugment};
use crate::error::{Error, Result};
use crate::model::{Pass, Supernet};
use crate::rng::SearchRng;

/// Where a run stands, and the running totals of the epoch in progress.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(super) struct Position {
    /// Epochs finished.
    epoch: usize,
    /// Steps taken in the epoch in progress.
    batch: usize,
    /// Steps taken in the run.
    step: usize,
    /// The epoch stream's state after `batch` steps (None at an epoch's start).
    stream: Option<SearchRng>,
    loss_sum: f64,
    hits: usize,
    seen: usize,
    seconds: f64,
}

/// Where a run writes: a checkpoint after every epoch (and every
/// `checkpoint_every_steps`), and the metrics CSV.
#[derive(Clone, Debug, Default)]
pub struct Outputs {
    /// The checkpoint file, replaced atomically each time.
    pub checkpoint: Option<PathBuf>,
    /// The metrics CSV, rewritten atomically after each epoch.
    pub metrics: Option<PathBuf>,
    /// No progress bar and no per-epoch line on stderr.
    pub quiet: bool,
}

/// What a training run reads: the loader, the training split, and an optional split to
/// evaluate after each epoch (standalone networks only; a supernet has no single accuracy).
pub struct TrainData<'a> {
    /// Turns images into batches.
    pub loader: &'a Loader,
    /// Images to train on.
    pub train: &'a Split,
    /// Images to evaluate on after each epoch.
    pub eval: Option<&'a Split>,
}

/// A network being trained, its optimiser, and where the run stands.
pub struct Trainer<B: AutodiffBackend> {
    pub(super) net: Supernet<B>,
    pub(super) optimizer: AdamW<B>,
    pub(super) config: TrainConfig,
    pub(super) seed: u64,
    pub(super) position: Position,
    pub(super) history: Vec<EpochMetrics>,
    pub(super) data_fingerprint: Option<String>,
    pub(super) device: B::Device,
    /// Every device of a data-parallel run, `device` first (empty: `device` alone).
    pub(super) replicas: Vec<B::Device>,
}

impl<B: AutodiffBackend> Trainer<B> {
    /// Starts training `net` (on an autodiff `device`) with `config`; `seed` drives data
    /// order, augmentation, sampling and drop path.
    pub fn new(
        net: Supernet<B>,
        config: TrainConfig,
        seed: u64,
        device: &B::Device,
    ) -> Result<Self> {
        config.check()?;
        Ok(Trainer {
            net,
            optimizer: AdamW::default(),
            config,
            seed,
            position: Position::default(),
            history: Vec::new(),
            data_fingerprint: None,
            device: device.clone(),
            replicas: Vec::new(),
        })
    }

    /// Trains data-parallel over `devices` (autodiff devices; the network's own first): each
    /// step's batch is split among them (see [`super::data_parallel`]). One device, or none,
    /// trains as usual.
    pub fn with_replicas(mut self, devices: Vec<B::Device>) -> Self {
        self.replicas = if devices.len() > 1 {
            devices
        } else {
            Vec::new()
        };
        self
    }

    /// The network as it stands.
    pub fn net(&self) -> &Supernet<B> {
        &self.net
    }

    /// The network without autodiff, for scoring and testing.
    pub fn inference_net(&self) -> Supernet<B::InnerBackend> {
        self.net.valid()
    }

    /// The recipe.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// Epochs finished.
    pub fn epochs_done(&self) -> usize {
        self.position.epoch
    }

    /// Optimiser steps taken.
    pub fn steps_done(&self) -> usize {
        self.position.step
    }

    /// One row per finished epoch.
    pub fn history(&self) -> &[EpochMetrics] {
        &self.history
    }

    /// Trains until `config.epochs` epochs are done (continuing where a resumed run stopped),
    /// drawing each step's architecture from `sampler`. Writes the checkpoint and metrics
    /// after each epoch. Returns the metrics of every epoch of the run.
    pub fn fit(
        &mut self,
        data: &TrainData,
        sampler: &mut dyn Sampler,
        outputs: &Outputs,
    ) -> Result<Vec<EpochMetrics>> {
        self.check_data(data.train)?;
        while self.position.epoch < self.config.epochs {
            let metrics = self.train_epoch(data, sampler, outputs)?;
            if !outputs.quiet {
                eprintln!("{}", describe(&metrics, self.config.epochs));
            }
        }
        Ok(self.history.clone())
    }

    /// Trains one epoch (or the rest of one, after a mid-epoch resume).
    pub fn train_epoch(
        &mut self,
        data: &TrainData,
        sampler: &mut dyn Sampler,
        outputs: &Outputs,
    ) -> Result<EpochMetrics> {
        self.check_data(data.train)?;
        let batch_size = self.config.batch_size;
        let steps_per_epoch = data.train.len() / batch_size;
        if steps_per_epoch == 0 {
            return Err(Error::InvalidValue {
                key: "batch_size".into(),
                message: format!(
                    "{batch_size} is more than the {} training images",
                    data.train.len()
                ),
            });
        }
        let schedule = Schedule::new(&self.config, steps_per_epoch);
        let epoch = self.position.epoch;
        let mut stream = epoch_stream(self.seed, epoch);
        let order = batch_order(data.train.len(), batch_size, Some(&mut stream), true);
        if let Some(saved) = self.position.stream.take() {
            stream = saved;
        }
        let first = self.position.batch;
        let label = format!("epoch {}/{}", epoch + 1, self.config.epochs);
        let mut bar = ProgressBar::new(label, steps_per_epoch, outputs.quiet);
        let started = Instant::now();
        let seconds_before = self.position.seconds;
        let mut lr = schedule.lr_at(self.position.step);
        // A streamed split is decoded ahead on other threads, its augmentation seeded by the
        // epoch (not drawn from the step stream, which the producer cannot share).
        let mut prefetched = data.train.is_streamed().then(|| {
            let augment = StreamAugment {
                recipe: self.config.augment.clone(),
                seed: augment_seed(self.seed, epoch),
            };
            data.loader
                .batches(data.train, &order, first, Some(augment))
        });
        for indices in &order[first..] {
            lr = schedule.lr_at(self.position.step);
            let ready = match prefetched.as_mut().and_then(Iterator::next) {
                Some(host) => Some(data.loader.to_device::<B>(host?, &self.device)),
                None => None,
            };
            self.step(data, sampler, indices, ready, lr, &mut stream)?;
            crate::kill_point::reached("train-step");
            self.position.seconds = seconds_before + started.elapsed().as_secs_f64();
            let p = &self.position;
            let seen = p.seen.max(1) as f64;
            bar.update(
                p.batch,
                first,
                (p.batch - first) * batch_size,
                p.loss_sum / seen,
                p.hits as f64 / seen,
            );
            let every = self.config.checkpoint_every_steps;
            if every > 0 && p.step.is_multiple_of(every) && p.batch < steps_per_epoch {
                self.position.stream = Some(stream.clone());
                self.save_to(outputs)?;
                self.position.stream = None;
            }
        }
        bar.finish();
        let eval_accuracy = match data.eval {
            Some(split) if self.net.space().size_exact() == Some(1) => {
                let arch = self.net.space().sample(&mut SearchRng::seed_from_u64(0));
                let net = self.net.valid();
                let device = net.devices()[0].clone();
                Some(accuracy(
                    &net,
                    &arch,
                    data.loader,
                    split,
                    batch_size,
                    &device,
                )?)
            }
            _ => None,
        };
        let p = &self.position;
        let metrics = EpochMetrics {
            epoch: epoch + 1,
            step: p.step,
            lr,
            train_loss: p.loss_sum / p.seen.max(1) as f64,
            train_accuracy: p.hits as f64 / p.seen.max(1) as f64,
            eval_accuracy,
            images_per_second: p.seen as f64 / p.seconds.max(1e-9),
            seconds: p.seconds,
        };
        self.history.push(metrics.clone());
        self.position = Position {
            epoch: epoch + 1,
            step: p.step,
            ..Position::default()
        };
        self.save_to(outputs)?;
        if let Some(path) = &outputs.metrics {
            write_csv(path, &self.history)?;
        }
        Ok(metrics)
    }

    /// One optimiser step on the images at `indices` (made already when `ready`) along a
    /// sampled architecture.
    fn step(
        &mut self,
        data: &TrainData,
        sampler: &mut dyn Sampler,
        indices: &[usize],
        ready: Option<Batch<B>>,
        lr: f64,
        stream: &mut SearchRng,
    ) -> Result<()> {
        let arch = sampler.sample(self.net.space(), stream)?;
        let config = &self.config;
        let batch = match ready {
            Some(batch) => batch,
            None => {
                let augment = Some((&config.augment, &mut *stream));
                data.loader
                    .batch::<B>(data.train, indices, augment, &self.device)?
            }
        };
        let (grads, loss_value, hits) = if self.replicas.is_empty() {
            let mut masks = mask_stream(self.seed, self.position.step, 0);
            let mut pass = Pass::Train {
                drop_path: config.drop_path,
                rng: &mut masks,
            };
            let logits = self.net.forward_pass(batch.images, &arch, &mut pass)?;
            let hits = correct(logits.clone().detach(), &batch.label_values);
            let loss = smoothed_cross_entropy(logits, &batch.label_values, config.label_smoothing);
            let loss_value: f64 = loss.clone().into_scalar().elem();
            check_finite(loss_value, self.position.step, &arch)?;
            let grads = GradientsParams::from_grads(loss.backward(), &self.net);
            (grads, loss_value, hits)
        } else {
            let outcome = data_parallel::step(
                &self.net,
                &self.replicas,
                batch,
                &arch,
                config.drop_path,
                config.label_smoothing,
                |replica| mask_stream(self.seed, self.position.step, replica),
            )?;
            check_finite(outcome.loss, self.position.step, &arch)?;
            (outcome.grads, outcome.loss, outcome.hits)
        };
        let (net, _norm) = self.optimizer.step(self.net.clone(), grads, lr, config);
        self.net = net;
        let p = &mut self.position;
        p.batch += 1;
        p.step += 1;
        p.loss_sum += loss_value * indices.len() as f64;
        p.hits += hits;
        p.seen += indices.len();
        Ok(())
    }

    fn check_data(&mut self, train: &Split) -> Result<()> {
        match &self.data_fingerprint {
            Some(expected) if !train.has_fingerprint(expected) => Err(Error::InvalidValue {
                key: "data".into(),
                message: format!(
                    "the run was trained on other data (fingerprint {expected}, now {}); resume it with the same data set and search split",
                    train.fingerprint()
                ),
            }),
            Some(_) => Ok(()),
            None => {
                self.data_fingerprint = Some(train.fingerprint());
                Ok(())
            }
        }
    }

    fn save_to(&self, outputs: &Outputs) -> Result<()> {
        match &outputs.checkpoint {
            Some(path) => self.save(path),
            None => Ok(()),
        }
    }

    /// Raises the number of epochs (to continue a finished run); the schedule stretches
    /// accordingly from the current step.
    pub fn extend_to(&mut self, epochs: usize) {
        self.config.epochs = self.config.epochs.max(epochs);
    }
}

/// An error when the loss at `step` is not finite.
fn check_finite(loss: f64, step: usize, arch: &crate::space::Arch) -> Result<()> {
    if loss.is_finite() {
        return Ok(());
    }
    Err(Error::Diverged {
        step,
        message: format!("the loss is {loss} on architecture {arch}"),
    })
}

/// The line printed after each epoch.
pub fn describe(m: &EpochMetrics, epochs: usize) -> String {
    let eval = m
        .eval_accuracy
        .map_or(String::new(), |a| format!(", eval {:.2}%", a * 100.0));
    format!(
        "epoch {}/{epochs}: loss {:.4}, train {:.2}%{eval}, {:.1} img/s, {}",
        m.epoch,
        m.train_loss,
        m.train_accuracy * 100.0,
        m.images_per_second,
        clock(m.seconds)
    )
}
