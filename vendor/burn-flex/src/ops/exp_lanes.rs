//! `f32::exp` over whole slices, lane by lane and bit for bit (a glit patch, see
//! `PATCHED.md`).
//!
//! On x86-64 Linux with glibc, `f32::exp` is glibc's `expf`, which on a CPU with AVX2 and FMA
//! is `__expf_fma`: Szabolcs Nagy's algorithm (ARM optimized-routines, in glibc since 2.27)
//! compiled with fused multiply-adds. One call per element kept softmax and GELU's gradient
//! at a tenth of a training step. Here the same double-precision steps, with the fused
//! multiply-adds where `__expf_fma` has them, the same constants and the same 32-entry
//! table, run eight or sixteen lanes at once (`lane_width`); a block holding an argument with
//! `|x| >= 88`, an infinity or NaN still goes to `f32::exp`. The result is bit-identical to
//! `f32::exp` on every input; glit checks that over all 2^32 inputs at every width
//! (`tests/integration/cpu_math.rs`). Without AVX2 and FMA (where glibc takes another
//! variant), and on any other platform or C library, every value goes to `f32::exp` itself.

// Elsewhere only the fallback loop is compiled in.
#![cfg_attr(
    not(all(
        feature = "std",
        target_arch = "x86_64",
        target_os = "linux",
        target_env = "gnu"
    )),
    allow(dead_code)
)]

use super::lane_width::{LaneWidth, Width};

/// Values per pass.
const BLOCK: usize = 64;

/// Replaces every `x` in `values` by `x.exp()`, bit for bit.
pub(crate) fn expf_in_place(values: &mut [f32]) {
    expf_in_place_at(LaneWidth::widest(), values)
}

/// [`expf_in_place`] at a given width (every width gives the same bits).
pub(crate) fn expf_in_place_at(width: LaneWidth, values: &mut [f32]) {
    match width.width() {
        // SAFETY: a `LaneWidth` exists only for a width the CPU supports.
        #[cfg(all(
            feature = "std",
            target_arch = "x86_64",
            target_os = "linux",
            target_env = "gnu"
        ))]
        Width::Avx512 => unsafe { expf_in_place_avx512(values) },
        // SAFETY: as above.
        #[cfg(all(
            feature = "std",
            target_arch = "x86_64",
            target_os = "linux",
            target_env = "gnu"
        ))]
        Width::Avx2 => unsafe { expf_in_place_fma(values) },
        _ => {
            for x in values.iter_mut() {
                *x = x.exp();
            }
        }
    }
}

/// [`expf_blocks`] compiled for AVX-512 (sixteen lanes) with fused multiply-adds.
#[cfg(all(
    feature = "std",
    target_arch = "x86_64",
    target_os = "linux",
    target_env = "gnu"
))]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn expf_in_place_avx512(values: &mut [f32]) {
    expf_blocks(values)
}

/// [`expf_blocks`] compiled for AVX2 with fused multiply-adds.
#[cfg(all(
    feature = "std",
    target_arch = "x86_64",
    target_os = "linux",
    target_env = "gnu"
))]
#[target_feature(enable = "avx2,fma")]
unsafe fn expf_in_place_fma(values: &mut [f32]) {
    expf_blocks(values)
}

/// The lane-wise path. A block holding any argument the lanes do not cover goes to
/// `f32::exp` whole, which gives the same bits for the others.
#[inline(always)]
fn expf_blocks(values: &mut [f32]) {
    for block in values.chunks_mut(BLOCK) {
        // glibc's own test for its special cases: the top 12 bits of |x| at or above those
        // of 88.0 (|x| >= 88, infinities, NaN).
        let rare = block.iter().fold(false, |rare, x| {
            rare | ((x.to_bits() >> 20) & 0x7ff >= 0x42b)
        });
        if rare {
            for x in block.iter_mut() {
                *x = x.exp();
            }
        } else {
            for x in block.iter_mut() {
                *x = expf_lane(*x);
            }
        }
    }
}

/// `N / ln 2` for the table size `N = 32`.
const INV_LN2_N: f64 = f64::from_bits(0x4047_1547_652b_82fe);
/// `1.5 * 2^52`: adding it rounds to an integer held in the low mantissa bits.
const SHIFT: f64 = f64::from_bits(0x4338_0000_0000_0000);
/// The polynomial for `2^(r/N)`, scaled for `r` in units of `1/N`.
const C0: f64 = f64::from_bits(0x3ebc_6af8_4b91_2394);
const C1: f64 = f64::from_bits(0x3f2e_bfce_50fa_c4f3);
const C2: f64 = f64::from_bits(0x3f96_2e42_ff0c_52d6);
/// `2^(i/N)` with `i << 47` taken out of the bits, for `i` in `0..32` (glibc's
/// `__exp2f_data.tab`).
const TABLE: [u64; 32] = [
    0x3ff0000000000000,
    0x3fefd9b0d3158574,
    0x3fefb5586cf9890f,
    0x3fef9301d0125b51,
    0x3fef72b83c7d517b,
    0x3fef54873168b9aa,
    0x3fef387a6e756238,
    0x3fef1e9df51fdee1,
    0x3fef06fe0a31b715,
    0x3feef1a7373aa9cb,
    0x3feedea64c123422,
    0x3feece086061892d,
    0x3feebfdad5362a27,
    0x3feeb42b569d4f82,
    0x3feeab07dd485429,
    0x3feea47eb03a5585,
    0x3feea09e667f3bcd,
    0x3fee9f75e8ec5f74,
    0x3feea11473eb0187,
    0x3feea589994cce13,
    0x3feeace5422aa0db,
    0x3feeb737b0cdc5e5,
    0x3feec49182a3f090,
    0x3feed503b23e255d,
    0x3feee89f995ad3ad,
    0x3feeff76f2fb5e47,
    0x3fef199bdd85529c,
    0x3fef3720dcef9069,
    0x3fef5818dcfba487,
    0x3fef7c97337b9b5f,
    0x3fefa4afa2a490da,
    0x3fefd0765b6e4540,
];

/// `__expf_fma(x)` for `|x| < 88`, without branches: `x = (k + r) ln 2 / N`,
/// `exp(x) = 2^(k/N) * 2^(r/N)`, the first from the table and the exponent bits, the second
/// from a cubic.
#[inline(always)]
fn expf_lane(x: f32) -> f32 {
    let xd = x as f64;
    let kd = INV_LN2_N.mul_add(xd, SHIFT);
    let ki = kd.to_bits();
    let kd = kd - SHIFT;
    let r = INV_LN2_N.mul_add(xd, -kd);
    let s = f64::from_bits(TABLE[(ki & 31) as usize].wrapping_add(ki << 47));
    let z = C0.mul_add(r, C1);
    let r2 = r * r;
    let y = r.mul_add(C2, 1.0);
    let y = z.mul_add(r2, y);
    (y * s) as f32
}
