//! Results over seeds: the rows an experiment script logs (one per search run, one per
//! rank-correlation measurement, one per main-job outcome), and the Markdown tables made from
//! them: mean ± standard deviation per method, every run, the rank correlations. Reads only
//! CSV files, so the tables can be made again from the committed files at any time.

use std::path::Path;

use serde::Deserialize;

use super::run_files::read_rows;
use crate::error::{Error, Result};

/// One search run of `compare_methods.rhai` (a row of methods.csv).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct MethodRun {
    /// `glit`, `spos`, `random`, `baseline`, `spos-global`, or `glit-conv2d` and
    /// `glit-local-attention` (GLiT's search with another local module).
    pub method: String,
    /// The seed of every random choice of the run (data split included).
    pub seed: u64,
    /// The found network's MFLOPs (official convention).
    pub mflops: f64,
    /// Its parameters.
    pub params: u64,
    /// Its test accuracy (0–1) after retraining from scratch.
    pub test_accuracy: f64,
    /// Candidates the search scored.
    pub scored: u64,
    /// Wall-clock seconds of the search and the retraining.
    pub seconds: f64,
    /// Compact form of the found architecture.
    pub arch: String,
    /// The space it was searched in: a preset with its `:kind` (`micro:conv2d`); `micro`,
    /// the experiments' space, when the file has no such column.
    #[serde(default = "experiments_preset")]
    pub preset: String,
}

/// The space of the experiments' runs.
fn experiments_preset() -> String {
    "micro".into()
}

/// One rank-correlation measurement (a row of rank_summary.csv).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct RankSummary {
    /// Seed of the supernet and of the sampled architectures.
    pub seed: u64,
    /// Which inherited-weight scores: `recalibrated` or `supernet statistics`.
    pub scores: String,
    /// Architectures compared.
    pub architectures: u64,
    /// Epochs the supernet trained.
    pub supernet_epochs: u64,
    /// Epochs each architecture was retrained from scratch.
    pub retrain_epochs: u64,
    /// Kendall's τ-b between the scores and the retrained test accuracies.
    pub kendall_tau: f64,
    /// Spearman's ρ between them.
    pub spearman_rho: f64,
}

/// One outcome of the main job (a row of main_job.csv, written by main_job.sh).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct MainJobRow {
    /// The data the job ran on.
    pub data: String,
    /// `found` or `baseline`.
    pub which: String,
    /// Compact form of the architecture.
    pub arch: String,
    /// MFLOPs (official convention).
    pub mflops: f64,
    /// Parameters.
    pub params: u64,
    /// Test accuracy (0–1).
    pub test_accuracy: f64,
    /// Test images the accuracy was measured on.
    pub test_images: u64,
    /// Wall-clock seconds of the whole job (`/usr/bin/time`).
    pub wall_seconds: f64,
}

/// Mean and sample standard deviation (n − 1; 0 for a single value).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MeanSd {
    /// The mean.
    pub mean: f64,
    /// The sample standard deviation.
    pub sd: f64,
}

