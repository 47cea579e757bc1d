//! glit: neural architecture search for global-local vision transformers (GLiT).
//!
//! - [`space`]: search spaces, architectures, presets and the cost model (no Burn).
//! - [`model`]: the GLiT supernet and standalone networks in Burn.
//! - [`data`]: the bundled data set and IDX readers.
//! - [`train`]: SPOS training, scoring with BatchNorm recalibration, checkpoints.
//! - [`search`]: populations and the run journal; [`script`]: the Rhai host.
//! - [`cli`]: the `glit` command line; [`thread_heap`]: the allocator that lets scripts'
//!   memory limit be measured.
//!
//! Every random choice draws from a [`rng::SearchRng`] the caller owns; every failure is an
//! [`Error`] that names what was wrong.
//!
//! A search space and its cost model need no Burn (`docs/library.md` says how to depend on
//! glit):
//!
//! ```
//! use glit::space::{cost::Convention, presets};
//!
//! let space = presets::preset("paper-tiny")?;
//! let arch = space.sample(&mut glit::rng::seeded(0));
//! let cost = space.cost(&arch, Convention::Official)?;
//! println!("{arch}: {:.1} MFLOPs, {} parameters", cost.mflops(), cost.params());
//! # Ok::<(), glit::Error>(())
//! ```

pub mod atomic_file;
#[cfg(feature = "cli")]
pub mod cli;
pub mod data;
pub mod devices;
pub mod error;
pub mod hashes;
pub mod import;
pub mod kill_point;
pub mod model;
pub mod patched;
pub mod pool_spin;
pub mod predict;
#[cfg(feature = "report")]
pub mod report;
pub mod rng;
pub mod run;
pub mod scale;
pub mod script;
pub mod search;
pub mod space;
pub mod thread_heap;
pub mod train;

pub use error::{Error, Result};
