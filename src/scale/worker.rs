//! Scoring tasks as the run would, in any process: one [`TaskScorer`] per device keeps the
//! supernets and data it has loaded; [`work`] is `glit worker`'s loop.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use burn::module::Module;
use burn::{Dispatch, DispatchDevice};

use super::board::{self, ScoreTask};
use super::heartbeat::Heartbeat;
use super::lease::Holder;
use super::net_file;
use super::run_status::{self, RunState};
use crate::data::DataBundle;
use crate::error::{Error, Result};
use crate::model::Supernet;
use crate::search::Journal;

/// Scores tasks of one run on one device.
pub struct TaskScorer {
    dir: PathBuf,
    device: DispatchDevice,
    nets: HashMap<String, Supernet<Dispatch>>,
    data: HashMap<String, Arc<DataBundle>>,
}

impl TaskScorer {
    /// A scorer for the run in `dir`, on `device`, with nothing loaded.
    pub fn new(dir: &Path, device: DispatchDevice) -> TaskScorer {
        TaskScorer {
            dir: dir.to_path_buf(),
            device,
            nets: HashMap::new(),
            data: HashMap::new(),
        }
    }

    /// Adds what the process already holds: the net stored at `net_path` and the data.
    pub fn with_loaded(
        mut self,
        net_path: &str,
        net: Supernet<Dispatch>,
        data: Arc<DataBundle>,
    ) -> Self {
        self.nets
            .insert(net_path.into(), net.to_device(&self.device));
        self.data.insert(data.id.clone(), data);
        self
    }

    /// The score of `task`: the same number the run would compute for it.
    pub fn score(&mut self, task: &ScoreTask) -> Result<f64> {
        if !self.nets.contains_key(&task.net) {
            let net = net_file::read::<Dispatch>(&self.dir.join(&task.net), &self.device)?;
            self.nets.insert(task.net.clone(), net);
        }
        if !self.data.contains_key(&task.data_id) {
            let bundle = DataBundle::open_expecting(&task.data, &task.data_id)?;
            self.data.insert(task.data_id.clone(), Arc::new(bundle));
        }
        let net = &self.nets[&task.net];
        let data = &self.data[&task.data_id];
        let arch = net.space().canonical(&task.arch)?;
        let score = crate::train::score(
            net,
            &arch,
            &data.loader,
            &data.train,
            &data.search,
            &task.config,
            &self.device,
        )?;
        crate::kill_point::reached("score");
        Ok(score)
    }
}

/// Scores `tasks[i]` with `scorers[i]`, all at once (one thread per scorer).
pub fn score_at_once(scorers: &mut [TaskScorer], tasks: &[ScoreTask]) -> Vec<Result<f64>> {
    let jobs = scorers
        .iter_mut()
        .zip(tasks)
        .map(|(scorer, task)| move || scorer.score(task));
    crate::train::at_once(jobs)
}

/// How `glit worker` runs.
pub struct WorkerOptions {
    /// The run directory it joins.
    pub dir: PathBuf,
    /// One scoring thread per device.
    pub devices: Vec<DispatchDevice>,
    /// Seconds a lease lasts (a worker on another machine that dies holds its task this long).
    pub lease_seconds: f64,
    /// Stop after this many seconds without a task to take (`None`: when the run finishes).
    pub idle_exit: Option<f64>,
    /// Stop after this many scores (`None`: no limit).
    pub max_tasks: Option<usize>,
}

/// Leases and scores the run's tasks until the run finishes (or the worker idles out).
/// Returns how many it scored.
pub fn work(options: &WorkerOptions, quiet: bool) -> Result<usize> {
    let path = options.dir.join("journal.jsonl");
    let waited = Instant::now();
    while !path.exists() {
        if options
            .idle_exit
            .is_some_and(|s| waited.elapsed().as_secs_f64() > s)
        {
            return Err(Error::InvalidValue {
                key: "RUN_DIR".into(),
                message: format!(
                    "{} has no journal: no run started there",
                    options.dir.display()
                ),
            });
        }
        std::thread::sleep(POLL);
    }
    let mut journal = Journal::join(&path)?;
    let mut scorers: Vec<TaskScorer> = options
        .devices
        .iter()
        .map(|d| TaskScorer::new(&options.dir, d.clone()))
        .collect();
    let holder = Holder::this_process();
    let mut scored = 0;
    let mut idle_since = Instant::now();
    loop {
        journal.refresh()?;
        let state = run_status::state(&journal);
        if let Some(reason) = state.stop_reason() {
            return Err(Error::InvalidValue {
                key: "RUN_DIR".into(),
                message: format!("{}: {reason}", options.dir.display()),
            });
        }
        if state == RunState::Finished || options.max_tasks.is_some_and(|m| scored >= m) {
            return Ok(scored);
        }
        let room = options
            .max_tasks
            .map_or(scorers.len(), |m| (m - scored).min(scorers.len()));
        let mut tasks = Vec::new();
        while tasks.len() < room {
            match board::claim_next(&mut journal, &holder, options.lease_seconds, |_| true)? {
                Some((task, _)) => tasks.push(task),
                None => break,
            }
        }
        if tasks.is_empty() {
            if options
                .idle_exit
                .is_some_and(|s| idle_since.elapsed().as_secs_f64() > s)
            {
                return Ok(scored);
            }
            std::thread::sleep(POLL);
            continue;
        }
        let keys = tasks.iter().map(|t| t.key.clone()).collect();
        let heartbeat = Heartbeat::start(path.clone(), holder.clone(), keys, options.lease_seconds);
        let scores = score_at_once(&mut scorers, &tasks);
        drop(heartbeat);
        for (task, score) in tasks.iter().zip(scores) {
            let score = score?;
            journal.put(&task.key, serde_json::json!(score))?;
            scored += 1;
            if !quiet {
                eprintln!("scored {} {score}", task.arch);
            }
        }
        idle_since = Instant::now();
    }
}

/// How often an idle process looks at the journal again.
pub const POLL: Duration = Duration::from_millis(50);
