//! Space sizes, stage sub-spaces, and space definitions from JSON.

use glit::space::{preset, BlockChoices, Details, Space};

fn relative_error(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

#[test]
fn paper_tiny_has_the_papers_size() {
    let space = preset("paper-tiny").unwrap();
    let expected = 324f64.powi(12);
    assert!(relative_error(space.paper_size(), expected) < 1e-12);
    assert!(relative_error(space.paper_size(), 1.34e30) < 0.005);
    // Distinct networks: per block 27 all-local + 2·81 mixed + 9 all-global = 198.
    assert_eq!(space.size_exact(), Some(198u128.pow(12)));
}

#[test]
fn stage_one_space_has_four_to_the_twelfth_networks() {
    let space = preset("paper-tiny").unwrap();
    let details = space.default_details();
    assert_eq!(
        details,
        Details {
            qk_dim: 64,
            ffn_ratio: 4,
            conv_expand: 1,
            kernel: 31
        }
    );
    let stage1 = space.fix_details(&details).unwrap();
    assert_eq!(stage1.size_exact(), Some(4u128.pow(12)));
    assert_eq!(stage1.paper_size(), 4f64.powi(12));
    let bad = Details {
        kernel: 33,
        ..details
    };
    let message = space.fix_details(&bad).unwrap_err().to_string();
    assert!(message.contains("block 0: fixed `kernel` 33"), "{message}");
}

#[test]
fn stage_two_space_fixes_the_distribution() {
    let space = preset("paper-tiny").unwrap();
    let glit = glit::space::named_arch("glit-tiny").unwrap();
    let stage2 = space.with_distribution(&glit.distribution()).unwrap();
    // 5 all-global blocks of 9, 4 all-local of 27, 3 mixed of 81.
    let expected = 9u128.pow(5) * 27u128.pow(4) * 81u128.pow(3);
    assert_eq!(stage2.size_exact(), Some(expected));
    assert!(stage2.contains(&glit));
    let mut rng = glit::rng::seeded(0);
    for _ in 0..50 {
        assert_eq!(stage2.sample(&mut rng).distribution(), glit.distribution());
    }
    assert!(space.with_distribution(&[3; 11]).is_err());
    let released = preset("released-tiny").unwrap();
    assert_eq!(released.size_exact(), Some(9u128.pow(12)));
}

#[test]
fn the_baseline_is_all_global_and_deit_like() {
    let space = preset("paper-tiny").unwrap();
    let baseline = space.baseline().unwrap();
    assert_eq!(baseline, glit::space::named_arch("deit-tiny").unwrap());
    assert!(baseline
        .blocks
        .iter()
        .all(|b| b.global_heads == 3 && b.qk_dim == Some(64) && b.ffn_ratio == 4));
    let stage2 = space.with_distribution(&[0; 12]).unwrap();
    let message = stage2.baseline().unwrap_err().to_string();
    assert!(
        message.contains("block 0 cannot be all-global"),
        "{message}"
    );
}

#[test]
fn spaces_round_trip_through_json_and_bad_ones_are_refused() {
    let space = preset("micro").unwrap();
    let dir = std::env::temp_dir().join(format!("glit-space-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("micro.json");
    std::fs::write(&path, space.to_json()).unwrap();
    assert_eq!(Space::load(&path).unwrap(), space);

    let block = |kernel: Vec<usize>, global: Vec<usize>| BlockChoices {
        global_heads: global,
        qk_dim: vec![16],
        ffn_ratio: vec![4],
        conv_expand: vec![1],
        kernel,
    };
    let skeleton = space.skeleton().clone();
    let even = Space::new("x", skeleton.clone(), vec![block(vec![8], vec![0])]).unwrap_err();
    assert!(
        even.to_string().contains("block 0: `kernel` 8 is even"),
        "{even}"
    );
    let many = Space::new("x", skeleton.clone(), vec![block(vec![9], vec![4])]).unwrap_err();
    assert!(
        many.to_string().contains("candidate 4 exceeds the 3 heads"),
        "{many}"
    );
    let none = Space::new("x", skeleton.clone(), vec![block(vec![], vec![1])]).unwrap_err();
    assert!(
        none.to_string().contains("`kernel` has no candidates"),
        "{none}"
    );
    // An all-global block needs no kernels.
    assert!(Space::new("x", skeleton, vec![block(vec![], vec![3])]).is_ok());

    // A space file is checked like a space built in code.
    std::fs::write(&path, space.to_json().replace("23", "22")).unwrap();
    let message = Space::load(&path).unwrap_err().to_string();
    assert!(
        message.contains("micro.json") && message.contains("`kernel` 22 is even"),
        "{message}"
    );

    std::fs::write(&path, "{\"name\": \"x\"").unwrap();
    let message = Space::load(&path).unwrap_err().to_string();
    assert!(
        message.contains("micro.json") && message.contains("line 1"),
        "{message}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn released_tiny_has_a_stage_one_space_too() {
    let space = preset("released-tiny").unwrap();
    let details = space.default_details();
    assert_eq!(
        details,
        Details {
            qk_dim: 64,
            ffn_ratio: 4,
            conv_expand: 1,
            kernel: 31
        }
    );
    let stage1 = space.fix_details(&details).unwrap();
    assert_eq!(stage1.size_exact(), Some(1));
    assert_eq!(space.distribution_count(), 1.0);
    assert_eq!(
        preset("paper-tiny").unwrap().distribution_count(),
        4f64.powi(12)
    );
}
