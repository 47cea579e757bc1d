//! `libm::erff` over whole slices, lane by lane and bit for bit (a glit patch, see
//! `PATCHED.md`).
//!
//! `libm::erff` picks one of four formulas by the size of `x`, and the two for large `x` call
//! `libm::expf` twice. Called once per element, those branches and calls kept GELU and its
//! gradient at a tenth of a training step. Here every value of a block gets libm's formula for
//! `|x| < 0.84375`, the cheap one most values of a layer take; the values that need another
//! are packed into a list, where the formulas for `|x| < 1.25` and `|x| < 6` are both computed
//! and a select keeps the one libm would have taken. Every formula uses the same operations
//! in the same order as libm (no fused multiply-adds: Rust never contracts), so the compiler
//! can run eight or sixteen lanes at once and each lane gives libm's bits. The rest (`|x| < 2^-28`,
//! `|x| >= 6`, infinities, NaN) is handed to `libm::erff` itself. The result is therefore
//! bit-identical to `libm::erff` on every input; glit checks that over all 2^32 inputs
//! (`tests/integration/cpu_math.rs`).

use super::lane_width::{LaneWidth, Width};

/// How many values one pass takes: enough to amortise the passes' loop overheads, small
/// enough for the stack arrays (about 6 KiB) to stay in L1.
const BLOCK: usize = 256;

/// Replaces every `x` in `values` by `libm::erff(x)`, bit for bit.
pub(crate) fn erff_in_place(values: &mut [f32]) {
    erff_in_place_at(LaneWidth::widest(), values)
}

/// [`erff_in_place`] at a given width (every width gives the same bits).
pub(crate) fn erff_in_place_at(width: LaneWidth, values: &mut [f32]) {
    match width.width() {
        // SAFETY: a `LaneWidth` exists only for a width the CPU supports.
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        Width::Avx512 => unsafe { erff_in_place_avx512(values) },
        // SAFETY: as above.
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        Width::Avx2 => unsafe { erff_in_place_avx2(values) },
        _ => erff_blocks(values),
    }
}

/// [`erff_blocks`] for AVX-512 (sixteen lanes). The values that need another formula are
/// packed sixteen at a time by a compress instruction and put back by an expand, where
/// [`erff_blocks`] moves them one by one (a third of its time at this width).
#[cfg(all(feature = "std", target_arch = "x86_64"))]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn erff_in_place_avx512(values: &mut [f32]) {
    use core::arch::x86_64::*;
    const LANES: usize = 16;
    for chunk in values.chunks_mut(BLOCK) {
        let len = chunk.len();
        let vectors = len.div_ceil(LANES);
        // The lanes of a vector that hold values of the chunk.
        let live = |v: usize| -> __mmask16 {
            let left = len - v * LANES;
            if left >= LANES {
                0xffff
            } else {
                (1u16 << left) - 1
            }
        };
        // One mask per vector: the lanes needing another formula, packed in order. The
        // arrays have room for a whole vector stored or loaded past the last packed value.
        let mut others = [0u16; BLOCK / LANES];
        let mut packed = [0.0f32; BLOCK + LANES];
        let mut count = 0;
        for (v, others) in others.iter_mut().enumerate().take(vectors) {
            // SAFETY: the masked load reads only the live lanes, inside `chunk`; the store
            // writes 16 values from `count <= BLOCK - 16 * (vectors - v)`, inside `packed`.
            unsafe {
                let x = _mm512_maskz_loadu_ps(live(v), chunk.as_ptr().add(v * LANES));
                let ix = _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(0x7fff_ffff));
                // `needs_other_formula`, lane by lane.
                let above_tiny = _mm512_sub_epi32(ix, _mm512_set1_epi32(TINY as i32));
                let bound = _mm512_set1_epi32((NEAR_END - TINY) as i32);
                *others = live(v) & _mm512_cmpge_epu32_mask(above_tiny, bound);
                let compressed = _mm512_maskz_compress_ps(*others, x);
                _mm512_storeu_ps(packed.as_mut_ptr().add(count), compressed);
            }
            count += others.count_ones() as usize;
        }
        let mut packed_erf = [0.0f32; BLOCK + LANES];
        erf_beyond_near(&packed[..count], &mut packed_erf[..count]);
        for (e, &x) in packed_erf[..count].iter_mut().zip(&packed[..count]) {
            if is_rare(x) {
                *e = libm::erff(x);
            }
        }
        for x in chunk.iter_mut() {
            *x = erf_near(*x);
        }
        let mut offset = 0;
        for (v, &others) in others.iter().enumerate().take(vectors) {
            // SAFETY: the load reads 16 values from `offset <= count <= BLOCK`, inside
            // `packed_erf`; the masked load and store touch only the live lanes of `chunk`.
            unsafe {
                let lanes = chunk.as_mut_ptr().add(v * LANES);
                let near = _mm512_maskz_loadu_ps(live(v), lanes);
                let far = _mm512_loadu_ps(packed_erf.as_ptr().add(offset));
                _mm512_mask_storeu_ps(lanes, live(v), _mm512_mask_expand_ps(near, others, far));
            }
            offset += others.count_ones() as usize;
        }
    }
}

