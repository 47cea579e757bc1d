//! The accuracy of a network along one architecture on a split of a run's data, with the
//! BatchNorm statistics the network has: a journaled step of a run.

use burn::module::AutodiffModule;
use burn::Dispatch;
use serde_json::json;

use super::Run;
use crate::data::DataBundle;
use crate::error::{Error, Result};
use crate::hashes::digest;
use crate::model::Supernet;
use crate::space::Arch;
use crate::train;

/// What to measure.
pub struct AccuracyRequest<'a> {
    /// The network (a supernet or a standalone one, with autodiff).
    pub net: &'a Supernet<Dispatch>,
    /// Names the network's weights in the journal key (a supernet's training lineage).
    pub lineage: &'a str,
    /// The architecture.
    pub arch: &'a Arch,
    /// The data.
    pub data: &'a DataBundle,
    /// `test`, `search` or `train`.
    pub split: &'a str,
}

impl Run {
    /// Top-1 accuracy (0–1); a rerun finds it in the journal.
    pub fn accuracy(&self, request: &AccuracyRequest) -> Result<f64> {
        let data = request.data;
        let images = match request.split {
            "test" => &data.test,
            "search" => &data.search,
            "train" => &data.train,
            other => {
                return Err(Error::InvalidValue {
                    key: "split".into(),
                    message: format!("`{other}` is not \"test\", \"search\" or \"train\""),
                })
            }
        };
        let arch = request.net.space().canonical(request.arch)?;
        let key = format!(
            "accuracy-{}",
            digest(&(request.lineage, &arch, &data.id, request.split))
        );
        let value = self.remember(&key, "accuracy", || {
            let inference = request.net.valid();
            let a = train::accuracy(&inference, &arch, &data.loader, images, 128, self.device())?;
            Ok(json!(a))
        })?;
        value
            .as_f64()
            .ok_or_else(|| Error::invalid_data("journal", format!("entry {key} is not a number")))
    }
}
