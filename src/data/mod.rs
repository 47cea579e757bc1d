//! Image classification data: the bundled Fashion-MNIST subset, readers, and the loader that
//! turns images into normalised, augmented batches.
//!
//! Images are kept as bytes (N × channels × H × W, row-major) with one label each; turning
//! them into batches happens in [`Loader`].

mod bundle;
mod bundled;
pub mod cifar;
pub mod decode;
mod decode_pool;
mod file_list;
pub mod folder;
pub mod folder_fixture;
pub mod idx;
mod input;
mod loader;
mod prefetch;
mod split;
mod synthetic;

use std::path::Path;

use crate::error::{Error, Result};

pub use bundle::{DataBundle, DataRequest};
pub use bundled::BUNDLED;
pub use decode_pool::decode_threads;
pub use file_list::{FileImages, FileList};
pub use input::Input;
pub use loader::{batch_order, Augment, Batch, HostBatch, Loader, Normalization, StreamAugment};
pub use prefetch::{mix, prefetch_depth, Batches};
pub use split::{Images, Split};
pub use synthetic::{synthetic, SyntheticSpec, SYNTHETIC};

/// A data set: square images of one shape, a training and a test split, named classes.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// A short name for messages and run directories.
    pub name: String,
    /// Height and width of every image.
    pub image_size: usize,
    /// Colour channels.
    pub channels: usize,
    /// Class names, indexed by label.
    pub class_names: Vec<String>,
    /// Whether a mirrored image stays in its class (clothing, objects: yes; digits: no), which
    /// decides whether augmentation may flip images horizontally.
    pub mirror_invariant: bool,
    /// Per-channel statistics measured when the set was opened (a streamed folder's sample);
    /// `None`: the loader computes them from the in-memory training split.
    pub normalization: Option<Normalization>,
    /// The training split (a search split is held out of it, never of the test split).
    pub train: Split,
    /// The test split, for final numbers only.
    pub test: Split,
}

impl Dataset {
    /// Number of classes.
    pub fn classes(&self) -> usize {
        self.class_names.len()
    }

    /// Images per class in `split`.
    pub fn class_counts(&self, split: &Split) -> Vec<usize> {
        let mut counts = vec![0; self.classes()];
        for &label in &split.labels {
            counts[label as usize] += 1;
        }
        counts
    }
}

/// Fashion-MNIST's class names.
pub const FASHION_MNIST_CLASSES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

/// ImageNet-1k's 1000 class names in the order of its classifiers' outputs
/// (`data/imagenet-classes/`, from torchvision).
pub fn imagenet_classes() -> Vec<String> {
    include_str!("../../data/imagenet-classes/classes.txt")
        .lines()
        .map(String::from)
        .collect()
}

/// Opens a data set by name (`fashion-mnist-mini`, bundled in the binary; `synthetic`,
/// generated) or by folder: the four IDX files of MNIST or Fashion-MNIST (gzip or not), the
/// binary files of CIFAR-10 or CIFAR-100, or an image folder (class subfolders, directly or
/// under `train/` and `val/`), resized to 32 × 32 unless the path ends in `@SIZE`
/// (`photos@64`).
pub fn open(name_or_path: &str) -> Result<Dataset> {
    if name_or_path == BUNDLED {
        return bundled::fashion_mnist_mini();
    }
    if name_or_path == SYNTHETIC {
        return synthetic(&SyntheticSpec::default());
    }
    let (path, size) = match name_or_path.rsplit_once('@') {
        Some((path, size)) if size.parse::<usize>().is_ok() && Path::new(path).is_dir() => {
            (path, size.parse().expect("checked"))
        }
        _ => (name_or_path, 32),
    };
    let folder = Path::new(path);
    if folder.is_dir() {
        let has_idx = ["train-images-idx3-ubyte", "train-images-idx3-ubyte.gz"]
            .iter()
            .any(|f| folder.join(f).is_file());
        if has_idx {
            return open_idx_folder(folder);
        }
        if cifar::is_cifar_folder(folder) {
            return cifar::open_cifar_folder(folder);
        }
        if folder::is_image_folder(folder) {
            return folder::open_image_folder(folder, size);
        }
        return Err(Error::InvalidData {
            origin: folder.display().to_string(),
            message: "holds no IDX files (train-images-idx3-ubyte[.gz]), no CIFAR binary files (test_batch.bin or test.bin), and no class subfolders of images".into(),
        });
    }
    Err(Error::InvalidValue {
        key: "data".into(),
        message: format!(
            "`{name_or_path}` is neither a built-in data set ({BUNDLED}, {SYNTHETIC}) nor a folder (IDX, CIFAR binary or image folder)"
        ),
    })
}

