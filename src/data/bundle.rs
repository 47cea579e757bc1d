//! A data set prepared for a search: the search split held out of training (SPOS scores
//! candidates on it, never on the test split), optional subsets for quick runs, and a digest
//! naming the result. A [`DataRequest`] is all it takes to prepare the same bundle again, in
//! another process or on another machine (a scoring worker does exactly that).

use serde::{Deserialize, Serialize};

use super::{Dataset, Loader, Split};
use crate::error::{Error, Result};
use crate::hashes::digest;

/// How a bundle is made: the data set's name or folder, and the splits taken from it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataRequest {
    /// `fashion-mnist-mini`, `synthetic`, or a folder (see [`super::open`]).
    pub name: String,
    /// Training images held out for scoring; `None`: 1000, at most a tenth.
    pub search_split: Option<usize>,
    /// Which images are held out.
    pub seed: u64,
    /// Use only the first N training images (0: all).
    pub train_images: usize,
    /// Use only the first N test images (0: all).
    pub test_images: usize,
}

/// The splits a search uses and how batches are made.
#[derive(Debug)]
pub struct DataBundle {
    dataset: Dataset,
    /// What was asked for.
    pub request: DataRequest,
    /// Turns images into normalised batches.
    pub loader: Loader,
    /// Training images (the search split held out).
    pub train: Split,
    /// The held-out search split candidates are scored on.
    pub search: Split,
    /// The test split, for final numbers.
    pub test: Split,
    /// A digest of everything above, naming the data in journal keys.
    pub id: String,
}

impl DataBundle {
    /// Opens the data set `request` names and prepares its splits.
    pub fn open(request: &DataRequest) -> Result<DataBundle> {
        let dataset = super::open(&request.name)?;
        let search_split = request
            .search_split
            .unwrap_or_else(|| 1000.min(dataset.train.len() / 10));
        let (mut train, search) = if search_split == 0 {
            (dataset.train.clone(), Split::default())
        } else {
            dataset.train.hold_out(search_split, request.seed)?
        };
        if request.train_images > 0 {
            train = train.first(request.train_images);
        }
        let mut test = dataset.test.clone();
        if request.test_images > 0 {
            test = test.first(request.test_images);
        }
        let loader = Loader::for_dataset(&dataset);
        let id = digest(&(
            &request.name,
            train.fingerprint(),
            search.fingerprint(),
            test.fingerprint(),
        ));
        Ok(DataBundle {
            dataset,
            request: request.clone(),
            loader,
            train,
            search,
            test,
            id,
        })
    }

    /// Opens `request` and checks it is the data `id` names: another machine's copy of a
    /// folder may differ.
    pub fn open_expecting(request: &DataRequest, id: &str) -> Result<DataBundle> {
        let bundle = DataBundle::open(request)?;
        if bundle.id != id {
            return Err(Error::InvalidData {
                origin: request.name.clone(),
                message: format!(
                    "this copy of the data prepares as {}, but the run used {id}; give every worker the same data",
                    bundle.id
                ),
            });
        }
        Ok(bundle)
    }

    /// The data set as opened (all of its training split, before holding out).
    pub fn dataset(&self) -> &Dataset {
        &self.dataset
    }
}
