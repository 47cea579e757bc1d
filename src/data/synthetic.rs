//! A synthetic data set for fast tests and demos: each class is a noisy texture (horizontal,
//! vertical or diagonal stripes, or a checkerboard; finer or coarser), at a random phase.
//! Classes differ in what every patch looks like, not where something is, so even a tiny
//! transformer that pools its tokens learns it in a few epochs: a test can check that
//! training learns without real data's cost.

use rand::RngExt;

use super::{Dataset, Split};
use crate::error::{Error, Result};
use crate::rng::seeded;

/// The name `data::open` knows the default synthetic set by.
pub const SYNTHETIC: &str = "synthetic";

/// The shape of a synthetic data set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntheticSpec {
    /// Height and width.
    pub image_size: usize,
    /// Colour channels.
    pub channels: usize,
    /// Classes: four textures per stripe period (2, 4, 6, …), so at most 4·(size/4).
    pub classes: usize,
    /// Training images.
    pub train: usize,
    /// Test images.
    pub test: usize,
    /// Seed of the pixels and labels.
    pub seed: u64,
}

impl Default for SyntheticSpec {
    /// 16×16 gray images, 4 classes, 512 training and 128 test images.
    fn default() -> Self {
        SyntheticSpec {
            image_size: 16,
            channels: 1,
            classes: 4,
            train: 512,
            test: 128,
            seed: 0,
        }
    }
}

/// Generates the data set `spec` describes.
pub fn synthetic(spec: &SyntheticSpec) -> Result<Dataset> {
    let cells = 4 * (spec.image_size / 4);
    if spec.classes < 2 || spec.classes > cells || spec.channels == 0 {
        return Err(Error::InvalidValue {
            key: "synthetic".into(),
            message: format!(
                "{} classes do not fit {}×{} images (2 to {cells} classes, ≥1 channel)",
                spec.classes, spec.image_size, spec.image_size
            ),
        });
    }
    let mut rng = seeded(spec.seed);
    let mut split = |count: usize| {
        let (size, c) = (spec.image_size, spec.channels);
        let mut pixels = Vec::with_capacity(count * c * size * size);
        let mut labels = Vec::with_capacity(count);
        for index in 0..count {
            let label = index % spec.classes;
            let (orientation, period) = (label % 4, 2 + 2 * (label / 4));
            let phase = rng.random_range(0..period);
            for _ in 0..c {
                for y in 0..size {
                    for x in 0..size {
                        let along = match orientation {
                            0 => y,
                            1 => x,
                            2 => x + y,
                            _ => x + size - y,
                        };
                        let checker = orientation == 3 && (x / 2 + y / 2) % 2 == 0;
                        let on = if orientation == 3 {
                            checker
                        } else {
                            (along + phase) % period < period / 2
                        };
                        let base = if on { 190.0 } else { 60.0 };
                        let noise: f64 = rng.random_range(-40.0..40.0);
                        pixels.push((base + noise).clamp(0.0, 255.0) as u8);
                    }
                }
            }
            labels.push(label as u32);
        }
        Split::from_pixels(pixels, labels)
    };
    let train = split(spec.train);
    let test = split(spec.test);
    Ok(Dataset {
        name: SYNTHETIC.into(),
        image_size: spec.image_size,
        channels: spec.channels,
        class_names: (0..spec.classes).map(|c| format!("texture {c}")).collect(),
        mirror_invariant: false,
        normalization: None,
        train,
        test,
    })
}
