//! Whether a run is still going, as the processes sharing its journal see it: each start of
//! the run (first or resumed) records `run-attempt-N` with the process that runs it; a script
//! that stops with an error records `run-failed-N` with the error; a finished run records
//! `run-finished`. Workers and `glit ask` stop when the latest attempt failed, or when its
//! process is gone from this machine without a word (killed), instead of waiting forever.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::board::FINISHED_KEY;
use super::lease::Holder;
use crate::error::Result;
use crate::search::Journal;

/// One start of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    /// The process running the script.
    pub holder: Holder,
    /// When it started (seconds since the Unix epoch).
    pub started: f64,
}

/// A run as its journal shows it.
#[derive(Clone, Debug, PartialEq)]
pub enum RunState {
    /// Started and not known to have stopped (or not started yet).
    Running,
    /// The script finished.
    Finished,
    /// The latest attempt stopped with this error.
    Failed(String),
    /// The latest attempt's process, on this machine, ended without recording either.
    Gone(Holder),
}

fn attempt_key(n: usize) -> String {
    format!("run-attempt-{n}")
}

fn failed_key(n: usize) -> String {
    format!("run-failed-{n}")
}

/// The number of the latest attempt recorded (0: none).
fn latest(journal: &Journal) -> usize {
    journal.last_numbered(attempt_key)
}

/// Records a new attempt by this process and returns its number (appends are whole lines,
/// so the first line of a number wins should two processes start the run at once).
pub fn begin_attempt(journal: &mut Journal) -> Result<usize> {
    journal.refresh()?;
    let n = latest(journal) + 1;
    let attempt = Attempt {
        holder: Holder::this_process(),
        started: super::lease::now(),
    };
    journal.put(
        &attempt_key(n),
        serde_json::to_value(attempt).expect("attempts serialise"),
    )?;
    Ok(n)
}

/// Records that attempt `n` stopped with `error`.
pub fn record_failure(journal: &mut Journal, n: usize, error: &str) -> Result<()> {
    journal.put(&failed_key(n), Value::String(error.to_string()))
}

/// The run's state in `journal`.
pub fn state(journal: &Journal) -> RunState {
    if journal.get(FINISHED_KEY).is_some() {
        return RunState::Finished;
    }
    let n = latest(journal);
    if n == 0 {
        return RunState::Running;
    }
    if let Some(error) = journal.get(&failed_key(n)) {
        let text = error
            .as_str()
            .map_or_else(|| error.to_string(), str::to_string);
        return RunState::Failed(text);
    }
    let attempt: Option<Attempt> = journal
        .get(&attempt_key(n))
        .and_then(|v| serde_json::from_value(v.clone()).ok());
    match attempt {
        Some(a) if a.holder.known_dead() => RunState::Gone(a.holder),
        _ => RunState::Running,
    }
}

impl RunState {
    /// Why a process waiting on the run should stop, when it should.
    pub fn stop_reason(&self) -> Option<String> {
        match self {
            RunState::Running | RunState::Finished => None,
            RunState::Failed(error) => Some(format!(
                "the run stopped with an error: {error}; fix it, continue with `glit run --resume`, and start workers again"
            )),
            RunState::Gone(holder) => Some(format!(
                "the run's process {} on {} ended without finishing (killed?); continue it with `glit run --resume`, and start workers again",
                holder.pid, holder.host
            )),
        }
    }
}
