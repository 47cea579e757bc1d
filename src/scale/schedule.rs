//! How a run gets its posted score tasks done: it leases as many as it has devices (unless
//! it delegates every score), scores them at once while a heartbeat keeps the leases, and
//! otherwise waits for workers to record the rest, saying how to start one if the wait
//! lasts.

use std::path::Path;
use std::time::Instant;

use serde_json::json;

use super::board::{self, ScoreTask};
use super::heartbeat::Heartbeat;
use super::lease::Holder;
use super::worker::{score_at_once, TaskScorer, POLL};
use crate::error::Result;
use crate::search::Journal;

/// Seconds the run's own leases last. They end with the run's process anyway, so this only
/// matters to a worker on another machine, which cannot see that the process died.
pub const LEASE_SECONDS: f64 = 600.0;

/// What the scheduler needs of the run it schedules for.
pub trait ScoringRun {
    /// Runs `f` on the run's journal.
    fn with_journal<T>(&self, f: impl FnOnce(&mut Journal) -> Result<T>) -> Result<T>;
    /// The run directory.
    fn dir(&self) -> Result<&Path>;
    /// Tasks this process scores at once: one per device, 0 when the run delegates.
    fn slots(&self) -> usize;
    /// Whether progress output is off.
    fn quiet(&self) -> bool;
    /// Books `seconds` of `kind` in the run's time split.
    fn book(&self, kind: &'static str, seconds: f64);
}

/// Scores what this process can lease of `tasks` with the scorers `scorers` makes (made
/// once, when first needed) and waits until every task's score is in the journal.
pub fn score_posted(
    run: &impl ScoringRun,
    tasks: &[ScoreTask],
    scorers: impl Fn() -> Vec<TaskScorer>,
) -> Result<()> {
    let holder = Holder::this_process();
    let mut local: Option<Vec<TaskScorer>> = None;
    let mut waiting_since: Option<Instant> = None;
    let mut told = false;
    loop {
        let open: Vec<ScoreTask> = run.with_journal(|j| {
            j.refresh()?;
            Ok(tasks
                .iter()
                .filter(|t| j.get(&t.key).is_none())
                .cloned()
                .collect())
        })?;
        if open.is_empty() {
            if let Some(since) = waiting_since {
                run.book("waiting for workers", since.elapsed().as_secs_f64());
            }
            return Ok(());
        }
        let mine = lease(run, &open, &holder)?;
        if mine.is_empty() {
            let since = *waiting_since.get_or_insert_with(Instant::now);
            if !told && !run.quiet() && since.elapsed().as_secs() >= 5 {
                eprintln!(
                    "waiting for {} score(s) from workers (`glit worker {dir}`, or `glit ask {dir}` and `glit tell`)",
                    open.len(),
                    dir = run.dir()?.display()
                );
                told = true;
            }
            std::thread::sleep(POLL);
            continue;
        }
        if let Some(since) = waiting_since.take() {
            run.book("waiting for workers", since.elapsed().as_secs_f64());
        }
        let scorers = local.get_or_insert_with(&scorers);
        // Keeps the leases while scoring takes longer than they last.
        let keys = mine.iter().map(|t| t.key.clone()).collect();
        let journal_path = run.dir()?.join("journal.jsonl");
        let _heartbeat = Heartbeat::start(journal_path, holder.clone(), keys, LEASE_SECONDS);
        let started = Instant::now();
        let scores = score_at_once(&mut scorers[..mine.len()], &mine);
        run.book("scoring", started.elapsed().as_secs_f64());
        for (task, score) in mine.iter().zip(scores) {
            let score = score?;
            run.with_journal(|j| j.put(&task.key, json!(score)))?;
        }
    }
}

/// The open tasks this process leases: up to its slots, those no one holds.
fn lease(run: &impl ScoringRun, open: &[ScoreTask], holder: &Holder) -> Result<Vec<ScoreTask>> {
    let room = run.slots();
    let mut mine = Vec::new();
    if room == 0 {
        return Ok(mine);
    }
    run.with_journal(|j| {
        for task in open {
            if mine.len() < room
                && board::claimable(j, &task.key)
                && board::claim(j, &task.key, holder, LEASE_SECONDS)?.is_some()
            {
                mine.push(task.clone());
            }
        }
        Ok(())
    })?;
    Ok(mine)
}
