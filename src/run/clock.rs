//! Where a run's time goes: the seconds spent inside the primitives that do the heavy work
//! (opening data, supernet training, scoring, accuracy, retraining). Whatever the run spent
//! elsewhere is the search loop's own cost: the script, sampling, mutation, crossover, dedup,
//! constraint checks, population updates, the journal and the logs.
//!
//! The same primitives are where glit's own memory is made (data sets, networks), so the
//! clock also books their heap as glit's, leaving the rest to the script ([`ScriptHeap`]).

use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use super::heap::ScriptHeap;
use super::lock::lock;
use crate::error::Result;

/// The label of the time no heavy primitive accounts for: the script, sampling, mutation,
/// crossover, dedup, constraint checks, population updates, the journal and the logs.
pub const SEARCH_LOOP: &str = "search loop";

/// Seconds per kind of heavy work, in the order the kinds were first used.
#[derive(Debug, Default)]
pub struct WorkClock {
    spent: Mutex<Vec<(&'static str, f64)>>,
    heap: ScriptHeap,
}

impl WorkClock {
    /// Runs `work`, adding its wall time to `kind` and its heap to glit's share.
    pub fn time<T>(&self, kind: &'static str, work: impl FnOnce() -> T) -> T {
        let started = Instant::now();
        let result = self.heap.exclude(work);
        self.add(kind, started.elapsed().as_secs_f64());
        result
    }

    /// The heap ledger: what the script's own values hold.
    pub fn heap(&self) -> &ScriptHeap {
        &self.heap
    }

    /// Adds `seconds` to `kind`.
    pub fn add(&self, kind: &'static str, seconds: f64) {
        let mut spent = lock(&self.spent);
        match spent.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, total)) => *total += seconds,
            None => spent.push((kind, seconds)),
        }
    }

    /// Each kind's seconds, then the search loop's (`total` less all of them), then `total`.
    pub fn split(&self, total: f64) -> Vec<(String, f64)> {
        let spent = lock(&self.spent);
        let heavy: f64 = spent.iter().map(|(_, s)| s).sum();
        let mut rows: Vec<(String, f64)> = spent.iter().map(|(k, s)| (k.to_string(), *s)).collect();
        rows.push((SEARCH_LOOP.to_string(), (total - heavy).max(0.0)));
        rows.push(("total".to_string(), total));
        rows
    }

    /// Writes `split(total)` as `path` (CSV: kind, seconds, share of the total in %).
    pub fn write(&self, path: &Path, total: f64) -> Result<()> {
        let mut text = String::from("kind,seconds,percent\n");
        for (kind, seconds) in self.split(total) {
            let percent = 100.0 * seconds / total.max(f64::MIN_POSITIVE);
            text.push_str(&format!("{kind},{seconds:.6},{percent:.4}\n"));
        }
        crate::atomic_file::write(path, text.as_bytes())
    }

    /// One line for the terminal: the search loop's seconds and share of `total`.
    pub fn summary(&self, total: f64) -> String {
        let rows = self.split(total);
        let loop_seconds = rows[rows.len() - 2].1;
        format!(
            "time: {total:.1} s, of which the search loop's own {loop_seconds:.3} s ({:.3} %)",
            100.0 * loop_seconds / total.max(f64::MIN_POSITIVE)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_loop_is_what_no_kind_accounts_for() {
        let clock = WorkClock::default();
        clock.time("training", || {
            std::thread::sleep(std::time::Duration::from_millis(20))
        });
        clock.time("scoring", || ());
        clock.time("training", || ());
        let rows = clock.split(1.0);
        let kinds: Vec<&str> = rows.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(kinds, ["training", "scoring", SEARCH_LOOP, "total"]);
        assert!(rows[0].1 >= 0.02);
        assert!((rows[2].1 - (1.0 - rows[0].1 - rows[1].1)).abs() < 1e-12);
        assert_eq!(rows[3].1, 1.0);
    }
}
