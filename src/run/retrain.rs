//! Retraining one architecture as a standalone network (from scratch, or fine-tuning a
//! network file) and measuring it: a journaled step of a run.

use std::path::{Path, PathBuf};

use burn::module::AutodiffModule;
use burn::Dispatch;
use serde_json::json;

use super::training::{TrainingFiles, TrainingRun};
use super::Run;
use crate::data::{DataBundle, Input, Split};
use crate::error::{Error, Result};
use crate::hashes::{content_digest, digest};
use crate::model::Supernet;
use crate::rng;
use crate::space::cost::Convention;
use crate::space::{Arch, Space};
use crate::train::{self, EpochMetrics, Fixed, NetworkFile, TrainConfig};

/// What to retrain, and how.
pub struct RetrainRequest<'a> {
    /// The space `arch` belongs to.
    pub space: &'a Space,
    /// The architecture.
    pub arch: &'a Arch,
    /// The data: its training split trains, `split` measures.
    pub data: &'a DataBundle,
    /// The recipe.
    pub config: TrainConfig,
    /// Seed of the weights, the data order and the augmentation.
    pub seed: u64,
    /// The split measured after training: `test` or `search`.
    pub split: String,
    /// The name of its files and messages (`retrain-…` from the key when empty).
    pub name: String,
    /// A network file of `arch` to fine-tune instead of fresh weights.
    pub from: Option<PathBuf>,
    /// A file in the run directory to write the trained network to.
    pub save: Option<String>,
}

/// A retrained architecture.
#[derive(Clone, Debug)]
pub struct Retrained {
    /// The architecture, canonical.
    pub arch: Arch,
    /// Top-1 accuracy (0–1) on the measured split.
    pub accuracy: f64,
    /// MFLOPs, official convention.
    pub mflops: f64,
    /// Parameters.
    pub params: u64,
    /// One row per epoch.
    pub history: Vec<EpochMetrics>,
    /// Seconds of training.
    pub seconds: f64,
    /// The saved network file, when the request asked for one.
    pub network: Option<PathBuf>,
}

impl Run {
    /// Trains `request.arch` standalone and measures it; a rerun of the run finds the
    /// result in the journal. The key digests the space, architecture, data, recipe, seed and
    /// split, plus the start file's contents and the saved file's name when given (so runs
    /// without them keep the keys they always had).
    pub fn retrain(&self, request: &RetrainRequest) -> Result<Retrained> {
        let data = request.data;
        let measured = measured_split(data, &request.split)?;
        let space = request.space;
        let arch = space.canonical(request.arch)?;
        let mut inputs = digest(&(
            space.only(&arch)?.to_json(),
            &arch,
            &data.id,
            &request.config,
            request.seed,
            &request.split,
        ));
        if let Some(file) = &request.from {
            let bytes = std::fs::read(file).map_err(|e| Error::io(file, e))?;
            inputs = digest(&(inputs, content_digest(&bytes)));
        }
        // Adding `save` later trains again rather than finding an entry without the file.
        if let Some(name) = &request.save {
            inputs = digest(&(inputs, "save", name));
        }
        let saved = request.save.as_deref().map(|n| self.file(n)).transpose()?;
        let key = format!("retrain-{inputs}");
        let label = match request.name.as_str() {
            "" => format!("retrain-{}", &inputs[..8]),
            name => name.to_string(),
        };
        let value = self.remember(&key, "retraining", || {
            let initial = || {
                let device = self.training_device();
                match &request.from {
                    None => {
                        Supernet::standalone(space, &arch, &mut rng::seeded(request.seed), &device)
                    }
                    Some(file) => NetworkFile::read(file, &device)?.starting_point(
                        Some(&arch),
                        data.dataset(),
                        file,
                    ),
                }
            };
            let training = TrainingRun {
                run: self,
                key: &key,
                label: &label,
                config: request.config.clone(),
                seed: request.seed,
                files: TrainingFiles::Named,
                eval: None,
            };
            let (trained, history) =
                training.fit(initial, &data.train, &data.loader, &mut Fixed(arch.clone()))?;
            let inference = trained.valid();
            let accuracy = train::accuracy(
                &inference,
                &arch,
                &data.loader,
                measured,
                128,
                self.device(),
            )?;
            if let Some(path) = &saved {
                save_network(inference, &arch, data, &label, path)?;
            }
            let seconds: f64 = history.iter().map(|m| m.seconds).sum();
            Ok(json!({ "accuracy": accuracy, "history": history, "seconds": seconds }))
        })?;
        let history: Vec<EpochMetrics> = serde_json::from_value(value["history"].clone())
            .map_err(|e| Error::json(format!("journal entry {key}"), &e))?;
        self.warn_if_not_learning(&label, &history, data)?;
        let number = |field: &str| {
            value[field].as_f64().ok_or_else(|| {
                Error::invalid_data("journal", format!("entry {key} has no number `{field}`"))
            })
        };
        let cost = space.cost(&arch, Convention::Official)?;
        Ok(Retrained {
            accuracy: number("accuracy")?,
            seconds: number("seconds")?,
            mflops: cost.mflops(),
            params: cost.params(),
            history,
            network: saved,
            arch,
        })
    }
}

/// The split of `data` a retraining is measured on.
fn measured_split<'d>(data: &'d DataBundle, split: &str) -> Result<&'d Split> {
    match split {
        "test" => Ok(&data.test),
        "search" => Ok(&data.search),
        other => Err(Error::InvalidValue {
            key: "split".into(),
            message: format!("`{other}` is not \"test\" or \"search\""),
        }),
    }
}

/// Writes the trained `net` as a network file with `data`'s picture preparation and names.
fn save_network(
    net: Supernet<Dispatch>,
    arch: &Arch,
    data: &DataBundle,
    label: &str,
    path: &Path,
) -> Result<()> {
    NetworkFile {
        net,
        arch: arch.clone(),
        input: Input::of_loader(&data.loader, data.dataset()),
        classes: data.dataset().class_names.clone(),
        source: format!("train::retrain `{label}` on {}", data.dataset().name),
    }
    .write(path)
}
