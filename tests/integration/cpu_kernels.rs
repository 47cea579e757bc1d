//! The patched CPU backend's kernels (vendor/burn-flex/PATCHED.md) against plain Rust loops
//! over the same numbers, on the views a transformer produces: permuted attention heads,
//! narrowed slices, flips, broadcasts, sums over leading dimensions, matrix products, and the
//! depthwise Conv1d's gradients (the weight's bit for bit against Burn's own per-channel
//! convs). Sizes on both sides of the size at which loops are split over the thread pool.

use burn::tensor::{activation, Tensor, TensorData};
use burn_flex::{Flex, FlexDevice};

use crate::fixtures::hashed_values as values;

type T4 = Tensor<Flex, 4>;

fn tensor(data: &[f32], shape: [usize; 4]) -> T4 {
    Tensor::from_data(TensorData::new(data.to_vec(), shape), &FlexDevice)
}

fn read(t: T4) -> Vec<f32> {
    t.into_data().to_vec::<f32>().expect("f32 data")
}

/// Asserts that `a` and `b` hold the same bits, naming the first element that differs.
fn assert_same_bits(a: &[f32], b: &[f32], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    let first = (0..a.len())
        .find(|&i| a[i].to_bits() != b[i].to_bits())
        .map(|i| (i, a[i], b[i]));
    assert_eq!(
        first, None,
        "{what}: (index, left, right) of the first difference"
    );
}

/// `x[i, j, k, l]` of a row-major `[_, d1, d2, d3]` buffer.
fn at(x: &[f32], [_, d1, d2, d3]: [usize; 4], [i, j, k, l]: [usize; 4]) -> f32 {
    x[((i * d1 + j) * d2 + k) * d3 + l]
}

/// Row-major values of `x` (shape `s`) permuted by `[0, 2, 1, 3]`, with `f` applied.
fn swapped(x: &[f32], s: [usize; 4], f: impl Fn(f32, [usize; 4]) -> f32) -> Vec<f32> {
    let mut out = Vec::with_capacity(x.len());
    for i in 0..s[0] {
        for k in 0..s[2] {
            for j in 0..s[1] {
                for l in 0..s[3] {
                    out.push(f(at(x, s, [i, j, k, l]), [i, j, k, l]));
                }
            }
        }
    }
    out
}

/// The shapes tried: below and well above the split size (32 Ki elements).
const SHAPES: [[usize; 4]; 3] = [[2, 3, 4, 5], [4, 64, 8, 32], [3, 50, 7, 33]];

#[test]
fn binary_ops_on_two_permuted_operands_match_plain_loops() {
    for s in SHAPES {
        let n = s.iter().product();
        let (a, b) = (values(n, 1), values(n, 2));
        let product = read(tensor(&a, s).swap_dims(1, 2) * tensor(&b, s).swap_dims(1, 2));
        let expected = swapped(&a, s, |x, idx| x * at(&b, s, idx));
        assert_eq!(product, expected, "mul of permuted operands, shape {s:?}");
        // A permuted operand with a contiguous one (the gradient of a transposed view meets
        // its partner this way).
        let plain_b = tensor(&b, [s[0], s[2], s[1], s[3]]);
        let difference = read(tensor(&a, s).swap_dims(1, 2) - plain_b);
        let permuted_a = swapped(&a, s, |x, _| x);
        let expected: Vec<f32> = permuted_a.iter().zip(&b).map(|(x, y)| x - y).collect();
        assert_eq!(difference, expected, "sub, permuted lhs, shape {s:?}");
    }
}

