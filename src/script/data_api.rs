//! `data::`: opening a data set for a script, with its search split held out of training
//! (SPOS: candidates are scored on it, never on the test split) and optional subsets for
//! quick runs. Scripts read data only through here.

use std::sync::Arc;

use rhai::{Engine, ImmutableString, Map, Module, INT};

use super::convert::{lift, Fallible, Options};
use super::registry::{function, getter};
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
    getter("name", &["data: Data", "String"], "The data set's name.")
        .register_into_engine(engine, |d: &mut SharedData| d.dataset().name.clone());
    getter("classes", &["data: Data", "i64"], "Number of classes.")
        .register_into_engine(engine, |d: &mut SharedData| d.dataset().classes() as INT);
    getter(
        "image_size",
        &["data: Data", "i64"],
        "Image height and width.",
    )
    .register_into_engine(engine, |d: &mut SharedData| d.dataset().image_size as INT);
    getter("channels", &["data: Data", "i64"], "Colour channels.")
        .register_into_engine(engine, |d: &mut SharedData| d.dataset().channels as INT);
    getter(
        "train_len",
        &["data: Data", "i64"],
        "Training images (search split held out).",
    )
    .register_into_engine(engine, |d: &mut SharedData| d.bundle().train.len() as INT);
    getter(
        "search_len",
        &["data: Data", "i64"],
        "Images of the search split.",
    )
    .register_into_engine(engine, |d: &mut SharedData| d.bundle().search.len() as INT);
    getter("test_len", &["data: Data", "i64"], "Test images.")
        .register_into_engine(engine, |d: &mut SharedData| d.bundle().test.len() as INT);
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
