//! How a picture file becomes a network's input: the centre crop, the colour channels and the
//! per-channel normalisation a network was trained with, stored beside its weights so that
//! predicting on a user's own images prepares them as training did.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::decode::{decode_centre, EVAL_CROP_FRACTION};
use super::{Dataset, Loader, Normalization};
use crate::error::{Error, Result};

/// ImageNet's per-channel mean, as timm and torchvision normalise with.
const IMAGENET_MEAN: [f32; 3] = [0.485, 0.456, 0.406];
/// ImageNet's per-channel standard deviation.
const IMAGENET_STD: [f32; 3] = [0.229, 0.224, 0.225];

/// The preparation of one picture: resize (bicubic) so the shorter side is
/// `image_size / crop_fraction`, cut the centre `image_size × image_size`, convert to the
/// network's channels, scale to [0, 1], then subtract the mean and divide by the standard
/// deviation of each channel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Height and width the network takes.
    pub image_size: usize,
    /// 3 (RGB) or 1 (grey, from RGB with ITU-R 601 weights as PIL's `L` mode).
    pub channels: usize,
    /// The part of the shorter side the centre crop keeps (DeiT's 224 of 256: 0.875).
    pub crop_fraction: f64,
    /// Per-channel statistics of the training images.
    pub normalization: Normalization,
}

impl Input {
    /// The standard ImageNet evaluation transform at `image_size`: resize to `size / 0.875`,
    /// centre crop, RGB, ImageNet mean and standard deviation.
    pub fn imagenet(image_size: usize) -> Input {
        Input {
            image_size,
            channels: 3,
            crop_fraction: EVAL_CROP_FRACTION,
            normalization: Normalization {
                mean: IMAGENET_MEAN.to_vec(),
                std: IMAGENET_STD.to_vec(),
            },
        }
    }

    /// How `dataset`'s test images reach a network glit trained on it with the loader
    /// [`Loader::for_dataset`] makes.
    pub fn of_dataset(dataset: &Dataset) -> Input {
        Input::of_loader(&Loader::for_dataset(dataset), dataset)
    }

    /// How `dataset`'s test images reach a network trained through `loader`: image folders
    /// are cut as their evaluation decodes them (the centre 0.875); sets stored at their size
    /// (IDX, CIFAR) take the whole picture, resized. The statistics are the loader's.
    pub fn of_loader(loader: &Loader, dataset: &Dataset) -> Input {
        Input {
            image_size: loader.image_size,
            channels: loader.channels,
            crop_fraction: if dataset.test.is_streamed() {
                EVAL_CROP_FRACTION
            } else {
                1.0
            },
            normalization: loader.normalization.clone(),
        }
    }

    /// Whether the description can be followed; `origin` names where it came from.
    pub fn check(&self, origin: &str) -> Result<()> {
        let problem = if self.channels != 1 && self.channels != 3 {
            Some(format!(
                "{} channels; pictures become 1 (grey) or 3 (RGB)",
                self.channels
            ))
        } else if self.normalization.mean.len() != self.channels
            || self.normalization.std.len() != self.channels
        {
            Some(format!(
                "{} means and {} standard deviations for {} channels",
                self.normalization.mean.len(),
                self.normalization.std.len(),
                self.channels
            ))
        } else if self
            .normalization
            .std
            .iter()
            .any(|s| s.is_nan() || *s <= 0.0)
        {
            Some("a standard deviation is not above 0".into())
        } else if !(self.crop_fraction > 0.0 && self.crop_fraction <= 1.0) {
            Some(format!(
                "crop fraction {} is not in (0, 1]",
                self.crop_fraction
            ))
        } else if self.image_size == 0 {
            Some("image size 0".into())
        } else {
            None
        };
        match problem {
            Some(message) => Err(Error::invalid_data(origin, format!("input: {message}"))),
            None => Ok(()),
        }
    }

    /// The picture at `path` prepared for the network: `channels · size · size` values,
    /// channel-planar. A file that is not a readable image is an error naming it.
    pub fn values(&self, path: &Path) -> Result<Vec<f32>> {
        let size = self.image_size;
        let rgb = decode_centre(path, size, self.crop_fraction)?;
        let plane = size * size;
        let bytes = if self.channels == 1 {
            grey(&rgb, plane)
        } else {
            rgb
        };
        let Normalization { mean, std } = &self.normalization;
        Ok(bytes
            .chunks_exact(plane)
            .zip(mean.iter().zip(std))
            .flat_map(|(channel, (&m, &s))| {
                channel.iter().map(move |&b| (b as f32 / 255.0 - m) / s)
            })
            .collect())
    }
}

/// Channel-planar RGB bytes to one grey plane, as PIL's `convert("L")` (ITU-R 601-2 luma
/// in 16-bit fixed point, rounded).
fn grey(rgb: &[u8], plane: usize) -> Vec<u8> {
    let (r, rest) = rgb.split_at(plane);
    let (g, b) = rest.split_at(plane);
    r.iter()
        .zip(g)
        .zip(b)
        .map(|((&r, &g), &b)| {
            ((r as u32 * 19595 + g as u32 * 38470 + b as u32 * 7471 + 0x8000) >> 16) as u8
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grey_is_pil_luma() {
        // Planar R, G, B planes of four pixels: red, green, blue, white.
        let rgb = [255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255];
        assert_eq!(grey(&rgb, 4), [76, 150, 29, 255]);
    }

    #[test]
    fn descriptions_that_cannot_be_followed_are_named() {
        let mut input = Input::imagenet(224);
        assert!(input.check("x").is_ok());
        input.normalization.std[1] = 0.0;
        let err = input.check("net.safetensors").unwrap_err().to_string();
        assert!(
            err.contains("net.safetensors") && err.contains("standard deviation"),
            "{err}"
        );
        let mut input = Input::imagenet(224);
        input.channels = 1;
        let err = input.check("x").unwrap_err().to_string();
        assert!(
            err.contains("3 means") && err.contains("1 channels"),
            "{err}"
        );
        let mut input = Input::imagenet(224);
        input.crop_fraction = 1.5;
        assert!(input
            .check("x")
            .unwrap_err()
            .to_string()
            .contains("crop fraction 1.5"));
    }
}