#[test]
fn broadcasts_and_contiguous_ops_match_plain_loops() {
    for s in SHAPES {
        let n = s.iter().product();
        let (a, b) = (values(n, 3), values(n, 4));
        let sum = read(tensor(&a, s) + tensor(&b, s));
        let expected: Vec<f32> = a.iter().zip(&b).map(|(x, y)| x + y).collect();
        assert_eq!(sum, expected, "contiguous add, shape {s:?}");
        // A per-position scale broadcast over a permuted tensor: `[1, d2, 1, d3]`.
        let scale = values(s[2] * s[3], 5);
        let scale_t = tensor(&scale, [1, s[2], 1, s[3]]);
        let scaled = read(tensor(&a, s).swap_dims(1, 2) * scale_t);
        let expected = swapped(&a, s, |x, [_, _, k, l]| x * scale[k * s[3] + l]);
        assert_eq!(
            scaled, expected,
            "broadcast mul over a permuted tensor, shape {s:?}"
        );
    }
}

#[test]
fn scalar_and_unary_ops_on_views_match_plain_loops() {
    for s in SHAPES {
        let n = s.iter().product();
        let a = values(n, 6);
        let scaled = read(tensor(&a, s).swap_dims(1, 2) * 0.125 + 1.0);
        assert_eq!(
            scaled,
            swapped(&a, s, |x, _| x * 0.125 + 1.0),
            "scalar ops, {s:?}"
        );

        let exp = read(tensor(&a, s).swap_dims(1, 2).exp());
        assert_eq!(
            exp,
            swapped(&a, s, |x, _| x.exp()),
            "exp of a permuted view, {s:?}"
        );

        // A slice that starts past the buffer's first element, then flipped.
        let half = s[3] / 2;
        let narrowed = tensor(&a, s).narrow(3, half, s[3] - half).flip([1]);
        let sigmoid = read(activation::sigmoid(narrowed));
        let mut expected = Vec::new();
        for i in 0..s[0] {
            for j in (0..s[1]).rev() {
                for k in 0..s[2] {
                    for l in half..s[3] {
                        let x = at(&a, s, [i, j, k, l]);
                        expected.push(1.0 / (1.0 + (-x).exp()));
                    }
                }
            }
        }
        assert_eq!(sigmoid.len(), expected.len());
        for (got, want) in sigmoid.iter().zip(&expected) {
            assert!(
                (got - want).abs() <= 1e-6,
                "sigmoid of a flipped slice: {got} vs {want}"
            );
        }
    }
}

#[test]
fn copies_of_permuted_views_hold_the_permuted_values() {
    for s in SHAPES {
        let n = s.iter().product();
        let a = values(n, 7);
        // Reshaping a permuted view forces the N-dimensional contiguous copy.
        let merged = tensor(&a, s)
            .swap_dims(1, 2)
            .reshape([s[0] * s[2], s[1], s[3], 1]);
        assert_eq!(read(merged), swapped(&a, s, |x, _| x), "copy, shape {s:?}");
    }
}

#[test]
fn depthwise_transposed_conv1d_matches_plain_loops() {
    use burn::tensor::module::conv_transpose1d;
    use burn::tensor::ops::ConvTransposeOptions;
    // (batch, channels, length, kernel, padding): the input gradient of the local head's
    // depthwise Conv1d with "same" padding, small and above the split size.
    for (batch, channels, length, kernel, padding) in [(2, 3, 9, 3, 1), (8, 96, 50, 17, 8)] {
        let x = values(batch * channels * length, 8);
        let w = values(channels * kernel, 9);
        let x_t = Tensor::<Flex, 3>::from_data(
            TensorData::new(x.clone(), [batch, channels, length]),
            &FlexDevice,
        );
        let w_t = Tensor::<Flex, 3>::from_data(
            TensorData::new(w.clone(), [channels, 1, kernel]),
            &FlexDevice,
        );
        let options = ConvTransposeOptions::new([1], [padding], [0], [1], channels);
        let out = conv_transpose1d(x_t, w_t, None, options);
        assert_eq!(out.dims(), [batch, channels, length]);
        let got = out.into_data().to_vec::<f32>().expect("f32 data");
        let mut expected = vec![0.0f32; batch * channels * length];
        for row in 0..batch * channels {
            let c = row % channels;
            for k in 0..kernel {
                for i in 0..length {
                    let Some(o) = (i + k).checked_sub(padding).filter(|&o| o < length) else {
                        continue;
                    };
                    expected[row * length + o] += w[c * kernel + k] * x[row * length + i];
                }
            }
        }
        assert_eq!(
            got, expected,
            "depthwise conv_transpose1d, {batch}×{channels}×{length}"
        );
    }
}

