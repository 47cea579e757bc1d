//! Reading what a run directory holds: per-epoch metrics, scored candidates, chosen and final
//! architectures, timing. Files a run has not written yet are simply absent; a file that is
//! there but malformed is an error naming the file and line.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

/// One training's per-epoch rows (`metrics/<name>.csv`).
#[derive(Clone, Debug)]
pub struct Training {
    /// The file's stem (`stage1-supernet`, `final`, ...).
    pub name: String,
    /// Its rows in file order.
    pub epochs: Vec<Epoch>,
}

/// One epoch of a training.
#[derive(Clone, Debug, Deserialize)]
pub struct Epoch {
    /// Epoch number (1-based).
    pub epoch: f64,
    /// Mean training loss over the epoch.
    pub train_loss: f64,
    /// Training accuracy (0–1).
    pub train_accuracy: f64,
    /// Accuracy on the evaluation split, when the training measured one.
    pub eval_accuracy: Option<f64>,
    /// Throughput.
    pub images_per_second: f64,
}

/// One scored candidate (`candidates.csv`).
#[derive(Clone, Debug, Deserialize)]
pub struct Candidate {
    /// The stage label (`""` when the script set none).
    pub stage: String,
    /// The generation label.
    pub generation: i64,
    /// Compact form of the architecture.
    pub arch: String,
    /// Its MFLOPs.
    pub mflops: f64,
    /// Its parameters.
    pub params: u64,
    /// Its score (accuracy with inherited weights).
    pub score: f64,
}

/// An architecture a recipe chose in a stage (`chosen.csv`).
#[derive(Clone, Debug, Deserialize)]
pub struct Chosen {
    /// The stage it was chosen in.
    pub stage: String,
    /// Compact form.
    pub arch: String,
}

/// A CSV as written by a script's `log`: headers and rows of text.
#[derive(Clone, Debug, Default)]
pub struct Table {
    /// Column names.
    pub headers: Vec<String>,
    /// Rows, each as long as `headers`.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// The value of `column` in `row`, if the table has that column.
    pub fn get<'a>(&'a self, row: &'a [String], column: &str) -> Option<&'a str> {
        let index = self.headers.iter().position(|h| h == column)?;
        row.get(index).map(String::as_str)
    }
}

/// Everything the report draws from, read from one run directory.
#[derive(Clone, Debug, Default)]
pub struct RunRecord {
    /// The run directory.
    pub dir: PathBuf,
    /// The script that ran (from run.json).
    pub script: Option<String>,
    /// The resolved parameters (params.json), as `key = value` lines in key order.
    pub params: Vec<(String, String)>,
    /// Every training's metrics, by file name.
    pub trainings: Vec<Training>,
    /// Every scored candidate, in scoring order.
    pub candidates: Vec<Candidate>,
    /// Architectures chosen per stage.
    pub chosen: Vec<Chosen>,
    /// results.csv as logged by the script.
    pub results: Table,
    /// timing.csv: phase and seconds since the start.
    pub timing: Vec<(String, f64)>,
    /// warnings.csv: the trainings the small-data guard flagged, and why.
    pub warnings: Table,
}

impl RunRecord {
    /// Reads the run directory `dir`. It must exist and hold a run (run.json or a
    /// candidates.csv or metrics); missing files leave their part empty.
    pub fn read(dir: &Path) -> Result<RunRecord> {
        if !dir.is_dir() {
            return Err(Error::InvalidValue {
                key: "RUN_DIR".into(),
                message: format!("{} is not a directory", dir.display()),
            });
        }
        let mut record = RunRecord {
            dir: dir.to_path_buf(),
            ..RunRecord::default()
        };
        if let Some(run) = read_json(&dir.join("run.json"))? {
            record.script = run["script"].as_str().map(String::from);
        }
        if let Some(serde_json::Value::Object(params)) = read_json(&dir.join("params.json"))? {
            record.params = params
                .iter()
                .map(|(k, v)| (k.clone(), v.to_string()))
                .collect();
        }
        record.trainings = read_trainings(&dir.join("metrics"))?;
        record.candidates = read_rows(&dir.join("candidates.csv"))?;
        record.chosen = read_rows(&dir.join("chosen.csv"))?;
        record.results = read_table(&dir.join("results.csv"))?;
        record.warnings = read_table(&dir.join("warnings.csv"))?;
        let timing = read_table(&dir.join("timing.csv"))?;
        record.timing = timing
            .rows
            .iter()
            .filter_map(|row| {
                let seconds = timing.get(row, "seconds")?.parse().ok()?;
                Some((timing.get(row, "phase")?.to_string(), seconds))
            })
            .collect();
        let empty =
            record.script.is_none() && record.trainings.is_empty() && record.candidates.is_empty();
        if empty {
            return Err(Error::InvalidValue {
                key: "RUN_DIR".into(),
                message: format!(
                    "{} holds no run (no run.json, metrics/ or candidates.csv)",
                    dir.display()
                ),
            });
        }
        Ok(record)
    }

    /// The stage labels of the scored candidates, in first-seen order.
    pub fn stages(&self) -> Vec<String> {
        let mut stages: Vec<String> = Vec::new();
        for c in &self.candidates {
            if !stages.contains(&c.stage) {
                stages.push(c.stage.clone());
            }
        }
        stages
    }

    /// The candidates of `stage`.
    pub fn stage(&self, stage: &str) -> Vec<&Candidate> {
        self.candidates
            .iter()
            .filter(|c| c.stage == stage)
            .collect()
    }
}

fn read_json(path: &Path) -> Result<Option<serde_json::Value>> {
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| Error::json(path.display().to_string(), &e))
}

fn read_trainings(dir: &Path) -> Result<Vec<Training>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            Ok(Training {
                name: path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                epochs: read_rows(&path)?,
            })
        })
        .collect()
}

/// Rows of a CSV with a header, as `T`; an absent file is no rows.
pub(super) fn read_rows<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Vec<T>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let mut reader = csv::Reader::from_path(path).map_err(|e| csv_error(path, &e))?;
    reader
        .deserialize()
        .map(|row| row.map_err(|e| csv_error(path, &e)))
        .collect()
}

/// A CSV as text; an absent file is an empty table.
fn read_table(path: &Path) -> Result<Table> {
    if !path.exists() {
        return Ok(Table::default());
    }
    let mut reader = csv::Reader::from_path(path).map_err(|e| csv_error(path, &e))?;
    let headers = reader
        .headers()
        .map_err(|e| csv_error(path, &e))?
        .iter()
        .map(String::from)
        .collect();
    let rows = reader
        .records()
        .map(|r| {
            r.map(|r| r.iter().map(String::from).collect())
                .map_err(|e| csv_error(path, &e))
        })
        .collect::<Result<_>>()?;
    Ok(Table { headers, rows })
}

fn csv_error(path: &Path, error: &csv::Error) -> Error {
    let line = error
        .position()
        .map(|p| format!(":{}", p.line()))
        .unwrap_or_default();
    Error::InvalidData {
        origin: format!("{}{line}", path.display()),
        message: error.to_string(),
    }
}
