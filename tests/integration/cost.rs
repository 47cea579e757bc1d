//! The cost model against the released code's figures and hand-computed blocks.

use glit::space::cost::{cost, Convention};
use glit::space::{named_arch, preset};

#[test]
fn released_readme_figures() {
    let space = preset("paper-tiny").unwrap();
    let glit = space
        .cost(&named_arch("glit-tiny").unwrap(), Convention::Official)
        .unwrap();
    // README: 7.3M params, 1.33G FLOPs.
    assert!(
        (glit.params() as f64 / 1e6 - 7.3).abs() < 0.05,
        "params {}",
        glit.params()
    );
    assert!(
        (glit.mflops() - 1330.0).abs() < 5.0,
        "MFLOPs {}",
        glit.mflops()
    );
    let deit = space
        .cost(&named_arch("deit-tiny").unwrap(), Convention::Official)
        .unwrap();
    // DeiT-Tiny: 5.7M params (timm: 5,717,416), about 1.25G FLOPs.
    assert_eq!(deit.params(), 5_717_416);
    assert!(
        (deit.mflops() - 1253.8).abs() < 0.5,
        "MFLOPs {}",
        deit.mflops()
    );
}

#[test]
fn an_all_local_block_by_hand() {
    // One all-local block of paper-tiny: c = 192 channels, E = 2, K = 31, FFN 4, n = 197.
    let space = preset("paper-tiny").unwrap();
    let arch: glit::space::Arch = std::iter::repeat_n("L3(k31,e2,f4)", 12)
        .collect::<Vec<_>>()
        .join(" ")
        .parse()
        .unwrap();
    let (c, e, k, n, d) = (192u64, 2u64, 31u64, 197u64, 192u64);
    let conv_params = c * 2 * e * c + 2 * e * c + e * c * k + e * c + 2 * e * c + e * c * c + c;
    let ffn_params = d * 4 * d + 4 * d + 4 * d * d + d;
    let official = space.cost(&arch, Convention::Official).unwrap();
    let exact = space.cost(&arch, Convention::Exact).unwrap();
    assert_eq!(official.blocks[0].params, 4 * d + conv_params + ffn_params);
    let official_macs = n * (c * e * c + e * c * k + e * c * c) + 2 * n * d * 4 * d;
    assert_eq!(official.blocks[0].macs, official_macs);
    // Exact counts the GLU's pointwise conv at its full 2·E·c outputs.
    assert_eq!(exact.blocks[0].macs, official_macs + n * c * e * c);
    assert_eq!(exact.params(), official.params());
}

#[test]
fn totals_are_the_sum_of_parts_and_every_arch_costs_something() {
    let space = preset("micro").unwrap();
    let mut rng = glit::rng::seeded(5);
    for _ in 0..100 {
        let arch = space.sample(&mut rng);
        for convention in Convention::ALL {
            let c = cost(space.skeleton(), &arch, convention).unwrap();
            let sum: u64 =
                c.blocks.iter().map(|b| b.macs).sum::<u64>() + c.embedding.macs + c.head.macs;
            assert_eq!(c.total().macs, sum);
            assert!(c.blocks.iter().all(|b| b.params > 0 && b.macs > 0));
        }
        let official = space.cost(&arch, Convention::Official).unwrap();
        let exact = space.cost(&arch, Convention::Exact).unwrap();
        assert!(exact.total().macs >= official.total().macs);
    }
}

#[test]
fn costing_an_arch_of_the_wrong_shape_is_an_error() {
    let micro = preset("micro").unwrap();
    let err = cost(
        micro.skeleton(),
        &named_arch("deit-small").unwrap(),
        Convention::Exact,
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("6 heads per block, the skeleton 3"),
        "{err}"
    );
    let mut arch = micro.sample(&mut glit::rng::seeded(0));
    arch.blocks[2].global_heads = 1;
    arch.blocks[2].kernel = None;
    arch.blocks[2].qk_dim = Some(16);
    let err = cost(micro.skeleton(), &arch, Convention::Exact).unwrap_err();
    assert!(
        err.to_string().contains("block 2: `kernel` is missing"),
        "{err}"
    );
}

