//! The CPU backend's matrix products sum in one order whatever the width of the vector unit
//! that runs them: each output is one chain of fused multiply-adds over each depth block, the
//! blocks added in turn, and the depth blocks are those `gemm`'s AVX2 kernel (16 × 6 registers)
//! chooses. A machine whose products run `gemm`'s AVX-512 kernels (vendor/gemm-common/
//! PATCHED.md) therefore gives the bits an AVX2 machine gives. Checked here bit for bit against
//! that order written out as scalar code, on whichever kernel this machine runs.

use burn::tensor::{Tensor, TensorData};
use burn_flex::{Flex, FlexDevice};

use crate::fixtures::hashed_values as values;

/// The register block of `gemm`'s AVX2 kernel for f32 (2 vectors of 8 lanes × 6 columns),
/// which decides the depth blocks on every x86-64 machine with FMA.
const AVX2_BLOCK: (usize, usize) = (16, 6);

/// The depth block `gemm` uses for an `m × k` by `k × n` product: `k` up to 512 for
/// products of at most 64 × 64 outputs, else what its cache model gives the AVX2 kernel.
fn depth_block(m: usize, n: usize, k: usize) -> usize {
    if m <= 64 && n <= 64 {
        k.min(512)
    } else {
        let (mr, nr) = AVX2_BLOCK;
        gemm_common::cache::kernel_params(m, n, k, mr, nr, size_of::<f32>()).kc
    }
}

/// `a × b` (row-major `m × k` and `k × n`) summed in `gemm`'s order: per depth block one
/// fused multiply-add chain from zero, the first block stored, later ones added.
fn product_in_gemm_order(a: &[f32], b: &[f32], m: usize, n: usize, k: usize) -> Vec<f32> {
    let kc = depth_block(m, n, k);
    let mut out = vec![0.0f32; m * n];
    for i in 0..m {
        for j in 0..n {
            let mut total = 0.0f32;
            for (block, start) in (0..k).step_by(kc).enumerate() {
                let mut chain = 0.0f32;
                for l in start..(start + kc).min(k) {
                    chain = a[i * k + l].mul_add(b[l * n + j], chain);
                }
                total = if block == 0 { chain } else { total + chain };
            }
            out[i * n + j] = total;
        }
    }
    out
}

/// Whether this machine's products run a fused multiply-add kernel (every x86-64 CPU since
/// 2013); others run `gemm`'s scalar kernel, which rounds each product.
fn runs_fma_kernels() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

fn first_difference(got: &[f32], want: &[f32], n: usize) -> Option<String> {
    got.iter()
        .zip(want)
        .position(|(g, w)| g.to_bits() != w.to_bits())
        .map(|at| {
            format!(
                "[{}, {}]: {} against {} in gemm's order",
                at / n,
                at % n,
                got[at],
                want[at]
            )
        })
}

#[test]
fn matrix_products_sum_in_the_avx2_kernels_order_on_every_layout() {
    if !runs_fma_kernels() {
        eprintln!("skipped: no FMA on this machine, gemm runs its scalar kernel");
        return;
    }
    // Several depth blocks, both of gemm's ways of choosing them, square and thin outputs,
    // sizes on both sides of the size at which products are split over the thread pool.
    let shapes = [
        (40, 50, 777),
        (70, 90, 1100),
        (130, 20, 2100),
        (300, 70, 640),
        (96, 200, 4096),
        (64, 64, 64),
    ];
    for (salt, &(m, n, k)) in shapes.iter().enumerate() {
        let (a, b) = (
            values(m * k, 2 * salt as u32),
            values(k * n, 2 * salt as u32 + 1),
        );
        let want = product_in_gemm_order(&a, &b, m, n, k);
        let dev = FlexDevice;
        let lhs = Tensor::<Flex, 2>::from_data(TensorData::new(a.clone(), [m, k]), &dev);
        let rhs = Tensor::<Flex, 2>::from_data(TensorData::new(b.clone(), [k, n]), &dev);
        // The same operands as transposed views of transposed copies: other strides, same values.
        let lhs_view = lhs.clone().transpose().into_data();
        let lhs_view = Tensor::<Flex, 2>::from_data(lhs_view, &dev).transpose();
        let rhs_view = rhs.clone().transpose().into_data();
        let rhs_view = Tensor::<Flex, 2>::from_data(rhs_view, &dev).transpose();
        let layouts = [
            ("row-major operands", lhs.clone(), rhs.clone()),
            ("transposed lhs", lhs_view.clone(), rhs.clone()),
            ("transposed rhs", lhs.clone(), rhs_view.clone()),
            ("both transposed", lhs_view, rhs_view),
        ];
        for (layout, l, r) in layouts {
            let got = l.matmul(r).into_data().to_vec::<f32>().expect("f32 data");
            if let Some(diff) = first_difference(&got, &want, n) {
                panic!("{m}×{k} by {k}×{n}, {layout}: {diff}");
            }
        }
        // A batch of two, the second operand pair swapped in, through the batched path.
        let a2 = [a.clone(), values(m * k, 99)].concat();
        let b2 = [b.clone(), values(k * n, 98)].concat();
        let want2 = product_in_gemm_order(&a2[m * k..], &b2[k * n..], m, n, k);
        let got = Tensor::<Flex, 3>::from_data(TensorData::new(a2, [2, m, k]), &dev)
            .matmul(Tensor::<Flex, 3>::from_data(
                TensorData::new(b2, [2, k, n]),
                &dev,
            ))
            .into_data()
            .to_vec::<f32>()
            .expect("f32 data");
        assert_eq!(
            first_difference(&got[..m * n], &want, n),
            None,
            "{m}×{k}×{n}, batch 0"
        );
        assert_eq!(
            first_difference(&got[m * n..], &want2, n),
            None,
            "{m}×{k}×{n}, batch 1"
        );

        // A batch of three sharing the right-hand matrix, as a linear layer's weight is shared
        // by a batch of sequences: run as one product of the stacked rows where that keeps
        // each product's depth blocks (`stacks_into_one_product` in burn-flex's matmul), as
        // separate products elsewhere (40 × 50 outputs with k = 777: blocks of 512 alone).
        let a3 = [a.clone(), values(m * k, 97), values(m * k, 96)].concat();
        let got = Tensor::<Flex, 3>::from_data(TensorData::new(a3.clone(), [3, m, k]), &dev)
            .matmul(rhs.clone().unsqueeze::<3>())
            .into_data()
            .to_vec::<f32>()
            .expect("f32 data");
        for batch in 0..3 {
            let want = product_in_gemm_order(&a3[batch * m * k..][..m * k], &b, m, n, k);
            assert_eq!(
                first_difference(&got[batch * m * n..][..m * n], &want, n),
                None,
                "{m}×{k}×{n}, shared right-hand matrix, batch {batch}"
            );
        }
    }
}
