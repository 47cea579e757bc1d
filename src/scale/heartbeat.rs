//! Lease renewal while a process scores: a scoring that takes longer than the lease timeout
//! keeps its tasks, instead of another process scoring them again. Renewal is the holder
//! appending the next lease line on each task before its current one lapses
//! ([`super::board::renew`]); it is best effort, since a lease lost costs only a duplicate
//! score (scores are a function of the task).

use std::path::PathBuf;
use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use super::board;
use super::lease::Holder;
use crate::search::Journal;

/// Renews leases on a thread until dropped.
pub struct Heartbeat {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Heartbeat {
    /// Renews `holder`'s leases on `keys` in the journal at `path` for `seconds` each, three
    /// times per lease.
    pub fn start(path: PathBuf, holder: Holder, keys: Vec<String>, seconds: f64) -> Heartbeat {
        let (stop, stopped) = channel::<()>();
        let period = Duration::from_secs_f64((seconds / 3.0).max(0.01));
        let thread = std::thread::spawn(move || {
            let Ok(mut journal) = Journal::join(&path) else {
                return;
            };
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(period) {
                if journal.refresh().is_err() {
                    continue;
                }
                for key in &keys {
                    let _ = board::renew(&mut journal, key, &holder, seconds);
                }
            }
        });
        Heartbeat {
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        // Closing the channel ends the thread's wait at once.
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_heartbeat_keeps_a_short_lease_until_it_stops() {
        let dir = std::env::temp_dir().join(format!("glit-heartbeat-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("journal.jsonl");
        let _ = std::fs::remove_file(&path);
        let (mut journal, _) = Journal::open(&path).unwrap();
        let holder = Holder::outside_caller();
        // Two-second leases renewed every 0.67 s: a busy test machine may delay a renewal by
        // a second without the lease lapsing.
        let lease = board::claim(&mut journal, "score-h", &holder, 2.0).unwrap();
        assert!(lease.is_some());
        let beat = Heartbeat::start(path.clone(), holder, vec!["score-h".into()], 2.0);
        // Two and a half lease lengths later the task is still held.
        std::thread::sleep(Duration::from_millis(5000));
        journal.refresh().unwrap();
        assert!(!board::claimable(&journal, "score-h"));
        drop(beat);
        std::thread::sleep(Duration::from_millis(2500));
        journal.refresh().unwrap();
        assert!(board::claimable(&journal, "score-h"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
