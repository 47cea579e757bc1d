//! Search bookkeeping that needs no network: ranked, deduplicated populations, the run
//! journal that makes scripted runs resumable, how rankings compare, and Pareto fronts.

mod journal;
pub mod pareto;
mod population;
mod ranking;

pub use journal::{checksum, Journal};
pub use population::{Member, Population};
pub use ranking::{kendall_tau, spearman_rho};
