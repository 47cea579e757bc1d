//! Scoring across processes and machines. A run posts each candidate it needs scored as a
//! task in its journal; any process sharing the run directory (the run itself, `glit worker`,
//! an external engine through `glit ask` / `glit tell`) leases a task with a journal line,
//! scores it, and records the score under the key the run waits for. A lease lapses after its
//! timeout, or at once when its holder is a process on this machine that has died, so a dead
//! worker's candidate is scored again. Scores are a function of the task alone, so a search
//! ends the same however many workers ran.

pub mod board;
pub mod heartbeat;
pub mod lease;
pub mod net_file;
pub mod run_status;
pub mod schedule;
pub mod worker;

pub use board::{ScoreTask, FINISHED_KEY};
pub use lease::Holder;
