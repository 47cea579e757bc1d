//! `data::`: opening a data set for a script, with its search split held out of training
//! (SPOS: candidates are scored on it, never on the test split) and optional subsets for
//! quick runs. Scripts read data only through here.

use std::sync::Arc;

use rhai::plugin::*;
use rhai::{Engine, ImmutableString, Map, Module, INT};

use super::convert::{lift, Fallible, Options};
use super::registry::function;
use crate::data::{DataBundle, DataRequest, Dataset};
use crate::run::Shared;

/// A data set as a script holds it: shared, never copied.
#[derive(Clone, Debug)]
pub struct SharedData(Arc<DataBundle>);

impl SharedData {
    /// The data set as opened (all of its training split, before holding out).
    pub fn dataset(&self) -> &Dataset {
        self.0.dataset()
    }

    /// The splits and loader.
    pub fn bundle(&self) -> &DataBundle {
        &self.0
    }

    /// Another handle on the same bundle.
    pub fn shared(&self) -> Arc<DataBundle> {
        Arc::clone(&self.0)
    }
}

/// Opens the data `request` names for a script.
fn open(request: &DataRequest) -> crate::Result<SharedData> {
    DataBundle::open(request).map(|b| SharedData(Arc::new(b)))
}

/// What opening data counts as in a run's time split.
const DATA_LOADING: &str = "data loading";

/// The `data` module.
pub fn module(context: &Shared) -> Module {
    let mut m = Module::new();
    let ctx = context.clone();
    function(
        "open",
        &["name: &str", "Data"],
        "Opens a data set: `fashion-mnist-mini` (bundled), `synthetic`, or a folder of MNIST IDX,\n\
         CIFAR binary files or class subfolders of images (`path@SIZE` resizes). Holds out\n\
         1000 training images (at most a tenth) as the search split.",
    )
    .set_into_module(&mut m, move |name: ImmutableString| {
        let request = DataRequest {
            name: name.to_string(),
            ..DataRequest::default()
        };
        lift(ctx.work().time(DATA_LOADING, || open(&request)))
    });
    let ctx = context.clone();
    function(
        "open",
        &["name: &str", "options: Map", "Data"],
        "Opens a data set with options: `search_split` (images held out for scoring; default\n\
         1000, at most a tenth), `seed` (which ones, default 0), `train_images` and `test_images` (use only the\n\
         first N, 0 = all: for quick runs).",
    )
    .set_into_module(&mut m, move |name: ImmutableString, options: Map| -> Fallible<SharedData> {
        let mut o = Options::new("data::open", options);
        let request = DataRequest {
            name: name.to_string(),
            search_split: o.optional_count("search_split")?,
            seed: o.count("seed", 0)? as u64,
            train_images: o.count("train_images", 0)?,
            test_images: o.count("test_images", 0)?,
        };
        o.finish()?;
        lift(ctx.work().time(DATA_LOADING, || open(&request)))
    });
    m
}

/// Registers the properties of `Data`.
pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<SharedData>("Data");
    engine.register_fn("to_string", |d: &mut SharedData| describe(d));
    engine.register_fn("to_debug", |d: &mut SharedData| describe(d));
    engine.register_global_module(exported_module!(data_properties).into());
}

/// The properties of `Data`, with signatures and docs taken from here.
#[export_module]
mod data_properties {
    use super::*;

    pub type Data = SharedData;

    /// The data set's name.
    #[rhai_fn(get = "name", pure)]
    pub fn name(data: &mut Data) -> String {
        data.dataset().name.clone()
    }

    /// Number of classes.
    #[rhai_fn(get = "classes", pure)]
    pub fn classes(data: &mut Data) -> INT {
        data.dataset().classes() as INT
    }

    /// Image height and width.
    #[rhai_fn(get = "image_size", pure)]
    pub fn image_size(data: &mut Data) -> INT {
        data.dataset().image_size as INT
    }

    /// Colour channels.
    #[rhai_fn(get = "channels", pure)]
    pub fn channels(data: &mut Data) -> INT {
        data.dataset().channels as INT
    }

    /// Training images (search split held out).
    #[rhai_fn(get = "train_len", pure)]
    pub fn train_len(data: &mut Data) -> INT {
        data.bundle().train.len() as INT
    }

    /// Images of the search split.
    #[rhai_fn(get = "search_len", pure)]
    pub fn search_len(data: &mut Data) -> INT {
        data.bundle().search.len() as INT
    }

    /// Test images.
    #[rhai_fn(get = "test_len", pure)]
    pub fn test_len(data: &mut Data) -> INT {
        data.bundle().test.len() as INT
    }
}

fn describe(d: &SharedData) -> String {
    let b = d.bundle();
    let ds = d.dataset();
    format!(
        "data `{}`: {}×{}×{} images, {} classes; {} train, {} search, {} test",
        ds.name,
        ds.image_size,
        ds.image_size,
        ds.channels,
        ds.classes(),
        b.train.len(),
        b.search.len(),
        b.test.len()
    )
}
