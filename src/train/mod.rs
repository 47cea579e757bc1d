//! Every loop over data: SPOS supernet training, standalone training (the same loop with a
//! fixed architecture), BatchNorm recalibration, scoring, evaluation; and checkpoints.
//! Depends on `model/` and `data/`; nothing here defines layers.

mod checkpoint;
mod config;
mod data_parallel;
mod evaluate;
pub mod learning_check;
mod loss;
mod metrics;
pub mod network_file;
mod optimizer;
mod parallel;
mod progress;
mod sampler;
mod schedule;
mod streams;
mod trainer;
mod trainer_file;

pub use checkpoint::CheckpointFile;
pub use config::TrainConfig;
pub use evaluate::{accuracy, recalibrate, score, ScoreConfig};
pub use loss::{correct, smoothed_cross_entropy};
pub use metrics::{write_csv, EpochMetrics};
pub use network_file::NetworkFile;
pub use optimizer::{decays, AdamW};
pub use parallel::{at_once, evaluation_threads, sum_over_shares};
pub use progress::{clock, ProgressBar};
pub use sampler::{named_sampler, Constrained, Fixed, FlopsBins, FromFn, Sampler, Uniform};
pub use schedule::Schedule;
pub use trainer::{describe, Outputs, TrainData, Trainer};
pub use trainer_file::FORMAT;
