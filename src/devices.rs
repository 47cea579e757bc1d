//! Devices by name: `cpu`, `ndarray` (Burn's other CPU backend, in builds with `--features
//! ndarray`), `cuda:N` (in builds with `--features cuda`), and comma-separated lists of them,
//! as `--device` and the script host take them.

use burn::DispatchDevice;

use crate::error::{Error, Result};

/// The devices of a comma-separated list (`cuda:0,cuda:1`, `cpu,cpu`).
pub fn list(list: &str) -> Result<Vec<DispatchDevice>> {
    list.split(',').map(|name| named(name.trim())).collect()
}

/// The device named `cpu`, `cuda:N` (only in builds with `--features cuda`) or `ndarray`
/// (Burn's other CPU backend, only in builds with `--features ndarray`: a second device that
/// really differs from `cpu`, for multi-device checks without a GPU).
pub fn named(name: &str) -> Result<DispatchDevice> {
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
