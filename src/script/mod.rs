//! The Rhai scripting host: one engine constructor, one binding module per domain
//! (`space::`, `data::`, `supernet::`, `train::`, `search::`, and the run's globals), the
//! embedded stdlib, and running a script in a run directory with resume by replay.
//!
//! Bindings convert script values at one boundary ([`convert`]), call one Rust function,
//! and convert the result or error back. No algorithm lives here.

mod admission;
mod arch_api;
mod call_hints;
mod convert;
mod data_api;
mod engine;
mod errors;
mod limits;
mod network_api;
mod operators_api;
mod pareto_api;
mod registry;
mod rng_api;
mod run;
mod run_api;
mod scoring;
mod search_api;
mod shared_population;
mod space_api;
mod space_methods;
mod stdlib;
mod supernet_api;
mod train_api;

pub use engine::engine;
pub use errors::describe;
pub use limits::Limits;
pub use run::{api, check, run, RunRecord, RunRequest};
pub use stdlib::STDLIB;