/// `[batch, length, channels]` values as a `[batch, channels, length]` tensor: the transposed
/// view the local heads convolve (`channel_last`), or the same logical values copied into
/// channel-first order.
fn tokens(x: &[f32], [batch, length, channels]: [usize; 3], channel_last: bool) -> Tensor<Flex, 3> {
    let view = Tensor::<Flex, 3>::from_data(
        TensorData::new(x.to_vec(), [batch, length, channels]),
        &FlexDevice,
    )
    .swap_dims(1, 2);
    if channel_last {
        view
    } else {
        Tensor::from_data(view.into_data(), &FlexDevice)
    }
}

/// The strides of a float tensor's storage.
fn strides(t: Tensor<Flex, 3>) -> Vec<isize> {
    match t.into_primitive() {
        burn::tensor::TensorPrimitive::Float(t) => t.layout().strides().to_vec(),
        burn::tensor::TensorPrimitive::QFloat(_) => panic!("a float tensor"),
    }
}

#[test]
fn depthwise_conv1d_on_channel_last_tokens_matches_channel_first_bit_for_bit() {
    use burn::tensor::module::{conv1d, conv_transpose1d};
    use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
    // (batch, channels, length, kernel, padding): "same" padding as in the local heads (65
    // tokens, kernels up to 45), channel counts that leave 16-wide and single-channel tails,
    // a kernel longer than the sequence, and a padding that shortens the output.
    for (batch, channels, length, kernel, padding) in [
        (2, 3, 9, 3, 1),
        (3, 70, 65, 45, 22),
        (8, 96, 50, 17, 8),
        (64, 12, 65, 31, 15),
        (2, 5, 7, 9, 4),
        (4, 40, 20, 5, 0),
    ] {
        let shape = [batch, length, channels];
        let x = values(batch * length * channels, 13);
        let w = values(channels * kernel, 14);
        let bias = values(channels, 15);
        let weight =
            Tensor::<Flex, 3>::from_data(TensorData::new(w, [channels, 1, kernel]), &FlexDevice);
        let bias = Tensor::<Flex, 1>::from_data(TensorData::new(bias, [channels]), &FlexDevice);
        let case = format!("{batch}×{channels}×{length}, kernel {kernel}, padding {padding}");

        let conv = |channel_last: bool| {
            conv1d(
                tokens(&x, shape, channel_last),
                weight.clone(),
                Some(bias.clone()),
                ConvOptions::new([1], [padding], [1], channels),
            )
        };
        let (in_place, copied) = (conv(true), conv(false));
        let out_len = length + 2 * padding + 1 - kernel;
        assert_eq!(in_place.dims(), [batch, channels, out_len], "{case}");
        assert_eq!(read3(in_place.clone()), read3(copied), "conv1d, {case}");
        // Written channel-last, as a view the next layer's transpose makes contiguous again.
        assert_eq!(
            strides(in_place),
            [(out_len * channels) as isize, 1, channels as isize],
            "conv1d output layout, {case}"
        );

        let transposed = |channel_last: bool| {
            conv_transpose1d(
                tokens(&x, shape, channel_last),
                weight.clone(),
                Some(bias.clone()),
                ConvTransposeOptions::new([1], [padding], [0], [1], channels),
            )
        };
        let (in_place, copied) = (transposed(true), transposed(false));
        let out_len = length + kernel - 1 - 2 * padding;
        assert_eq!(in_place.dims(), [batch, channels, out_len], "{case}");
        assert_eq!(read3(in_place), read3(copied), "conv_transpose1d, {case}");
    }
}

fn read3(t: Tensor<Flex, 3>) -> Vec<f32> {
    t.into_data().to_vec::<f32>().expect("f32 data")
}

