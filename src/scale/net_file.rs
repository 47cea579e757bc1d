//! A supernet's weights as the scoring workers read them: one checksummed network file
//! (`glit-net-1`, see [`crate::train::network_file`]) per lineage under the run's `nets/`
//! folder, written once by the run before it posts the first task that needs it.

use std::path::{Path, PathBuf};

use burn::tensor::backend::Backend;

use crate::error::{Error, Result};
use crate::hashes::digest;
use crate::model::Supernet;
use crate::train::network_file::{net_file, read_net};

/// The file, relative to the run directory, holding the weights of `lineage`.
pub fn relative_path(lineage: &str) -> PathBuf {
    Path::new("nets").join(format!("{}.safetensors", digest(lineage)))
}

/// Writes `net` (weights and BatchNorm statistics, space, sharing plan) to `path` unless the
/// file is already there. Files are written atomically, so one that exists is whole; damage
/// after the fact is caught by its checksum when a worker reads it.
pub fn ensure<B: Backend>(net: &Supernet<B>, path: &Path) -> Result<()> {
    if path.exists() {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    net_file(net).write(path)
}

/// Reads the supernet at `path` onto `device`.
pub fn read<B: Backend>(path: &Path, device: &B::Device) -> Result<Supernet<B>> {
    read_net(path, device).map(|(net, _)| net)
}