impl MeanSd {
    /// Of `values`; `None` when there are none.
    pub fn of(values: &[f64]) -> Option<MeanSd> {
        let n = values.len();
        if n == 0 {
            return None;
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        let sd = if n > 1 {
            let square_sum: f64 = values.iter().map(|v| (v - mean).powi(2)).sum();
            (square_sum / (n - 1) as f64).sqrt()
        } else {
            0.0
        };
        Some(MeanSd { mean, sd })
    }

    /// `mean ± sd` with `digits` decimals, after scaling by `scale` (100 for percentages).
    pub fn show(&self, scale: f64, digits: usize) -> String {
        format!(
            "{:.*} ± {:.*}",
            digits,
            self.mean * scale,
            digits,
            self.sd * scale
        )
    }
}

/// One method over its seeds.
#[derive(Clone, Debug, PartialEq)]
pub struct MethodSummary {
    /// The method's name.
    pub method: String,
    /// Its runs' seeds, in file order.
    pub seeds: Vec<u64>,
    /// Test accuracy (0–1).
    pub accuracy: MeanSd,
    /// Per seed, accuracy minus the baseline's at the same seed, where the baseline ran.
    pub over_baseline: Option<MeanSd>,
    /// MFLOPs.
    pub mflops: MeanSd,
    /// Parameters.
    pub params: MeanSd,
    /// Candidates scored.
    pub scored: MeanSd,
    /// Wall-clock seconds.
    pub seconds: MeanSd,
}

/// The method that every other is compared with, seed by seed.
pub const BASELINE: &str = "baseline";

/// Reads methods.csv; an absent, empty or malformed file is an error naming it.
pub fn read_methods(path: &Path) -> Result<Vec<MethodRun>> {
    non_empty(path, read_rows(path)?)
}

/// Reads rank_summary.csv.
pub fn read_rank(path: &Path) -> Result<Vec<RankSummary>> {
    non_empty(path, read_rows(path)?)
}

/// Reads main_job.csv.
pub fn read_main_job(path: &Path) -> Result<Vec<MainJobRow>> {
    non_empty(path, read_rows(path)?)
}

fn non_empty<T>(path: &Path, rows: Vec<T>) -> Result<Vec<T>> {
    if !path.is_file() {
        return Err(Error::InvalidValue {
            key: "results".into(),
            message: format!("{} does not exist", path.display()),
        });
    }
    if rows.is_empty() {
        return Err(Error::InvalidData {
            origin: path.display().to_string(),
            message: "no rows".into(),
        });
    }
    Ok(rows)
}

/// Each method's runs summarised, methods in the order they first appear.
pub fn summarise(runs: &[MethodRun]) -> Vec<MethodSummary> {
    let mut methods: Vec<&str> = Vec::new();
    for run in runs {
        if !methods.contains(&run.method.as_str()) {
            methods.push(&run.method);
        }
    }
    let baseline_at = |seed: u64| {
        runs.iter()
            .find(|r| r.method == BASELINE && r.seed == seed)
            .map(|r| r.test_accuracy)
    };
    methods
        .into_iter()
        .map(|method| {
            let mine: Vec<&MethodRun> = runs.iter().filter(|r| r.method == method).collect();
            let of = |pick: fn(&MethodRun) -> f64| {
                let values: Vec<f64> = mine.iter().map(|r| pick(r)).collect();
                MeanSd::of(&values).expect("every listed method has a run")
            };
            let differences: Vec<f64> = mine
                .iter()
                .filter_map(|r| Some(r.test_accuracy - baseline_at(r.seed)?))
                .collect();
            MethodSummary {
                method: method.to_string(),
                seeds: mine.iter().map(|r| r.seed).collect(),
                accuracy: of(|r| r.test_accuracy),
                over_baseline: (method != BASELINE)
                    .then(|| MeanSd::of(&differences))
                    .flatten(),
                mflops: of(|r| r.mflops),
                params: of(|r| r.params as f64),
                scored: of(|r| r.scored as f64),
                seconds: of(|r| r.seconds),
            }
        })
        .collect()
}

/// What each method name stands for in the tables.
pub fn method_title(method: &str) -> String {
    match method {
        "glit" => "GLiT hierarchical search".into(),
        "spos" => "flat SPOS (evolution, joint space)".into(),
        "random" => "random search (joint space)".into(),
        "spos-global" => "flat SPOS, global-only space (DeiT's blocks)".into(),
        "glit-conv2d" => "GLiT search, Conv2d local heads".into(),
        "glit-local-attention" => "GLiT search, local-attention heads".into(),
        BASELINE => "all-global baseline (no search)".into(),
        other => other.into(),
    }
}

/// The per-method table: mean ± sd over seeds.
pub fn methods_table(summaries: &[MethodSummary]) -> String {
    let headers = [
        "method",
        "seeds",
        "test accuracy (%)",
        "over the baseline (points)",
        "MFLOPs",
        "params",
        "scored",
        "minutes",
    ];
    let rows: Vec<Vec<String>> = summaries
        .iter()
        .map(|s| {
            vec![
                method_title(&s.method),
                s.seeds.len().to_string(),
                s.accuracy.show(100.0, 2),
                s.over_baseline
                    .map_or_else(|| "—".into(), |d| signed(d, 100.0, 2)),
                s.mflops.show(1.0, 2),
                format!("{:.0}", s.params.mean),
                format!("{:.0}", s.scored.mean),
                s.seconds.show(1.0 / 60.0, 1),
            ]
        })
        .collect();
    markdown_table(&headers, &rows)
}

/// Every run, seed by seed.
pub fn runs_table(runs: &[MethodRun]) -> String {
    let headers = [
        "seed",
        "method",
        "test accuracy (%)",
        "MFLOPs",
        "params",
        "minutes",
        "architecture",
    ];
    let mut sorted: Vec<&MethodRun> = runs.iter().collect();
    sorted.sort_by_key(|r| r.seed);
    let rows: Vec<Vec<String>> = sorted
        .iter()
        .map(|r| {
            vec![
                r.seed.to_string(),
                r.method.clone(),
                format!("{:.2}", r.test_accuracy * 100.0),
                format!("{:.2}", r.mflops),
                r.params.to_string(),
                format!("{:.1}", r.seconds / 60.0),
                format!("`{}`", r.arch),
            ]
        })
        .collect();
    markdown_table(&headers, &rows)
}

/// The rank correlations, one row per measurement.
pub fn rank_table(rows: &[RankSummary]) -> String {
    let headers = [
        "seed",
        "inherited-weight scores",
        "architectures",
        "supernet epochs",
        "retraining epochs",
        "Kendall τ",
        "Spearman ρ",
    ];
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.seed.to_string(),
                r.scores.clone(),
                r.architectures.to_string(),
                r.supernet_epochs.to_string(),
                r.retrain_epochs.to_string(),
                format!("{:.3}", r.kendall_tau),
                format!("{:.3}", r.spearman_rho),
            ]
        })
        .collect();
    markdown_table(&headers, &rows)
}

