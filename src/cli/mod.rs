//! The `glit` command line: clap definitions and one function per subcommand.
//!
//! Each subcommand returns the text it prints, so tests can call it directly as well as
//! through the binary.

mod arch;
mod bench;
mod census;
pub mod network;
mod pool;
pub mod run;
mod scale;
mod score;
mod tables;
pub mod train;

use clap::{Parser, Subcommand};

pub use arch::open_arch_in;
use arch::{costed, show};

use crate::error::Result;
use crate::rng;
use crate::space::presets;

/// Neural architecture search for global-local vision transformers (GLiT).
#[derive(Debug, Parser)]
#[command(
    name = "glit",
    version,
    about,
    after_help = "Environment: GLIT_POOL_SPIN_US sets how long idle CPU threads look for work \
                  before they sleep, in microseconds (default 50000; 0 on a machine shared with \
                  other busy processes)."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a Rhai search script in a run directory (or continue one with --resume).
    Run(run::RunArgs),
    /// Read released weights (the official GLiT layout or timm's DeiT, `.pth` or
    /// `.safetensors`) into a glit network file for `glit predict`, `glit score` and
    /// `glit train --init`.
    Import(network::ImportArgs),
    /// The most probable classes of a network (a network file or a standalone run directory)
    /// for picture files or folders of them.
    Predict(network::PredictArgs),
    /// Parse a script and every module it imports, and report errors with positions; run
    /// nothing.
    Check {
        /// The script.
        script: std::path::PathBuf,
    },
    /// List every function scripts can call, with its signature and doc.
    Api {
        /// Also write Rhai definition files (`.d.rhai`) for editors into this folder.
        #[arg(long, value_name = "DIR")]
        definitions: Option<std::path::PathBuf>,
    },
    /// Print a space: skeleton, candidates per block, sizes and the baseline's cost.
    Space {
        /// A preset (paper-tiny, paper-small, released-tiny, micro, nano; `micro:conv2d` or
        /// `micro:local-attention` for another local module) or a space JSON file.
        preset: String,
        /// Print the space as JSON instead (a starting point for a space of your own).
        #[arg(long)]
        json: bool,
    },
    /// Print parameters and FLOPs of an architecture, per block and in total.
    Cost {
        /// A built-in name (glit-tiny, deit-tiny, deit-small), a JSON file, or the compact form
        /// in quotes ("G3(qk64,f4) L3(k31,e2,f4) ...").
        arch: String,
        /// The space the architecture belongs to (a preset or a space JSON file); built-in
        /// names bring their own.
        #[arg(long)]
        preset: Option<String>,
        /// Print JSON (the architecture and both conventions' costs) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Draw random architectures from a space.
    Sample {
        /// A preset or a space JSON file.
        preset: String,
        /// Seed of the random stream.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// How many architectures.
        #[arg(long, default_value_t = 5)]
        count: usize,
        /// Print JSON lines instead of the compact form.
        #[arg(long)]
        json: bool,
    },
    /// Train a supernet (SPOS) or, with --arch, one architecture from scratch, into a run
    /// directory that holds the checkpoint, the metrics CSV and run.json (and warnings.csv
    /// when the training did not learn).
    Train(train::TrainArgs),
    /// Images/s of the supernet training step and of scoring, here and (when PyTorch is
    /// installed) in the reference implementation with the same architectures, as a ratio.
    Bench(bench::BenchArgs),
    /// Images/s of the streaming image-folder reader (decode, augment, normalise) at 224 × 224
    /// on its decoding threads, next to PIL (torchvision's way) when PIL is installed.
    BenchDecode(bench::decode::DecodeArgs),
    /// One side of `glit bench`, in a fresh process: measures JOB.json, prints one JSON line.
    #[command(hide = true)]
    BenchWorker {
        /// The job `glit bench` wrote.
        job: std::path::PathBuf,
    },
    /// Draw a run's report into RUN_DIR/report/: training curves, search progress, score
    /// against MFLOPs with the Pareto front, architecture diagrams, and summary.md. With
    /// --archs instead: what a set of found architectures looks like (mixed blocks, kernel
    /// sizes, global heads by depth) beside the released GLiT-Tiny.
    Report {
        /// A run directory (written by `glit run`).
        #[arg(required_unless_present = "archs", conflicts_with = "archs")]
        run: Option<std::path::PathBuf>,
        /// Architectures to count: built-in names, compact forms, JSON files, or CSV files
        /// with an `arch` column (e.g. an experiment's methods.csv) and, when the rows come
        /// from several spaces, a `preset` column naming each row's (e.g. `micro:conv2d`).
        #[arg(long, num_args = 1..)]
        archs: Vec<String>,
        /// The space of the architectures (of a CSV file's rows when it has no `preset`
        /// column).
        #[arg(long, default_value = "micro")]
        preset: String,
        /// Split a CSV file's rows by this column (e.g. `method`).
        #[arg(long)]
        group: Option<String>,
    },
    /// Make a results page's tables from a folder of experiment CSVs (methods.csv, and
    /// rank_summary.csv and main_job.csv where present) and draw accuracy-mflops.svg/.png
    /// there; with --check, only say whether the page still matches its files.
    Results {
        /// The folder of CSV files (e.g. docs/results).
        dir: std::path::PathBuf,
        /// The Markdown page whose `<!-- generated: NAME -->` blocks are rewritten.
        #[arg(long, default_value = "docs/results.md")]
        docs: std::path::PathBuf,
        /// Change nothing; fail if the page's tables differ from what the files make.
        #[arg(long)]
        check: bool,
    },
    /// Draw an architecture (one column per block, global and local heads coloured) as
    /// SVG and PNG, and print its per-block cost table.
    Show {
        /// A built-in name (glit-tiny, ...), a JSON file, or the compact form in quotes.
        arch: String,
        /// The space the architecture belongs to (a preset or a space JSON file); built-in
        /// names bring their own.
        #[arg(long)]
        preset: Option<String>,
        /// Where to write the drawing: `<OUT>.svg` and `<OUT>.png`.
        #[arg(long, default_value = "arch")]
        out: std::path::PathBuf,
    },
    /// Join a run as a scoring worker: lease its candidates from the run journal, score
    /// them with the run's supernet, record the scores; stop when the run finishes.
    Worker(scale::WorkerArgs),
    /// Lease the run's next candidate(s) for an outside engine and print them as JSON; pass
    /// each one's score back with `glit tell`.
    Ask {
        /// The run directory.
        run: std::path::PathBuf,
        /// How many candidates to lease.
        #[arg(long, default_value_t = 1)]
        count: usize,
        /// Seconds before an untold candidate goes back to the pool.
        #[arg(long, default_value_t = 600.0)]
        lease_timeout: f64,
        /// Wait up to this many seconds for a candidate to appear.
        #[arg(long, default_value_t = 0.0)]
        wait: f64,
    },
    /// Record the score of a candidate `glit ask` handed out.
    Tell {
        /// The run directory.
        run: std::path::PathBuf,
        /// The task key `glit ask` printed, or the architecture (compact form or JSON).
        arch: String,
        /// Its score (higher is better).
        score: String,
    },
    /// Compute one candidate's score as the run would (inherited weights, BatchNorm
    /// recalibration, search-split accuracy) and print it; records nothing.
    Evaluate {
        /// The run directory.
        run: std::path::PathBuf,
        /// The task key `glit ask` printed, or the architecture.
        arch: String,
        /// Where to score: `cpu` or `cuda:N`.
        #[arg(long, default_value = "cpu")]
        device: String,
    },
    /// Score architectures with a trained supernet: BatchNorm recalibration on training
    /// batches, then accuracy on the run's search split. Scores are journaled in the run
    /// directory as a script's are (a candidate scored before is recalled; `glit worker`s may
    /// help; candidates.csv lists the call's candidates). Given a network file instead, its
    /// accuracy on the test split of --data.
    Score {
        /// A supernet run directory written by `glit train`, or a network file.
        run: std::path::PathBuf,
        /// The data a network file is scored on (its test split), as `glit train --data`.
        #[arg(long)]
        data: Option<String>,
        /// Architectures to score (names, compact forms or JSON files).
        #[arg(long = "arch")]
        archs: Vec<String>,
        /// Also score this many random architectures.
        #[arg(long, default_value_t = 0)]
        random: usize,
        /// Seed of the random architectures.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Print JSON lines instead of a table.
        #[arg(long)]
        json: bool,
        /// Devices, comma-separated (as `glit train`); several score candidates at once, one
        /// device each.
        #[arg(long, default_value = "cpu")]
        device: String,
    },
}

