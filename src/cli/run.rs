//! `glit run`, `glit check`, `glit api`: the scripting host's commands.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::script::{self, Limits, RunRequest};

/// What `glit run` was given on the command line.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The script (`scripts/glit_search.rhai`, say); not needed with --resume.
    pub script: Option<PathBuf>,
    /// Set a script parameter (a key of its `params` map), e.g. `--set generations=5`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// The run directory [default: runs/<script>-<time>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Continue this run: rerun its copy of the script with its parameters, loading every
    /// finished step from its journal.
    #[arg(long, value_name = "RUN_DIR")]
    pub resume: Option<PathBuf>,
    /// Where networks run: `cpu`, or `cuda:N` in builds with `--features cuda`. Several,
    /// comma-separated (`cuda:0,cuda:1`; `cpu,cpu` on a CPU), train data-parallel and score
    /// one candidate per device at once.
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Score no candidate in this process: leave every score to `glit worker` processes and
    /// `glit tell`, and wait for them.
    #[arg(long)]
    pub delegate: bool,
    /// Change a script limit: operations, call_depth, expression_depth, string_size,
    /// array_size, map_size, modules, memory_mib (MiB of heap the script's own values may
    /// hold, 1024 by default); 0 turns one off (e.g. `--limit operations=0`).
    #[arg(long = "limit", value_name = "KEY=VALUE")]
    pub limits: Vec<String>,
    /// No progress bars or per-epoch lines.
    #[arg(long)]
    pub quiet: bool,
}

/// Runs or resumes a script.
pub fn run(args: RunArgs) -> Result<String> {
    let overrides = args
        .sets
        .iter()
        .map(|set| {
            set.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| Error::InvalidValue {
                    key: "--set".into(),
                    message: format!("`{set}` is not key=value"),
                })
        })
        .collect::<Result<Vec<_>>>()?;
    if args.resume.is_some() && !overrides.is_empty() {
        return Err(Error::InvalidValue {
            key: "--set".into(),
            message: "a resumed run keeps its own parameters; --set cannot change them".into(),
        });
    }
    let script = match (&args.script, &args.resume) {
        (Some(script), _) => script.clone(),
        (None, Some(_)) => PathBuf::new(),
        (None, None) => {
            return Err(Error::InvalidValue {
                key: "SCRIPT".into(),
                message: "name a script to run, or a run to continue with --resume".into(),
            })
        }
    };
    script::run(RunRequest {
        script,
        overrides,
        out: args.out,
        resume: args.resume,
        devices: crate::devices::list(&args.device)?,
        delegate: args.delegate,
        limits: Limits::default().with_settings(&args.limits)?,
        quiet: args.quiet,
    })
}

/// Checks a script without running it.
pub fn check(script: &Path) -> Result<String> {
    script::check(script)
}

/// Lists the script API.
pub fn api(definitions: Option<&Path>) -> Result<String> {
    script::api(definitions)
}
