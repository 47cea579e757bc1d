//! Decoding one image file to a square of channel-planar RGB bytes, the way DeiT's recipe
//! prepares ImageNet: for evaluation, resize (bicubic) so the shorter side is `size / 0.875`
//! and crop the centre (256 → 224); for training, Inception's random-resized crop (8–100 % of
//! the area, aspect ratio 3/4–4/3, torchvision's ten tries then a centre fallback), resized
//! bicubically to `size`, then a horizontal flip half of the time.

use std::path::Path;

use image::imageops::FilterType;
use image::RgbImage;
use rand::RngExt;

use crate::error::{Error, Result};

/// DeiT's evaluation crop: 224 of 256.
pub const EVAL_CROP_FRACTION: f64 = 0.875;

/// How an image is cut to its square.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Crop {
    /// Evaluation: the centre, after resizing.
    Centre,
    /// Training: a random-resized crop (or the centre when not `crop`) drawn from a stream
    /// seeded with `seed`, mirrored half of the time when `flip`.
    Random {
        /// Seeds this image's choices (so decoding on any thread gives the same crop).
        seed: u64,
        /// Whether to cut a random-resized crop.
        crop: bool,
        /// Whether horizontal flips are allowed.
        flip: bool,
    },
}

/// The image at `path` as `3 · size · size` channel-planar RGB bytes. A file that does not
/// decode is an error naming it.
pub fn decode_square(path: &Path, size: usize, crop: Crop) -> Result<Vec<u8>> {
    let image = image::open(path).map_err(|e| Error::InvalidData {
        origin: path.display().to_string(),
        message: format!("not a readable PNG or JPEG image: {e}"),
    })?;
    let rgb = image.to_rgb8();
    let square = match crop {
        Crop::Centre => centre_square(&rgb, size),
        Crop::Random { seed, crop, flip } => {
            let mut rng = crate::rng::seeded(seed);
            let mut out = if crop {
                let (x, y, w, h) = random_resized_box(rgb.width(), rgb.height(), &mut rng);
                let cut = image::imageops::crop_imm(&rgb, x, y, w, h).to_image();
                image::imageops::resize(&cut, size as u32, size as u32, FilterType::CatmullRom)
            } else {
                centre_square(&rgb, size)
            };
            if flip && rng.random_bool(0.5) {
                image::imageops::flip_horizontal_in_place(&mut out);
            }
            out
        }
    };
    Ok(planar(&square))
}

/// Resized so the shorter side is `size / 0.875`, then the centre `size × size`.
fn centre_square(rgb: &RgbImage, size: usize) -> RgbImage {
    let (w, h) = rgb.dimensions();
    let short = ((size as f64 / EVAL_CROP_FRACTION).round() as u32).max(size as u32);
    let scale = short as f64 / w.min(h) as f64;
    let (rw, rh) = (
        ((w as f64 * scale).round() as u32).max(size as u32),
        ((h as f64 * scale).round() as u32).max(size as u32),
    );
    let resized = image::imageops::resize(rgb, rw, rh, FilterType::CatmullRom);
    let (x0, y0) = ((rw - size as u32) / 2, (rh - size as u32) / 2);
    image::imageops::crop_imm(&resized, x0, y0, size as u32, size as u32).to_image()
}

/// torchvision's `RandomResizedCrop.get_params` with scale (0.08, 1) and ratio (3/4, 4/3):
/// `(x, y, width, height)` of the crop.
pub fn random_resized_box(
    width: u32,
    height: u32,
    rng: &mut crate::rng::SearchRng,
) -> (u32, u32, u32, u32) {
    let area = width as f64 * height as f64;
    let (low, high) = ((3.0f64 / 4.0).ln(), (4.0f64 / 3.0).ln());
    for _ in 0..10 {
        let target = area * rng.random_range(0.08..=1.0);
        let aspect = rng.random_range(low..=high).exp();
        let w = (target * aspect).sqrt().round() as u32;
        let h = (target / aspect).sqrt().round() as u32;
        if 0 < w && w <= width && 0 < h && h <= height {
            let x = rng.random_range(0..=width - w);
            let y = rng.random_range(0..=height - h);
            return (x, y, w, h);
        }
    }
    // Fallback: the whole image, clipped to the allowed aspect ratios, centred.
    let ratio = width as f64 / height as f64;
    let (w, h) = if ratio < 3.0 / 4.0 {
        (
            width,
            ((width as f64 / (3.0 / 4.0)).round() as u32).min(height),
        )
    } else if ratio > 4.0 / 3.0 {
        (
            ((height as f64 * 4.0 / 3.0).round() as u32).min(width),
            height,
        )
    } else {
        (width, height)
    };
    ((width - w) / 2, (height - h) / 2, w.max(1), h.max(1))
}

/// Interleaved RGB to channel-planar bytes.
fn planar(rgb: &RgbImage) -> Vec<u8> {
    let plane = (rgb.width() * rgb.height()) as usize;
    let mut out = vec![0u8; 3 * plane];
    for (i, pixel) in rgb.pixels().enumerate() {
        for channel in 0..3 {
            out[channel * plane + i] = pixel[channel];
        }
    }
    out
}