/// [`erff_blocks`] compiled for AVX2 (eight lanes instead of SSE2's four).
#[cfg(all(feature = "std", target_arch = "x86_64"))]
#[target_feature(enable = "avx2,fma")]
unsafe fn erff_in_place_avx2(values: &mut [f32]) {
    erff_blocks(values)
}

/// Every value gets libm's formula for `|x| < 0.84375`, the cheap one most values of a
/// layer take; the others are gathered into a packed list and computed there, so the
/// expensive formulas run only for the values that need them, still eight lanes at once.
#[inline(always)]
fn erff_blocks(values: &mut [f32]) {
    for chunk in values.chunks_mut(BLOCK) {
        let mut others = [0u32; BLOCK];
        let mut count = 0;
        for (i, &x) in chunk.iter().enumerate() {
            // Branch-free packing: always write, advance only for a value that needs it.
            others[count] = i as u32;
            count += needs_other_formula(x) as usize;
        }
        let mut packed = [0.0f32; BLOCK];
        for (p, &i) in packed.iter_mut().zip(&others[..count]) {
            *p = chunk[i as usize];
        }
        let mut packed_erf = [0.0f32; BLOCK];
        erf_beyond_near(&packed[..count], &mut packed_erf[..count]);
        for x in chunk.iter_mut() {
            *x = erf_near(*x);
        }
        for ((&i, &x), &e) in others[..count].iter().zip(&packed).zip(&packed_erf) {
            chunk[i as usize] = if is_rare(x) { libm::erff(x) } else { e };
        }
    }
}

/// Values [`erf_near`] does not give: `|x| >= 0.84375`, `|x| < 2^-28`, NaN.
#[inline(always)]
fn needs_other_formula(x: f32) -> bool {
    let ix = x.to_bits() & 0x7fff_ffff;
    ix.wrapping_sub(TINY) >= NEAR_END - TINY
}

/// erf for `0.84375 <= |x| < 6`, written to `erf`; other inputs give values
/// [`erff_blocks`] replaces. The work runs in stages over the list: one value's work is a
/// chain of about two hundred dependent operations, and in short loops the processor overlaps
/// many values' chains instead of waiting on one.
#[inline(always)]
fn erf_beyond_near(x: &[f32], erf: &mut [f32]) {
    let n = x.len();
    let mut erfc_mid = [0.0f32; BLOCK];
    let mut first = [0.0f32; BLOCK];
    let mut second = [0.0f32; BLOCK];
    for i in 0..n {
        erfc_mid[i] = erfc_mid_range(x[i]);
        [first[i], second[i]] = erfc_far_exp_args(x[i]);
    }
    for args in [&mut first[..n], &mut second[..n]] {
        for arg in args.iter_mut() {
            *arg = expf_lane(*arg);
        }
    }
    for i in 0..n {
        let bits = x[i].to_bits();
        let ix = bits & 0x7fff_ffff;
        let erfc_far = first[i] * second[i] / f32::from_bits(ix);
        let erfc = if ix < MID_END { erfc_mid[i] } else { erfc_far };
        let y = 1.0 - erfc;
        // libm negates `y` for negative `x`; negation is a sign flip, exactly this.
        erf[i] = f32::from_bits(y.to_bits() ^ (bits & 0x8000_0000));
    }
}

