//! Search bookkeeping that needs no network: how rankings compare. (Populations and the run
//! journal join it with the scripting host.)

mod ranking;

pub use ranking::{kendall_tau, spearman_rho};
