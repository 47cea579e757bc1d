//! `glit run`, `glit check`, `glit api`: the scripting host's commands.

use std::path::{Path, PathBuf};

use burn::DispatchDevice;

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
        devices: devices(&args.device)?,
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

/// The devices of a comma-separated list (`cuda:0,cuda:1`, `cpu,cpu`).
pub fn devices(list: &str) -> Result<Vec<DispatchDevice>> {
    list.split(',').map(|name| device(name.trim())).collect()
}

/// The device named `cpu`, `cuda:N` (only in builds with `--features cuda`) or `ndarray`
/// (Burn's other CPU backend, only in builds with `--features ndarray`: a second device that
/// really differs from `cpu`, for multi-device checks without a GPU).
pub fn device(name: &str) -> Result<DispatchDevice> {
    if name == "cpu" {
        return Ok(DispatchDevice::Flex(Default::default()));
    }
    if name == "ndarray" {
        return ndarray();
    }
    if let Some(index) = name.strip_prefix("cuda:") {
        let index: usize = index.parse().map_err(|_| Error::InvalidValue {
            key: "--device".into(),
            message: format!("`{index}` is not a device number"),
        })?;
        return cuda(index);
    }
    Err(Error::InvalidValue {
        key: "--device".into(),
        message: format!("`{name}` is not `cpu`, `cuda:N` or `ndarray`"),
    })
}

#[cfg(feature = "ndarray")]
fn ndarray() -> Result<DispatchDevice> {
    Ok(DispatchDevice::NdArray(Default::default()))
}

#[cfg(not(feature = "ndarray"))]
fn ndarray() -> Result<DispatchDevice> {
    Err(Error::InvalidValue {
        key: "--device".into(),
        message:
            "this glit was built without the ndarray backend; rebuild with `--features ndarray`"
                .into(),
    })
}

#[cfg(feature = "cuda")]
fn cuda(index: usize) -> Result<DispatchDevice> {
    Ok(DispatchDevice::Cuda(burn::backend::cuda::CudaDevice {
        index,
    }))
}

#[cfg(not(feature = "cuda"))]
fn cuda(_index: usize) -> Result<DispatchDevice> {
    Err(Error::InvalidValue {
        key: "--device".into(),
        message: "this glit was built without CUDA; rebuild with `--features cuda`".into(),
    })
}
