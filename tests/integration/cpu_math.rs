//! The patched CPU backend's lane-wise `erf` and `exp` (vendor/burn-flex/src/ops/erf_lanes.rs
//! and exp_lanes.rs) against the scalar functions they replace: `libm::erff` and `f32::exp`,
//! bit for bit. The same holds for GELU, GELU's gradient, sigmoid and softmax, which use them. A spread
//! of inputs over every exponent runs with the tests; the ignored
//! `*_on_every_f32` tests check all 2^32 inputs (`cargo test on_every_f32 -- --ignored`, about two
//! minutes per vector width). Tensors use the widest vector width the CPU has;
//! `erf_and_exp_match_at_every_width` and the ignored `*_at_narrower_widths` tests run the same
//! inputs through every width the CPU supports (AVX-512, AVX2, baseline).

use burn::backend::Autodiff;
use burn::tensor::{activation, Tensor, TensorData};
use burn_flex::ops::lane_width::{erf_f32_at, exp_f32_at, LaneWidth};
use burn_flex::{Flex, FlexDevice};

type T1 = Tensor<Flex, 1>;

/// Every `step`-th bit pattern from `start` up to (not including) `end`, as floats.
fn bit_patterns(start: u64, end: u64, step: usize) -> Vec<f32> {
    (start..end)
        .step_by(step)
        .map(|b| f32::from_bits(b as u32))
        .collect()
}

/// Values at and around the bounds between libm's and glibc's formulas, and special values.
fn edge_values() -> Vec<f32> {
    let bounds = [
        0.0f32,
        3.7252903e-9,
        0.84375,
        1.25,
        1.0 / 0.35,
        6.0,
        88.0,
        88.72,
        103.9,
        1e-38,
        1e-45,
    ];
    let mut out = vec![
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        f32::MAX,
        f32::MIN,
    ];
    for b in bounds {
        for bits in b.to_bits().saturating_sub(2)..=b.to_bits() + 2 {
            let x = f32::from_bits(bits);
            out.extend([x, -x]);
        }
    }
    out
}

/// The bits of `got` and `want` agree (any NaN matching any NaN); the first difference named.
fn assert_same_bits(what: &str, inputs: &[f32], got: &[f32], want: impl Fn(f32) -> f32) {
    assert_eq!(got.len(), inputs.len());
    let differing: Vec<String> = inputs
        .iter()
        .zip(got)
        .filter(|&(&x, &g)| {
            let w = want(x);
            g.to_bits() != w.to_bits() && !(g.is_nan() && w.is_nan())
        })
        .take(3)
        .map(|(&x, &g)| {
            format!(
                "{what}({x:e} = {:#010x}) = {g:e}, want {:e}",
                x.to_bits(),
                want(x)
            )
        })
        .collect();
    assert!(differing.is_empty(), "{differing:?}");
}

fn on_tensor(values: &[f32], op: impl Fn(T1) -> T1) -> Vec<f32> {
    let input = T1::from_data(
        TensorData::new(values.to_vec(), [values.len()]),
        &FlexDevice,
    );
    op(input).into_data().to_vec::<f32>().expect("f32 data")
}

/// A spread over every exponent and sign: every 4099th bit pattern (about a million values).
fn spread() -> Vec<f32> {
    let mut values = bit_patterns(0, 1 << 32, 4099);
    values.extend(edge_values());
    values
}

#[test]
fn erf_matches_libm_bit_for_bit() {
    let values = spread();
    assert_same_bits("erf", &values, &on_tensor(&values, |t| t.erf()), libm::erff);
}

#[test]
fn exp_matches_std_bit_for_bit() {
    let values = spread();
    assert_same_bits("exp", &values, &on_tensor(&values, |t| t.exp()), f32::exp);
}

/// A lane-wise function at a chosen width (`erf_f32_at`, `exp_f32_at`).
type AtWidth = fn(LaneWidth, &mut [f32]);

/// `values` through `op` at `width`.
fn at_width(values: &[f32], width: LaneWidth, op: AtWidth) -> Vec<f32> {
    let mut out = values.to_vec();
    op(width, &mut out);
    out
}

#[test]
fn erf_and_exp_match_at_every_width() {
    let widths = LaneWidth::available();
    assert_eq!(widths[0], LaneWidth::widest());
    assert_eq!(widths.last().map(|w| w.name()), Some("baseline"));
    let values = spread();
    let functions = [
        ("erf", erf_f32_at as AtWidth, libm::erff as fn(f32) -> f32),
        ("exp", exp_f32_at, f32::exp),
    ];
    for width in widths {
        for (name, at, scalar) in functions {
            let what = format!("{name} at {}", width.name());
            assert_same_bits(&what, &values, &at_width(&values, width, at), scalar);
        }
    }
}

/// The inputs of a layer: values in [-8, 8), where GELU's erf takes each of libm's formulas.
fn activations(len: usize) -> Vec<f32> {
    (0..len as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 8) as f32 / (1u32 << 24) as f32 * 16.0 - 8.0)
        .collect()
}

fn gelu_scalar(x: f32) -> f32 {
    0.5 * x * (1.0 + libm::erff(x / std::f32::consts::SQRT_2))
}

