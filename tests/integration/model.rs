//! The supernet and standalone networks: shapes, shared gradients, inherited weights, and
//! parameter counts against the cost model.

use burn::module::AutodiffModule;
use burn::optim::{GradientsParams, Optimizer, SgdConfig};
use burn::tensor::{Distribution, Tensor};
use burn::{Dispatch, DispatchDevice};

use glit::model::{Sharing, SharingPlan, Supernet};
use glit::rng::seeded;
use glit::space::cost::Convention;
use glit::space::{preset, Skeleton, Space};

fn flex() -> DispatchDevice {
    DispatchDevice::Flex(Default::default())
}

fn trainable() -> DispatchDevice {
    DispatchDevice::autodiff(flex())
}

/// A preset's candidates over a small skeleton (16×16 images, patch 4, 8 channels a head).
fn small(name: &str) -> Space {
    let space = preset(name).unwrap();
    let heads = space.heads();
    let skeleton = Skeleton {
        image_size: 16,
        channels: 1,
        patch_size: 4,
        embed_dim: 8 * heads,
        heads,
        classes: 5,
        activation: space.skeleton().activation,
        local: space.skeleton().local,
    };
    let depth = space.depth().min(4);
    Space::new(
        format!("small-{name}"),
        skeleton,
        space.blocks()[..depth].to_vec(),
    )
    .unwrap()
}

fn images(batch: usize, space: &Space, device: &DispatchDevice) -> Tensor<Dispatch, 4> {
    let s = space.skeleton();
    Tensor::random(
        [batch, s.channels, s.image_size, s.image_size],
        Distribution::Normal(0.0, 1.0),
        device,
    )
}

/// Every preset, and presets with the other local modules.
fn spaces() -> Vec<String> {
    let mut names: Vec<String> = glit::space::presets::PRESETS.map(String::from).to_vec();
    for kind in ["conv2d", "local-attention"] {
        names.push(format!("micro:{kind}"));
        names.push(format!("paper-tiny:{kind}"));
    }
    names
}

#[test]
fn every_preset_gives_logits_of_the_right_shape() {
    for name in spaces() {
        let name = name.as_str();
        let space = small(name);
        let mut rng = seeded(1);
        for plan in [
            SharingPlan::default(),
            all(Sharing::Separate),
            all(Sharing::Entangled),
        ] {
            let net = Supernet::<Dispatch>::new(&space, &plan, &mut rng, &flex());
            let x = images(3, &space, &flex());
            for _ in 0..6 {
                let arch = space.sample(&mut rng);
                let logits = net.forward(x.clone(), &arch).unwrap();
                assert_eq!(logits.dims(), [3, 5], "{name} {arch}");
                let values: Vec<f32> = logits.into_data().to_vec().unwrap();
                assert!(
                    values.iter().all(|v| v.is_finite()),
                    "{name} {arch}: {values:?}"
                );
            }
        }
    }
}

fn all(sharing: Sharing) -> SharingPlan {
    SharingPlan {
        global_heads: sharing,
        qk_dim: sharing,
        ffn_ratio: sharing,
        conv_expand: sharing,
        kernel: sharing,
    }
}

#[test]
fn forward_refuses_an_arch_from_another_space() {
    let space = small("micro");
    let net = Supernet::<Dispatch>::new(&space, &SharingPlan::default(), &mut seeded(0), &flex());
    let other = glit::space::named_arch("glit-tiny").unwrap();
    let err = net.forward(images(1, &space, &flex()), &other).unwrap_err();
    assert!(err.to_string().contains("not in the space"), "{err}");
}

#[test]
fn a_step_on_one_path_moves_the_entangled_weights_of_another() {
    let space = small("micro");
    let device = trainable();
    let mut rng = seeded(3);
    let mut net = Supernet::<Dispatch>::new(&space, &SharingPlan::default(), &mut rng, &device);
    // Two paths that differ only in FFN ratio and kernel: entangled, so they share slices.
    let a: glit::space::Arch =
        "M1/2(qk16,k9,e1,f2) M1/2(qk16,k9,e1,f2) M1/2(qk16,k9,e1,f2) M1/2(qk16,k9,e1,f2)"
            .parse()
            .unwrap();
    let b: glit::space::Arch =
        "M1/2(qk16,k23,e1,f6) M1/2(qk16,k23,e1,f6) M1/2(qk16,k23,e1,f6) M1/2(qk16,k23,e1,f6)"
            .parse()
            .unwrap();
    let x = images(4, &space, &device);
    let before: Vec<f32> = net
        .valid()
        .forward(x.clone().inner(), &b)
        .unwrap()
        .into_data()
        .to_vec()
        .unwrap();
    let loss = net.forward(x.clone(), &a).unwrap().powi_scalar(2).mean();
    let grads = GradientsParams::from_grads(loss.backward(), &net);
    assert!(
        grads.len() > 10,
        "only {} parameters got gradients",
        grads.len()
    );
    let mut optim = SgdConfig::new().init();
    net = optim.step(0.5, net, grads);
    let after: Vec<f32> = net
        .valid()
        .forward(x.inner(), &b)
        .unwrap()
        .into_data()
        .to_vec()
        .unwrap();
    let moved = before
        .iter()
        .zip(&after)
        .map(|(p, q)| (p - q).abs())
        .fold(0.0, f32::max);
    assert!(moved > 1e-4, "path b did not change: {moved}");
}

