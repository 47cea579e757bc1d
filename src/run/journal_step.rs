//! A run's expensive steps, journaled: a step's result is recorded under a key digested from
//! its inputs, and a rerun of the run finds it there instead of computing it again. The
//! small-data warning a training step may raise is written the same way on every replay.

use serde_json::Value;

use super::Run;
use crate::data::DataBundle;
use crate::error::Result;
use crate::train::{learning_check, EpochMetrics};

impl Run {
    /// The journal's result for `key`, or `compute`'s, recorded; computing counts as `kind`
    /// in the run's time split. A run without a directory computes and records nothing.
    pub fn remember(
        &self,
        key: &str,
        kind: &'static str,
        compute: impl FnOnce() -> Result<Value>,
    ) -> Result<Value> {
        if let Some(value) = self.recall(key) {
            return Ok(value);
        }
        let value = self.work().time(kind, compute)?;
        if self.dir().is_ok() {
            self.record(key, value.clone())?;
        }
        Ok(value)
    }

    /// The small-data guard: when the training `label` did not learn (or had too few
    /// images), says so on the terminal and in the run's warnings.csv, which the report shows
    /// first. A replay finds the same history and writes the same warning again.
    pub fn warn_if_not_learning(
        &self,
        label: &str,
        history: &[EpochMetrics],
        data: &DataBundle,
    ) -> Result<()> {
        let facts = learning_check::TrainingFacts {
            history,
            train_images: data.train.len(),
            classes: data.dataset().classes(),
        };
        let Some(found) = learning_check::check(facts) else {
            return Ok(());
        };
        let message = found.message(label);
        eprintln!("warning: {message}");
        if self.dir().is_err() {
            return Ok(());
        }
        self.log_row(
            "warnings.csv",
            &[
                ("training".into(), label.into()),
                ("warning".into(), message),
            ],
        )
    }
}