#[test]
fn linear_gradients_match_the_broadcast_product_and_add_bit_for_bit() {
    use burn::backend::Autodiff;
    use burn::tensor::module::linear;
    type AD = Autodiff<Flex>;
    // (batch, tokens, d_in, d_out): the local heads' sizes (the weight gradient summed in
    // place, split over the threads by columns), an uneven split, and the cases that keep the
    // product-then-sum: outputs small enough for gemm's lane-reducing paths, sequences past
    // one depth block, a batch of one.
    for (batch, tokens, d_in, d_out) in [
        (64, 65, 192, 96),
        (4, 33, 70, 70),
        (3, 17, 40, 50),
        (5, 65, 12, 20),
        (2, 600, 30, 30),
        (1, 65, 48, 48),
    ] {
        let x = values(batch * tokens * d_in, 16);
        let g = values(batch * tokens * d_out, 17);
        let w = values(d_in * d_out, 18);
        let bias = values(d_out, 19);
        let grads = |whole: bool| {
            let x = Tensor::<AD, 3>::from_data(
                TensorData::new(x.clone(), [batch, tokens, d_in]),
                &FlexDevice,
            )
            .require_grad();
            let w =
                Tensor::<AD, 2>::from_data(TensorData::new(w.clone(), [d_in, d_out]), &FlexDevice)
                    .require_grad();
            let b = Tensor::<AD, 1>::from_data(TensorData::new(bias.clone(), [d_out]), &FlexDevice)
                .require_grad();
            let y = if whole {
                linear(x.clone(), w.clone(), Some(b.clone()))
            } else {
                // What the autodiff backend saw before `linear` reached it whole.
                x.clone().matmul(w.clone().unsqueeze::<3>()) + b.clone().unsqueeze::<3>()
            };
            let g = Tensor::<AD, 3>::from_data(
                TensorData::new(g.clone(), [batch, tokens, d_out]),
                &FlexDevice,
            );
            let grads = (y.clone() * g).sum().backward();
            let read = |t: Tensor<Flex, 2>| t.into_data().to_vec::<f32>().expect("f32 data");
            (
                y.inner().into_data().to_vec::<f32>().expect("f32 data"),
                x.grad(&grads)
                    .expect("x gradient")
                    .into_data()
                    .to_vec::<f32>()
                    .expect("f32"),
                read(w.grad(&grads).expect("weight gradient")),
                b.grad(&grads)
                    .expect("bias gradient")
                    .into_data()
                    .to_vec::<f32>()
                    .expect("f32"),
            )
        };
        let (whole, split) = (grads(true), grads(false));
        let case = format!("batch {batch}, {tokens} tokens, {d_in} → {d_out}");
        assert_same_bits(&whole.0, &split.0, &format!("output, {case}"));
        assert_same_bits(&whole.1, &split.1, &format!("input gradient, {case}"));
        assert_same_bits(&whole.2, &split.2, &format!("weight gradient, {case}"));
        assert_same_bits(&whole.3, &split.3, &format!("bias gradient, {case}"));
        // And the weight gradient's meaning, to a tolerance: Σ_b Σ_t x[b, t, i] g[b, t, j].
        for (i, j) in [(0, 0), (d_in - 1, d_out - 1), (d_in / 2, d_out / 3)] {
            let sum: f64 = (0..batch * tokens)
                .map(|r| x[r * d_in + i] as f64 * g[r * d_out + j] as f64)
                .sum();
            let value = whole.2[i * d_out + j] as f64;
            assert!(
                (value - sum).abs() <= 1e-4 * (1.0 + sum.abs()),
                "weight gradient [{i}, {j}], {case}: {value} vs {sum}"
            );
        }
    }
}

