//! `glit worker`, `glit ask`, `glit evaluate` and `glit tell`: processes that join a run
//! through its journal to score its candidates (see [`crate::scale`]).

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::error::{Error, Result};
use crate::scale::board::{self, ScoreTask};
use crate::scale::run_status::{self, RunState};
use crate::scale::worker::{self, TaskScorer, WorkerOptions};
use crate::scale::Holder;
use crate::search::Journal;
use crate::space::Arch;

/// What `glit worker` was given.
#[derive(Debug, clap::Args)]
pub struct WorkerArgs {
    /// The run directory to join (shared with the run, on this or another machine).
    pub run: PathBuf,
    /// Where to score: `cpu`, `cuda:N`, or several comma-separated (one candidate each).
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Seconds a lease lasts: a worker on another machine that dies holds its candidate this
    /// long (one on this machine loses it at once).
    #[arg(long, default_value_t = 600.0)]
    pub lease_timeout: f64,
    /// Stop after this many seconds with nothing to score [default: when the run finishes].
    #[arg(long)]
    pub idle_exit: Option<f64>,
    /// Stop after scoring this many candidates.
    #[arg(long)]
    pub max_tasks: Option<usize>,
    /// No line per scored candidate.
    #[arg(long)]
    pub quiet: bool,
}

/// `glit worker`: scores the run's candidates until it finishes.
pub fn worker(args: &WorkerArgs) -> Result<String> {
    positive("--lease-timeout", args.lease_timeout)?;
    let options = WorkerOptions {
        dir: args.run.clone(),
        devices: crate::devices::list(&args.device)?,
        lease_seconds: args.lease_timeout,
        idle_exit: args.idle_exit,
        max_tasks: args.max_tasks,
    };
    let scored = worker::work(&options, args.quiet)?;
    Ok(format!(
        "worker: scored {scored} candidate(s) of {}\n",
        args.run.display()
    ))
}

/// `glit ask`: leases up to `count` open candidates for an outside caller and prints them as
/// JSON: `{"tasks": [{"task", "arch", "arch_json", "lease_until"}], "finished": bool,
/// "stopped": null or why the run stopped without finishing}` (it stops waiting then).
pub fn ask(run: &Path, count: usize, lease_timeout: f64, wait: f64) -> Result<String> {
    positive("--lease-timeout", lease_timeout)?;
    let mut journal = join(run)?;
    let holder = Holder::outside_caller();
    let started = std::time::Instant::now();
    let mut tasks = Vec::new();
    loop {
        journal.refresh()?;
        while tasks.len() < count {
            match board::claim_next(&mut journal, &holder, lease_timeout, |_| true)? {
                Some(claimed) => tasks.push(claimed),
                None => break,
            }
        }
        let state = run_status::state(&journal);
        let finished = state == RunState::Finished;
        let stopped = state.stop_reason();
        if !tasks.is_empty()
            || finished
            || stopped.is_some()
            || started.elapsed().as_secs_f64() >= wait
        {
            // Each lease's end as its journal line says.
            let listed: Vec<_> = tasks
                .iter()
                .map(|(t, lease)| {
                    json!({ "task": t.key, "arch": t.arch.to_string(), "arch_json": t.arch,
                            "lease_until": lease.until })
                })
                .collect();
            let out = json!({ "tasks": listed, "finished": finished, "stopped": stopped });
            return Ok(format!("{out}\n"));
        }
        std::thread::sleep(worker::POLL);
    }
}

/// `glit evaluate`: the score of one task (by key or architecture), computed as the run
/// would; records nothing.
pub fn evaluate(run: &Path, which: &str, device: &str) -> Result<String> {
    let journal = join(run)?;
    let task = find_task(&journal, which)?;
    let device = crate::devices::named(device)?;
    let score = TaskScorer::new(run, device).score(&task)?;
    Ok(format!("{score}\n"))
}

/// `glit tell`: records `score` for the task `which` names (its key, or its architecture).
pub fn tell(run: &Path, which: &str, score: &str) -> Result<String> {
    let value: f64 = score.parse().map_err(|_| Error::InvalidValue {
        key: "SCORE".into(),
        message: format!("`{score}` is not a number"),
    })?;
    if !value.is_finite() {
        return Err(Error::InvalidValue {
            key: "SCORE".into(),
            message: format!("{value} is not a finite number"),
        });
    }
    let mut journal = join(run)?;
    let task = find_task(&journal, which)?;
    journal.put(&task.key, json!(value))?;
    let recorded = journal.get(&task.key).and_then(|v| v.as_f64());
    match recorded {
        Some(first) if first != value => Ok(format!(
            "{} was already scored {first}; that score stands\n",
            task.arch
        )),
        _ => Ok(format!("recorded {value} for {}\n", task.arch)),
    }
}

/// The run's journal, joined (never repaired: the run may be writing it).
fn join(run: &Path) -> Result<Journal> {
    let path = run.join("journal.jsonl");
    if !path.is_file() {
        return Err(Error::InvalidValue {
            key: "RUN_DIR".into(),
            message: format!(
                "{} has no journal.jsonl: no run started there",
                run.display()
            ),
        });
    }
    Journal::join(&path)
}

/// The task named by its key, or the first posted one with the architecture `which` (a
/// compact form or arch JSON), scored or not.
fn find_task(journal: &Journal, which: &str) -> Result<ScoreTask> {
    let key = format!("{}{which}", board::TASK_PREFIX);
    if let Some(value) = journal.get(&key) {
        return serde_json::from_value(value.clone())
            .map_err(|e| Error::json(format!("{} (entry {key})", journal.path().display()), &e));
    }
    let arch: Arch = if which.trim_start().starts_with('{') {
        Arch::from_json(which, "ARCH")?
    } else {
        which.parse()?
    };
    let arch = arch.canonical();
    let open = board::open_tasks(journal)?;
    open.iter()
        .find(|t| t.arch.canonical() == arch)
        .cloned()
        .ok_or_else(|| Error::InvalidValue {
            key: "ARCH".into(),
            message: format!(
                "no open task of {} is for {arch} ({} open; `glit ask` lists them)",
                journal.path().display(),
                open.len()
            ),
        })
}

fn positive(key: &str, value: f64) -> Result<()> {
    if value > 0.0 && value.is_finite() {
        Ok(())
    } else {
        Err(Error::InvalidValue {
            key: key.into(),
            message: format!("{value} is not a positive number of seconds"),
        })
    }
}