/// Runs one parsed command and returns what it prints, on a worker of the thread pool (see
/// `pool`); a benchmark's worker process sizes the pool itself.
pub fn run(cli: Cli) -> Result<String> {
    pool::check_spin_setting()?;
    match cli.command {
        Command::BenchWorker { job } => bench::work(&job),
        command => pool::on_pool(None, move || dispatch(command)),
    }
}

/// Runs one command.
fn dispatch(command: Command) -> Result<String> {
    match command {
        Command::Run(args) => run::run(args),
        Command::Import(args) => network::import(&args),
        Command::Predict(args) => network::predict(&args),
        Command::Check { script } => run::check(&script),
        Command::Api { definitions } => run::api(definitions.as_deref()),
        Command::Space { preset, json } => {
            let space = presets::open(&preset)?;
            if json {
                Ok(space.to_json() + "\n")
            } else {
                tables::space_summary(&space)
            }
        }
        Command::Cost { arch, preset, json } => {
            let (space, arch, costs) = costed(&arch, preset.as_deref())?;
            if json {
                Ok(tables::cost_json(&space, &arch, &costs))
            } else {
                Ok(tables::cost_table(&space, &arch, &costs))
            }
        }
        Command::Sample {
            preset,
            seed,
            count,
            json,
        } => {
            let space = presets::open(&preset)?;
            let mut rng = rng::seeded(seed);
            let mut out = String::new();
            for _ in 0..count {
                let arch = space.sample(&mut rng);
                let line = if json {
                    serde_json::to_string(&arch).expect("an Arch always serialises")
                } else {
                    arch.to_string()
                };
                out.push_str(&line);
                out.push('\n');
            }
            Ok(out)
        }
        Command::Train(args) => train::command(args),
        Command::Bench(args) => bench::run(&args),
        Command::BenchDecode(args) => bench::decode::run(&args),
        Command::BenchWorker { job } => bench::work(&job),
        Command::Report {
            run,
            archs,
            preset,
            group,
        } => {
            let Some(run) = run else {
                return census::census(&archs, &preset, group.as_deref());
            };
            let report = crate::report::write(&run)?;
            for warning in &report.warnings {
                eprintln!("warning: {warning}");
            }
            Ok(format!(
                "{}wrote {} files; summary: {}\n",
                report.table,
                report.files.len(),
                report.summary.display()
            ))
        }
        Command::Results { dir, docs, check } => {
            if check {
                crate::report::results_docs::check(&dir, &docs)?;
                return Ok(format!("{} matches {}\n", docs.display(), dir.display()));
            }
            let files = crate::report::results_docs::write(&dir, &docs)?;
            let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
            Ok(format!("wrote {}\n", names.join(", ")))
        }
        Command::Show { arch, preset, out } => show(&arch, preset.as_deref(), &out),
        Command::Worker(args) => scale::worker(&args),
        Command::Ask {
            run,
            count,
            lease_timeout,
            wait,
        } => scale::ask(&run, count, lease_timeout, wait),
        Command::Tell { run, arch, score } => scale::tell(&run, &arch, &score),
        Command::Evaluate { run, arch, device } => scale::evaluate(&run, &arch, &device),
        Command::Score {
            run,
            data,
            archs,
            random,
            seed,
            json,
            device,
        } => {
            let devices = crate::devices::list(&device)?;
            let scored = if run.is_file() {
                vec![score::score_network(&run, data.as_deref(), &devices[0])?]
            } else {
                score::score(&run, &archs, random, seed, &devices)?
            };
            Ok(tables::score_table(&scored, json))
        }
    }
}