#[test]
fn depthwise_conv1d_weight_gradient_matches_burns_per_channel_convs() {
    use burn::backend::Autodiff;
    use burn::tensor::module::conv1d;
    use burn::tensor::ops::ConvOptions;
    type AD = Autodiff<Flex>;
    // (batch, channels, length, kernel, padding): a batch of 2 takes Burn's own loop over
    // channels; the others the patched all-channels path (`conv1d_weight_grad.rs`), with
    // the input a transposed `[B, T, C]` view as in the local heads.
    for (batch, channels, length, kernel, padding) in
        [(2, 3, 9, 3, 1), (8, 96, 50, 17, 8), (64, 12, 65, 31, 15)]
    {
        let x = values(batch * length * channels, 10);
        let g = values(batch * channels * length, 11);
        let w = values(channels * kernel, 12);
        let x_btc = TensorData::new(x.clone(), [batch, length, channels]);
        let x_view = Tensor::<AD, 3>::from_data(x_btc.clone(), &FlexDevice).swap_dims(1, 2);
        let weight =
            Tensor::<AD, 3>::from_data(TensorData::new(w, [channels, 1, kernel]), &FlexDevice)
                .require_grad();
        let options = ConvOptions::new([1], [padding], [1], channels);
        let y = conv1d(x_view, weight.clone(), None, options);
        let g_t = Tensor::<AD, 3>::from_data(
            TensorData::new(g.clone(), [batch, channels, length]),
            &FlexDevice,
        );
        let grads = (y * g_t).sum().backward();
        let got = weight.grad(&grads).expect("a weight gradient");
        assert_eq!(got.dims(), [channels, 1, kernel]);
        let got = got.into_data().to_vec::<f32>().expect("f32 data");

        // Burn's default: per channel, the input (batch as channels) convolved with the
        // output gradient as the kernel.
        let x_cbt = Tensor::<Flex, 3>::from_data(x_btc, &FlexDevice).permute([2, 0, 1]);
        let g_cbt = Tensor::<Flex, 3>::from_data(
            TensorData::new(g.clone(), [batch, channels, length]),
            &FlexDevice,
        )
        .swap_dims(0, 1);
        let mut expected = Vec::new();
        for c in 0..channels {
            let per_channel = conv1d(
                x_cbt.clone().narrow(0, c, 1),
                g_cbt.clone().narrow(0, c, 1),
                None,
                ConvOptions::new([1], [padding], [1], 1),
            );
            assert_eq!(per_channel.dims(), [1, 1, kernel]);
            expected.extend(per_channel.into_data().to_vec::<f32>().expect("f32 data"));
        }
        assert_eq!(
            got, expected,
            "depthwise conv1d weight gradient, {batch}×{channels}×{length}, kernel {kernel}"
        );

        // And the gradient's meaning, to a tolerance: Σ_b Σ_t x[b, t + k − pad, c] g[b, c, t].
        for c in 0..channels {
            for k in 0..kernel {
                let mut sum = 0.0f64;
                for b in 0..batch {
                    for t in 0..length {
                        let Some(i) = (t + k).checked_sub(padding).filter(|&i| i < length) else {
                            continue;
                        };
                        sum += x[(b * length + i) * channels + c] as f64
                            * g[(b * channels + c) * length + t] as f64;
                    }
                }
                let value = got[c * kernel + k] as f64;
                assert!(
                    (value - sum).abs() <= 1e-4 * (1.0 + sum.abs()),
                    "weight gradient [{c}, {k}]: {value} vs {sum}"
                );
            }
        }
    }
}

#[test]
fn sums_over_leading_and_middle_dims_match_plain_loops() {
    // Above and below the split size; each output sums its rows in order, as the loops do.
    for [d0, d1, d2] in [[3, 4, 5], [64, 65, 40]] {
        let a = values(d0 * d1 * d2, 13);
        let t = Tensor::<Flex, 3>::from_data(TensorData::new(a.clone(), [d0, d1, d2]), &FlexDevice);
        let over_first = t
            .clone()
            .sum_dim(0)
            .into_data()
            .to_vec::<f32>()
            .expect("f32");
        let mut expected = vec![0.0f32; d1 * d2];
        for i in 0..d0 {
            for (j, slot) in expected.iter_mut().enumerate() {
                *slot += a[i * d1 * d2 + j];
            }
        }
        assert_eq!(over_first, expected, "sum over dim 0 of {d0}×{d1}×{d2}");
        let over_middle = t.sum_dim(1).into_data().to_vec::<f32>().expect("f32");
        let mut expected = vec![0.0f32; d0 * d2];
        for i in 0..d0 {
            for j in 0..d1 {
                for k in 0..d2 {
                    expected[i * d2 + k] += a[(i * d1 + j) * d2 + k];
                }
            }
        }
        assert_eq!(over_middle, expected, "sum over dim 1 of {d0}×{d1}×{d2}");
    }
}

