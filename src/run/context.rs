//! What a scripted run shares with every binding: its run directory, journal, CSV logs, the
//! `--set` overrides, the stage and generation labels of scored candidates, and the device.
//!
//! A context without a directory serves `glit check`, `glit api` and the docs generator:
//! everything that would write fails with an error saying so.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use burn::DispatchDevice;

use super::clock::WorkClock;
use super::lock::lock;
use crate::error::{Error, Result};
use crate::search::Journal;

/// The run a script executes in.
pub struct Run {
    dir: Option<PathBuf>,
    journal: Option<Mutex<Journal>>,
    overrides: Vec<(String, String)>,
    labels: Mutex<Labels>,
    logs: Mutex<HashMap<String, CsvLog>>,
    counters: Mutex<HashMap<String, usize>>,
    params_taken: Mutex<bool>,
    devices: Vec<DispatchDevice>,
    delegate: bool,
    quiet: bool,
    started: std::time::Instant,
    work: WorkClock,
    /// Lines the journal dropped as damaged when the run was opened.
    pub journal_warnings: Vec<String>,
}

/// Where scored candidates are filed: the stage and generation a recipe says it is in.
#[derive(Clone, Debug, Default)]
pub struct Labels {
    /// Stage name (`""` outside any stage).
    pub stage: String,
    /// Generation of the search loop (-1 outside one).
    pub generation: i64,
}

/// One CSV file a run writes: the header comes from the first row, later rows must fit it.
struct CsvLog {
    path: PathBuf,
    columns: Vec<String>,
}

impl Run {
    /// A run writing into `dir` (created if needed), with `--set` overrides (`key=value`)
    /// for `params`, on `devices` (the first one, or all of them where work divides: data-
    /// parallel training, scoring). Opens the journal there, so a rerun replays finished
    /// steps. With `delegate`, the run scores no candidate itself and waits for workers.
    pub fn open(
        dir: &Path,
        overrides: Vec<(String, String)>,
        devices: Vec<DispatchDevice>,
        delegate: bool,
        quiet: bool,
    ) -> Result<Run> {
        if devices.is_empty() {
            return Err(Error::InvalidValue {
                key: "--device".into(),
                message: "name at least one device".into(),
            });
        }
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let (journal, warnings) = Journal::open(&dir.join("journal.jsonl"))?;
        Ok(Run {
            dir: Some(dir.to_path_buf()),
            journal: Some(Mutex::new(journal)),
            overrides,
            labels: Mutex::new(Labels {
                stage: String::new(),
                generation: -1,
            }),
            logs: Mutex::default(),
            counters: Mutex::default(),
            params_taken: Mutex::new(false),
            devices,
            delegate,
            quiet,
            started: std::time::Instant::now(),
            work: WorkClock::default(),
            journal_warnings: warnings,
        })
    }

    /// A context that runs nothing and writes nothing (checking, listing the API).
    pub fn detached() -> Run {
        Run {
            dir: None,
            journal: None,
            overrides: Vec::new(),
            labels: Mutex::default(),
            logs: Mutex::default(),
            counters: Mutex::default(),
            params_taken: Mutex::new(false),
            devices: vec![DispatchDevice::Flex(Default::default())],
            delegate: false,
            quiet: true,
            started: std::time::Instant::now(),
            work: WorkClock::default(),
            journal_warnings: Vec::new(),
        }
    }

    /// The run directory.
    pub fn dir(&self) -> Result<&Path> {
        self.dir.as_deref().ok_or_else(|| Error::InvalidValue {
            key: "run directory".into(),
            message: "this script is not running in a run directory (`glit run` gives it one)"
                .into(),
        })
    }

    /// `name` inside the run directory, refusing absolute paths and `..`: scripts write only
    /// there.
    pub fn file(&self, name: &str) -> Result<PathBuf> {
        let relative = Path::new(name);
        let inside = !name.is_empty()
            && relative
                .components()
                .all(|c| matches!(c, Component::Normal(_)));
        if !inside {
            return Err(Error::InvalidValue {
                key: "name".into(),
                message: format!(
                    "`{name}` is not a file name inside the run directory (no absolute paths, no `..`)"
                ),
            });
        }
        let path = self.dir()?.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        Ok(path)
    }

    /// The device (without autodiff) networks run on: the first one named.
    pub fn device(&self) -> &DispatchDevice {
        &self.devices[0]
    }

    /// Every device named, without autodiff.
    pub fn devices(&self) -> &[DispatchDevice] {
        &self.devices
    }

    /// The first device with autodiff, for training.
    pub fn training_device(&self) -> DispatchDevice {
        DispatchDevice::autodiff(self.devices[0].clone())
    }