#[test]
fn deit_small_matches_timm() {
    // DeiT-Small in paper-small: timm counts 22,050,664 parameters; DeiT quotes 4.6G FLOPs.
    let space = preset("paper-small").unwrap();
    let deit = space
        .cost(&named_arch("deit-small").unwrap(), Convention::Official)
        .unwrap();
    assert_eq!(deit.params(), 22_050_664);
    assert!(
        (deit.mflops() - 4600.0).abs() < 5.0,
        "MFLOPs {}",
        deit.mflops()
    );
}

/// An all-local micro network of `kind` with every block `L3(k{kernel},e{expand},f4)`.
fn all_local(kind: &str, kernel: usize, expand: usize) -> (glit::space::Space, glit::space::Arch) {
    let space = preset(&format!("micro:{kind}")).unwrap();
    let arch = std::iter::repeat_n(format!("L3(k{kernel},e{expand},f4)"), 6)
        .collect::<Vec<_>>()
        .join(" ")
        .parse()
        .unwrap();
    (space, arch)
}

#[test]
fn a_conv2d_block_counts_k_squared_taps_at_every_patch() {
    // micro: 7×7 patches + cls = 50 tokens, d = c = 48 (all local), E = 2, k = 5.
    let (space, arch) = all_local("conv2d", 5, 2);
    let (c, e, k, n, d, side) = (48u64, 2u64, 5u64, 50u64, 48u64, 7u64);
    let inner = e * c;
    // Taps the depthwise stage multiplies: every patch, every tap of its k×k kernel (zero
    // padding included, as for Conv1d); the class token skips the stage.
    let mut taps = 0;
    for _row in 0..side {
        for _column in 0..side {
            taps += k * k;
        }
    }
    let conv_params = c * 2 * inner + 2 * inner + inner * k * k + inner + 2 * inner + inner * c + c;
    let ffn_params = d * 4 * d + 4 * d + 4 * d * d + d;
    let official = space.cost(&arch, Convention::Official).unwrap();
    let exact = space.cost(&arch, Convention::Exact).unwrap();
    assert_eq!(official.blocks[0].params, 4 * d + conv_params + ffn_params);
    let official_macs = n * (c * inner + inner * c) + inner * taps + 2 * n * d * 4 * d;
    assert_eq!(official.blocks[0].macs, official_macs);
    assert_eq!(exact.blocks[0].macs, official_macs + n * c * inner);
}

#[test]
fn a_local_attention_block_counts_the_pairs_its_windows_allow() {
    for window in [3usize, 5, 7] {
        let (space, arch) = all_local("local-attention", window, 1);
        let (c, n, d, side) = (48u64, 50u64, 48u64, 7usize);
        let inner = c; // E = 1: three heads of width d/N = 16
                       // The pairs the model's mask lets through, counted one by one.
        let pairs = (0..n as usize)
            .flat_map(|q| (0..n as usize).map(move |k| (q, k)))
            .filter(|&(q, k)| glit::model::attends(side, window, q, k))
            .count() as u64;
        let attention_params = c * 3 * inner + 3 * inner + inner * c + c;
        let ffn_params = d * 4 * d + 4 * d + 4 * d * d + d;
        let macs = n * c * 3 * inner + n * inner * c + 2 * inner * pairs + 2 * n * d * 4 * d;
        for convention in Convention::ALL {
            let cost = space.cost(&arch, convention).unwrap();
            assert_eq!(cost.blocks[0].params, 4 * d + attention_params + ffn_params);
            assert_eq!(cost.blocks[0].macs, macs, "window {window}");
        }
        if window == 7 {
            // A window of 7 reaches the whole 7×7 grid from its centre only: fewer pairs
            // than global attention's n².
            assert!(pairs < n * n, "{pairs}");
        }
    }
    // A window spanning the grid from every patch (2·side − 1 = 13) is global attention.
    assert!((0..50).all(|q| (0..50).all(|k| glit::model::attends(7, 13, q, k))));
}