#[test]
fn per_row_broadcasts_and_transposed_copies_match_plain_loops() {
    for [rows, cols] in [[5, 7], [300, 200]] {
        let a = values(rows * cols, 14);
        let s = values(rows, 15);
        let t = Tensor::<Flex, 2>::from_data(TensorData::new(a.clone(), [rows, cols]), &FlexDevice);
        let per_row =
            Tensor::<Flex, 2>::from_data(TensorData::new(s.clone(), [rows, 1]), &FlexDevice);
        // `t` stays alive, so the subtraction cannot reuse its buffer.
        let centred = (t.clone() - per_row)
            .into_data()
            .to_vec::<f32>()
            .expect("f32");
        let expected: Vec<f32> = (0..rows * cols).map(|i| a[i] - s[i / cols]).collect();
        assert_eq!(centred, expected, "per-row subtraction, {rows}×{cols}");
        let transposed = t.transpose().reshape([cols * rows]);
        let transposed = transposed.into_data().to_vec::<f32>().expect("f32");
        let expected: Vec<f32> = (0..cols * rows)
            .map(|i| a[(i % rows) * cols + i / rows])
            .collect();
        assert_eq!(transposed, expected, "transposed copy, {rows}×{cols}");
    }
}

#[test]
fn matmul_writes_every_output_including_an_empty_inner_dimension() {
    let empty_2d = Tensor::<Flex, 2>::zeros([3, 0], &FlexDevice)
        .matmul(Tensor::<Flex, 2>::zeros([0, 4], &FlexDevice));
    assert_eq!(
        empty_2d.into_data().to_vec::<f32>().expect("f32"),
        vec![0.0; 12]
    );
    let empty_3d = Tensor::<Flex, 3>::zeros([2, 3, 0], &FlexDevice)
        .matmul(Tensor::<Flex, 3>::zeros([2, 0, 4], &FlexDevice));
    assert_eq!(
        empty_3d.into_data().to_vec::<f32>().expect("f32"),
        vec![0.0; 24]
    );
    let (m, k, n) = (37, 29, 41);
    let (a, b) = (values(m * k, 16), values(k * n, 17));
    let product = Tensor::<Flex, 3>::from_data(TensorData::new(a.clone(), [1, m, k]), &FlexDevice)
        .matmul(Tensor::<Flex, 3>::from_data(
            TensorData::new(b.clone(), [1, k, n]),
            &FlexDevice,
        ))
        .into_data()
        .to_vec::<f32>()
        .expect("f32");
    for i in 0..m {
        for j in 0..n {
            let want: f32 = (0..k).map(|l| a[i * k + l] * b[l * n + j]).sum();
            let got = product[i * n + j];
            assert!(
                (got - want).abs() <= 1e-4,
                "product [{i}, {j}]: {got} vs {want}"
            );
        }
    }
}

