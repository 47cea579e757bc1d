//! One row per training epoch, kept in the checkpoint and written out as a CSV file.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// What one epoch of training measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    /// Epoch number, from 1.
    pub epoch: usize,
    /// Optimiser steps taken so far in the run.
    pub step: usize,
    /// Learning rate of the epoch's last step.
    pub lr: f64,
    /// Mean training loss (label-smoothed) over the epoch.
    pub train_loss: f64,
    /// Training top-1 accuracy (0–1) over the epoch, on augmented images.
    pub train_accuracy: f64,
    /// Accuracy (0–1) on the evaluation split after the epoch, when one was given.
    pub eval_accuracy: Option<f64>,
    /// Training images per second over the epoch (evaluation excluded).
    pub images_per_second: f64,
    /// Wall-clock seconds of the epoch's training steps.
    pub seconds: f64,
}

/// Writes `rows` as a CSV file (header first), atomically.
pub fn write_csv(path: &Path, rows: &[EpochMetrics]) -> Result<()> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer.serialize(row).map_err(|e| Error::InvalidData {
            origin: path.display().to_string(),
            message: e.to_string(),
        })?;
    }
    let bytes = writer.into_inner().map_err(|e| Error::InvalidData {
        origin: path.display().to_string(),
        message: e.to_string(),
    })?;
    crate::atomic_file::write(path, &bytes)
}
