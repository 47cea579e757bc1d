//! Decoding one image file to a square of channel-planar RGB bytes, the way DeiT's recipe
//! prepares ImageNet: for evaluation, resize (bicubic) so the shorter side is `size / 0.875`
//! and crop the centre (256 → 224); for training, Inception's random-resized crop (8–100 % of
//! the area, aspect ratio 3/4–4/3, torchvision's ten tries then a centre fallback), resized
//! bicubically to `size`, then a horizontal flip half of the time. Either way only the box
//! that is kept is resized (`fast_image_resize`, SIMD), straight to `size × size`.

use std::path::Path;

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
    let rgb = open_rgb(path)?;
    let (width, height) = rgb.dimensions();
    let (cut, flip) = match crop {
        Crop::Centre => (centre_box(width, height, size, EVAL_CROP_FRACTION), false),
        Crop::Random { seed, crop, flip } => {
            let mut rng = crate::rng::seeded(seed);
            let cut = if crop {
                let (x, y, w, h) = random_resized_box(width, height, &mut rng);
                (x as f64, y as f64, w as f64, h as f64)
            } else {
                centre_box(width, height, size, EVAL_CROP_FRACTION)
            };
            (cut, flip && rng.random_bool(0.5))
        }
    };
    cut_square(rgb, cut, size, flip, path)
}

/// The image at `path` as `3 · size · size` channel-planar RGB bytes: resized (bicubic) so
/// its shorter side is `size / crop_fraction`, then the centre `size × size` (1.0: the
/// shorter side becomes `size`). A file that does not decode is an error naming it.
pub fn decode_centre(path: &Path, size: usize, crop_fraction: f64) -> Result<Vec<u8>> {
    let rgb = open_rgb(path)?;
    let (width, height) = rgb.dimensions();
    let cut = centre_box(width, height, size, crop_fraction);
    cut_square(rgb, cut, size, false, path)
}

/// The image at `path` in 8-bit RGB, whatever its own colour type.
fn open_rgb(path: &Path) -> Result<image::RgbImage> {
    let image = image::open(path).map_err(|e| {
        Error::invalid_data(
            path.display(),
            format!("not a readable PNG or JPEG image: {e}"),
        )
    })?;
    Ok(image.into_rgb8())
}

/// The box `cut` of `rgb` resized to `size × size`, channel-planar, mirrored when `flip`.
fn cut_square(
    rgb: image::RgbImage,
    cut: (f64, f64, f64, f64),
    size: usize,
    flip: bool,
    path: &Path,
) -> Result<Vec<u8>> {
    let square = resize_box(rgb, cut, size)
        .map_err(|e| Error::invalid_data(path.display(), format!("could not resize: {e}")))?;
    Ok(planar(&square, size, flip))
}

/// The part of a `width × height` image that evaluation keeps: the centre `size × size` of
/// the image resized so its shorter side is `size / crop_fraction`, as a box in the image's
/// own pixels (resizing that box to `size` is resizing the image, then cropping).
fn centre_box(width: u32, height: u32, size: usize, crop_fraction: f64) -> (f64, f64, f64, f64) {
    let short = (size as f64 / crop_fraction).round().max(size as f64);
    let side = size as f64 * width.min(height) as f64 / short;
    (
        (width as f64 - side) / 2.0,
        (height as f64 - side) / 2.0,
        side,
        side,
    )
}

/// The box `(x, y, w, h)` of `rgb` resized (bicubic) to `size × size` bytes, interleaved RGB.
fn resize_box(
    rgb: image::RgbImage,
    (x, y, w, h): (f64, f64, f64, f64),
    size: usize,
) -> std::result::Result<Vec<u8>, String> {
    use fast_image_resize::images::Image;
    use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
    let (width, height) = rgb.dimensions();
    let source = Image::from_vec_u8(width, height, rgb.into_raw(), PixelType::U8x3)
        .map_err(|e| e.to_string())?;
    let mut target = Image::new(size as u32, size as u32, PixelType::U8x3);
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::CatmullRom))
        .crop(x, y, w, h);
    Resizer::new()
        .resize(&source, &mut target, &options)
        .map_err(|e| e.to_string())?;
    Ok(target.into_vec())
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

/// Interleaved `size × size` RGB bytes to channel-planar ones, mirrored when `flip`.
fn planar(rgb: &[u8], size: usize, flip: bool) -> Vec<u8> {
    let plane = size * size;
    let mut out = vec![0u8; 3 * plane];
    for (row, pixels) in rgb.chunks_exact(3 * size).enumerate() {
        for (column, pixel) in pixels.chunks_exact(3).enumerate() {
            let x = if flip { size - 1 - column } else { column };
            for channel in 0..3 {
                out[channel * plane + row * size + x] = pixel[channel];
            }
        }
    }
    out
}
