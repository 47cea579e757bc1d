//! Sweeps over seeds: every operator stays in the space, returns canonical architectures,
//! is reproducible, and every architecture round-trips through JSON and the compact form.

use std::collections::HashSet;

use glit::rng::seeded;
use glit::space::{preset, Arch, Space};
use glit::Error;

const SEEDS: u64 = 150;

fn spaces() -> Vec<Space> {
    glit::space::presets::PRESETS
        .iter()
        .map(|name| preset(name).unwrap())
        .collect()
}

fn assert_good(space: &Space, arch: &Arch, what: &str) {
    assert!(
        space.check(arch).is_ok(),
        "{what} left `{}`: {:?}",
        space.name(),
        space.check(arch)
    );
    assert!(arch.is_canonical(), "{what} is not canonical: {arch:?}");
    let json = Arch::from_json(&arch.to_json(), "test").unwrap();
    assert_eq!(&json, arch, "JSON round trip of {arch}");
    let compact: Arch = arch.to_string().parse().unwrap();
    assert_eq!(&compact, arch, "compact round trip of {arch}");
}

#[test]
fn samples_mutations_and_crossovers_stay_in_the_space() {
    for space in spaces() {
        for seed in 0..SEEDS {
            let mut rng = seeded(seed);
            let a = space.sample(&mut rng);
            let b = space.sample(&mut rng);
            assert_good(&space, &a, "sample");
            for prob in [0.1, 0.5, 1.0] {
                let m = space.mutate(&a, prob, &mut rng).unwrap();
                assert_good(&space, &m, "mutate");
            }
            let c = space.crossover(&a, &b, &mut rng).unwrap();
            assert_good(&space, &c, "crossover");
        }
    }
}

#[test]
fn sampling_reaches_every_global_head_count_in_every_block() {
    let space = preset("paper-tiny").unwrap();
    let mut rng = seeded(7);
    let mut seen = vec![HashSet::new(); space.depth()];
    for _ in 0..200 {
        for (i, block) in space.sample(&mut rng).blocks.iter().enumerate() {
            seen[i].insert(block.global_heads);
        }
    }
    assert!(seen.iter().all(|s| s.len() == 4), "{seen:?}");
}

#[test]
fn operators_are_reproducible_from_the_seed() {
    let space = preset("paper-small").unwrap();
    let run = |seed| {
        let mut rng = seeded(seed);
        let a = space.sample(&mut rng);
        let b = space.sample(&mut rng);
        let m = space.mutate(&a, 0.3, &mut rng).unwrap();
        let c = space.crossover(&a, &b, &mut rng).unwrap();
        (a, b, m, c)
    };
    assert_eq!(run(3), run(3));
    assert_ne!(run(3), run(4));
}

#[test]
fn mutation_with_probability_zero_and_self_crossover_change_nothing() {
    let space = preset("micro").unwrap();
    let mut rng = seeded(1);
    for _ in 0..50 {
        let a = space.sample(&mut rng);
        assert_eq!(space.mutate(&a, 0.0, &mut rng).unwrap(), a);
        assert_eq!(space.crossover(&a, &a, &mut rng).unwrap(), a);
    }
}

#[test]
fn mutation_with_probability_one_changes_most_blocks() {
    let space = preset("paper-tiny").unwrap();
    let mut rng = seeded(2);
    let a = space.sample(&mut rng);
    let m = space.mutate(&a, 1.0, &mut rng).unwrap();
    let changed = a
        .blocks
        .iter()
        .zip(&m.blocks)
        .filter(|(x, y)| x != y)
        .count();
    assert!(changed >= 6, "only {changed} of 12 blocks changed");
}

