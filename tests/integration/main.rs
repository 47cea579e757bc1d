//! glit's integration tests: one binary, one module per area.

mod architecture;
mod bad_inputs;
mod cli;
mod cost;
mod course;
mod cpu_kernels;
mod cpu_math;
mod cpu_matmul_order;
mod data;
mod data_parallel;
#[cfg(any(feature = "ndarray", feature = "cuda"))]
mod default_ops;
#[cfg(any(feature = "ndarray", feature = "cuda"))]
mod devices;
mod experiments;
mod faults;
mod fixtures;
mod fuzz;
mod import;
mod local_modules;
mod model;
mod option_errors;
mod pareto;
mod predict;
mod report;
mod run_stops;
mod scale;
mod script_api;
mod script_runs;
mod space_operators;
mod space_sizes;
mod streaming;
mod train;
