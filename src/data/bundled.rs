//! The bundled data set, embedded in the binary so it opens from any directory:
//! `fashion-mnist-mini`, the first 10,000 training and 2,000 test images of Fashion-MNIST
//! (Zalando Research, MIT; see `data/fashion-mnist-mini/README.md` and `LICENSE`).

use super::{from_idx, idx, Dataset};
use crate::error::Result;

/// The bundled data set's name.
pub const BUNDLED: &str = "fashion-mnist-mini";

macro_rules! bundled_file {
    ($name:literal) => {
        (
            include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/data/fashion-mnist-mini/",
                $name
            ))
            .as_slice(),
            concat!("bundled ", $name),
        )
    };
}

/// Opens the bundled Fashion-MNIST subset.
pub fn fashion_mnist_mini() -> Result<Dataset> {
    let read = |(images, images_name): (&[u8], &str), (labels, labels_name): (&[u8], &str)| {
        Ok::<_, crate::Error>((
            idx::parse_images(images, images_name)?,
            idx::parse_labels(labels, labels_name)?,
            labels_name.to_string(),
        ))
    };
    let train = read(
        bundled_file!("train-images-idx3-ubyte.gz"),
        bundled_file!("train-labels-idx1-ubyte.gz"),
    )?;
    let test = read(
        bundled_file!("t10k-images-idx3-ubyte.gz"),
        bundled_file!("t10k-labels-idx1-ubyte.gz"),
    )?;
    from_idx(BUNDLED, train, test, true)
}
