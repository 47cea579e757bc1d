//! The run layer: what a scripted run (and the command line) executes in, between the
//! bindings above and `train`/`scale` below. A [`Run`] owns the run directory, the journal,
//! the devices, the CSV logs and the clock; its requests (retraining, accuracy, training a
//! network) are memoised by journal keys digested from their inputs, so a rerun replays
//! finished steps.

mod accuracy;
mod clock;
mod context;
mod heap;
mod journal_step;
mod lock;
mod retrain;
mod scoring;
mod training;

pub use accuracy::AccuracyRequest;
pub use clock::{WorkClock, SEARCH_LOOP};
pub use context::{Labels, Run, Shared};
pub use heap::ScriptHeap;
pub use lock::lock;
pub use retrain::{RetrainRequest, Retrained};
pub use scoring::ScoreRequest;
pub use training::{TrainingFiles, TrainingRun, WHOLE_RUN_CHECKPOINT};
