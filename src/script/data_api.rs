//! `data::`: opening a data set for a script, with its search split held out of training
//! (SPOS: candidates are scored on it, never on the test split) and optional subsets for
//! quick runs. Scripts read data only through here.

use std::sync::Arc;

use rhai::{Engine, ImmutableString, Map, Module, INT};

use super::context::Shared;
use super::convert::{lift, Fallible, Options};
use super::registry::{function, getter};
use crate::data::{self, Dataset, Loader, Split};
use crate::search::digest;

/// A data set as a script holds it: shared, never copied.
#[derive(Clone, Debug)]
pub struct SharedData(Arc<DataBundle>);

/// The splits a search uses and how batches are made.
#[derive(Debug)]
pub struct DataBundle {
    dataset: Dataset,
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

impl SharedData {
    /// The data set as opened (all of its training split, before holding out).
    pub fn dataset(&self) -> &Dataset {
        &self.0.dataset
    }

    /// The splits and loader.
    pub fn bundle(&self) -> &DataBundle {
        &self.0
    }
}

/// What `data::open` was given.
struct Request {
    /// `None`: 1000 images, at most a tenth of the training split.
    search_split: Option<usize>,
    seed: u64,
    train_images: usize,
    test_images: usize,
}

/// Opens `name` and prepares the splits `request` asks for.
fn open(name: &str, request: &Request) -> crate::Result<SharedData> {
    let dataset = data::open(name)?;
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
        name,
        train.fingerprint(),
        search.fingerprint(),
        test.fingerprint(),
    ));
    Ok(SharedData(Arc::new(DataBundle {
        dataset,
        loader,
        train,
        search,
        test,
        id,
    })))
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
        let request = Request {
            search_split: None,
            seed: 0,
            train_images: 0,
            test_images: 0,
        };
        lift(ctx.work().time(DATA_LOADING, || open(&name, &request)))
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
        let request = Request {
            search_split: o.optional_count("search_split")?,
            seed: o.count("seed", 0)? as u64,
            train_images: o.count("train_images", 0)?,
            test_images: o.count("test_images", 0)?,
        };
        o.finish()?;
        lift(ctx.work().time(DATA_LOADING, || open(&name, &request)))
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
