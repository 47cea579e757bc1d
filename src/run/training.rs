//! One training call of a run: where its checkpoint and metrics go (named after its label
//! and journal key), and how it continues after a kill (from its checkpoint, or from the
//! start when the checkpoint is unusable: training is a function of its seed).

use std::path::PathBuf;

use burn::Dispatch;

use super::Run;
use crate::data::{Loader, Split};
use crate::error::Result;
use crate::model::Supernet;
use crate::train::{
    CheckpointFile, EpochMetrics, Outputs, Sampler, TrainConfig, TrainData, Trainer,
};

/// One training call.
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
}

impl TrainingRun<'_> {
    /// Its checkpoint in the run directory (`None` in a run without one).
    fn checkpoint(&self) -> Option<PathBuf> {
        let tail = &self.key[self.key.len().saturating_sub(8)..];
        self.run
            .file(&format!("checkpoints/{}-{tail}.safetensors", self.label))
            .ok()
    }

    /// Trains `net` on `train_split` (or continues the checkpoint a killed run left) with
    /// architectures from `sampler`, on the run's devices, and returns the trained network
    /// with its history.
    pub fn fit(
        &self,
        net: Supernet<Dispatch>,
        train_split: &Split,
        loader: &Loader,
        mut sampler: impl Sampler,
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
            None => Trainer::new(net, self.config.clone(), self.seed, &device)?,
        };
        // Several devices: every step's batch is split over them.
        let mut trainer = trainer.with_replicas(self.run.training_devices());
        let outputs = Outputs {
            checkpoint: checkpoint.clone(),
            metrics: self.run.file(&format!("metrics/{}.csv", self.label)).ok(),
            quiet: self.run.quiet(),
        };
        let data = TrainData {
            loader,
            train: train_split,
            eval: None,
        };
        let history = trainer.fit(&data, &mut sampler, &outputs)?;
        Ok((trainer.net().clone(), history))
    }
}
