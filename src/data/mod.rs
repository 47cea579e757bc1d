//! Image classification data: the bundled Fashion-MNIST subset and readers for IDX files.
//!
//! Images are kept as bytes (N × channels × H × W, row-major) with one label each; turning
//! them into normalised, augmented Burn batches is the training side's job.

mod bundled;
pub mod idx;

use std::path::Path;

use crate::error::{Error, Result};

pub use bundled::BUNDLED;

/// One split: images as bytes and their labels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split {
    /// `len · channels · size · size` pixel bytes.
    pub pixels: Vec<u8>,
    /// One label per image, each below the data set's class count.
    pub labels: Vec<u8>,
}

impl Split {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the split holds no image.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The images at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> Split {
        let image_len = self.pixels.len() / self.len().max(1);
        Split {
            pixels: indices
                .iter()
                .flat_map(|&i| &self.pixels[i * image_len..(i + 1) * image_len])
                .copied()
                .collect(),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
        }
    }

    /// SPOS's held-out search split: `held_out` images drawn from this (training) split by a
    /// permutation seeded with `seed`, and the rest, in their original order. The same seed
    /// always holds out the same images.
    pub fn hold_out(&self, held_out: usize, seed: u64) -> Result<(Split, Split)> {
        use rand::seq::SliceRandom;
        if held_out >= self.len() {
            return Err(Error::InvalidValue {
                key: "search_split".into(),
                message: format!(
                    "cannot hold out {held_out} of {} images and still train",
                    self.len()
                ),
            });
        }
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.shuffle(&mut crate::rng::seeded(seed));
        let mut search = order[..held_out].to_vec();
        let mut rest = order[held_out..].to_vec();
        search.sort_unstable();
        rest.sort_unstable();
        Ok((self.select(&rest), self.select(&search)))
    }
}

/// A data set: square images of one shape, a training and a test split, named classes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dataset {
    /// A short name for messages and run directories.
    pub name: String,
    /// Height and width of every image.
    pub image_size: usize,
    /// Colour channels.
    pub channels: usize,
    /// Class names, indexed by label.
    pub class_names: Vec<String>,
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

/// Opens a data set by name (`fashion-mnist-mini`, bundled in the binary) or by folder: a
/// folder holding the four IDX files of MNIST or Fashion-MNIST (gzip or not).
pub fn open(name_or_path: &str) -> Result<Dataset> {
    if name_or_path == BUNDLED {
        return bundled::fashion_mnist_mini();
    }
    let folder = Path::new(name_or_path);
    if folder.is_dir() {
        return open_idx_folder(folder);
    }
    Err(Error::InvalidValue {
        key: "data".into(),
        message: format!(
            "`{name_or_path}` is neither a bundled data set ({BUNDLED}) nor a folder of IDX files"
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
    from_idx(&name, train, test)
}

/// A gray-scale, 10-class data set from parsed IDX images and labels (with the label file's
/// name for errors).
fn from_idx(
    name: &str,
    train: (idx::IdxImages, Vec<u8>, String),
    test: (idx::IdxImages, Vec<u8>, String),
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
        splits.push(Split {
            pixels: images.pixels,
            labels,
        });
    }
    let test = splits.pop().expect("two splits");
    let train = splits.pop().expect("two splits");
    Ok(Dataset {
        name: name.into(),
        image_size,
        channels: 1,
        class_names: FASHION_MNIST_CLASSES.map(String::from).to_vec(),
        train,
        test,
    })
}
