//! Checkpoint files: named f32 tensors and a string map of metadata in the safetensors format
//! (readable from Python with `safetensors.torch.load_file`), written atomically so a kill
//! at any moment leaves the previous checkpoint intact.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

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
    /// Writes the file atomically.
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
        let metadata: HashMap<String, String> = self.metadata.clone().into_iter().collect();
        let serialized = safetensors::serialize(views, Some(metadata))
            .map_err(|e| invalid(path, e.to_string()))?;
        crate::atomic_file::write(path, &serialized)
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
        let mut tensors = NamedTensors::new();
        for (name, view) in parsed.iter() {
            if view.dtype() != Dtype::F32 {
                return Err(invalid(
                    path,
                    format!("tensor `{name}` is {:?}, expected F32", view.dtype()),
                ));
            }
            let values = view
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            let shape = view.shape().to_vec();
            tensors.insert(name.to_string(), HostTensor { shape, values });
        }
        Ok(CheckpointFile {
            tensors,
            metadata: metadata.into_iter().collect(),
        })
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

fn invalid(path: &Path, message: String) -> Error {
    Error::InvalidData {
        origin: path.display().to_string(),
        message,
    }
}
