//! Image folders: one subfolder per class holding PNG or JPEG files, either under `train/`
//! and `val/` (or `test/`) as ImageNet is laid out, or directly under the root (then every
//! fifth image of each class, in name order, is the test split). Any number of classes (labels
//! are 32-bit). Only file names are kept: images are decoded batch by batch, so memory does not
//! grow with the folder.

use std::path::Path;
use std::sync::Arc;

use super::decode::Crop;
use super::file_list::{FileImages, FileList};
use super::loader::ChannelMoments;
use super::{decode_pool, Dataset, Images, Normalization, Split};
use crate::error::{Error, Result};

/// Whether `folder` holds class subfolders (directly or under `train/`).
pub fn is_image_folder(folder: &Path) -> bool {
    let root = if folder.join("train").is_dir() {
        folder.join("train")
    } else {
        folder.to_path_buf()
    };
    class_folders(&root).is_ok_and(|classes| !classes.is_empty())
}

/// Opens an image folder whose images are decoded to `size` × `size` batch by batch (see
/// [`super::decode`]): only the file names are read now, and a sample of the training
/// images to measure the normalisation (which also finds an unreadable file early in small
/// folders).
pub fn open_image_folder(folder: &Path, size: usize) -> Result<Dataset> {
    if size == 0 {
        return Err(Error::InvalidValue {
            key: "size".into(),
            message: "images must be at least 1×1".into(),
        });
    }
    let test_root = ["val", "test"]
        .iter()
        .find(|name| folder.join(name).is_dir());
    let mut list = FileList::new(folder);
    let (class_names, train, test) = if folder.join("train").is_dir() {
        let test_root = test_root.ok_or_else(|| Error::InvalidData {
            origin: folder.display().to_string(),
            message: "has train/ but neither val/ nor test/".into(),
        })?;
        let classes = class_folders(&folder.join("train"))?;
        let train = list_classes(&mut list, folder, "train", &classes, |_| true)?;
        let test = list_classes(&mut list, folder, test_root, &classes, |_| true)?;
        (classes, train, test)
    } else {
        let classes = class_folders(folder)?;
        let train = list_classes(&mut list, folder, "", &classes, |i| i % 5 != 4)?;
        let test = list_classes(&mut list, folder, "", &classes, |i| i % 5 == 4)?;
        (classes, train, test)
    };
    if class_names.len() < 2 || train.0.is_empty() {
        return Err(Error::InvalidData {
            origin: folder.display().to_string(),
            message: "needs at least two class folders with images in them".into(),
        });
    }
    let list = Arc::new(list);
    let train = Split::from_files(FileImages::new(Arc::clone(&list), train.0), train.1);
    let test = Split::from_files(FileImages::new(list, test.0), test.1);
    let normalization = sample_normalization(&train, size)?;
    let name = folder.file_name().map_or_else(
        || folder.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    Ok(Dataset {
        name,
        image_size: size,
        channels: 3,
        class_names,
        mirror_invariant: true,
        normalization: Some(normalization),
        train,
        test,
    })
}

/// Training images whose statistics stand for the whole folder's.
pub const NORMALIZATION_SAMPLE: usize = 500;

/// Per-channel statistics of up to [`NORMALIZATION_SAMPLE`] training images (a fixed,
/// seeded choice), centre-cropped as for evaluation, decoded a few dozen at a time.
fn sample_normalization(train: &Split, size: usize) -> Result<Normalization> {
    use rand::seq::SliceRandom;
    let mut order: Vec<usize> = (0..train.len()).collect();
    order.shuffle(&mut crate::rng::seeded(0));
    order.truncate(NORMALIZATION_SAMPLE);
    order.sort_unstable();
    let Images::Files(files) = train.images() else {
        unreachable!("an image folder's splits are file lists")
    };
    let threads = decode_pool::decode_threads();
    let mut moments = ChannelMoments::new(3);
    for chunk in order.chunks(64) {
        let crops = vec![Crop::Centre; chunk.len()];
        for image in decode_pool::decode_some(files, chunk, &crops, size, threads)? {
            moments.add_image(&image);
        }
    }
    Ok(moments.normalization())
}

/// The class subfolders of `root`, sorted by name (their order gives the labels).
fn class_folders(root: &Path) -> Result<Vec<String>> {
    let entries = std::fs::read_dir(root).map_err(|e| Error::io(root, e))?;
    let mut classes = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(root, e))?;
        if entry.path().is_dir() {
            classes.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    classes.sort();
    if u32::try_from(classes.len()).is_err() {
        return Err(Error::InvalidData {
            origin: root.display().to_string(),
            message: format!("{} class folders; labels are 32-bit", classes.len()),
        });
    }
    Ok(classes)
}

/// Adds the images of each class folder under `root/sub` whose index (in name order) `keep`
/// accepts to `list`; returns their indices in the list and their labels.
fn list_classes(
    list: &mut FileList,
    root: &Path,
    sub: &str,
    classes: &[String],
    keep: impl Fn(usize) -> bool,
) -> Result<(Vec<u32>, Vec<u32>)> {
    let (mut picks, mut labels) = (Vec::new(), Vec::new());
    let base = root.join(sub);
    for (label, class) in classes.iter().enumerate() {
        let folder = base.join(class);
        if !folder.is_dir() {
            return Err(Error::InvalidData {
                origin: base.display().to_string(),
                message: format!("class folder `{class}` is missing here"),
            });
        }
        let mut files: Vec<String> = std::fs::read_dir(&folder)
            .map_err(|e| Error::io(&folder, e))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| is_image_file(path))
            .filter_map(|path| path.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        files.sort();
        for (index, file) in files.iter().enumerate() {
            if keep(index) {
                let name = if sub.is_empty() {
                    format!("{class}/{file}")
                } else {
                    format!("{sub}/{class}/{file}")
                };
                let at = list.push(&name);
                picks.push(u32::try_from(at).map_err(|_| Error::InvalidData {
                    origin: root.display().to_string(),
                    message: "more than 4,294,967,295 images".into(),
                })?);
                labels.push(label as u32);
            }
        }
    }
    Ok((picks, labels))
}

fn is_image_file(path: &Path) -> bool {
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    matches!(extension.as_str(), "png" | "jpg" | "jpeg")
}