#[test]
fn a_step_with_one_kernel_moves_the_shared_weights_of_another_in_every_local_module() {
    // Conv2d shares the centre k×k of its largest kernel; local attention's windows are masks
    // over one set of heads.
    for name in ["micro:conv2d", "micro:local-attention"] {
        let space = small(name);
        let device = trainable();
        let mut rng = seeded(3);
        let mut net = Supernet::<Dispatch>::new(&space, &SharingPlan::default(), &mut rng, &device);
        let path = |k: usize| -> glit::space::Arch {
            // Mixed blocks: in an all-local Conv2d network the class token, which skips the
            // spatial convolution, would never see a patch.
            std::iter::repeat_n(format!("M1/2(qk16,k{k},e2,f2)"), 4)
                .collect::<Vec<_>>()
                .join(" ")
                .parse()
                .unwrap()
        };
        let x = images(4, &space, &device);
        let run = |net: &Supernet<_>, k| -> Vec<f32> {
            net.valid()
                .forward(x.clone().inner(), &path(k))
                .unwrap()
                .into_data()
                .to_vec()
                .unwrap()
        };
        let (before, before_wide) = (run(&net, 3), run(&net, 7));
        assert_ne!(before, before_wide, "{name}: the kernel changes nothing");
        let loss = net
            .forward(x.clone(), &path(3))
            .unwrap()
            .powi_scalar(2)
            .mean();
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        net = SgdConfig::new().init().step(0.5, net, grads);
        let moved = before_wide
            .iter()
            .zip(&run(&net, 7))
            .map(|(p, q)| (p - q).abs())
            .fold(0.0, f32::max);
        assert!(moved > 1e-4, "{name}: the k7 path did not change: {moved}");
    }
}

#[test]
fn an_extracted_network_gives_the_supernets_outputs() {
    for (plan, name) in [
        (SharingPlan::default(), "paper-tiny"),
        (all(Sharing::Entangled), "paper-tiny"),
        (all(Sharing::Entangled), "paper-tiny:conv2d"),
        (SharingPlan::default(), "paper-tiny:local-attention"),
        (all(Sharing::Entangled), "paper-tiny:local-attention"),
    ] {
        let space = small(name);
        let mut rng = seeded(4);
        let net = Supernet::<Dispatch>::new(&space, &plan, &mut rng, &flex());
        let x = images(2, &space, &flex());
        for _ in 0..8 {
            let arch = space.sample(&mut rng);
            let standalone = net.extract(&arch).unwrap();
            let full: Vec<f32> = net
                .forward(x.clone(), &arch)
                .unwrap()
                .into_data()
                .to_vec()
                .unwrap();
            let alone: Vec<f32> = standalone
                .forward(x.clone(), &arch)
                .unwrap()
                .into_data()
                .to_vec()
                .unwrap();
            for (p, q) in full.iter().zip(&alone) {
                // Same arithmetic on copied slices: equal up to float reassociation.
                assert!(
                    (p - q).abs() <= 1e-5 * (1.0 + p.abs()),
                    "{name} {arch}: {p} vs {q}"
                );
            }
            let exact = space.cost(&arch, Convention::Exact).unwrap().params();
            assert_eq!(standalone.parameter_count() as u64, exact, "{name} {arch}");
        }
    }
}

#[test]
fn standalone_parameter_counts_equal_the_cost_model() {
    for name in spaces() {
        let space = small(&name);
        let mut rng = seeded(5);
        for _ in 0..10 {
            let arch = space.sample(&mut rng);
            let net = Supernet::<Dispatch>::standalone(&space, &arch, &mut rng, &flex()).unwrap();
            let exact = space.cost(&arch, Convention::Exact).unwrap().params();
            assert_eq!(net.parameter_count() as u64, exact, "{name}: {arch}");
        }
    }
    // And at full size for the released GLiT-Tiny: 7,264,456.
    let space = preset("paper-tiny").unwrap();
    let glit = glit::space::named_arch("glit-tiny").unwrap();
    let net = Supernet::<Dispatch>::standalone(&space, &glit, &mut seeded(0), &flex()).unwrap();
    assert_eq!(net.parameter_count(), 7_264_456);
}

#[test]
fn the_same_seed_builds_the_same_network() {
    let space = small("micro");
    let x = images(2, &space, &flex());
    let arch = space.sample(&mut seeded(9));
    let out = |seed| -> Vec<f32> {
        let net =
            Supernet::<Dispatch>::new(&space, &SharingPlan::default(), &mut seeded(seed), &flex());
        net.forward(x.clone(), &arch)
            .unwrap()
            .into_data()
            .to_vec()
            .unwrap()
    };
    assert_eq!(out(11), out(11));
    assert_ne!(out(11), out(12));
}