#[test]
fn layer_norm_node_matches_the_composition_bit_for_bit() {
    use burn::backend::Autodiff;
    use burn::tensor::ops::ModuleOps;
    use burn::tensor::TensorPrimitive;
    type AD = Autodiff<Flex>;
    // The blocks' normalisation (batch 64, 65 tokens, 192 channels), an odd small one, and
    // one without a bias.
    for (batch, tokens, d, with_bias) in [(64, 65, 192, true), (3, 5, 7, true), (4, 9, 33, false)] {
        let x = values(batch * tokens * d, 21)
            .iter()
            .enumerate()
            .map(|(i, v)| v * (1.0 + (i % d) as f32 / d as f32) + 0.3)
            .collect::<Vec<_>>();
        let g = values(batch * tokens * d, 22);
        let gamma = values(d, 23)
            .iter()
            .map(|v| 1.0 + v / 4.0)
            .collect::<Vec<_>>();
        let beta = values(d, 24);
        let run = |whole: bool| {
            let param = |v: &[f32]| {
                Tensor::<AD, 1>::from_data(TensorData::new(v.to_vec(), [d]), &FlexDevice)
                    .require_grad()
            };
            let x = Tensor::<AD, 3>::from_data(
                TensorData::new(x.clone(), [batch, tokens, d]),
                &FlexDevice,
            )
            .require_grad();
            let (gamma, beta) = (param(&gamma), param(&beta));
            let eps = 1e-6;
            let y = if whole {
                Tensor::<AD, 3>::from_primitive(TensorPrimitive::Float(AD::layer_norm(
                    x.clone().into_primitive().tensor(),
                    gamma.clone().into_primitive().tensor(),
                    with_bias.then(|| beta.clone().into_primitive().tensor()),
                    eps,
                )))
            } else {
                // What the autodiff backend recorded before layer normalization was one node.
                let mean = x.clone().mean_dim(2);
                let centered = x.clone() - mean;
                let var = (centered.clone() * centered.clone()).mean_dim(2);
                let normalized = centered / var.add_scalar(eps).sqrt();
                let scaled = normalized * gamma.clone().reshape([1, 1, d]);
                if with_bias {
                    scaled + beta.clone().reshape([1, 1, d])
                } else {
                    scaled
                }
            };
            // A residual connection: `x` has a second use, registered first on the way back.
            let g = Tensor::<AD, 3>::from_data(
                TensorData::new(g.clone(), [batch, tokens, d]),
                &FlexDevice,
            );
            let grads = ((y.clone() + x.clone()) * g).sum().backward();
            let read1 = |t: Tensor<Flex, 1>| t.into_data().to_vec::<f32>().expect("f32");
            (
                read3(y.inner()),
                read3(x.grad(&grads).expect("input gradient")),
                read1(gamma.grad(&grads).expect("gamma gradient")),
                beta.grad(&grads).map(read1),
            )
        };
        let (whole, composed) = (run(true), run(false));
        let case = format!("[{batch}, {tokens}, {d}], bias {with_bias}");
        assert_same_bits(&whole.0, &composed.0, &format!("output, {case}"));
        assert_same_bits(&whole.1, &composed.1, &format!("input gradient, {case}"));
        assert_same_bits(&whole.2, &composed.2, &format!("gamma gradient, {case}"));
        assert_eq!(whole.3.is_some(), with_bias, "beta gradient, {case}");
        if let (Some(a), Some(b)) = (&whole.3, &composed.3) {
            assert_same_bits(a, b, &format!("beta gradient, {case}"));
        }
        // And what it means: each output row, less beta and over gamma, has mean 0 and
        // variance 1 (to float tolerance).
        for row in [0, batch * tokens - 1] {
            let n: Vec<f64> = (0..d)
                .map(|i| {
                    let shift = if with_bias { beta[i] } else { 0.0 };
                    ((whole.0[row * d + i] - shift) / gamma[i]) as f64
                })
                .collect();
            let mean = n.iter().sum::<f64>() / d as f64;
            let var = n.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / d as f64;
            assert!(
                mean.abs() < 1e-4 && (var - 1.0).abs() < 1e-3,
                "{case}: {mean} {var}"
            );
        }
    }
}

