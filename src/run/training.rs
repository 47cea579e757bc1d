//! One training of a run: where its checkpoint and metrics go (named after its label and
//! journal key, or at the top of a run that is one training), and how it continues after a
//! kill (from its checkpoint, or from the start when the checkpoint is unusable: training is
//! a function of its seed). Scripts' trainings and `glit train` both go through it.

use std::path::PathBuf;

use burn::Dispatch;

use super::Run;
use crate::data::{Loader, Split};
use crate::error::Result;
use crate::model::Supernet;
use crate::train::{
    CheckpointFile, EpochMetrics, Outputs, Sampler, TrainConfig, TrainData, Trainer,
};

/// The checkpoint of a run that is one training (`glit train`).
pub const WHOLE_RUN_CHECKPOINT: &str = "checkpoint.safetensors";

/// The per-epoch metrics of a run that is one training.
const WHOLE_RUN_METRICS: &str = "metrics.csv";

/// Where a training writes its checkpoint and metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrainingFiles {
    /// `checkpoints/<label>-<key tail>.safetensors` and `metrics/<label>.csv`: one of the
    /// many trainings of a scripted run.
    Named,
    /// [`WHOLE_RUN_CHECKPOINT`] and `metrics.csv` at the top of the run directory:
    /// a run that is one training (`glit train`).
    WholeRun,
}

/// One training.
pub struct TrainingRun<'a> {
    /// The run it belongs to.
    pub run: &'a Run,
    /// Its journal key.
    pub key: &'a str,
    /// Its name in file names and messages.
    pub label: &'a str,
    /// The recipe.
    pub config: TrainConfig,
    /// The seed of its data order, augmentation and sampling.
    pub seed: u64,
    /// Where its files go.
    pub files: TrainingFiles,
    /// A split measured after every epoch (a standalone network's test accuracy, DeiT's
    /// practice); `None` for supernets, which have no one network to measure.
    pub eval: Option<&'a Split>,
}

impl TrainingRun<'_> {
    /// Its checkpoint in the run directory (`None` in a run without one).
    fn checkpoint(&self) -> Option<PathBuf> {
        let tail = &self.key[self.key.len().saturating_sub(8)..];
        let name = match self.files {
            TrainingFiles::Named => format!("checkpoints/{}-{tail}.safetensors", self.label),
            TrainingFiles::WholeRun => WHOLE_RUN_CHECKPOINT.into(),
        };
        self.run.file(&name).ok()
    }

    /// Its metrics file in the run directory.
    fn metrics(&self) -> Option<PathBuf> {
        let name = match self.files {
            TrainingFiles::Named => format!("metrics/{}.csv", self.label),
            TrainingFiles::WholeRun => WHOLE_RUN_METRICS.into(),
        };
        self.run.file(&name).ok()
    }

    /// Trains the `initial` network on `train_split` (or continues the checkpoint a killed
    /// run left, without building `initial`) with architectures from `sampler`, on the run's
    /// devices, and returns the trained network with its history.
    pub fn fit(
        &self,
        initial: impl FnOnce() -> Result<Supernet<Dispatch>>,
        train_split: &Split,
        loader: &Loader,
        sampler: &mut dyn Sampler,
    ) -> Result<(Supernet<Dispatch>, Vec<EpochMetrics>)> {
        let device = self.run.training_device();
        let checkpoint = self.checkpoint();
        let resumed = match &checkpoint {
            Some(path) if CheckpointFile::exists(path) => {
                match Trainer::<Dispatch>::resume(path, &device) {
                    Ok((trainer, warnings)) => {
                        warnings.iter().for_each(|w| eprintln!("warning: {w}"));
                        Some(trainer)
                    }
                    // Training is a function of its seed: with no usable checkpoint the step
                    // starts again and ends where the lost one would have.
                    Err(e) => {
                        eprintln!("warning: {e}; training {} starts again", self.label);
                        None
                    }
                }
            }
            _ => None,
        };
        let trainer = match resumed {
            Some(trainer) => trainer,
            None => Trainer::new(initial()?, self.config.clone(), self.seed, &device)?,
        };
        // Several devices: every step's batch is split over them.
        let mut trainer = trainer.with_replicas(self.run.training_devices());
        let outputs = Outputs {
            checkpoint: checkpoint.clone(),
            metrics: self.metrics(),
            quiet: self.run.quiet(),
        };
        let data = TrainData {
            loader,
            train: train_split,
            eval: self.eval,
        };
        let history = trainer.fit(&data, sampler, &outputs)?;
        Ok((trainer.net().clone(), history))
    }
}
