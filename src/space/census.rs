//! What a set of architectures looks like block by block: how many blocks mix global and
//! local heads, which kernel sizes the local heads use, and how many global heads each depth
//! gets. GLiT's paper observes of its searched network that only about a quarter of the
//! blocks mix the two kinds of head and that the smallest kernel never appears; a census asks
//! the same of any search's finds, one network or one per seed.

use super::{presets, Arch, Dimension, Space};
use crate::error::{Error, Result};

/// The block-by-block make-up of a set of architectures of one space.
#[derive(Clone, Debug, PartialEq)]
pub struct Census {
    /// How many architectures were counted.
    pub networks: usize,
    /// Blocks counted: networks × depth.
    pub blocks: usize,
    /// Blocks with both global and local heads.
    pub mixed: usize,
    /// Blocks with global heads only.
    pub all_global: usize,
    /// Blocks with local heads only.
    pub all_local: usize,
    /// Every kernel size the space offers, smallest first, with the number of blocks whose
    /// local heads use it (blocks without local heads have no kernel).
    pub kernels: Vec<(usize, usize)>,
    /// For each depth (block index), how many networks have g global heads there, for
    /// g = 0..=N.
    pub global_heads_by_depth: Vec<Vec<usize>>,
}

impl Census {
    /// The census of `archs`, each of which must be in `space` (an error names the first that
    /// is not, by its position).
    pub fn of(space: &Space, archs: &[Arch]) -> Result<Census> {
        let heads = space.heads();
        let mut kernels: Vec<usize> = space
            .blocks()
            .iter()
            .flat_map(|b| b.get(Dimension::Kernel).iter().copied())
            .collect();
        kernels.sort_unstable();
        kernels.dedup();
        let mut census = Census {
            networks: archs.len(),
            blocks: 0,
            mixed: 0,
            all_global: 0,
            all_local: 0,
            kernels: kernels.into_iter().map(|k| (k, 0)).collect(),
            global_heads_by_depth: vec![vec![0; heads + 1]; space.depth()],
        };
        for (index, arch) in archs.iter().enumerate() {
            space.check(arch).map_err(|e| Error::InvalidValue {
                key: format!("architecture {}", index + 1),
                message: format!("{arch}: {e}"),
            })?;
            for (depth, block) in arch.blocks.iter().enumerate() {
                census.blocks += 1;
                census.global_heads_by_depth[depth][block.global_heads] += 1;
                match block.global_heads {
                    0 => census.all_local += 1,
                    g if g == heads => census.all_global += 1,
                    _ => census.mixed += 1,
                }
                if block.global_heads < heads {
                    if let Some(kernel) = block.kernel {
                        if let Some(entry) = census.kernels.iter_mut().find(|(k, _)| *k == kernel) {
                            entry.1 += 1;
                        }
                    }
                }
            }
        }
        Ok(census)
    }

    /// The census of the released GLiT-Tiny in the paper's space (kernels 17, 31, 45): the
    /// network the paper's observations are about.
    pub fn of_released_glit_tiny() -> Result<Census> {
        let arch = presets::named_arch("glit-tiny")?;
        Census::of(&presets::preset("paper-tiny")?, &[arch])
    }

    /// The fraction of blocks that mix global and local heads (0 with no blocks).
    pub fn mixed_fraction(&self) -> f64 {
        fraction(self.mixed, self.blocks)
    }

    /// The fraction of blocks with global heads only.
    pub fn all_global_fraction(&self) -> f64 {
        fraction(self.all_global, self.blocks)
    }

    /// The fraction of blocks with local heads only.
    pub fn all_local_fraction(&self) -> f64 {
        fraction(self.all_local, self.blocks)
    }

    /// The smallest kernel the space offers and how many blocks use it.
    pub fn smallest_kernel(&self) -> Option<(usize, usize)> {
        self.kernels.first().copied()
    }

    /// The mean number of global heads at each depth.
    pub fn mean_global_heads(&self) -> Vec<f64> {
        self.global_heads_by_depth
            .iter()
            .map(|counts| {
                let total: usize = counts.iter().sum();
                let heads: usize = counts.iter().enumerate().map(|(g, n)| g * n).sum();
                fraction(heads, total)
            })
            .collect()
    }
}

fn fraction(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_released_glit_tiny_has_three_mixed_blocks_of_twelve_and_no_kernel_17() {
        let census = Census::of_released_glit_tiny().unwrap();
        assert_eq!((census.networks, census.blocks), (1, 12));
        assert_eq!(
            (census.mixed, census.all_global, census.all_local),
            (3, 5, 4)
        );
        assert_eq!(census.mixed_fraction(), 0.25);
        assert_eq!(census.smallest_kernel(), Some((17, 0)));
        let local_blocks: usize = census.kernels.iter().map(|(_, n)| n).sum();
        assert_eq!(
            local_blocks, 7,
            "every block with local heads has one kernel"
        );
    }

    #[test]
    fn counts_add_up_by_depth_and_an_arch_outside_the_space_is_named() {
        let space = presets::preset("micro").unwrap();
        let mut rng = crate::rng::seeded(3);
        let archs: Vec<Arch> = (0..5).map(|_| space.sample(&mut rng)).collect();
        let census = Census::of(&space, &archs).unwrap();
        assert_eq!(census.blocks, 5 * space.depth());
        assert_eq!(
            census.mixed + census.all_global + census.all_local,
            census.blocks
        );
        for counts in &census.global_heads_by_depth {
            assert_eq!(counts.iter().sum::<usize>(), 5);
        }
        let tiny = presets::named_arch("glit-tiny").unwrap();
        let error = Census::of(&space, &[archs[0].clone(), tiny])
            .unwrap_err()
            .to_string();
        assert!(error.contains("architecture 2"), "{error}");
    }
}