#[test]
fn softmax_node_matches_the_composition_bit_for_bit() {
    use burn::backend::Autodiff;
    type AD = Autodiff<Flex>;
    // Attention scores (batch 64, 3 heads, 65 tokens), a small odd shape, rows longer than the
    // SIMD maximum's threshold (512), and a softmax over a dimension that is not the last.
    for (shape, dim) in [
        ([64, 3, 65, 65], 3),
        ([2, 3, 5, 7], 3),
        ([1, 2, 3, 600], 3),
        ([2, 3, 5, 7], 2),
    ] {
        let len: usize = shape.iter().product();
        let s = values(len, 25).iter().map(|v| v * 3.0).collect::<Vec<_>>();
        let g = values(len, 26);
        let run = |whole: bool| {
            let s = Tensor::<AD, 4>::from_data(TensorData::new(s.clone(), shape), &FlexDevice)
                .require_grad();
            let y = if whole {
                activation::softmax(s.clone(), dim)
            } else {
                // What the autodiff backend recorded before softmax was one node.
                let max = s.clone().detach().max_dim(dim);
                let exp = (s.clone() - max).exp();
                exp.clone() / exp.sum_dim(dim)
            };
            let g = Tensor::<AD, 4>::from_data(TensorData::new(g.clone(), shape), &FlexDevice);
            let grads = (y.clone() * g).sum().backward();
            (
                read(y.inner()),
                read(s.grad(&grads).expect("input gradient")),
            )
        };
        let (whole, composed) = (run(true), run(false));
        let case = format!("{shape:?} over dim {dim}");
        assert_same_bits(&whole.0, &composed.0, &format!("output, {case}"));
        assert_same_bits(&whole.1, &composed.1, &format!("input gradient, {case}"));
        // And what it means: the first row (over the last dimension) sums to 1.
        if dim == 3 {
            let row: f32 = whole.0[..shape[3]].iter().sum();
            assert!((row - 1.0).abs() < 1e-5, "{case}: {row}");
        }
    }
}

#[test]
fn gelu_node_keeping_erf_matches_gelu_and_its_backward_bit_for_bit() {
    use burn::backend::Autodiff;
    use burn::tensor::ops::ActivationOps;
    use burn::tensor::TensorPrimitive;
    type AD = Autodiff<Flex>;
    // An FFN's hidden layer (above the split size, not a whole number of 256-value blocks)
    // and a small odd one.
    for shape in [[4, 65, 301], [1, 3, 7]] {
        let len: usize = shape.iter().product();
        let x = values(len, 27).iter().map(|v| v * 2.5).collect::<Vec<_>>();
        let g = values(len, 28);
        let flex = |v: &[f32]| {
            Tensor::<Flex, 3>::from_data(TensorData::new(v.to_vec(), shape), &FlexDevice)
        };
        // The node: the forward keeps erf(x/√2) and the backward uses it.
        let x_ad = Tensor::<AD, 3>::from_data(TensorData::new(x.clone(), shape), &FlexDevice)
            .require_grad();
        let y = activation::gelu(x_ad.clone());
        let grads = (y.clone() * Tensor::<AD, 3>::from_inner(flex(&g)))
            .sum()
            .backward();
        let node = (
            read3(y.inner()),
            read3(x_ad.grad(&grads).expect("input gradient")),
        );
        // The backend's own `gelu` and `gelu_backward`, which computed erf again.
        let plain_grad =
            Tensor::<Flex, 3>::from_primitive(TensorPrimitive::Float(Flex::gelu_backward(
                flex(&x).into_primitive().tensor(),
                flex(&g).into_primitive().tensor(),
            )));
        let plain = (read3(activation::gelu(flex(&x))), read3(plain_grad));
        assert_same_bits(&node.0, &plain.0, &format!("output, {shape:?}"));
        assert_same_bits(&node.1, &plain.1, &format!("input gradient, {shape:?}"));
        // And the gradient's meaning at one point, against the exact derivative.
        let (xi, gi) = (x[5] as f64, g[5] as f64);
        let cdf = 0.5 * (1.0 + libm::erf(xi / std::f64::consts::SQRT_2));
        let pdf = (-0.5 * xi * xi).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let exact = gi * (cdf + xi * pdf);
        assert!(
            (node.1[5] as f64 - exact).abs() < 1e-5,
            "{shape:?}: {} vs {exact}",
            node.1[5]
        );
    }
}