/// Reads `train-images-idx3-ubyte[.gz]` and the three other standard files from `folder`.
pub fn open_idx_folder(folder: &Path) -> Result<Dataset> {
    let find = |stem: &str| {
        [format!("{stem}.gz"), stem.to_string()]
            .into_iter()
            .map(|name| folder.join(name))
            .find(|path| path.is_file())
            .ok_or_else(|| {
                Error::io(
                    folder.join(stem),
                    std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        "missing IDX file (with or without .gz)",
                    ),
                )
            })
    };
    let split = |images: &str, labels: &str| -> Result<(idx::IdxImages, Vec<u8>, String)> {
        let images_path = find(images)?;
        let labels_path = find(labels)?;
        Ok((
            idx::read_images(&images_path)?,
            idx::read_labels(&labels_path)?,
            labels_path.display().to_string(),
        ))
    };
    let train = split("train-images-idx3-ubyte", "train-labels-idx1-ubyte")?;
    let test = split("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")?;
    let name = folder.file_name().map_or_else(
        || folder.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    // MNIST and Fashion-MNIST share one file format; the folder's name tells them apart.
    let fashion = name.to_lowercase().contains("fashion");
    from_idx(&name, train, test, fashion)
}

/// A gray-scale, 10-class data set from parsed IDX images and labels (with the label file's
/// name for errors): Fashion-MNIST's classes when `fashion`, else the ten digits.
fn from_idx(
    name: &str,
    train: (idx::IdxImages, Vec<u8>, String),
    test: (idx::IdxImages, Vec<u8>, String),
    fashion: bool,
) -> Result<Dataset> {
    let image_size = train.0.rows;
    let mut splits = Vec::new();
    for (images, labels, origin) in [train, test] {
        if images.rows != images.cols || images.rows != image_size {
            return Err(Error::InvalidData {
                origin,
                message: format!(
                    "images are {}×{}, expected square {image_size}×{image_size}",
                    images.rows, images.cols
                ),
            });
        }
        if images.count == 0 {
            return Err(Error::InvalidData {
                origin,
                message: "holds no images".into(),
            });
        }
        if images.count != labels.len() {
            return Err(Error::InvalidData {
                origin,
                message: format!("{} labels for {} images", labels.len(), images.count),
            });
        }
        if let Some((index, label)) = labels.iter().enumerate().find(|(_, &l)| l >= 10) {
            return Err(Error::InvalidData {
                origin,
                message: format!("label {label} of image {index} is not a class 0-9"),
            });
        }
        splits.push(Split::from_pixels(
            images.pixels,
            labels.into_iter().map(u32::from).collect(),
        ));
    }
    let test = splits.pop().expect("two splits");
    let train = splits.pop().expect("two splits");
    Ok(Dataset {
        name: name.into(),
        image_size,
        channels: 1,
        class_names: if fashion {
            FASHION_MNIST_CLASSES.map(String::from).to_vec()
        } else {
            (0..10).map(|digit| digit.to_string()).collect()
        },
        mirror_invariant: fashion,
        normalization: None,
        train,
        test,
    })
}
