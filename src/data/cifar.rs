//! CIFAR-10 and CIFAR-100 in their binary form (`cifar-10-batches-bin/`, `cifar-100-binary/`):
//! records of label byte(s) then 3 × 32 × 32 pixel bytes, channel-planar, as the loader
//! wants them.

use std::path::Path;

use super::{Dataset, Split};
use crate::error::{Error, Result};

const PIXELS: usize = 3 * 32 * 32;

/// Which CIFAR: the file names, the label bytes per record, the class names file.
struct Layout {
    train: &'static [&'static str],
    test: &'static str,
    /// Bytes before the pixels; the label is the last of them (CIFAR-100: coarse, fine).
    label_bytes: usize,
    classes: usize,
    names_file: &'static str,
}

const CIFAR10: Layout = Layout {
    train: &[
        "data_batch_1.bin",
        "data_batch_2.bin",
        "data_batch_3.bin",
        "data_batch_4.bin",
        "data_batch_5.bin",
    ],
    test: "test_batch.bin",
    label_bytes: 1,
    classes: 10,
    names_file: "batches.meta.txt",
};

const CIFAR100: Layout = Layout {
    train: &["train.bin"],
    test: "test.bin",
    label_bytes: 2,
    classes: 100,
    names_file: "fine_label_names.txt",
};

/// Whether `folder` looks like an extracted CIFAR binary archive.
pub fn is_cifar_folder(folder: &Path) -> bool {
    folder.join(CIFAR10.test).is_file() || folder.join(CIFAR100.test).is_file()
}

/// Opens the CIFAR-10 or CIFAR-100 binary files in `folder` (whichever are there).
pub fn open_cifar_folder(folder: &Path) -> Result<Dataset> {
    let (layout, name) = if folder.join(CIFAR10.test).is_file() {
        (&CIFAR10, "cifar-10")
    } else {
        (&CIFAR100, "cifar-100")
    };
    let (mut pixels, mut labels) = (Vec::new(), Vec::new());
    for file in layout.train {
        let part = read_records(&folder.join(file), layout)?;
        pixels.extend_from_slice(part.pixels().unwrap_or_default());
        labels.extend(part.labels);
    }
    let train = Split::from_pixels(pixels, labels);
    let test = read_records(&folder.join(layout.test), layout)?;
    let class_names: Vec<String> = match std::fs::read_to_string(folder.join(layout.names_file)) {
        Ok(text) => text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect(),
        Err(_) => (0..layout.classes).map(|c| format!("class {c}")).collect(),
    };
    if class_names.len() != layout.classes {
        return Err(Error::InvalidData {
            origin: folder.join(layout.names_file).display().to_string(),
            message: format!(
                "{} class names, {name} has {}",
                class_names.len(),
                layout.classes
            ),
        });
    }
    Ok(Dataset {
        name: name.into(),
        image_size: 32,
        channels: 3,
        class_names,
        mirror_invariant: true,
        normalization: None,
        train,
        test,
    })
}

/// Parses one file of records.
fn read_records(path: &Path, layout: &Layout) -> Result<Split> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse_records(
        &bytes,
        layout.label_bytes,
        layout.classes,
        &path.display().to_string(),
    )
}

/// Parses CIFAR records: `label_bytes` label bytes (the last one is the class) then the
/// pixels. A length that is not a whole number of records, or a label out of range, is an
/// error naming `origin`.
pub fn parse_records(
    bytes: &[u8],
    label_bytes: usize,
    classes: usize,
    origin: &str,
) -> Result<Split> {
    let record = label_bytes + PIXELS;
    if bytes.is_empty() || !bytes.len().is_multiple_of(record) {
        return Err(Error::InvalidData {
            origin: origin.into(),
            message: format!(
                "{} bytes is not a whole number of {record}-byte CIFAR records (truncated or not a CIFAR binary file)",
                bytes.len()
            ),
        });
    }
    let count = bytes.len() / record;
    let mut pixels = Vec::with_capacity(count * PIXELS);
    let mut labels = Vec::with_capacity(count);
    for (index, chunk) in bytes.chunks_exact(record).enumerate() {
        let label = chunk[label_bytes - 1];
        if label as usize >= classes {
            return Err(Error::InvalidData {
                origin: origin.into(),
                message: format!("record {index} has label {label}, expected below {classes}"),
            });
        }
        labels.push(label as u32);
        pixels.extend_from_slice(&chunk[label_bytes..]);
    }
    Ok(Split::from_pixels(pixels, labels))
}

/// CIFAR-100 record layout, exposed for tests that write files.
pub const CIFAR100_LABEL_BYTES: usize = CIFAR100.label_bytes;