/// Inputs the vector formulas do not cover: `|x| < 2^-28`, `|x| >= 6`, infinities and NaN.
#[inline(always)]
fn is_rare(x: f32) -> bool {
    let ix = x.to_bits() & 0x7fff_ffff;
    ix.wrapping_sub(TINY) >= SIX - TINY
}

/// Bits of the bounds between libm's formulas: 2^-28, 0.84375, 1.25, 6.0.
const TINY: u32 = 0x3180_0000;
const NEAR_END: u32 = 0x3f58_0000;
const MID_END: u32 = 0x3fa0_0000;
const SIX: u32 = 0x40c0_0000;

// libm's coefficients (FreeBSD `s_erff.c`), unchanged.
const ERX: f32 = 8.4506291151e-01;
const PP0: f32 = 1.2837916613e-01;
const PP1: f32 = -3.2504209876e-01;
const PP2: f32 = -2.8481749818e-02;
const PP3: f32 = -5.7702702470e-03;
const PP4: f32 = -2.3763017452e-05;
const QQ1: f32 = 3.9791721106e-01;
const QQ2: f32 = 6.5022252500e-02;
const QQ3: f32 = 5.0813062117e-03;
const QQ4: f32 = 1.3249473704e-04;
const QQ5: f32 = -3.9602282413e-06;
const PA0: f32 = -2.3621185683e-03;
const PA1: f32 = 4.1485610604e-01;
const PA2: f32 = -3.7220788002e-01;
const PA3: f32 = 3.1834661961e-01;
const PA4: f32 = -1.1089469492e-01;
const PA5: f32 = 3.5478305072e-02;
const PA6: f32 = -2.1663755178e-03;
const QA1: f32 = 1.0642088205e-01;
const QA2: f32 = 5.4039794207e-01;
const QA3: f32 = 7.1828655899e-02;
const QA4: f32 = 1.2617121637e-01;
const QA5: f32 = 1.3637083583e-02;
const QA6: f32 = 1.1984500103e-02;
/// erfc on [1.25, 1/0.35): numerator RA0..RA7, denominator 1, SA1..SA8.
const RA: [f32; 8] = [
    -9.8649440333e-03,
    -6.9385856390e-01,
    -1.0558626175e+01,
    -6.2375331879e+01,
    -1.6239666748e+02,
    -1.8460508728e+02,
    -8.1287437439e+01,
    -9.8143291473e+00,
];
const SA: [f32; 8] = [
    1.9651271820e+01,
    1.3765776062e+02,
    4.3456588745e+02,
    6.4538726807e+02,
    4.2900814819e+02,
    1.0863500214e+02,
    6.5702495575e+00,
    -6.0424413532e-02,
];
/// erfc on [1/0.35, 6): libm's RB0..RB6 and SB1..SB7, padded with a zero highest coefficient
/// so that both ranges share one Horner nesting. The padding is exact: the innermost
/// `c + s * 0.0` is `c` for every `s > 0`.
const RB: [f32; 8] = [
    -9.8649431020e-03,
    -7.9928326607e-01,
    -1.7757955551e+01,
    -1.6063638306e+02,
    -6.3756646729e+02,
    -1.0250950928e+03,
    -4.8351919556e+02,
    0.0,
];
const SB: [f32; 8] = [
    3.0338060379e+01,
    3.2579251099e+02,
    1.5367296143e+03,
    3.1998581543e+03,
    2.5530502930e+03,
    4.7452853394e+02,
    -2.2440952301e+01,
    0.0,
];

/// erf for `2^-28 <= |x| < 0.84375`: `x + x * P(x²) / Q(x²)`.
#[inline(always)]
fn erf_near(x: f32) -> f32 {
    let z = x * x;
    let r = PP0 + z * (PP1 + z * (PP2 + z * (PP3 + z * PP4)));
    let s = 1.0 + z * (QQ1 + z * (QQ2 + z * (QQ3 + z * (QQ4 + z * QQ5))));
    x + x * (r / s)
}

