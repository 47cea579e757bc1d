//! Built-in spaces and architectures.
//!
//! | preset | for |
//! | --- | --- |
//! | `paper-tiny` | GLiT-Tiny's joint space as the paper states it (224², d 192, N 3, M 12) |
//! | `paper-small` | the same at GLiT-Small's width (d 384, N 6) |
//! | `released-tiny` | the stage-2 space the official code encodes for GLiT-Tiny's distribution |
//! | `micro` | 28×28×1 images, d 48, N 3, M 6: sized for supernet training on 2 CPU cores |
//! | `nano` | d 12, N 3, M 2: for tests and fast modes, trains in seconds (not for results) |

use super::arch::Arch;
use super::choices::BlockChoices;
use super::local_kind::LocalKind;
use super::search_space::Space;
use super::skeleton::{Activation, Skeleton};
use crate::error::{Error, Result};

/// Names of the built-in spaces.
pub const PRESETS: [&str; 5] = [
    "paper-tiny",
    "paper-small",
    "released-tiny",
    "micro",
    "nano",
];

/// Names of the built-in architectures, each with the preset it belongs to.
pub const NAMED_ARCHS: [(&str, &str); 3] = [
    ("deit-tiny", "paper-tiny"),
    ("glit-tiny", "paper-tiny"),
    ("deit-small", "paper-small"),
];

/// GLiT-Tiny as released (`glit_models.py`, `base_arch` and `arch`, decoded).
const GLIT_TINY: &str = "G3(qk32,f4) L3(k31,e2,f4) M1/2(qk64,k31,e4,f6) G3(qk64,f4) \
     L3(k45,e4,f4) M1/2(qk64,k31,e4,f6) G3(qk64,f2) M1/2(qk64,k31,e4,f2) L3(k45,e4,f4) \
     G3(qk64,f4) L3(k31,e4,f4) G3(qk128,f6)";

/// A preset by name (`micro`, or `micro:conv2d` for another local module), or a space JSON
/// file by path.
pub fn open(name_or_path: &str) -> Result<Space> {
    let path = std::path::Path::new(name_or_path);
    let base = split_kind(name_or_path).0;
    if !PRESETS.contains(&base) && (path.exists() || name_or_path.ends_with(".json")) {
        Space::load(path)
    } else {
        preset(name_or_path)
    }
}

/// A preset name and the local module its `:kind` suffix asks for (Conv1d without one).
fn split_kind(name: &str) -> (&str, Option<&str>) {
    match name.split_once(':') {
        Some((base, kind)) => (base, Some(kind)),
        None => (name, None),
    }
}

/// `space` with the local module a preset name's `:kind` suffix asks for.
fn with_kind_of(space: Space, name: &str) -> Result<Space> {
    match split_kind(name).1 {
        Some(kind) => space.with_local(LocalKind::from_name(kind)?),
        None => Ok(space),
    }
}

/// The space a run on data of `image_size`² pixels, `channels` and `classes` (called
/// `data_name` in errors) searches: `micro` and `nano` size themselves to the data; any
/// other preset or space file must match it.
pub fn sized_for(
    preset: &str,
    image_size: usize,
    channels: usize,
    classes: usize,
    data_name: &str,
) -> Result<Space> {
    let space = match split_kind(preset).0 {
        "micro" => with_kind_of(micro(image_size, channels, classes)?, preset)?,
        "nano" => with_kind_of(nano(image_size, channels, classes)?, preset)?,
        _ => open(preset)?,
    };
    let s = space.skeleton();
    if (s.image_size, s.channels, s.classes) != (image_size, channels, classes) {
        return Err(Error::InvalidValue {
            key: "--preset".into(),
            message: format!(
                "`{preset}` takes {}×{} images with {} channels and {} classes; `{data_name}` has {image_size}×{image_size}, {channels} channels, {classes} classes (use `micro`, which sizes itself to the data)",
                s.image_size, s.image_size, s.channels, s.classes,
            ),
        });
    }
    Ok(space)
}

