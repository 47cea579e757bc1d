//! Checkpoint files: named f32 tensors and a string map of metadata in the safetensors format
//! (readable from Python with `safetensors.torch.load_file`).
//!
//! Every file carries a CRC-32 of its tensors and metadata (metadata key `checksum`), so a
//! damaged file is detected rather than trusted. Writing keeps the checkpoint it replaces as
//! `NAME.prev.safetensors`, and both steps are atomic: a kill at any moment leaves at least
//! one whole checkpoint. [`CheckpointFile::read_latest`] falls back to that previous one when
//! the latest is missing or damaged, and says so.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use safetensors::tensor::{Dtype, TensorView};
use safetensors::SafeTensors;

use crate::error::{Error, Result};
use crate::model::{HostTensor, NamedTensors};

/// The contents of one checkpoint file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CheckpointFile {
    /// Tensors by name.
    pub tensors: NamedTensors,
    /// Strings by key (JSON documents, mostly).
    pub metadata: BTreeMap<String, String>,
}

impl CheckpointFile {
    /// Sets metadata `key` to `value` as JSON.
    pub fn set_json<T: serde::Serialize + ?Sized>(&mut self, key: &str, value: &T) {
        let json = serde_json::to_string(value).expect("checkpoint metadata serialises");
        self.metadata.insert(key.into(), json);
    }

    /// Writes the file atomically; the checkpoint it replaces becomes
    /// [`previous`]`(path)`.
    pub fn write(&self, path: &Path) -> Result<()> {
        let bytes: Vec<(String, Vec<u8>, Vec<usize>)> = self
            .tensors
            .iter()
            .map(|(name, t)| {
                let bytes = t.values.iter().flat_map(|v| v.to_le_bytes()).collect();
                (name.clone(), bytes, t.shape.clone())
            })
            .collect();
        let views = bytes
            .iter()
            .map(|(name, data, shape)| {
                let view = TensorView::new(Dtype::F32, shape.clone(), data)
                    .map_err(|e| invalid(path, format!("tensor `{name}`: {e}")))?;
                Ok((name.as_str(), view))
            })
            .collect::<Result<Vec<_>>>()?;
        let sum = checksum(
            bytes
                .iter()
                .map(|(n, d, s)| (n.as_str(), s.as_slice(), d.as_slice())),
            &self.metadata,
        );
        let mut metadata: HashMap<String, String> = self.metadata.clone().into_iter().collect();
        metadata.insert(CHECKSUM_KEY.into(), sum);
        let serialized = safetensors::serialize(views, Some(metadata))
            .map_err(|e| invalid(path, e.to_string()))?;
        let staged = crate::atomic_file::stage(path, &serialized, Some("checkpoint-write"))?;
        if path.exists() {
            let previous = previous(path);
            std::fs::rename(path, &previous).map_err(|e| Error::io(&previous, e))?;
            crate::kill_point::reached("checkpoint-rotate");
        }
        staged.commit()
    }

    /// The checkpoint at `path`, or when that one is missing or damaged, the previous one
    /// beside it. Returns the file, the path it came from, and a warning for each file passed
    /// over; an error names both files when neither is usable.
    pub fn read_latest(path: &Path) -> Result<(Self, PathBuf, Vec<String>)> {
        let previous = previous(path);
        let mut warnings = Vec::new();
        let latest_error = match Self::read(path) {
            Ok(file) => return Ok((file, path.to_path_buf(), warnings)),
            Err(e) => e,
        };
        match Self::read(&previous) {
            Ok(file) => {
                if path.exists() {
                    warnings.push(format!(
                        "{latest_error}; continuing from the previous checkpoint {}",
                        previous.display()
                    ));
                }
                Ok((file, previous, warnings))
            }
            Err(previous_error) if previous.exists() => Err(invalid(
                path,
                format!("{latest_error}; and the previous checkpoint: {previous_error}"),
            )),
            Err(_) => Err(latest_error),
        }
    }

