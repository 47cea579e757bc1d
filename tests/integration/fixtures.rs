//! Spaces, data and the binary runner the test modules share.

use glit::space::{Activation, BlockChoices, LocalKind, Skeleton, Space};

/// Deterministic values in [-2, 2) from a multiplicative hash of the index, different for
/// each `salt`: operands for kernel checks that exact sums must not hide.
pub fn hashed_values(len: usize, salt: u32) -> Vec<f32> {
    (0..len as u32)
        .map(|i| {
            let h = i
                .wrapping_mul(2_654_435_761)
                .wrapping_add(salt.wrapping_mul(40_503));
            (h >> 8) as f32 / (1u32 << 24) as f32 * 4.0 - 2.0
        })
        .collect()
}

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
        local: LocalKind::Conv1d,
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

/// Runs the `glit` binary with `args`: (exit status was success, stdout, stderr).
pub fn glit<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> (bool, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_glit"))
        .args(args)
        .output()
        .expect("the glit binary runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
