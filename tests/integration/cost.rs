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