    /// Whether a checkpoint (the latest or the previous one) exists for `path`.
    pub fn exists(path: &Path) -> bool {
        path.exists() || previous(path).exists()
    }

    /// Reads a file [`CheckpointFile::write`] wrote; a truncated or foreign file is an error
    /// naming it.
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let (_, header) = SafeTensors::read_metadata(&bytes)
            .map_err(|e| invalid(path, format!("not a safetensors checkpoint: {e}")))?;
        let metadata = header.metadata().clone().unwrap_or_default();
        let parsed = SafeTensors::deserialize(&bytes)
            .map_err(|e| invalid(path, format!("not a safetensors checkpoint: {e}")))?;
        let mut views = parsed.iter().collect::<Vec<_>>();
        views.sort_by(|a, b| a.0.cmp(b.0));
        let mut metadata: BTreeMap<String, String> = metadata.into_iter().collect();
        let recorded = metadata
            .remove(CHECKSUM_KEY)
            .ok_or_else(|| invalid(path, "has no checksum (metadata `checksum`)".into()))?;
        let computed = checksum(
            views.iter().map(|(n, v)| (*n, v.shape(), v.data())),
            &metadata,
        );
        if recorded != computed {
            return Err(invalid(
                path,
                format!("is damaged: checksum {computed}, recorded {recorded}"),
            ));
        }
        let mut tensors = NamedTensors::new();
        for (name, view) in views {
            if view.dtype() != Dtype::F32 {
                return Err(invalid(
                    path,
                    format!("tensor `{name}` is {:?}, expected F32", view.dtype()),
                ));
            }
            let tensor = HostTensor::from_f32_le_bytes(view.shape().to_vec(), view.data());
            tensors.insert(name.to_string(), tensor);
        }
        Ok(CheckpointFile { tensors, metadata })
    }

    /// The metadata entry `key`, or an error naming the file and the key.
    pub fn entry(&self, key: &str, path: &Path) -> Result<&str> {
        self.metadata
            .get(key)
            .map(String::as_str)
            .ok_or_else(|| invalid(path, format!("metadata key `{key}` is missing")))
    }

    /// The tensors whose names start with `prefix.`, with the prefix removed.
    pub fn with_prefix(&self, prefix: &str) -> NamedTensors {
        let start = format!("{prefix}.");
        self.tensors
            .iter()
            .filter_map(|(name, t)| Some((name.strip_prefix(&start)?.to_string(), t.clone())))
            .collect()
    }
}

/// The metadata key of a file's checksum.
const CHECKSUM_KEY: &str = "checksum";

/// Where the checkpoint that `path` replaced is kept: `NAME.prev.safetensors`.
pub fn previous(path: &Path) -> PathBuf {
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    let name = match path.extension() {
        Some(extension) => format!("{stem}.prev.{}", extension.to_string_lossy()),
        None => format!("{stem}.prev"),
    };
    path.with_file_name(name)
}

/// `crc32:XXXXXXXX` over the tensors (name, shape, little-endian bytes; in name order) and the
/// metadata (in key order, without the checksum itself).
fn checksum<'a>(
    tensors: impl Iterator<Item = (&'a str, &'a [usize], &'a [u8])>,
    metadata: &BTreeMap<String, String>,
) -> String {
    let mut hasher = crc32fast::Hasher::new();
    for (name, shape, data) in tensors {
        hasher.update(name.as_bytes());
        hasher.update(&[0]);
        for &dim in shape {
            hasher.update(&(dim as u64).to_le_bytes());
        }
        hasher.update(data);
    }
    for (key, value) in metadata {
        hasher.update(key.as_bytes());
        hasher.update(&[0]);
        hasher.update(value.as_bytes());
        hasher.update(&[0]);
    }
    format!("crc32:{:08x}", hasher.finalize())
}

fn invalid(path: &Path, message: String) -> Error {
    Error::InvalidData {
        origin: path.display().to_string(),
        message,
    }
}
