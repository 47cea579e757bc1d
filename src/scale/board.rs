//! The tasks a run posts in its journal, and how a process leases one.
//!
//! Keys: `task-KEY` holds a [`ScoreTask`]; `lease-KEY-N` is the N-th lease taken on it; `KEY`
//! itself (`score-…`) holds the score. A task is open until its score is recorded. A process
//! takes the first attempt number N whose predecessor no longer stands, appends `lease-KEY-N`,
//! and holds the task if its line is the first with that key in the file.

use serde::{Deserialize, Serialize};

use super::lease::{Holder, Lease};
use crate::data::DataRequest;
use crate::error::{Error, Result};
use crate::search::Journal;
use crate::space::Arch;
use crate::train::ScoreConfig;

/// Prefix of task keys.
pub const TASK_PREFIX: &str = "task-";

/// The key a run records when its script has finished: workers stop.
pub const FINISHED_KEY: &str = "run-finished";

/// Everything a process needs to score one candidate as the run would.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreTask {
    /// The journal key the score goes under.
    pub key: String,
    /// The supernet's weights, relative to the run directory.
    pub net: String,
    /// How to prepare the data.
    pub data: DataRequest,
    /// The digest the prepared data must have.
    pub data_id: String,
    /// Calibration and batch settings.
    pub config: ScoreConfig,
    /// The candidate, in the net's space.
    pub arch: Arch,
}

/// Posts `task` unless it is already posted.
pub fn post(journal: &mut Journal, task: &ScoreTask) -> Result<()> {
    let key = format!("{TASK_PREFIX}{}", task.key);
    if journal.get(&key).is_some() {
        return Ok(());
    }
    let value = serde_json::to_value(task).expect("tasks serialise");
    journal.put(&key, value)
}

/// The posted tasks with no score yet, in the order they were posted.
pub fn open_tasks(journal: &Journal) -> Result<Vec<ScoreTask>> {
    journal
        .keys_with_prefix(TASK_PREFIX)
        .filter(|k| journal.get(&k[TASK_PREFIX.len()..]).is_none())
        .map(|k| {
            serde_json::from_value(journal.get(k).cloned().unwrap_or_default())
                .map_err(|e| Error::json(format!("{} (entry {k})", journal.path().display()), &e))
        })
        .collect()
}

/// The attempt a new lease on `key` would take, or `None` while a lease on it stands or once
/// it is scored.
fn free_attempt(journal: &Journal, key: &str) -> Option<usize> {
    if journal.get(key).is_some() {
        return None;
    }
    for attempt in 1.. {
        match journal.get(&lease_key(key, attempt)) {
            None => return Some(attempt),
            Some(value) => {
                let lease: Option<Lease> = serde_json::from_value(value.clone()).ok();
                if lease.is_some_and(|l| l.stands()) {
                    return None;
                }
            }
        }
    }
    unreachable!("attempts are unbounded")
}

/// Whether `key` can be leased now.
pub fn claimable(journal: &Journal, key: &str) -> bool {
    free_attempt(journal, key).is_some()
}

/// Tries to lease `key` for `holder` for `seconds`; the lease as the journal holds it when
/// this process now holds it.
pub fn claim(
    journal: &mut Journal,
    key: &str,
    holder: &Holder,
    seconds: f64,
) -> Result<Option<Lease>> {
    let Some(attempt) = free_attempt(journal, key) else {
        return Ok(None);
    };
    take(journal, &lease_key(key, attempt), holder, seconds)
}

/// Appends a lease line `lease_key` for `holder`; the lease if it is the key's first line.
fn take(
    journal: &mut Journal,
    lease_key: &str,
    holder: &Holder,
    seconds: f64,
) -> Result<Option<Lease>> {
    let lease = Lease::new(holder.clone(), seconds);
    journal.put(
        lease_key,
        serde_json::to_value(&lease).expect("leases serialise"),
    )?;
    // `put` read the file up to our line: the first line of this key is the one that holds.
    Ok(journal
        .get(lease_key)
        .and_then(|v| serde_json::from_value::<Lease>(v.clone()).ok())
        .filter(|l| l.holder == lease.holder))
}

/// Extends `holder`'s lease on `key` by `seconds` from now: the next lease line, taken while
/// the current one (the holder's) still stands. `None` when the task is scored, or its
/// latest lease is another holder's or has lapsed.
pub fn renew(
    journal: &mut Journal,
    key: &str,
    holder: &Holder,
    seconds: f64,
) -> Result<Option<Lease>> {
    if journal.get(key).is_some() {
        return Ok(None);
    }
    let latest = journal.last_numbered(|n| lease_key(key, n));
    let current: Option<Lease> = journal
        .get(&lease_key(key, latest))
        .and_then(|v| serde_json::from_value(v.clone()).ok());
    match current {
        Some(lease) if lease.holder == *holder && lease.stands() => {
            take(journal, &lease_key(key, latest + 1), holder, seconds)
        }
        _ => Ok(None),
    }
}