/// erfc(|x|) for `0.84375 <= |x| < 1.25` (libm's `erfc1`).
#[inline(always)]
fn erfc_mid_range(x: f32) -> f32 {
    let t = f32::from_bits(x.to_bits() & 0x7fff_ffff) - 1.0;
    let p = PA0 + t * (PA1 + t * (PA2 + t * (PA3 + t * (PA4 + t * (PA5 + t * PA6)))));
    let q = 1.0 + t * (QA1 + t * (QA2 + t * (QA3 + t * (QA4 + t * (QA5 + t * QA6)))));
    1.0 - ERX - p / q
}

/// For `1.25 <= |x| < 6`, libm's `erfc2` is `expf(first) * expf(second) / |x|`; these are
/// `first` and `second`.
#[inline(always)]
fn erfc_far_exp_args(x: f32) -> [f32; 2] {
    let ix = x.to_bits() & 0x7fff_ffff;
    let a = f32::from_bits(ix);
    let w = 1.0 / (a * a);
    let tail = ix >= 0x4036_db6d;
    let ra = |i: usize| if tail { RB[i] } else { RA[i] };
    let sa = |i: usize| if tail { SB[i] } else { SA[i] };
    let r = ra(0)
        + w * (ra(1)
            + w * (ra(2) + w * (ra(3) + w * (ra(4) + w * (ra(5) + w * (ra(6) + w * ra(7)))))));
    let big_s = 1.0
        + w * (sa(0)
            + w * (sa(1)
                + w * (sa(2) + w * (sa(3) + w * (sa(4) + w * (sa(5) + w * (sa(6) + w * sa(7))))))));
    let zt = f32::from_bits(ix & 0xffff_e000);
    [-zt * zt - 0.5625, (zt - a) * (zt + a) + r / big_s]
}

// libm's `expf` constants (FreeBSD `e_expf.c`), unchanged.
const LN2_HI: f32 = 6.9314575195e-01;
const LN2_LO: f32 = 1.4286067653e-06;
const INV_LN2: f32 = 1.4426950216e+00;
const P1: f32 = 1.6666625440e-1;
const P2: f32 = -2.7667332906e-3;

/// `libm::expf(x)` for `|x| < 87` whose result is a normal number, without branches: the
/// arguments `erff_lane` passes (from about -37 to about 0.5).
///
/// libm's three argument reductions are one here: with `k = 0`, `x - 0 * LN2_HI` is `x` and
/// `0 * LN2_LO` is `0`, exactly libm's `hi = x, lo = 0`; and `scalbnf(y, k)` is `y * 2^k`
/// for every `k` these arguments produce.
#[inline(always)]
fn expf_lane(x: f32) -> f32 {
    let bits = x.to_bits();
    let hx = bits & 0x7fff_ffff;
    let negative = bits >> 31 != 0;
    let half = if negative { -0.5 } else { 0.5 };
    // Truncation toward zero, as libm's `as i32`. The clamp changes no argument that reaches
    // this line for a kept lane, takes NaN to a number, and lets the conversion be one vector
    // instruction instead of a saturating one per lane.
    let k_arg = (INV_LN2 * x + half).max(-256.0).min(256.0);
    // SAFETY: `k_arg` is finite and within i32 after the clamp.
    let k_far: i32 = unsafe { k_arg.to_int_unchecked() };
    let k_near = if negative { -1 } else { 1 };
    let k = if hx > 0x3f85_1592 {
        k_far
    } else if hx > 0x3eb1_7218 {
        k_near
    } else {
        0
    };
    let kf = k as f32;
    let hi = x - kf * LN2_HI;
    let lo = kf * LN2_LO;
    let xr = hi - lo;
    let xx = xr * xr;
    let c = xr - xx * (P1 + xx * P2);
    let y = 1.0 + (xr * c / (2.0 - c) - lo + hi);
    let scaled = y * f32::from_bits(((0x7f + k) as u32) << 23);
    // |x| <= 2^-14: libm returns 1 + x.
    if hx > 0x3900_0000 { scaled } else { 1.0 + x }
}