#[test]
fn canonical_form_ignores_values_that_cannot_matter() {
    let space = preset("paper-tiny").unwrap();
    let mut a = glit::space::named_arch("deit-tiny").unwrap();
    let mut b = a.clone();
    a.blocks[0].kernel = Some(17);
    b.blocks[0].kernel = Some(45);
    b.blocks[0].conv_expand = Some(4);
    assert_ne!(a, b);
    assert!(space.contains(&a) && space.contains(&b));
    assert_eq!(a.canonical(), b.canonical());
    let hashes: HashSet<Arch> = [a.canonical(), b.canonical()].into_iter().collect();
    assert_eq!(hashes.len(), 1);
}

#[test]
fn sample_where_meets_a_flops_limit_or_says_it_could_not() {
    use glit::space::cost::Convention;
    let space = preset("paper-tiny").unwrap();
    let mut rng = seeded(0);
    let limit = 1400.0;
    let arch = space
        .sample_where(&mut rng, 500, |a| {
            space.cost(a, Convention::Official).unwrap().mflops() <= limit
        })
        .unwrap();
    assert!(space.cost(&arch, Convention::Official).unwrap().mflops() <= limit);
    let never = space.sample_where(&mut rng, 25, |_| false).unwrap_err();
    assert!(matches!(never, Error::ConstraintNeverMet { tries: 25 }));
    assert_eq!(
        never.to_string(),
        "no architecture met the constraint in 25 tries"
    );
}

#[test]
fn check_names_the_block_and_the_key() {
    let space = preset("paper-tiny").unwrap();
    let mut arch = glit::space::named_arch("glit-tiny").unwrap();
    arch.blocks[4].kernel = Some(33);
    let message = space.check(&arch).unwrap_err().to_string();
    assert!(
        message.contains("block 4: `kernel` 33 is not a candidate [17, 31, 45]"),
        "{message}"
    );
    arch.blocks[4].kernel = None;
    let message = space.check(&arch).unwrap_err().to_string();
    assert!(
        message.contains("block 4: `kernel` is missing"),
        "{message}"
    );
    let micro = preset("micro").unwrap();
    let message = micro
        .check(&glit::space::named_arch("glit-tiny").unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("it has 12 blocks, the space `micro` has 6"),
        "{message}"
    );
    // Operators refuse architectures from elsewhere rather than produce nonsense.
    let mut rng = seeded(0);
    assert!(micro
        .mutate(
            &glit::space::named_arch("glit-tiny").unwrap(),
            0.1,
            &mut rng
        )
        .is_err());
}

#[test]
fn bad_json_and_bad_compact_text_are_reported() {
    let err = Arch::from_json(
        r#"{"heads": 3, "blocks": [{"global_heads": 3, "ffn": 4}]}"#,
        "a.json",
    )
    .unwrap_err()
    .to_string();
    assert!(err.starts_with("a.json: unknown field `ffn`"), "{err}");
    assert!(err.contains("line 1 column"), "{err}");
    let err = "G3(qk64,f4) X2(f4)"
        .parse::<Arch>()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("block 1 `X2(f4)`: a block starts with G, L or M"),
        "{err}"
    );
    let err = "G3(qk64,f4) G6(qk64,f4)"
        .parse::<Arch>()
        .unwrap_err()
        .to_string();
    assert!(err.contains("has 6 heads, earlier blocks 3"), "{err}");
    let err = "L3(k31,e2)".parse::<Arch>().unwrap_err().to_string();
    assert!(err.contains("missing the FFN ratio"), "{err}");
}

#[test]
fn glit_tiny_reads_as_released() {
    let arch = glit::space::named_arch("glit-tiny").unwrap();
    assert_eq!(
        arch.distribution(),
        vec![3, 0, 1, 3, 0, 1, 3, 1, 0, 3, 0, 3]
    );
    let text = arch.to_string();
    assert!(
        text.starts_with("G3(qk32,f4) L3(k31,e2,f4) M1/2(qk64,k31,e4,f6)"),
        "{text}"
    );
    assert!(preset("paper-tiny").unwrap().contains(&arch));
    assert!(preset("released-tiny").unwrap().contains(&arch));
}
