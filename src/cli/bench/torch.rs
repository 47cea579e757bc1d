//! The reference side of a benchmark: `reference/speed.py` (PyTorch eager, the same supernet
//! in `reference/glit_torch.py`), embedded so `glit bench` works from any directory.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{parse_sample, Job, Sample};
use crate::error::{Error, Result};

/// The reference implementation's files.
const REFERENCE: [(&str, &str); 2] = [
    (
        "glit_torch.py",
        include_str!("../../../reference/glit_torch.py"),
    ),
    ("speed.py", include_str!("../../../reference/speed.py")),
];

/// Writes the reference into `dir` and returns its benchmark script; `None` when `python3`
/// or `torch` is missing.
pub fn prepare(dir: &Path) -> Result<Option<PathBuf>> {
    let probe = Command::new("python3")
        .args(["-c", "import torch"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        return Ok(None);
    }
    for (name, text) in REFERENCE {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| Error::io(&path, e))?;
    }
    Ok(Some(dir.join("speed.py")))
}

/// One repetition of the reference in a fresh `python3`.
pub fn measure(script: &Path, job_path: &Path, job: &Job) -> Result<Sample> {
    let output = Command::new("python3")
        .arg(script)
        .arg(job_path)
        // PyTorch sizes its pool from the job; these keep its helper libraries to it too.
        .env("OMP_NUM_THREADS", job.threads.to_string())
        .env("MKL_NUM_THREADS", job.threads.to_string())
        .output()
        .map_err(|e| Error::io(Path::new("python3"), e))?;
    parse_sample("reference/speed.py", &output)
}
