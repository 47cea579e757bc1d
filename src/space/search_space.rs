//! A search space: M blocks of candidate values over one model skeleton.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;

use super::arch::Arch;
use super::choices::BlockChoices;
use super::dimension::Dimension;
use super::local_kind::LocalKind;
use super::skeleton::{Skeleton, MAX_SIZE};
use crate::error::{Error, Result};

/// The most multiply-adds (or parameters) a space's largest architecture may have: costs
/// are summed in `u64`, and this leaves room for every partial sum.
pub const MAX_COST: u64 = 1 << 60;

/// M blocks of candidates over one [`Skeleton`]. Build one with [`Space::new`] (which checks
/// it) or take a preset from [`super::presets`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "UncheckedSpace")]
pub struct Space {
    // Private so that every space in use has passed `Space::new`'s checks.
    pub(super) name: String,
    pub(super) skeleton: Skeleton,
    pub(super) blocks: Vec<BlockChoices>,
}

/// A space as written in JSON, before [`Space::new`] has checked it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UncheckedSpace {
    name: String,
    skeleton: Skeleton,
    blocks: Vec<BlockChoices>,
}

impl TryFrom<UncheckedSpace> for Space {
    type Error = Error;

    fn try_from(raw: UncheckedSpace) -> Result<Space> {
        Space::new(raw.name, raw.skeleton, raw.blocks)
    }
}

impl Space {
    /// A checked space. Candidate lists are sorted and deduplicated.
    pub fn new(
        name: impl Into<String>,
        skeleton: Skeleton,
        blocks: Vec<BlockChoices>,
    ) -> Result<Space> {
        let mut space = Space {
            name: name.into(),
            skeleton,
            blocks,
        };
        for block in &mut space.blocks {
            for dimension in Dimension::ALL {
                let list = block.get_mut(dimension);
                list.sort_unstable();
                list.dedup();
            }
        }
        space.validate()?;
        Ok(space)
    }