/// The built-in space called `name`; a `:kind` suffix (`micro:conv2d`,
/// `paper-tiny:local-attention`) gives its local heads that module, with kernel candidates
/// sized to its patch grid ([`Space::with_local`]).
pub fn preset(name: &str) -> Result<Space> {
    let space = base_preset(split_kind(name).0).map_err(|e| match e {
        Error::UnknownPreset { .. } => Error::UnknownPreset {
            name: name.into(),
            known: PRESETS.join(", "),
        },
        other => other,
    })?;
    with_kind_of(space, name)
}

/// The built-in space called `name`, with GLiT's Conv1d local heads.
fn base_preset(name: &str) -> Result<Space> {
    match name {
        "paper-tiny" => paper_space(name, 192, 3),
        "paper-small" => paper_space(name, 384, 6),
        "released-tiny" => {
            let glit = named_arch("glit-tiny")?;
            released_stage2(
                "released-tiny",
                paper_skeleton(192, 3),
                &glit.distribution(),
            )
        }
        "micro" => micro(28, 1, 10),
        "nano" => nano(28, 1, 10),
        _ => Err(Error::UnknownPreset {
            name: name.into(),
            known: PRESETS.join(", "),
        }),
    }
}

/// The built-in architecture called `name` (in the canonical form of its preset).
pub fn named_arch(name: &str) -> Result<Arch> {
    match name {
        "glit-tiny" => GLIT_TINY.parse(),
        "deit-tiny" => paper_space("paper-tiny", 192, 3)?.baseline(),
        "deit-small" => paper_space("paper-small", 384, 6)?.baseline(),
        _ => Err(Error::UnknownArch {
            name: name.into(),
            known: NAMED_ARCHS.map(|(n, _)| n).join(", "),
        }),
    }
}

/// The preset a built-in architecture belongs to.
pub fn preset_of(name: &str) -> Option<&'static str> {
    NAMED_ARCHS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, p)| *p)
}

/// ImageNet at 224², patch 16, 1000 classes, GELU as the released code uses.
fn paper_skeleton(embed_dim: usize, heads: usize) -> Skeleton {
    Skeleton {
        image_size: 224,
        channels: 3,
        patch_size: 16,
        embed_dim,
        heads,
        classes: 1000,
        activation: Activation::Gelu,
        local: LocalKind::Conv1d,
    }
}

/// Per-head q/k/v widths: the official ratios {½, 1, 2} of the head width d/N.
fn qk_dims(skeleton: &Skeleton) -> Vec<usize> {
    let w = skeleton.head_width();
    vec![(w / 2).max(1), w, 2 * w]
}

/// The paper's joint space: 12 blocks, every value free.
fn paper_space(name: &str, embed_dim: usize, heads: usize) -> Result<Space> {
    let skeleton = paper_skeleton(embed_dim, heads);
    let block = BlockChoices {
        global_heads: (0..=heads).collect(),
        qk_dim: qk_dims(&skeleton),
        ffn_ratio: vec![2, 4, 6],
        conv_expand: vec![1, 2, 4],
        kernel: vec![17, 31, 45],
    };
    Space::new(name, skeleton, vec![block; 12])
}

/// The official code's stage-2 grid for a fixed distribution: 9 candidates per block.
/// All-global blocks search (q/k width, FFN ratio); all-local ones (kernel, expansion) with FFN
/// 4; mixed ones (expansion, FFN ratio) with kernel 31 and q/k width d/N.
pub fn released_stage2(name: &str, skeleton: Skeleton, distribution: &[usize]) -> Result<Space> {
    let heads = skeleton.heads;
    let blocks = distribution
        .iter()
        .map(|&global| {
            let (qk_dim, ffn_ratio, conv_expand, kernel) = match global {
                g if g == heads => (qk_dims(&skeleton), vec![2, 4, 6], vec![], vec![]),
                0 => (vec![], vec![4], vec![1, 2, 4], vec![17, 31, 45]),
                _ => (
                    vec![skeleton.head_width()],
                    vec![2, 4, 6],
                    vec![1, 2, 4],
                    vec![31],
                ),
            };
            BlockChoices {
                global_heads: vec![global],
                qk_dim,
                ffn_ratio,
                conv_expand,
                kernel,
            }
        })
        .collect();
    Space::new(name, skeleton, blocks)
}