#[test]
fn gelu_matches_the_scalar_formula_on_contiguous_and_permuted_inputs() {
    let values = activations(3 * 70 * 257);
    assert_same_bits(
        "gelu",
        &values,
        &on_tensor(&values, activation::gelu),
        gelu_scalar,
    );
    // A permuted view takes the copying path; compare in the permuted order.
    let shaped =
        Tensor::<Flex, 2>::from_data(TensorData::new(values.clone(), [210, 257]), &FlexDevice);
    let got = activation::gelu(shaped.clone().transpose())
        .into_data()
        .to_vec::<f32>()
        .unwrap();
    let permuted = shaped.transpose().into_data().to_vec::<f32>().unwrap();
    assert_same_bits("gelu of a transposed view", &permuted, &got, gelu_scalar);
}

#[test]
fn gelu_gradient_matches_the_scalar_formula() {
    type B = Autodiff<Flex>;
    let n = 5 * 4099;
    let values = activations(n);
    let weights: Vec<f32> = activations(n).iter().rev().map(|w| w / 4.0).collect();
    let x =
        Tensor::<B, 1>::from_data(TensorData::new(values.clone(), [n]), &FlexDevice).require_grad();
    let w = Tensor::<B, 1>::from_data(TensorData::new(weights.clone(), [n]), &FlexDevice);
    let grads = (activation::gelu(x.clone()) * w).sum().backward();
    let got = x
        .grad(&grads)
        .expect("gradient")
        .into_data()
        .to_vec::<f32>()
        .unwrap();
    let inv_sqrt_2pi: f32 = 1.0 / (2.0 * std::f32::consts::PI).sqrt();
    for (i, ((&x, &w), &g)) in values.iter().zip(&weights).zip(&got).enumerate() {
        let cdf = 0.5 * (1.0 + libm::erff(x / std::f32::consts::SQRT_2));
        let pdf = inv_sqrt_2pi * (-0.5 * x * x).exp();
        let want = w * (cdf + x * pdf);
        assert_eq!(
            g.to_bits(),
            want.to_bits(),
            "gelu'({x:e}) at {i}: {g:e}, want {want:e}"
        );
    }
}

#[test]
fn sigmoid_matches_the_scalar_formula() {
    let mut values = activations(4 * 4099);
    values.extend(edge_values());
    let sigmoid_scalar = |x: f32| {
        if x >= 0.0 {
            1.0 / (1.0 + (-x).exp())
        } else {
            let e = x.exp();
            e / (1.0 + e)
        }
    };
    let got = on_tensor(&values, activation::sigmoid);
    assert_same_bits("sigmoid", &values, &got, sigmoid_scalar);
}

#[test]
fn softmax_matches_the_scalar_three_pass_formula() {
    let (rows, len) = (37, 65);
    let values: Vec<f32> = activations(rows * len).iter().map(|v| v * 3.0).collect();
    let input =
        Tensor::<Flex, 2>::from_data(TensorData::new(values.clone(), [rows, len]), &FlexDevice);
    let got = activation::softmax(input, 1)
        .into_data()
        .to_vec::<f32>()
        .unwrap();
    for (r, (row, got)) in values.chunks(len).zip(got.chunks(len)).enumerate() {
        let max = row
            .iter()
            .fold(f32::NEG_INFINITY, |m, &x| if x > m { x } else { m });
        let exps: Vec<f32> = row.iter().map(|&x| (x - max).exp()).collect();
        let mut sum = 0.0f32;
        for &e in &exps {
            sum += e;
        }
        let inv = 1.0 / sum;
        for (i, (&e, &g)) in exps.iter().zip(got).enumerate() {
            assert_eq!(
                g.to_bits(),
                (e * inv).to_bits(),
                "softmax row {r}, column {i}"
            );
        }
    }
}

/// All 2^32 inputs, in slices of 2^24.
fn every_f32(what: &str, op: impl Fn(T1) -> T1, want: impl Fn(f32) -> f32 + Copy) {
    for start in (0u64..1 << 32).step_by(1 << 24) {
        let values = bit_patterns(start, start + (1 << 24), 1);
        assert_same_bits(what, &values, &on_tensor(&values, &op), want);
    }
}

#[test]
#[ignore = "all 2^32 inputs, about two minutes: `cargo test on_every_f32 -- --ignored`"]
fn erf_on_every_f32() {
    every_f32("erf", |t| t.erf(), libm::erff);
}

#[test]
#[ignore = "all 2^32 inputs, about two minutes: `cargo test on_every_f32 -- --ignored`"]
fn exp_on_every_f32() {
    every_f32("exp", |t| t.exp(), f32::exp);
}

/// All 2^32 inputs through `op` at every width narrower than the widest (which the tensor
/// tests above cover).
fn every_f32_at_narrower_widths(what: &str, op: AtWidth, want: impl Fn(f32) -> f32 + Copy) {
    for width in LaneWidth::available().into_iter().skip(1) {
        let what = format!("{what} at {}", width.name());
        for start in (0u64..1 << 32).step_by(1 << 24) {
            let values = bit_patterns(start, start + (1 << 24), 1);
            assert_same_bits(&what, &values, &at_width(&values, width, op), want);
        }
    }
}

#[test]
#[ignore = "all 2^32 inputs per narrower width: `cargo test on_every_f32 -- --ignored`"]
fn erf_on_every_f32_at_narrower_widths() {
    every_f32_at_narrower_widths("erf", erf_f32_at, libm::erff);
}

#[test]
#[ignore = "all 2^32 inputs per narrower width: `cargo test on_every_f32 -- --ignored`"]
fn exp_on_every_f32_at_narrower_widths() {
    every_f32_at_narrower_widths("exp", exp_f32_at, f32::exp);
}