    /// Reads a space from a JSON file (the form [`Space::to_json`] writes) and checks it.
    pub fn load(path: &Path) -> Result<Space> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        serde_json::from_str(&text).map_err(|e| Error::json(path.display().to_string(), &e))
    }

    /// The JSON text of the space.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a Space always serialises")
    }

    /// A short name for messages and run directories.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What every architecture of the space shares.
    pub fn skeleton(&self) -> &Skeleton {
        &self.skeleton
    }

    /// The candidates of each block, input side first.
    pub fn blocks(&self) -> &[BlockChoices] {
        &self.blocks
    }

    /// Number of blocks M.
    pub fn depth(&self) -> usize {
        self.blocks.len()
    }

    /// Heads per block N.
    pub fn heads(&self) -> usize {
        self.skeleton.heads
    }

    /// The module of the space's local heads.
    pub fn local(&self) -> LocalKind {
        self.skeleton.local
    }

    /// This space with its local heads made of `kind`. Moving to another kind gives every
    /// block that has kernel candidates the new kind's candidates for the patch grid
    /// ([`LocalKind::preset_kernels`]: 3, 5 and 7 for the spatial kinds; a space moved back to
    /// Conv1d keeps the kernels it has); set others afterwards with the `kernel` dimension.
    /// The new space is named as a preset with that kind would be: `micro` moved to Conv2d
    /// is `micro:conv2d`, and back again `micro`.
    pub fn with_local(&self, kind: LocalKind) -> Result<Space> {
        if kind == self.local() {
            return Ok(self.clone());
        }
        let mut skeleton = self.skeleton.clone();
        skeleton.local = kind;
        let side = skeleton.patches_per_side();
        let blocks = self
            .blocks
            .iter()
            .map(|block| {
                let mut block = block.clone();
                if !block.kernel.is_empty() {
                    block.kernel = kind.preset_kernels(side, &block.kernel);
                }
                block
            })
            .collect();
        Space::new(self.name_with_local(kind), skeleton, blocks)
    }

    /// The space's name with `kind`'s suffix in place of the one it has (none for Conv1d).
    fn name_with_local(&self, kind: LocalKind) -> String {
        let base = match self.name.rsplit_once(':') {
            Some((base, suffix)) if LocalKind::from_name(suffix).is_ok() => base,
            _ => self.name.as_str(),
        };
        if kind.is_conv1d() {
            base.to_string()
        } else {
            format!("{base}:{kind}")
        }
    }

    fn validate(&self) -> Result<()> {
        self.skeleton.check()?;
        if self.blocks.is_empty() {
            return Err(Error::InvalidSpace(
                "a space needs at least one block".into(),
            ));
        }
        let heads = self.heads();
        for (index, block) in self.blocks.iter().enumerate() {
            let fail = |msg: String| Err(Error::InvalidSpace(format!("block {index}: {msg}")));
            if block.global_heads.is_empty() {
                return fail("`global_heads` has no candidates".into());
            }
            if block.ffn_ratio.is_empty() {
                return fail("`ffn_ratio` has no candidates".into());
            }
            if let Some(&g) = block.global_heads.iter().find(|&&g| g > heads) {
                return fail(format!(
                    "`global_heads` candidate {g} exceeds the {heads} heads"
                ));
            }
            for dimension in Dimension::ALL {
                if block.get(dimension).contains(&0) && dimension != Dimension::GlobalHeads {
                    return fail(format!("`{dimension}` candidates must be at least 1"));
                }
                let needed = block
                    .global_heads
                    .iter()
                    .any(|&g| dimension.matters(g, heads));
                if needed && block.get(dimension).is_empty() {
                    return fail(format!(
                        "`{dimension}` has no candidates but some `global_heads` candidate needs one"
                    ));
                }
                if let Some(&v) = block.get(dimension).iter().find(|&&v| v > MAX_SIZE) {
                    return fail(format!(
                        "`{dimension}` candidate {v} is larger than any network glit can build (at most {MAX_SIZE})"
                    ));
                }
            }
            if let Some(&k) = block.kernel.iter().find(|&&k| k % 2 == 0) {
                return fail(format!(
                    "`kernel` {k} is even; kernels must be odd for same padding"
                ));
            }
            let side = self.skeleton.patches_per_side();
            let spatial = self.skeleton.local.is_spatial();
            if let Some(&k) = block.kernel.iter().find(|&&k| spatial && k >= 2 * side) {
                return fail(format!(
                    "`kernel` {k} is wider than the {local} heads can use on a {side}×{side} patch grid (at most {most})",
                    local = self.skeleton.local,
                    most = 2 * side - 1
                ));
            }
        }
        self.check_cost_bound()
    }

    /// Fails when the space's largest architecture would cost more multiply-adds or
    /// parameters than [`MAX_COST`]: costs are counted in `u64`, and nothing that large trains.
    fn check_cost_bound(&self) -> Result<()> {
        let s = &self.skeleton;
        let (d, heads) = (s.embed_dim as f64, s.heads as f64);
        let n = s.tokens() as f64;
        let max = |list: &[usize]| list.iter().copied().max().unwrap_or(0) as f64;
        let blocks: f64 = self
            .blocks
            .iter()
            .map(|b| {
                // Both parts at full width: an upper bound on either part's real cost.
                let inner = heads * max(&b.qk_dim);
                let attention = n * d * 4.0 * inner + 2.0 * n * n * inner;
                let conv_inner = max(&b.conv_expand) * d;
                // A square kernel (or window) costs up to k² per output; attention within a
                // window at most what global attention costs.
                let taps = max(&b.kernel)
                    * if s.local.is_spatial() {
                        max(&b.kernel)
                    } else {
                        1.0
                    };
                let conv =
                    n * (3.0 * d * conv_inner + conv_inner * taps) + 2.0 * n * n * conv_inner;
                let ffn = 2.0 * n * d * d * max(&b.ffn_ratio);
                attention + conv + ffn
            })
            .sum();
        let patch = (s.channels * s.patch_size * s.patch_size) as f64;
        let ends = n * patch * d + n * d + d * s.classes as f64;
        // Parameters are at most the multiply-adds of a one-token pass, so one bound covers both.
        let bound = (blocks + ends) * (1.0 + 1.0 / n);
        if bound > MAX_COST as f64 {
            return Err(Error::InvalidSpace(format!(
                "its largest architecture would cost about {bound:.1e} multiply-adds, more than glit counts ({MAX_COST:.1e})",
                MAX_COST = MAX_COST as f64
            )));
        }
        Ok(())
    }

    /// Why `arch` is not in the space, or `Ok` when it is. Values that cannot matter for a
    /// block are ignored; values that matter must be present and among the candidates.
    pub fn check(&self, arch: &Arch) -> Result<()> {
        let fail = |msg: String| Err(Error::NotInSpace(msg));
        if arch.heads != self.heads() {
            return fail(format!(
                "it has {} heads per block, the space `{}` has {}",
                arch.heads,
                self.name,
                self.heads()
            ));
        }
        if arch.blocks.len() != self.depth() {
            return fail(format!(
                "it has {} blocks, the space `{}` has {}",
                arch.blocks.len(),
                self.name,
                self.depth()
            ));
        }
        for (index, (block, choices)) in arch.blocks.iter().zip(&self.blocks).enumerate() {
            for dimension in Dimension::ALL {
                if !dimension.matters(block.global_heads, self.heads()) {
                    continue;
                }
                let candidates = choices.get(dimension);
                match block.get(dimension) {
                    None => {
                        return fail(format!(
                            "block {index}: `{dimension}` is missing (needed with {} global heads)",
                            block.global_heads
                        ))
                    }
                    Some(v) if !candidates.contains(&v) => {
                        return fail(format!(
                            "block {index}: `{dimension}` {v} is not a candidate {candidates:?}"
                        ))
                    }
                    Some(_) => {}
                }
            }
        }
        Ok(())
    }

    /// Whether `arch` is in the space.
    pub fn contains(&self, arch: &Arch) -> bool {
        self.check(arch).is_ok()
    }

    /// `arch` checked against the space and put in canonical form.
    pub fn canonical(&self, arch: &Arch) -> Result<Arch> {
        self.check(arch)?;
        Ok(arch.canonical())
    }

    /// Exact number of distinct networks (canonical architectures); `None` past `u128`.
    pub fn size_exact(&self) -> Option<u128> {
        self.blocks.iter().try_fold(1u128, |acc, block| {
            acc.checked_mul(block.canonical_count(self.heads()))
        })
    }

    /// Number of distinct networks, as a float (never overflows).
    pub fn size(&self) -> f64 {
        self.blocks
            .iter()
            .map(|b| b.canonical_count(self.heads()) as f64)
            .product()
    }

    /// The paper's size formula ((N+1)·V1·V2·V3·V4)^M, generalised to per-block lists: the
    /// product of every list length. It counts encodings, so it double-counts networks whose
    /// blocks ignore some values.
    pub fn paper_size(&self) -> f64 {
        self.blocks.iter().map(|b| b.grid_count() as f64).product()
    }
}

impl fmt::Display for Space {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "space `{}`: {} blocks", self.name, self.depth())?;
        writeln!(f, "  skeleton: {}", self.skeleton)?;
        let mut start = 0;
        while start < self.blocks.len() {
            // Runs of identical blocks print once.
            let end = (start..self.blocks.len())
                .find(|&i| self.blocks[i] != self.blocks[start])
                .unwrap_or(self.blocks.len());
            let label = if end - start == 1 {
                format!("block {start}")
            } else {
                format!("blocks {start}-{}", end - 1)
            };
            writeln!(f, "  {label}:")?;
            for dimension in Dimension::ALL {
                writeln!(
                    f,
                    "    {:<13}{:?}",
                    dimension.name(),
                    self.blocks[start].get(dimension)
                )?;
            }
            start = end;
        }
        write!(
            f,
            "  size: {:.3e} distinct networks, {:.3e} by the paper's formula",
            self.size(),
            self.paper_size()
        )
    }
}