/// The odd number nearest to `x` (the larger one on a tie).
fn nearest_odd(x: f64) -> usize {
    let below = ((x - 1.0) / 2.0).floor() * 2.0 + 1.0;
    let pick = if x - below < below + 2.0 - x {
        below
    } else {
        below + 2.0
    };
    pick.max(1.0) as usize
}

/// A space sized for CPU minutes on `image_size`² images of `channels` channels.
///
/// Patches: the largest patch that still leaves at least 7 patches per side (28² → patch 4,
/// 7×7 = 49 tokens + cls). Kernels: the paper's 17/31/45 cover 1.2/2.2/3.2 rows of its
/// 14-token rows; the same coverage of this space's rows, rounded to odd (7-token rows →
/// 9/15/23). Widths: d 48 with N 3 (GLiT-Tiny's head count, so its distributions carry over;
/// head width 16, q/k widths 8/16/32), M 6 blocks (4⁶ distributions for stage 1). The
/// README's design notes give the measured training speed this was chosen from.
pub fn micro(image_size: usize, channels: usize, classes: usize) -> Result<Space> {
    let patch_size = (1..=image_size)
        .rev()
        .find(|&p| image_size.is_multiple_of(p) && image_size / p >= 7)
        .unwrap_or(1);
    let skeleton = Skeleton {
        image_size,
        channels,
        patch_size,
        embed_dim: 48,
        heads: 3,
        classes,
        activation: Activation::Gelu,
        local: LocalKind::Conv1d,
    };
    skeleton.check()?;
    let row = skeleton.patches_per_side() as f64;
    let kernel = [17.0, 31.0, 45.0]
        .map(|k| nearest_odd(k / 14.0 * row))
        .to_vec();
    let block = BlockChoices {
        global_heads: (0..=skeleton.heads).collect(),
        qk_dim: qk_dims(&skeleton),
        ffn_ratio: vec![2, 4, 6],
        conv_expand: vec![1, 2, 4],
        kernel,
    };
    Space::new("micro", skeleton, vec![block; 6])
}

/// A space small enough to train in a test or a lesson's fast mode in seconds: d 12, N 3,
/// M 2, at least 4×4 patches, two candidates per low-level dimension. Not for results.
pub fn nano(image_size: usize, channels: usize, classes: usize) -> Result<Space> {
    let patch_size = (1..=image_size)
        .rev()
        .find(|&p| image_size.is_multiple_of(p) && image_size / p >= 4)
        .unwrap_or(1);
    let skeleton = Skeleton {
        image_size,
        channels,
        patch_size,
        embed_dim: 12,
        heads: 3,
        classes,
        activation: Activation::Gelu,
        local: LocalKind::Conv1d,
    };
    skeleton.check()?;
    let block = BlockChoices {
        global_heads: (0..=skeleton.heads).collect(),
        qk_dim: vec![4, 8],
        ffn_ratio: vec![2, 4],
        conv_expand: vec![1, 2],
        kernel: vec![3, 5],
    };
    Space::new("nano", skeleton, vec![block; 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_odd_rounds_to_odd_numbers() {
        assert_eq!(nearest_odd(8.5), 9);
        assert_eq!(nearest_odd(15.5), 15);
        assert_eq!(nearest_odd(22.5), 23);
        assert_eq!(nearest_odd(17.0), 17);
        assert_eq!(nearest_odd(0.2), 1);
    }

    #[test]
    fn micro_kernels_cover_the_papers_rows() {
        let space = micro(28, 1, 10).unwrap();
        assert_eq!(space.skeleton().patch_size, 4);
        assert_eq!(space.skeleton().tokens(), 50);
        assert_eq!(space.blocks()[0].kernel, vec![9, 15, 23]);
        let cifar = micro(32, 3, 10).unwrap();
        assert_eq!(cifar.skeleton().patch_size, 4);
        assert_eq!(cifar.blocks()[0].kernel, vec![9, 17, 25]);
    }

    #[test]
    fn released_tiny_has_nine_candidates_per_block() {
        let space = preset("released-tiny").unwrap();
        for block in space.blocks() {
            assert_eq!(block.canonical_count(3), 9);
        }
        assert!(space.contains(&named_arch("glit-tiny").unwrap()));
    }
}