/// Leases the first open task that `wanted` accepts, with its lease; `None` when none can be
/// leased now.
pub fn claim_next(
    journal: &mut Journal,
    holder: &Holder,
    seconds: f64,
    wanted: impl Fn(&ScoreTask) -> bool,
) -> Result<Option<(ScoreTask, Lease)>> {
    for task in open_tasks(journal)? {
        if wanted(&task) && claimable(journal, &task.key) {
            if let Some(lease) = claim(journal, &task.key, holder, seconds)? {
                return Ok(Some((task, lease)));
            }
        }
    }
    Ok(None)
}

fn lease_key(key: &str, attempt: usize) -> String {
    format!("lease-{key}-{attempt}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(key: &str) -> ScoreTask {
        ScoreTask {
            key: key.into(),
            net: "nets/x.safetensors".into(),
            data: DataRequest::default(),
            data_id: "d".into(),
            config: ScoreConfig::default(),
            arch: Arch {
                heads: 1,
                blocks: Vec::new(),
            },
        }
    }

    #[test]
    fn one_process_holds_a_task_until_its_lease_lapses() {
        let dir = std::env::temp_dir().join(format!("glit-board-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("journal.jsonl");
        let _ = std::fs::remove_file(&path);
        let (mut run, _) = Journal::open(&path).unwrap();
        let mut worker = Journal::join(&path).unwrap();
        post(&mut run, &task("score-a")).unwrap();
        post(&mut run, &task("score-b")).unwrap();
        post(&mut run, &task("score-a")).unwrap();
        worker.refresh().unwrap();
        assert_eq!(open_tasks(&worker).unwrap().len(), 2);
        let me = Holder::this_process();
        let outside = Holder::outside_caller();
        // The worker leases `a`; the run then cannot, and takes `b`.
        let lease = claim(&mut worker, "score-a", &outside, 60.0)
            .unwrap()
            .unwrap();
        assert_eq!(lease.holder, outside);
        run.refresh().unwrap();
        assert!(!claimable(&run, "score-a"));
        let (next, _) = claim_next(&mut run, &me, 60.0, |_| true).unwrap().unwrap();
        assert_eq!(next.key, "score-b");
        // A lapsed lease frees the task again, under a new attempt.
        assert!(claim(&mut worker, "score-b", &outside, 60.0).is_ok_and(|held| held.is_none()));
        run.put("score-b", serde_json::json!(0.5)).unwrap();
        let mut lapsed = Journal::join(&path).unwrap();
        lapsed
            .put(
                "lease-score-c-1",
                serde_json::to_value(Lease::new(outside.clone(), -1.0)).unwrap(),
            )
            .unwrap();
        post(&mut lapsed, &task("score-c")).unwrap();
        assert!(claim(&mut lapsed, "score-c", &outside, 60.0)
            .unwrap()
            .is_some());
        assert!(lapsed.get("lease-score-c-2").is_some());
        assert_eq!(
            open_tasks(&lapsed)
                .unwrap()
                .iter()
                .map(|t| t.key.as_str())
                .collect::<Vec<_>>(),
            ["score-a", "score-c"]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_holder_renews_its_lease_before_it_lapses_and_no_one_else_can() {
        let dir = std::env::temp_dir().join(format!("glit-renew-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("journal.jsonl");
        let _ = std::fs::remove_file(&path);
        let (mut run, _) = Journal::open(&path).unwrap();
        post(&mut run, &task("score-r")).unwrap();
        let holder = Holder::outside_caller();
        let other = Holder {
            nonce: holder.nonce.wrapping_add(1),
            ..holder.clone()
        };
        let first = claim(&mut run, "score-r", &holder, 0.3).unwrap().unwrap();
        // Another holder cannot renew it; its holder can, for longer.
        assert!(renew(&mut run, "score-r", &other, 60.0).unwrap().is_none());
        let renewed = renew(&mut run, "score-r", &holder, 60.0).unwrap().unwrap();
        assert!(renewed.until > first.until + 30.0);
        assert!(run.get("lease-score-r-2").is_some());
        std::thread::sleep(std::time::Duration::from_millis(400));
        // The first line has lapsed, the renewal stands: still not claimable.
        assert!(!claimable(&run, "score-r"));
        // Once scored, nothing is renewed.
        run.put("score-r", serde_json::json!(0.5)).unwrap();
        assert!(renew(&mut run, "score-r", &holder, 60.0).unwrap().is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
