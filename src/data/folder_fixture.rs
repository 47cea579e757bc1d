//! Generated stand-ins for ImageNet-layout folders (`train/<class>/*.jpeg`,
//! `val/<class>/*.jpeg`): as many classes as asked, JPEG files of a chosen size whose colours
//! and stripes depend on the class, so the streaming reader, its memory bound and paper-scale
//! scripts can be exercised without the real data.

use std::path::Path;

use image::{Rgb, RgbImage};
use rand::RngExt;

use crate::error::{Error, Result};

/// The shape of a generated folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderSpec {
    /// Class folders (named `n00000000`, `n00000001`, … as ImageNet's synsets).
    pub classes: usize,
    /// Images per class under `train/`.
    pub train_per_class: usize,
    /// Images per class under `val/`.
    pub val_per_class: usize,
    /// Width of every image.
    pub width: u32,
    /// Height of every image.
    pub height: u32,
    /// Seeds the noise.
    pub seed: u64,
}

/// Writes a folder as `spec` describes under `root` (created if needed).
pub fn write_image_folder(root: &Path, spec: &FolderSpec) -> Result<()> {
    let mut rng = crate::rng::seeded(spec.seed);
    for (split, count) in [("train", spec.train_per_class), ("val", spec.val_per_class)] {
        for class in 0..spec.classes {
            let folder = root.join(split).join(format!("n{class:08}"));
            std::fs::create_dir_all(&folder).map_err(|e| Error::io(&folder, e))?;
            for index in 0..count {
                let image = class_image(class, spec.width, spec.height, &mut rng);
                let path = folder.join(format!("{split}_{class}_{index}.JPEG"));
                image
                    .save_with_format(&path, image::ImageFormat::Jpeg)
                    .map_err(|e| Error::InvalidData {
                        origin: path.display().to_string(),
                        message: format!("could not write a JPEG: {e}"),
                    })?;
            }
        }
    }
    Ok(())
}

/// A noisy image whose colour and stripe period say its class, shaded top to bottom.
fn class_image(class: usize, width: u32, height: u32, rng: &mut crate::rng::SearchRng) -> RgbImage {
    let colour = [
        (class * 67 % 256) as f64,
        (class * 131 % 256) as f64,
        (class * 29 % 256) as f64,
    ];
    let period = 2 + (class % 7) as u32;
    RgbImage::from_fn(width, height, |x, y| {
        let stripe = if (x / period).is_multiple_of(2) {
            40.0
        } else {
            -40.0
        };
        let shade = 30.0 * y as f64 / height as f64;
        let noise = rng.random_range(-20.0..20.0);
        Rgb(colour.map(|c| (c + stripe + shade + noise).clamp(0.0, 255.0) as u8))
    })
}
