//! Scoring candidates with a supernet's inherited weights, as a run does it: every
//! unscored candidate is posted as a task in the journal, the run and any `glit worker`
//! sharing its directory score them (`scale::schedule`), and the scores are filed in
//! candidates.csv in the order asked, so the run's files do not depend on who scored what.

use std::path::Path;
use std::sync::Arc;

use burn::module::AutodiffModule;
use burn::Dispatch;

use super::Run;
use crate::data::DataBundle;
use crate::error::{Error, Result};
use crate::hashes::digest;
use crate::model::Supernet;
use crate::scale::board::{self, ScoreTask};
use crate::scale::net_file;
use crate::scale::schedule::{score_posted, ScoringRun};
use crate::scale::worker::TaskScorer;
use crate::search::Journal;
use crate::space::cost::Convention;
use crate::space::{Arch, Space};
use crate::train::{self, ScoreConfig};

/// Candidates to score with one supernet on one data set.
pub struct ScoreRequest<'a> {
    /// The supernet (with autodiff, as scripts hold it).
    pub net: &'a Supernet<Dispatch>,
    /// Names its weights in journal keys and in the shared weights file.
    pub lineage: &'a str,
    /// The data: training batches recalibrate, the search split measures.
    pub data: &'a Arc<DataBundle>,
    /// Recalibration and batch sizes.
    pub config: &'a ScoreConfig,
    /// The candidates.
    pub archs: &'a [Arch],
}

impl Run {
    /// The scores of `request.archs`, in order; each is also a row of candidates.csv.
    pub fn score_candidates(&self, request: &ScoreRequest) -> Result<Vec<f64>> {
        // Scoring needs no gradients: the network without autodiff.
        let inference = request.net.valid();
        let space = inference.space().clone();
        let data = request.data;
        let archs = request
            .archs
            .iter()
            .map(|a| space.canonical(a))
            .collect::<Result<Vec<_>>>()?;
        if self.dir().is_err() {
            // `glit check` and friends: nothing to share, nothing to record.
            return archs
                .iter()
                .map(|arch| {
                    train::score(
                        &inference,
                        arch,
                        &data.loader,
                        &data.train,
                        &data.search,
                        request.config,
                        self.device(),
                    )
                })
                .collect();
        }
        let tasks: Vec<ScoreTask> = archs
            .iter()
            .map(|arch| ScoreTask {
                key: format!(
                    "score-{}",
                    digest(&(request.lineage, arch, &data.id, request.config))
                ),
                net: net_file::relative_path(request.lineage)
                    .display()
                    .to_string(),
                data: data.request.clone(),
                data_id: data.id.clone(),
                config: request.config.clone(),
                arch: arch.clone(),
            })
            .collect();
        let open: Vec<&ScoreTask> = tasks
            .iter()
            .filter(|t| self.recall(&t.key).is_none())
            .collect();
        if !open.is_empty() {
            let dir = self.dir()?;
            let net_path = self.file(&open[0].net)?;
            self.work().time("sharing weights", || {
                net_file::ensure(&inference, &net_path)
            })?;
            self.with_journal(|j| open.iter().try_for_each(|t| board::post(j, t)))?;
            let scorers = || {
                self.devices()
                    .iter()
                    .map(|d| {
                        TaskScorer::new(dir, d.clone()).with_loaded(
                            &open[0].net,
                            inference.clone(),
                            Arc::clone(data),
                        )
                    })
                    .collect::<Vec<_>>()
            };
            score_posted(self, &tasks, scorers)?;
        }
        let mut scores = Vec::with_capacity(tasks.len());
        for task in &tasks {
            let score = self
                .recall(&task.key)
                .and_then(|v| v.as_f64())
                .ok_or_else(|| {
                    Error::invalid_data("journal", format!("entry {} is not a number", task.key))
                })?;
            self.record_candidate(&space, &task.arch, score)?;
            scores.push(score);
        }
        Ok(scores)
    }

    /// A row of candidates.csv: stage, generation, arch, MFLOPs, params, score.
    fn record_candidate(&self, space: &Space, arch: &Arch, score: f64) -> Result<()> {
        let cost = space.cost(arch, Convention::Official)?;
        let labels = self.labels();
        let row = [
            ("stage", labels.stage),
            ("generation", labels.generation.to_string()),
            ("arch", arch.to_string()),
            ("mflops", format!("{:.3}", cost.mflops())),
            ("params", cost.params().to_string()),
            ("score", format!("{score}")),
        ]
        .map(|(k, v)| (k.to_string(), v));
        self.log_row("candidates.csv", &row)
    }
}

impl ScoringRun for Run {
    fn with_journal<T>(&self, f: impl FnOnce(&mut Journal) -> Result<T>) -> Result<T> {
        Run::with_journal(self, f)
    }

    fn dir(&self) -> Result<&Path> {
        Run::dir(self)
    }

    fn slots(&self) -> usize {
        if self.delegates() {
            0
        } else {
            self.devices().len()
        }
    }

    fn quiet(&self) -> bool {
        Run::quiet(self)
    }

    fn book(&self, kind: &'static str, seconds: f64) {
        self.work().add(kind, seconds);
    }
}
