//! From bytes to Burn batches: per-channel normalisation, training augmentation (in memory:
//! random crop with zero padding and horizontal flip; streamed folders: see
//! [`super::decode`]), batch orders shuffled from a seeded stream.

use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};
use rand::seq::SliceRandom;
use rand::RngExt;
use serde::{Deserialize, Serialize};

use super::{Dataset, Images, Split};
use crate::error::Result;
use crate::rng::SearchRng;

/// Per-channel mean and standard deviation of pixel values scaled to [0, 1].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Normalization {
    /// Mean of each channel.
    pub mean: Vec<f32>,
    /// Standard deviation of each channel.
    pub std: Vec<f32>,
}

impl Normalization {
    /// The statistics of an in-memory `split`'s images, which have `channels` channels.
    /// Computed from the training split, so test data never informs training. (A streamed
    /// split's statistics are measured on a sample when its folder is opened.)
    pub fn of(split: &Split, channels: usize) -> Self {
        let pixels = split.pixels().unwrap_or_default();
        let per_image = pixels.len() / split.len().max(1);
        let mut moments = ChannelMoments::new(channels);
        for image in pixels.chunks_exact(per_image.max(1)) {
            moments.add_image(image);
        }
        moments.normalization()
    }
}

/// Per-channel sums of pixel values (scaled to [0, 1]) and of their squares, image by image:
/// the mean and standard deviation without holding the images.
pub(super) struct ChannelMoments {
    sum: Vec<f64>,
    squares: Vec<f64>,
    /// Values added to each channel.
    count: usize,
}

impl ChannelMoments {
    /// Nothing added yet, for images of `channels` channels.
    pub(super) fn new(channels: usize) -> Self {
        ChannelMoments {
            sum: vec![0.0; channels],
            squares: vec![0.0; channels],
            count: 0,
        }
    }

    /// Adds one channel-planar image.
    pub(super) fn add_image(&mut self, image: &[u8]) {
        let plane = image.len() / self.sum.len().max(1);
        for (channel, values) in image.chunks_exact(plane.max(1)).enumerate() {
            for &byte in values {
                let value = byte as f64 / 255.0;
                self.sum[channel] += value;
                self.squares[channel] += value * value;
            }
        }
        self.count += plane;
    }

    /// The mean and standard deviation (at least 1e-3) of each channel.
    pub(super) fn normalization(&self) -> Normalization {
        let count = self.count.max(1) as f64;
        let mean: Vec<f64> = self.sum.iter().map(|s| s / count).collect();
        let std = self
            .squares
            .iter()
            .zip(&mean)
            .map(|(sq, m)| ((sq / count - m * m).max(0.0).sqrt().max(1e-3)) as f32)
            .collect();
        Normalization {
            mean: mean.into_iter().map(|m| m as f32).collect(),
            std,
        }
    }
}

/// One batch on the host: normalised values `[count, C, H, W]` and labels.
#[derive(Debug)]
pub struct HostBatch {
    /// Normalised pixel values, image after image.
    pub values: Vec<f32>,
    /// One label per image.
    pub labels: Vec<u32>,
}

/// How a streamed training pass augments: the recipe and the pass's seed.
#[derive(Clone, Debug)]
pub struct StreamAugment {
    /// The recipe: a crop asks for a random-resized crop, `flip` for mirroring.
    pub recipe: Augment,
    /// Seeds every image's choices, with the batch's number and the image's place.
    pub seed: u64,
}

/// Training augmentation. The default is the CIFAR-style recipe scaled to small images.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Augment {
    /// Zero padding on each side before a random crop back to the original size; 0: no crop.
    pub crop_padding: usize,
    /// Mirror half the images horizontally (only where the data set is mirror-invariant).
    pub flip: bool,
}

impl Default for Augment {
    fn default() -> Self {
        Augment {
            crop_padding: 2,
            flip: true,
        }
    }
}

impl Augment {
    /// No augmentation at all.
    pub fn none() -> Self {
        Augment {
            crop_padding: 0,
            flip: false,
        }
    }
}

/// One batch on a device: normalised images `[B, C, H, W]` and labels `[B]`.
pub struct Batch<B: Backend> {
    /// Normalised images.
    pub images: Tensor<B, 4>,
    /// Class labels.
    pub labels: Tensor<B, 1, Int>,
    /// The labels on the host, for accuracy without a device round trip.
    pub label_values: Vec<u32>,
}

/// Turns a data set's images into batches: the shape, the normalisation, and whether flips
/// are allowed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Loader {
    /// Channels per image.
    pub channels: usize,
    /// Height and width.
    pub image_size: usize,
    /// Per-channel statistics applied to every batch.
    pub normalization: Normalization,
    /// Whether horizontal flips keep labels right.
    pub mirror_invariant: bool,
}

impl Loader {
    /// A loader for `dataset`, normalised with its training split's statistics (a streamed
    /// set's sampled ones).
    pub fn for_dataset(dataset: &Dataset) -> Self {
        Loader {
            channels: dataset.channels,
            image_size: dataset.image_size,
            normalization: dataset
                .normalization
                .clone()
                .unwrap_or_else(|| Normalization::of(&dataset.train, dataset.channels)),
            mirror_invariant: dataset.mirror_invariant,
        }
    }

