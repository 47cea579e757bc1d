//! The tensors of a PyTorch checkpoint (`.pth`/`.pt`, zip or legacy pickle, read by
//! burn-store's reader, no pickle parser of glit's own) or of a `.safetensors` file, by name.

use std::path::Path;

use burn::tensor::DType;
use burn_store::pytorch::PytorchReader;
use burn_store::TensorSnapshot;

use crate::error::{Error, Result};
use crate::model::{HostTensor, NamedTensors};

/// Every tensor of the file, as f32, by its name in the file. Integer tensors (BatchNorm's
/// `num_batches_tracked`) are left out: nothing in a network needs them.
///
/// A `.pth` holding a dictionary with the weights under `model` (the released GLiT and DeiT
/// checkpoints, beside `optimizer` and `epoch`) or `state_dict` is read from there; otherwise
/// the top level must be the state dict itself.
pub fn tensors(path: &Path) -> Result<NamedTensors> {
    if !path.is_file() {
        return Err(Error::invalid_data(path.display(), "no such file"));
    }
    match path.extension().and_then(|e| e.to_str()) {
        Some("safetensors") => safetensors_file(path),
        _ => pytorch_file(path),
    }
}

fn pytorch_file(path: &Path) -> Result<NamedTensors> {
    let reader = PytorchReader::new(path).map_err(|e| {
        let e = e.to_string();
        // The reader follows tensors and plain containers, not every pickled object.
        let hint = if e.contains("ickle") {
            " (a training checkpoint whose other entries the reader cannot follow imports once \
             its weights are saved alone: `torch.save(torch.load(FILE)[\"model\"], \"weights.pth\")`)"
        } else {
            ""
        };
        Error::invalid_data(
            path.display(),
            format!("not a readable PyTorch checkpoint: {e}{hint}"),
        )
    })?;
    // Nested dictionaries come flattened: `model.blocks.0.0.norm1.weight`. The released
    // checkpoints also hold `model_ema.`, which is left aside.
    let names = reader.keys();
    let wrapper = WRAPPERS.into_iter().find(|key| {
        names
            .iter()
            .any(|name| name.starts_with(&format!("{key}.")))
    });
    let mut out = NamedTensors::new();
    for (name, snapshot) in reader.into_tensors() {
        let name = match wrapper {
            Some(key) => match name.strip_prefix(&format!("{key}.")) {
                Some(inner) => inner.to_string(),
                None => continue,
            },
            None => name,
        };
        if let Some(tensor) = host_tensor(&snapshot, &name, path)? {
            out.insert(name, tensor);
        }
    }
    if out.is_empty() {
        return Err(Error::invalid_data(
            path.display(),
            "holds no float tensors",
        ));
    }
    Ok(out)
}

/// The keys under which checkpoints keep a state dict, in the order they are looked for.
const WRAPPERS: [&str; 2] = ["model", "state_dict"];

/// An f32 copy of a float tensor; `None` for integer and boolean ones.
fn host_tensor(snapshot: &TensorSnapshot, name: &str, path: &Path) -> Result<Option<HostTensor>> {
    if !matches!(
        snapshot.dtype,
        DType::F64 | DType::F32 | DType::F16 | DType::BF16
    ) {
        return Ok(None);
    }
    let data = snapshot
        .to_data()
        .map_err(|e| Error::invalid_data(path.display(), format!("tensor `{name}`: {e}")))?;
    let values = data
        .convert::<f32>()
        .to_vec::<f32>()
        .map_err(|e| Error::invalid_data(path.display(), format!("tensor `{name}`: {e:?}")))?;
    Ok(Some(HostTensor {
        shape: snapshot.shape.to_vec(),
        values,
    }))
}

fn safetensors_file(path: &Path) -> Result<NamedTensors> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let file = safetensors::SafeTensors::deserialize(&bytes).map_err(|e| {
        Error::invalid_data(
            path.display(),
            format!("not a readable safetensors file: {e}"),
        )
    })?;
    let mut out = NamedTensors::new();
    for (name, view) in file.tensors() {
        let shape = view.shape().to_vec();
        let tensor = match view.dtype() {
            safetensors::Dtype::F32 => HostTensor::from_f32_le_bytes(shape, view.data()),
            safetensors::Dtype::F64 => HostTensor {
                shape,
                values: view
                    .data()
                    .chunks_exact(8)
                    .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")) as f32)
                    .collect(),
            },
            _ => continue,
        };
        out.insert(name.to_string(), tensor);
    }
    if out.is_empty() {
        return Err(Error::invalid_data(
            path.display(),
            "holds no f32 or f64 tensors",
        ));
    }
    Ok(out)
}
