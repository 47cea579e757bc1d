//! Batches of a streamed split made ahead of use: one producer thread walks the epoch's batch
//! order, decodes each batch on a few threads ([`super::decode_pool`]) and queues at most
//! `depth` finished batches, so decoding overlaps training while memory stays bounded by the
//! queue, whatever the data set's size.
//!
//! Every random choice of an image's augmentation comes from a stream seeded with the
//! epoch's seed, the batch's number and the image's place in it, so the batches do not depend
//! on the number of threads or on where a resumed epoch starts.

use std::sync::mpsc::{sync_channel, Receiver};

use super::decode::Crop;
use super::decode_pool::{count_from_env, decode_some, decode_threads};
use super::file_list::FileImages;
use super::loader::{HostBatch, StreamAugment};
use super::{Images, Loader, Split};
use crate::error::Result;

/// Batches queued ahead of training: `GLIT_PREFETCH_BATCHES` when set, else 4.
pub fn prefetch_depth() -> usize {
    count_from_env("GLIT_PREFETCH_BATCHES").unwrap_or(4)
}

/// The batches of one pass over a split, in order; made on other threads when the split is
/// streamed, on the caller's thread (from the borrowed split) when it is in memory.
pub struct Batches<'a> {
    source: Source<'a>,
}

enum Source<'a> {
    Queue(Receiver<Result<HostBatch>>),
    Memory {
        loader: &'a Loader,
        split: &'a Split,
        order: std::vec::IntoIter<Vec<usize>>,
    },
}

impl Iterator for Batches<'_> {
    type Item = Result<HostBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.source {
            // A closed queue means the producer is done (or stopped at an error it sent).
            Source::Queue(receiver) => receiver.recv().ok(),
            Source::Memory {
                loader,
                split,
                order,
            } => order
                .next()
                .map(|indices| loader.host_batch(split, &indices, None)),
        }
    }
}

/// The crop of image `position` of batch `number` under `augment`.
fn crop_for(
    augment: Option<&StreamAugment>,
    mirror_invariant: bool,
    number: usize,
    position: usize,
) -> Crop {
    match augment {
        Some(a) if a.recipe.crop_padding > 0 || a.recipe.flip => Crop::Random {
            seed: mix(mix(a.seed, number as u64), position as u64),
            crop: a.recipe.crop_padding > 0,
            flip: a.recipe.flip && mirror_invariant,
        },
        _ => Crop::Centre,
    }
}

/// SplitMix64 of `a` combined with `b`: well-spread seeds from small numbers.
pub fn mix(a: u64, b: u64) -> u64 {
    let mut z = a ^ b
        .wrapping_add(0x9e3779b97f4a7c15)
        .wrapping_mul(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
    z ^ (z >> 31)
}

impl Loader {
    /// Images `indices` of a streamed split (`files`, with their `labels`), decoded on the
    /// decoding threads, cut as `augment` says for batch `number` of its pass, normalised.
    pub(super) fn decode_batch(
        &self,
        files: &FileImages,
        labels: &[u32],
        indices: &[usize],
        augment: Option<&StreamAugment>,
        number: usize,
    ) -> Result<HostBatch> {
        let crops: Vec<Crop> = (0..indices.len())
            .map(|position| crop_for(augment, self.mirror_invariant, number, position))
            .collect();
        let images = decode_some(files, indices, &crops, self.image_size, decode_threads())?;
        Ok(HostBatch {
            values: self.normalise_all(&images),
            labels: indices.iter().map(|&i| labels[i]).collect(),
        })
    }

    /// The batches `order[first..]` of `split` (numbered from `first`), augmented as
    /// `augment` says when the split is streamed; in-memory splits are not augmented here.
    pub fn batches<'a>(
        &'a self,
        split: &'a Split,
        order: &[Vec<usize>],
        first: usize,
        augment: Option<StreamAugment>,
    ) -> Batches<'a> {
        let rest: Vec<Vec<usize>> = order.get(first..).unwrap_or_default().to_vec();
        let Images::Files(files) = split.images() else {
            return Batches {
                source: Source::Memory {
                    loader: self,
                    split,
                    order: rest.into_iter(),
                },
            };
        };
        let (sender, receiver) = sync_channel(prefetch_depth());
        let (loader, files, labels) = (self.clone(), files.clone(), split.labels.clone());
        std::thread::spawn(move || {
            for (offset, indices) in rest.iter().enumerate() {
                let number = first + offset;
                let batch = loader.decode_batch(&files, &labels, indices, augment.as_ref(), number);
                let failed = batch.is_err();
                // The receiver is gone when the pass stopped early: stop too.
                if sender.send(batch).is_err() || failed {
                    return;
                }
            }
        });
        Batches {
            source: Source::Queue(receiver),
        }
    }
}
