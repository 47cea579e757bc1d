//! Image folders: one subfolder per class holding PNG or JPEG files, either under `train/`
//! and `val/` (or `test/`) as ImageNet is laid out, or directly under the root (then every
//! fifth image of each class, in name order, is the test split). Images are decoded once,
//! resized so the shorter side fits, centre-cropped to a square and kept in memory as RGB.

use std::path::{Path, PathBuf};

use image::imageops::FilterType;

use super::{Dataset, Split};
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

/// Opens an image folder, resizing every image to `size` × `size`.
pub fn open_image_folder(folder: &Path, size: usize) -> Result<Dataset> {
    if size == 0 {
        return Err(Error::InvalidValue {
            key: "size".into(),
            message: "images must be at least 1×1".into(),
        });
    }
    let test_root = ["val", "test"]
        .iter()
        .map(|name| folder.join(name))
        .find(|path| path.is_dir());
    let (class_names, train, test) = if folder.join("train").is_dir() {
        let test_root = test_root.ok_or_else(|| Error::InvalidData {
            origin: folder.display().to_string(),
            message: "has train/ but neither val/ nor test/".into(),
        })?;
        let classes = class_folders(&folder.join("train"))?;
        let train = read_classes(&folder.join("train"), &classes, size, |_| true)?;
        let test = read_classes(&test_root, &classes, size, |_| true)?;
        (classes, train, test)
    } else {
        let classes = class_folders(folder)?;
        let train = read_classes(folder, &classes, size, |i| i % 5 != 4)?;
        let test = read_classes(folder, &classes, size, |i| i % 5 == 4)?;
        (classes, train, test)
    };
    if class_names.len() < 2 || train.is_empty() {
        return Err(Error::InvalidData {
            origin: folder.display().to_string(),
            message: "needs at least two class folders with images in them".into(),
        });
    }
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
        train,
        test,
    })
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
    if classes.len() > 256 {
        return Err(Error::InvalidData {
            origin: root.display().to_string(),
            message: format!("{} class folders; at most 256 are supported", classes.len()),
        });
    }
    Ok(classes)
}

/// The images of each class folder under `root` whose index (in name order) `keep` accepts.
fn read_classes(
    root: &Path,
    classes: &[String],
    size: usize,
    keep: impl Fn(usize) -> bool,
) -> Result<Split> {
    let mut split = Split::default();
    for (label, class) in classes.iter().enumerate() {
        let folder = root.join(class);
        if !folder.is_dir() {
            return Err(Error::InvalidData {
                origin: root.display().to_string(),
                message: format!("class folder `{class}` is missing here"),
            });
        }
        let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
            .map_err(|e| Error::io(&folder, e))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| is_image_file(path))
            .collect();
        files.sort();
        for (index, file) in files.iter().enumerate() {
            if keep(index) {
                split.pixels.extend(load_square_rgb(file, size)?);
                split.labels.push(label as u8);
            }
        }
    }
    Ok(split)
}

fn is_image_file(path: &Path) -> bool {
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    matches!(extension.as_str(), "png" | "jpg" | "jpeg")
}

/// One image, resized (bilinear) so its shorter side is `size`, centre-cropped to a square,
/// as channel-planar RGB bytes. A file that does not decode is an error naming it.
pub fn load_square_rgb(path: &Path, size: usize) -> Result<Vec<u8>> {
    let image = image::open(path).map_err(|e| Error::InvalidData {
        origin: path.display().to_string(),
        message: format!("not a readable PNG or JPEG image: {e}"),
    })?;
    let rgb = image.to_rgb8();
    let (w, h) = rgb.dimensions();
    let scale = size as f64 / w.min(h) as f64;
    let (rw, rh) = (
        ((w as f64 * scale).round() as u32).max(size as u32),
        ((h as f64 * scale).round() as u32).max(size as u32),
    );
    let resized = image::imageops::resize(&rgb, rw, rh, FilterType::Triangle);
    let (x0, y0) = ((rw - size as u32) / 2, (rh - size as u32) / 2);
    let mut planar = vec![0u8; 3 * size * size];
    for y in 0..size {
        for x in 0..size {
            let pixel = resized.get_pixel(x0 + x as u32, y0 + y as u32);
            for channel in 0..3 {
                planar[channel * size * size + y * size + x] = pixel[channel];
            }
        }
    }
    Ok(planar)
}
