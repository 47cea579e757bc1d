//! The vector widths the lane-wise `erf` and `exp` run at (a glit patch, see `PATCHED.md`).
//!
//! `erf_lanes` and `exp_lanes` write each function once, lane by lane, and compile it for
//! the widest instruction set the CPU has: AVX-512 (sixteen lanes), AVX2 with FMA (eight), or
//! the baseline. Every width computes each lane with the same operations in the same order,
//! so all give the same bits; [`LaneWidth::available`] and the `*_at` functions let tests
//! check each width the machine has against the scalar functions. `at_widest_fn!` compiles
//! the block loops of the activations that use them (GELU, its gradient, sigmoid) for the
//! widest width the same way.

/// One instruction set the lane-wise functions are compiled for. A value exists only for a
/// width the running CPU supports, so passing one to the `*_at` functions is always sound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LaneWidth(Width);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Width {
    /// AVX-512F, with AVX2 and FMA: sixteen f32 lanes.
    Avx512,
    /// AVX2 with FMA: eight f32 lanes.
    Avx2,
    /// The target's baseline (SSE2 on x86-64): four lanes, or scalar functions.
    Baseline,
}

impl LaneWidth {
    /// The widest width this CPU supports: the one `erf` and `exp` of f32 tensors use.
    pub fn widest() -> LaneWidth {
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        {
            let avx2 =
                std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma");
            if avx2 && std::is_x86_feature_detected!("avx512f") {
                return LaneWidth(Width::Avx512);
            }
            if avx2 {
                return LaneWidth(Width::Avx2);
            }
        }
        LaneWidth(Width::Baseline)
    }

    /// Every width this CPU supports, widest first.
    pub fn available() -> alloc::vec::Vec<LaneWidth> {
        let all = [Width::Avx512, Width::Avx2, Width::Baseline];
        let widest = all
            .iter()
            .position(|&w| w == Self::widest().0)
            .unwrap_or(all.len() - 1);
        all[widest..].iter().map(|&w| LaneWidth(w)).collect()
    }

    /// The instruction set's name, for messages.
    pub fn name(self) -> &'static str {
        match self.0 {
            Width::Avx512 => "AVX-512",
            Width::Avx2 => "AVX2",
            Width::Baseline => "baseline",
        }
    }

    pub(crate) fn width(self) -> Width {
        self.0
    }
}

/// Replaces every `x` in `values` by `libm::erff(x)`, computed at `width`.
pub fn erf_f32_at(width: LaneWidth, values: &mut [f32]) {
    crate::ops::erf_lanes::erff_in_place_at(width, values)
}

/// Replaces every `x` in `values` by `x.exp()`, computed at `width`.
pub fn exp_f32_at(width: LaneWidth, values: &mut [f32]) {
    crate::ops::exp_lanes::expf_in_place_at(width, values)
}

/// Defines `fn $name(args)`, which runs `$body(args)` compiled for the widest width this CPU
/// supports. `$body` must be `#[inline(always)]`: it is inlined into one copy of the function
/// per instruction set, so its loops use that width's vectors. Rust never fuses or reorders
/// float operations, so every width gives the same bits; only the speed depends on the CPU.
/// (A closure handed to a target-feature function is not reliably inlined into it, so this
/// takes a named function.)
macro_rules! at_widest_fn {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) => $body:path) => {
        $(#[$meta])*
        $vis fn $name($($arg: $ty),*) {
            #[cfg(all(feature = "std", target_arch = "x86_64"))]
            {
                use $crate::ops::lane_width::{LaneWidth, Width};
                #[target_feature(enable = "avx512f,avx2,fma")]
                unsafe fn avx512($($arg: $ty),*) {
                    $body($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                unsafe fn avx2($($arg: $ty),*) {
                    $body($($arg),*)
                }
                match LaneWidth::widest().width() {
                    // SAFETY: the CPU supports the width `widest` returned.
                    Width::Avx512 => return unsafe { avx512($($arg),*) },
                    // SAFETY: as above.
                    Width::Avx2 => return unsafe { avx2($($arg),*) },
                    Width::Baseline => {}
                }
            }
            $body($($arg),*)
        }
    };
}
pub(crate) use at_widest_fn;
