//! A trainer on disk: the checkpoint it writes after every epoch (and every
//! `checkpoint_every_steps`) holds the weights, BatchNorm statistics, optimiser moments,
//! position, stream state, recipe and history, so that [`Trainer::resume`] takes exactly the
//! steps an uninterrupted run would.

use std::path::Path;

use burn::module::{AutodiffModule, Module};
use burn::tensor::backend::AutodiffBackend;
use rand::SeedableRng;

use super::checkpoint::CheckpointFile;
use super::config::TrainConfig;
use super::optimizer::AdamW;
use super::trainer::{Position, Trainer};
use crate::error::{Error, Result};
use crate::model::{load_state, state_of, SharingPlan, Supernet};
use crate::rng::SearchRng;
use crate::space::Space;

/// The checkpoint format this version writes and reads.
pub const FORMAT: &str = "glit-checkpoint-1";

impl<B: AutodiffBackend> Trainer<B> {
    /// Writes the weights, BatchNorm statistics, optimiser moments, position, stream state,
    /// recipe and history to `path`, atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut file = CheckpointFile::default();
        for (name, tensor) in state_of::<B, _>(&self.net) {
            file.tensors.insert(format!("model.{name}"), tensor);
        }
        let (moments, steps) = self.optimizer.state();
        for (name, tensor) in moments {
            file.tensors.insert(format!("adamw.{name}"), tensor);
        }
        file.metadata.insert("format".into(), FORMAT.into());
        file.metadata
            .insert("space".into(), self.net.space().to_json());
        file.set_json("plan", self.net.plan());
        file.set_json("config", &self.config);
        file.metadata.insert("seed".into(), self.seed.to_string());
        file.set_json("position", &self.position);
        file.set_json("history", &self.history);
        file.set_json("adamw_steps", &steps);
        if let Some(fingerprint) = &self.data_fingerprint {
            file.metadata.insert("data".into(), fingerprint.clone());
        }
        file.write(path)
    }

    /// Continues the run the checkpoint at `path` recorded (or, when that file is missing or
    /// damaged, the previous checkpoint beside it), on the autodiff `device`. Returns the
    /// trainer and a warning for each damaged file passed over.
    pub fn resume(path: &Path, device: &B::Device) -> Result<(Self, Vec<String>)> {
        let (file, path, warnings) = CheckpointFile::read_latest(path)?;
        let path = path.as_path();
        let origin = path.display().to_string();
        let format = file.entry("format", path)?;
        if format != FORMAT {
            return Err(Error::InvalidData {
                origin,
                message: format!("checkpoint format `{format}`, this glit reads `{FORMAT}`"),
            });
        }
        let space: Space = metadata(&file, path, "space")?;
        let plan: SharingPlan = metadata(&file, path, "plan")?;
        let config: TrainConfig = metadata(&file, path, "config")?;
        let position: Position = metadata(&file, path, "position")?;
        let history = metadata(&file, path, "history")?;
        let steps = metadata(&file, path, "adamw_steps")?;
        let seed: u64 = file
            .entry("seed", path)?
            .parse()
            .map_err(|_| Error::InvalidData {
                origin: origin.clone(),
                message: "metadata `seed` is not a whole number".into(),
            })?;
        // The fresh weights are overwritten; any seed would do.
        let net = Supernet::new(&space, &plan, &mut SearchRng::seed_from_u64(0), device);
        let net = load_state(net, &file.with_prefix("model"), &origin)?;
        let inner: Supernet<B::InnerBackend> = net.valid();
        let inner_device = inner.devices()[0].clone();
        let optimizer = AdamW::from_state(&file.with_prefix("adamw"), &steps, &inner_device)
            .map_err(|message| Error::InvalidData {
                origin: origin.clone(),
                message,
            })?;
        let trainer = Trainer {
            net,
            optimizer,
            config,
            seed,
            position,
            history,
            data_fingerprint: file.metadata.get("data").cloned(),
            device: device.clone(),
            replicas: Vec::new(),
        };
        Ok((trainer, warnings))
    }
}

/// The checkpoint's metadata entry `key`, parsed from JSON; errors name the file and key.
fn metadata<T: serde::de::DeserializeOwned>(
    file: &CheckpointFile,
    path: &Path,
    key: &str,
) -> Result<T> {
    serde_json::from_str(file.entry(key, path)?)
        .map_err(|e| Error::json(format!("{} (metadata `{key}`)", path.display()), &e))
}