/// The main job's outcomes, one row per data set and network.
pub fn main_job_table(rows: &[MainJobRow]) -> String {
    let headers = [
        "data",
        "network",
        "test accuracy (%)",
        "test images",
        "MFLOPs",
        "params",
        "job wall time (min)",
        "architecture",
    ];
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.data.clone(),
                r.which.clone(),
                format!("{:.2}", r.test_accuracy * 100.0),
                r.test_images.to_string(),
                format!("{:.2}", r.mflops),
                r.params.to_string(),
                format!("{:.1}", r.wall_seconds / 60.0),
                format!("`{}`", r.arch),
            ]
        })
        .collect();
    markdown_table(&headers, &rows)
}

/// `+x.xx ± y.yy` of a difference.
fn signed(d: MeanSd, scale: f64, digits: usize) -> String {
    format!(
        "{:+.*} ± {:.*}",
        digits,
        d.mean * scale,
        digits,
        d.sd * scale
    )
}

fn markdown_table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    super::summary::markdown_table(&headers, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(method: &str, seed: u64, accuracy: f64) -> MethodRun {
        MethodRun {
            method: method.into(),
            seed,
            mflops: 9.0,
            params: 1000,
            test_accuracy: accuracy,
            scored: 10,
            seconds: 60.0,
            arch: "G3(qk16,f4)".into(),
            preset: "micro".into(),
        }
    }

    #[test]
    fn mean_and_sample_standard_deviation() {
        let m = MeanSd::of(&[0.80, 0.84, 0.88]).unwrap();
        assert!((m.mean - 0.84).abs() < 1e-12);
        assert!((m.sd - 0.04).abs() < 1e-12);
        assert_eq!(m.show(100.0, 2), "84.00 ± 4.00");
        assert_eq!(MeanSd::of(&[0.5]).unwrap().sd, 0.0);
        assert_eq!(MeanSd::of(&[]), None);
    }

    #[test]
    fn differences_to_the_baseline_are_paired_by_seed() {
        let runs = [
            run("glit", 0, 0.86),
            run("baseline", 0, 0.84),
            run("glit", 1, 0.85),
            run("baseline", 1, 0.80),
        ];
        let summaries = summarise(&runs);
        assert_eq!(summaries.len(), 2);
        assert_eq!(summaries[0].method, "glit");
        let over = summaries[0].over_baseline.unwrap();
        assert!((over.mean - 0.035).abs() < 1e-12, "{over:?}");
        assert_eq!(summaries[1].over_baseline, None);
        let table = methods_table(&summaries);
        assert!(table.contains("| GLiT hierarchical search | 2 | 85.50 ± 0.71 | +3.50 ± 2.12 |"));
        assert!(table.contains("| all-global baseline (no search) | 2 | 82.00 ± 2.83 | — |"));
    }
}