    /// The images at `indices` of `split` as a batch on `device`; augmented when `augment`
    /// carries a recipe and the stream its random choices come from. A streamed split
    /// decodes its files here (one seed drawn from the stream per batch, see
    /// [`super::prefetch`]).
    pub fn batch<B: Backend>(
        &self,
        split: &Split,
        indices: &[usize],
        augment: Option<(&Augment, &mut SearchRng)>,
        device: &B::Device,
    ) -> Result<Batch<B>> {
        let host = self.host_batch(split, indices, augment)?;
        Ok(self.to_device(host, device))
    }

    /// A batch made on the host onto `device`.
    pub fn to_device<B: Backend>(&self, host: HostBatch, device: &B::Device) -> Batch<B> {
        let (c, size) = (self.channels, self.image_size);
        let count = host.labels.len();
        let images =
            Tensor::from_data(TensorData::new(host.values, [count, c, size, size]), device);
        let label_data: Vec<i64> = host.labels.iter().map(|&l| l as i64).collect();
        Batch {
            images,
            labels: Tensor::from_data(TensorData::new(label_data, [count]), device),
            label_values: host.labels,
        }
    }

    /// The images at `indices` of `split`, normalised (and augmented) on the host.
    pub fn host_batch(
        &self,
        split: &Split,
        indices: &[usize],
        augment: Option<(&Augment, &mut SearchRng)>,
    ) -> Result<HostBatch> {
        let pixels = match split.images() {
            Images::Pixels(pixels) => pixels,
            Images::Files(files) => {
                // One seed per batch from the stream; each image's choices follow from it.
                let pass = augment.map(|(recipe, rng)| StreamAugment {
                    recipe: recipe.clone(),
                    seed: rng.random(),
                });
                return self.decode_batch(files, &split.labels, indices, pass.as_ref(), 0);
            }
        };
        let (c, size) = (self.channels, self.image_size);
        let per_image = c * size * size;
        let mut values = Vec::with_capacity(indices.len() * per_image);
        let mut augment = augment;
        for &index in indices {
            let image = &pixels[index * per_image..(index + 1) * per_image];
            let (dy, dx, flip) = match augment.as_mut() {
                Some((recipe, rng)) => {
                    let pad = recipe.crop_padding as i64;
                    let mut shift = || rng.random_range(-pad..=pad) as isize;
                    let (dy, dx) = (shift(), shift());
                    let flip = recipe.flip && self.mirror_invariant && rng.random_bool(0.5);
                    (dy, dx, flip)
                }
                None => (0, 0, false),
            };
            self.push_image(&mut values, image, dy, dx, flip);
        }
        let labels = indices.iter().map(|&i| split.labels[i]).collect();
        Ok(HostBatch { values, labels })
    }

    /// Decoded images (already cut to size), normalised, one after another.
    pub(super) fn normalise_all(&self, images: &[Vec<u8>]) -> Vec<f32> {
        let per_image = self.channels * self.image_size * self.image_size;
        let mut values = Vec::with_capacity(images.len() * per_image);
        for image in images {
            self.push_image(&mut values, image, 0, 0, false);
        }
        values
    }

    /// Appends one normalised image, shifted by (`dy`, `dx`) with zeros (after
    /// normalisation: the mean) filling in, and mirrored when `flip`. A shift within the
    /// padding is the same as padding then cropping.
    fn push_image(&self, out: &mut Vec<f32>, image: &[u8], dy: isize, dx: isize, flip: bool) {
        let size = self.image_size as isize;
        let plane = (size * size) as usize;
        for channel in 0..self.channels {
            let mean = self.normalization.mean[channel];
            let std = self.normalization.std[channel];
            let pixels = &image[channel * plane..(channel + 1) * plane];
            for y in 0..size {
                for x in 0..size {
                    let source_x = if flip { size - 1 - x } else { x } + dx;
                    let source_y = y + dy;
                    let inside = (0..size).contains(&source_x) && (0..size).contains(&source_y);
                    let value = if inside {
                        pixels[(source_y * size + source_x) as usize] as f32 / 255.0
                    } else {
                        0.0 // zero padding, as torchvision's RandomCrop(padding=…)
                    };
                    out.push((value - mean) / std);
                }
            }
        }
    }
}

/// Splits `0..len` into batches of `batch_size`: shuffled from `rng` when given, in order
/// otherwise; a last, smaller batch is kept unless `drop_last`.
pub fn batch_order(
    len: usize,
    batch_size: usize,
    rng: Option<&mut SearchRng>,
    drop_last: bool,
) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..len).collect();
    if let Some(rng) = rng {
        order.shuffle(rng);
    }
    order
        .chunks(batch_size.max(1))
        .filter(|chunk| !drop_last || chunk.len() == batch_size)
        .map(<[usize]>::to_vec)
        .collect()
}
