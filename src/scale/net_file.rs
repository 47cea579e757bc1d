//! A supernet's weights as the scoring workers read them: one checksummed safetensors file
//! per lineage under the run's `nets/` folder, written once by the run before it posts the
//! first task that needs it.

use std::path::{Path, PathBuf};

use burn::tensor::backend::Backend;
use rand::SeedableRng;

use crate::error::{Error, Result};
use crate::model::{load_state, state_of, SharingPlan, Supernet};
use crate::rng::SearchRng;
use crate::search::digest;
use crate::space::Space;
use crate::train::CheckpointFile;

/// The format this version writes and reads.
const FORMAT: &str = "glit-net-1";

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
    let mut file = CheckpointFile {
        tensors: state_of::<B, _>(net),
        ..CheckpointFile::default()
    };
    file.metadata.insert("format".into(), FORMAT.into());
    file.metadata.insert("space".into(), net.space().to_json());
    let plan = serde_json::to_string(net.plan()).expect("sharing plans serialise");
    file.metadata.insert("plan".into(), plan);
    file.write(path)
}

/// Reads the supernet at `path` onto `device`.
pub fn read<B: Backend>(path: &Path, device: &B::Device) -> Result<Supernet<B>> {
    let file = CheckpointFile::read(path)?;
    let format = file.entry("format", path)?;
    if format != FORMAT {
        return Err(Error::InvalidData {
            origin: path.display().to_string(),
            message: format!("format `{format}`, this glit reads `{FORMAT}`"),
        });
    }
    let origin = path.display().to_string();
    let space: Space = serde_json::from_str(file.entry("space", path)?)
        .map_err(|e| Error::json(format!("{origin} (metadata `space`)"), &e))?;
    let plan: SharingPlan = serde_json::from_str(file.entry("plan", path)?)
        .map_err(|e| Error::json(format!("{origin} (metadata `plan`)"), &e))?;
    // The fresh weights are all overwritten; any seed would do.
    let net = Supernet::new(&space, &plan, &mut SearchRng::seed_from_u64(0), device);
    load_state(net, &file.tensors, &origin)
}
