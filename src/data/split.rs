//! One split of a data set: its labels and its images, held as decoded bytes (IDX, CIFAR,
//! the bundled and synthetic sets) or as a list of files decoded batch by batch (image
//! folders, which may be far larger than memory).

use crate::error::{Error, Result};
use crate::hashes::{ContentDigest, LegacyFnv};

use super::file_list::FileImages;

/// Where a split's images are.
#[derive(Clone, Debug, PartialEq)]
pub enum Images {
    /// Decoded: `len · channels · size · size` bytes, image after image, channel-planar.
    Pixels(Vec<u8>),
    /// Files, decoded when a batch asks for them.
    Files(FileImages),
}

/// One split: images and their labels.
#[derive(Clone, Debug, PartialEq)]
pub struct Split {
    images: Images,
    /// One label per image, each below the data set's class count.
    pub labels: Vec<u32>,
}

impl Default for Split {
    fn default() -> Self {
        Split::from_pixels(Vec::new(), Vec::new())
    }
}

impl Split {
    /// A split held in memory.
    pub fn from_pixels(pixels: Vec<u8>, labels: Vec<u32>) -> Split {
        Split {
            images: Images::Pixels(pixels),
            labels,
        }
    }

    /// A split read from files (one per label, in the same order).
    pub fn from_files(files: FileImages, labels: Vec<u32>) -> Split {
        debug_assert_eq!(files.len(), labels.len());
        Split {
            images: Images::Files(files),
            labels,
        }
    }

    /// Where the images are.
    pub fn images(&self) -> &Images {
        &self.images
    }

    /// The decoded bytes of an in-memory split; `None` for a split read from files.
    pub fn pixels(&self) -> Option<&[u8]> {
        match &self.images {
            Images::Pixels(pixels) => Some(pixels),
            Images::Files(_) => None,
        }
    }

    /// Whether images are decoded from files batch by batch.
    pub fn is_streamed(&self) -> bool {
        matches!(self.images, Images::Files(_))
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the split holds no image.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The images at `indices`, in that order. A streamed split selects file names only.
    pub fn select(&self, indices: &[usize]) -> Split {
        let images = match &self.images {
            Images::Pixels(pixels) => {
                let image_len = pixels.len() / self.len().max(1);
                Images::Pixels(
                    indices
                        .iter()
                        .flat_map(|&i| &pixels[i * image_len..(i + 1) * image_len])
                        .copied()
                        .collect(),
                )
            }
            Images::Files(files) => Images::Files(files.select(indices)),
        };
        Split {
            images,
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
        }
    }

    /// The split's digest, `COUNT:HEX`: the count, then 32 hex digits of the SHA-256 of its
    /// labels and then its pixels or file names. Checkpoints and the run journal use it to tell
    /// one set of images from another.
    pub fn fingerprint(&self) -> String {
        let mut digest = ContentDigest::default();
        self.feed(|bytes| digest.eat(bytes));
        format!("{}:{}", self.len(), digest.hex())
    }

    /// Whether `recorded`, a fingerprint a checkpoint carries, names this split. One written
    /// by an earlier version (16 hex digits of FNV-1a over the same bytes) is checked in its
    /// own terms, so those checkpoints still resume.
    pub fn has_fingerprint(&self, recorded: &str) -> bool {
        match recorded.split_once(':') {
            Some((_, hex)) if hex.len() == 16 => {
                let mut fnv = LegacyFnv::default();
                self.feed(|piece| fnv.eat(piece));
                recorded == format!("{}:{:016x}", self.len(), fnv.value())
            }
            _ => recorded == self.fingerprint(),
        }
    }

    /// The bytes a fingerprint covers, in pieces: each label (one byte when below 256, as when
    /// labels were bytes, else four little-endian ones), then the pixels, or each file name
    /// followed by a zero byte.
    fn feed(&self, mut eat: impl FnMut(&[u8])) {
        for &label in &self.labels {
            match u8::try_from(label) {
                Ok(byte) => eat(&[byte]),
                Err(_) => eat(&label.to_le_bytes()),
            }
        }
        match &self.images {
            Images::Pixels(pixels) => eat(pixels),
            Images::Files(files) => {
                for name in files.names() {
                    eat(name.as_bytes());
                    eat(&[0]);
                }
            }
        }
    }

    /// The first `count` images (all of them when there are fewer).
    pub fn first(&self, count: usize) -> Split {
        let indices: Vec<usize> = (0..self.len().min(count)).collect();
        self.select(&indices)
    }

    /// SPOS's held-out search split: `held_out` images drawn from this (training) split by a
    /// permutation seeded with `seed`, and the rest, in their original order. The same seed
    /// always holds out the same images; a streamed split holds them out by file list.
    pub fn hold_out(&self, held_out: usize, seed: u64) -> Result<(Split, Split)> {
        use rand::seq::SliceRandom;
        if held_out >= self.len() {
            return Err(Error::InvalidValue {
                key: "search_split".into(),
                message: format!(
                    "cannot hold out {held_out} of {} images and still train",
                    self.len()
                ),
            });
        }
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.shuffle(&mut crate::rng::seeded(seed));
        let mut search = order[..held_out].to_vec();
        let mut rest = order[held_out..].to_vec();
        search.sort_unstable();
        rest.sort_unstable();
        Ok((self.select(&rest), self.select(&search)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FNV-1a 64 as earlier versions wrote it out by hand, to check against.
    fn fnv1a(bytes: &[u8]) -> u64 {
        bytes.iter().fold(0xcbf29ce484222325, |hash, &byte| {
            (hash ^ byte as u64).wrapping_mul(0x100000001b3)
        })
    }

    #[test]
    fn a_split_knows_its_fingerprint_and_one_written_by_an_earlier_version() {
        let split = Split::from_pixels(vec![9, 8, 7, 6], vec![3, 300]);
        let fingerprint = split.fingerprint();
        assert!(fingerprint.starts_with("2:"), "{fingerprint}");
        assert_eq!(fingerprint.len(), 2 + 32);
        assert!(split.has_fingerprint(&fingerprint));
        // Earlier versions: a label below 256 as one byte, then the pixels, under FNV-1a.
        let mut old_bytes = vec![3];
        old_bytes.extend_from_slice(&300u32.to_le_bytes());
        old_bytes.extend_from_slice(&[9, 8, 7, 6]);
        let old = format!("2:{:016x}", fnv1a(&old_bytes));
        assert!(split.has_fingerprint(&old));
        // Other data, in either form, is not this split.
        let other = Split::from_pixels(vec![9, 8, 7, 5], vec![3, 300]);
        assert!(!other.has_fingerprint(&fingerprint));
        assert!(!other.has_fingerprint(&old));
    }
}
