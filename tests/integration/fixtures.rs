//! Spaces and data the test modules share.

use glit::space::{Activation, BlockChoices, Skeleton, Space};

/// A two-block space over 16×16 gray images in 4 classes: fast enough to train in tests.
pub fn tiny_space() -> Space {
    let skeleton = Skeleton {
        image_size: 16,
        channels: 1,
        patch_size: 4,
        embed_dim: 12,
        heads: 3,
        classes: 4,
        activation: Activation::Gelu,
    };
    let block = BlockChoices {
        global_heads: vec![0, 1, 2, 3],
        qk_dim: vec![4, 8],
        ffn_ratio: vec![2, 4],
        conv_expand: vec![1, 2],
        kernel: vec![3, 5],
    };
    Space::new("tiny", skeleton, vec![block; 2]).unwrap()
}