    /// Every device with autodiff: the replicas of a data-parallel training.
    pub fn training_devices(&self) -> Vec<DispatchDevice> {
        self.devices
            .iter()
            .cloned()
            .map(DispatchDevice::autodiff)
            .collect()
    }

    /// Whether the run leaves every score to workers.
    pub fn delegates(&self) -> bool {
        self.delegate
    }

    /// Runs `f` on the journal (an error in a run without a directory).
    pub fn with_journal<T>(&self, f: impl FnOnce(&mut Journal) -> Result<T>) -> Result<T> {
        match &self.journal {
            Some(journal) => f(&mut lock(journal)),
            None => Err(self
                .dir()
                .expect_err("only detached contexts lack a journal")),
        }
    }

    /// Seconds since the run (this process) started.
    pub fn elapsed(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// The seconds spent in heavy primitives, for the run's time split.
    pub fn work(&self) -> &WorkClock {
        &self.work
    }

    /// Whether progress output is off.
    pub fn quiet(&self) -> bool {
        self.quiet
    }

    /// The `--set` overrides; marks them taken, so a second `params` call is an error.
    pub fn take_overrides(&self) -> Result<&[(String, String)]> {
        let mut taken = lock(&self.params_taken);
        if *taken {
            return Err(Error::InvalidValue {
                key: "params".into(),
                message: "`params` may be called once per run".into(),
            });
        }
        *taken = true;
        Ok(&self.overrides)
    }

    /// Whether `params` consumed the overrides (a run given `--set` without calling `params`
    /// would silently ignore them).
    pub fn overrides_taken(&self) -> bool {
        *lock(&self.params_taken)
    }

    /// The overrides, as given.
    pub fn overrides(&self) -> &[(String, String)] {
        &self.overrides
    }

    /// The current labels of scored candidates.
    pub fn labels(&self) -> Labels {
        lock(&self.labels).clone()
    }

    /// Sets the stage label (and leaves any generation).
    pub fn set_stage(&self, stage: &str) {
        let mut labels = lock(&self.labels);
        labels.stage = stage.into();
        labels.generation = -1;
    }

    /// Sets the generation label.
    pub fn set_generation(&self, generation: i64) {
        crate::kill_point::reached("generation");
        lock(&self.labels).generation = generation;
    }

    /// The next number of a kind of step (`spos`: 1, 2, ...), for steps whose inputs cannot
    /// all be digested (a sampler closure): a replay makes the same calls in the same order.
    pub fn next_ordinal(&self, kind: &str) -> usize {
        let mut counters = lock(&self.counters);
        let n = counters.entry(kind.into()).or_insert(0);
        *n += 1;
        *n
    }

    /// The journal's result for `key`, if the step finished in an earlier (or this) run.
    pub fn recall(&self, key: &str) -> Option<serde_json::Value> {
        let journal = lock(self.journal.as_ref()?);
        journal.get(key).cloned()
    }

    /// Records a finished step's result.
    pub fn record(&self, key: &str, value: serde_json::Value) -> Result<()> {
        match &self.journal {
            Some(journal) => lock(journal).put(key, value),
            None => self.dir().map(|_| ()),
        }
    }

    /// Appends `row` (column, value) to the CSV file `name` in the run directory. The first
    /// row of a run creates the file (so a replay rewrites it whole) and fixes the columns.
    pub fn log_row(&self, name: &str, row: &[(String, String)]) -> Result<()> {
        let mut logs = lock(&self.logs);
        if !logs.contains_key(name) {
            let path = self.file(name)?;
            let columns: Vec<String> = row.iter().map(|(c, _)| c.clone()).collect();
            write_csv_line(&path, &columns, false)?;
            logs.insert(name.into(), CsvLog { path, columns });
        }
        let log = &logs[name];
        let columns: Vec<&str> = row.iter().map(|(c, _)| c.as_str()).collect();
        if columns != log.columns.iter().map(String::as_str).collect::<Vec<_>>() {
            return Err(Error::InvalidValue {
                key: name.into(),
                message: format!(
                    "a row with columns [{}] does not fit the file's columns [{}]",
                    columns.join(", "),
                    log.columns.join(", ")
                ),
            });
        }
        let values: Vec<String> = row.iter().map(|(_, v)| v.clone()).collect();
        write_csv_line(&log.path, &values, true)
    }
}

/// Writes one CSV record to `path`, appending or starting the file.
fn write_csv_line(path: &Path, fields: &[String], append: bool) -> Result<()> {
    use std::io::Write;
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(fields)
        .map_err(|e| Error::io(path, std::io::Error::other(e)))?;
    let bytes = writer
        .into_inner()
        .map_err(|e| Error::io(path, std::io::Error::other(e.to_string())))?;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(append)
        .truncate(!append)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    file.write_all(&bytes).map_err(|e| Error::io(path, e))
}

/// The context as bindings hold it.
pub type Shared = Arc<Run>;
