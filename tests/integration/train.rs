//! Training and scoring: the schedule, the loss, weight-decay groups, learning on synthetic
//! data, exact resume (between epochs and mid-epoch after a failure), BatchNorm
//! recalibration and scoring.

use burn::{Dispatch, DispatchDevice};

use glit::data::{self, Augment, Loader, SyntheticSpec};
use glit::error::Error;
use glit::model::{state_of, Pass, SharingPlan, Supernet};
use glit::rng::seeded;
use glit::space::{Arch, Space};

use crate::fixtures::tiny_space;
use glit::train::{
    accuracy, correct, decays, recalibrate, score, smoothed_cross_entropy, FromFn, Outputs,
    Schedule, ScoreConfig, TrainConfig, TrainData, Trainer, Uniform,
};

fn flex() -> DispatchDevice {
    DispatchDevice::Flex(Default::default())
}

fn trainable() -> DispatchDevice {
    DispatchDevice::autodiff(flex())
}

fn quick_config(epochs: usize) -> TrainConfig {
    TrainConfig {
        epochs,
        batch_size: 32,
        lr: 3e-3,
        warmup_epochs: 0.5,
        ..TrainConfig::default()
    }
}

#[test]
fn the_schedule_warms_up_linearly_then_anneals_to_the_floor() {
    let config = TrainConfig {
        epochs: 10,
        warmup_epochs: 1.0,
        ..TrainConfig::default()
    };
    let schedule = Schedule::new(&config, 100);
    assert!((schedule.lr_at(0) - config.warmup_lr).abs() < 1e-12);
    let halfway = (config.warmup_lr + config.lr) / 2.0;
    assert!((schedule.lr_at(50) - halfway).abs() < 1e-9);
    assert!((schedule.lr_at(100) - config.lr).abs() < 1e-12);
    let middle = (config.lr + config.min_lr) / 2.0;
    assert!((schedule.lr_at(550) - middle).abs() < 1e-9);
    assert!((schedule.lr_at(1000) - config.min_lr).abs() < 1e-12);
    assert!(schedule.lr_at(300) > schedule.lr_at(700));
}

#[test]
fn label_smoothing_matches_the_formula() {
    use burn::tensor::{Tensor, TensorData};
    let logits = [[2.0f32, 0.0, -1.0], [0.5, 0.5, 3.0]];
    let labels = [0u32, 1];
    let tensor = Tensor::<Dispatch, 2>::from_data(TensorData::from(logits), &flex());
    let loss: f32 = smoothed_cross_entropy(tensor, &labels, 0.1).into_scalar();
    let mut expected = 0.0;
    for (row, &label) in logits.iter().zip(&labels) {
        let log_z = row.iter().map(|v| v.exp()).sum::<f32>().ln();
        let log_p: Vec<f32> = row.iter().map(|v| v - log_z).collect();
        let nll = -log_p[label as usize];
        let uniform = -log_p.iter().sum::<f32>() / 3.0;
        expected += 0.9 * nll + 0.1 * uniform;
    }
    expected /= 2.0;
    assert!((loss - expected).abs() < 1e-5, "{loss} vs {expected}");
}

#[test]
fn weight_decay_spares_norms_biases_positions_and_the_cls_token() {
    let net = Supernet::<Dispatch>::new(
        &tiny_space(),
        &SharingPlan::default(),
        &mut seeded(0),
        &flex(),
    );
    let state = state_of::<Dispatch, _>(&net);
    let decayed: Vec<&String> = state
        .iter()
        .filter(|(name, t)| decays(name, t.shape.len()))
        .map(|(name, _)| name)
        .collect();
    assert!(state.contains_key("positions") && state.contains_key("cls_token"));
    for name in &decayed {
        assert!(
            !name.ends_with("bias") && !name.contains("norm") && !name.contains("running"),
            "{name} should not decay"
        );
    }
    assert!(decayed.iter().any(|n| n.ends_with("depthwise.weight")));
    assert!(decayed.iter().any(|n| n.as_str() == "patch_weight"));
    assert!(!decays("positions", 3) && !decays("cls_token", 3));
    assert!(!decays("blocks.0.0.norm1.gamma", 1));
}

#[test]
fn a_standalone_network_learns_the_synthetic_data() {
    let dataset = data::open("synthetic").unwrap();
    let loader = Loader::for_dataset(&dataset);
    let space = tiny_space();
    let arch = space.baseline().unwrap();
    let device = trainable();
    let net = Supernet::<Dispatch>::standalone(&space, &arch, &mut seeded(1), &device).unwrap();
    let config = TrainConfig {
        drop_path: 0.0,
        augment: Augment::none(),
        ..quick_config(12)
    };
    let mut trainer = Trainer::new(net, config, 7, &device).unwrap();
    let data = TrainData {
        loader: &loader,
        train: &dataset.train,
        eval: Some(&dataset.test),
    };
    let outputs = Outputs {
        quiet: true,
        ..Outputs::default()
    };
    let history = trainer.fit(&data, &mut Uniform, &outputs).unwrap();
    assert_eq!(history.len(), 12);
    let last = history.last().unwrap();
    assert!(
        last.eval_accuracy.unwrap() > 0.9,
        "test accuracy {:?} after 12 epochs on 4 easy classes",
        last.eval_accuracy
    );
    assert!(last.train_loss < history[0].train_loss);
    assert_eq!(last.step, 12 * (512 / 32));
}

/// Trains the tiny supernet on synthetic data for `epochs`, resuming from `dir` when asked.
fn supernet_trainer(seed: u64) -> Trainer<Dispatch> {
    let device = trainable();
    let net = Supernet::<Dispatch>::new(
        &tiny_space(),
        &SharingPlan::default(),
        &mut seeded(seed),
        &device,
    );
    let mut config = quick_config(2);
    config.checkpoint_every_steps = 5;
    Trainer::new(net, config, seed, &device).unwrap()
}

#[test]
fn a_resumed_run_ends_exactly_where_an_uninterrupted_one_does() {
    let dataset = data::synthetic(&SyntheticSpec {
        train: 256,
        ..SyntheticSpec::default()
    })
    .unwrap();
    let loader = Loader::for_dataset(&dataset);
    let data = TrainData {
        loader: &loader,
        train: &dataset.train,
        eval: None,
    };
    let dir = tempdir("resume");
    let checkpoint = dir.join("checkpoint.safetensors");
    let outputs = Outputs {
        checkpoint: Some(checkpoint.clone()),
        metrics: Some(dir.join("metrics.csv")),
        quiet: true,
    };

    let mut straight = supernet_trainer(3);
    straight
        .fit(
            &data,
            &mut Uniform,
            &Outputs {
                quiet: true,
                ..Outputs::default()
            },
        )
        .unwrap();

    // The same run, failing at its 13th step (the 5th of epoch 2): the mid-epoch checkpoint
    // after step 10 survives, and resuming from it finishes the run.
    let mut calls = 0;
    let mut failing = FromFn(|space: &Space, rng: &mut glit::rng::SearchRng| {
        calls += 1;
        if calls == 13 {
            return Err(Error::InvalidValue {
                key: "test".into(),
                message: "simulated failure".into(),
            });
        }
        Ok(space.sample(rng))
    });
    let mut interrupted = supernet_trainer(3);
    let err = interrupted.fit(&data, &mut failing, &outputs).unwrap_err();
    assert!(err.to_string().contains("simulated failure"));
    let (mut resumed, warnings) = Trainer::<Dispatch>::resume(&checkpoint, &trainable()).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(resumed.steps_done(), 10);
    assert_eq!(resumed.epochs_done(), 1);
    resumed.fit(&data, &mut Uniform, &outputs).unwrap();

    assert_eq!(resumed.steps_done(), straight.steps_done());
    let a = state_of::<Dispatch, _>(straight.net());
    let b = state_of::<Dispatch, _>(resumed.net());
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, tensor) in &a {
        let worst = tensor
            .values
            .iter()
            .zip(&b[name].values)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max);
        assert!(worst <= 1e-6, "{name} differs by {worst}");
    }
    assert_eq!(straight.history().len(), resumed.history().len());
    let metrics = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    assert_eq!(
        metrics.lines().count(),
        3,
        "header and two epochs:\n{metrics}"
    );
}

#[test]
fn a_checkpoint_from_other_data_is_refused() {
    let small = data::synthetic(&SyntheticSpec {
        train: 64,
        ..SyntheticSpec::default()
    })
    .unwrap();
    let other = data::synthetic(&SyntheticSpec {
        train: 64,
        seed: 9,
        ..SyntheticSpec::default()
    })
    .unwrap();
    let loader = Loader::for_dataset(&small);
    let dir = tempdir("other-data");
    let checkpoint = dir.join("checkpoint.safetensors");
    let outputs = Outputs {
        checkpoint: Some(checkpoint.clone()),
        quiet: true,
        ..Outputs::default()
    };
    let mut trainer = supernet_trainer(0);
    let mut config = trainer.config().clone();
    config.epochs = 1;
    let net = trainer.net().clone();
    trainer = Trainer::new(net, config, 0, &trainable()).unwrap();
    let data = |split| TrainData {
        loader: &loader,
        train: split,
        eval: None,
    };
    trainer
        .fit(&data(&small.train), &mut Uniform, &outputs)
        .unwrap();
    let (mut resumed, _) = Trainer::<Dispatch>::resume(&checkpoint, &trainable()).unwrap();
    resumed.extend_to(2);
    let err = resumed
        .fit(&data(&other.train), &mut Uniform, &outputs)
        .unwrap_err();
    assert!(err.to_string().contains("other data"), "{err}");
}

#[test]
fn a_truncated_checkpoint_is_an_error_naming_the_file() {
    let dir = tempdir("truncated");
    let path = dir.join("checkpoint.safetensors");
    let trainer = supernet_trainer(0);
    trainer.save(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let err = Trainer::<Dispatch>::resume(&path, &trainable())
        .err()
        .unwrap();
    let message = err.to_string();
    assert!(message.contains("checkpoint.safetensors"), "{message}");
}

/// Flips one bit in the middle of `path`'s tensor data (past the header).
fn flip_a_bit(path: &std::path::Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let middle = bytes.len() - bytes.len() / 3;
    bytes[middle] ^= 0x10;
    std::fs::write(path, &bytes).unwrap();
}

#[test]
fn a_damaged_latest_checkpoint_is_reported_and_the_previous_one_used() {
    let dir = tempdir("damaged");
    let path = dir.join("checkpoint.safetensors");
    let previous = dir.join("checkpoint.prev.safetensors");
    let dataset = data::open("synthetic").unwrap();
    let loader = Loader::for_dataset(&dataset);
    let data = TrainData {
        loader: &loader,
        train: &dataset.train,
        eval: None,
    };
    // Epoch 1's checkpoint becomes the previous one when epoch 2's replaces it.
    let outputs = Outputs {
        checkpoint: Some(path.clone()),
        quiet: true,
        ..Outputs::default()
    };
    let mut trainer = supernet_trainer(0);
    trainer.fit(&data, &mut Uniform, &outputs).unwrap();
    assert!(previous.exists(), "the replaced checkpoint is kept");
    let (whole, warnings) = Trainer::<Dispatch>::resume(&path, &trainable()).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(whole.epochs_done(), 2);

    // A bit flip that still parses as safetensors: only the checksum can tell.
    flip_a_bit(&path);
    let (fallback, warnings) = Trainer::<Dispatch>::resume(&path, &trainable()).unwrap();
    assert_eq!(fallback.epochs_done(), 1, "epoch 1's checkpoint is used");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let warning = &warnings[0];
    assert!(
        warning.contains("checkpoint.safetensors")
            && warning.contains("damaged")
            && warning.contains("checkpoint.prev.safetensors"),
        "{warning}"
    );

    // Both damaged: an error naming both.
    flip_a_bit(&previous);
    let message = Trainer::<Dispatch>::resume(&path, &trainable())
        .err()
        .unwrap()
        .to_string();
    assert!(
        message.contains("checkpoint.safetensors: ") && message.contains("previous checkpoint"),
        "{message}"
    );
}

#[test]
fn accuracy_split_over_threads_counts_what_one_pass_counts() {
    let dataset = data::open("synthetic").unwrap();
    let loader = Loader::for_dataset(&dataset);
    let net = Supernet::<Dispatch>::new(
        &tiny_space(),
        &SharingPlan::default(),
        &mut seeded(4),
        &flex(),
    );
    let arch: Arch = "L3(k5,e2,f4) M1/2(qk8,k3,e1,f2)".parse().unwrap();
    let split = &dataset.test;
    let mut hits = 0;
    for indices in data::batch_order(split.len(), 64, None, false) {
        let batch = loader
            .batch::<Dispatch>(split, &indices, None, &flex())
            .unwrap();
        hits += correct(
            net.forward(batch.images, &arch).unwrap(),
            &batch.label_values,
        );
    }
    assert!(
        split.len() >= 128,
        "the split is long enough for two shares"
    );
    let measured = accuracy(&net, &arch, &loader, split, 64, &flex()).unwrap();
    assert_eq!(measured, hits as f64 / split.len() as f64);
}

#[test]
fn recalibration_sets_batch_norm_to_the_calibration_batches_statistics() {
    let dataset = data::open("synthetic").unwrap();
    let loader = Loader::for_dataset(&dataset);
    let space = tiny_space();
    let net = Supernet::<Dispatch>::new(&space, &SharingPlan::default(), &mut seeded(4), &flex());
    let arch: Arch = "L3(k5,e2,f4) M1/2(qk8,k3,e1,f2)".parse().unwrap();
    let config = ScoreConfig {
        calibration_batches: 1,
        batch_size: 64,
        seed: 5,
    };
    let calibrated = recalibrate(&net, &arch, &loader, &dataset.train, &config, &flex()).unwrap();
    // The one calibration batch, normalised with its own statistics (a calibration pass) and
    // with the recalibrated running ones (evaluation), gives the same logits up to the
    // unbiased-variance factor n/(n−1) with n = 64 × 17.
    let order = data::batch_order(dataset.train.len(), 64, Some(&mut seeded(5)), true);
    let batch = loader
        .batch::<Dispatch>(&dataset.train, &order[0], None, &flex())
        .unwrap();
    let eval: Vec<f32> = calibrated
        .forward(batch.images.clone(), &arch)
        .unwrap()
        .into_data()
        .to_vec()
        .unwrap();
    let live: Vec<f32> = calibrated
        .forward_pass(batch.images, &arch, &mut Pass::Calibrate { momentum: 0.0 })
        .unwrap()
        .into_data()
        .to_vec()
        .unwrap();
    let worst = eval
        .iter()
        .zip(&live)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 2e-3, "logits differ by {worst}");
    // Scores are deterministic and in range.
    let search = dataset.test.clone();
    let first = score(
        &net,
        &arch,
        &loader,
        &dataset.train,
        &search,
        &config,
        &flex(),
    )
    .unwrap();
    let again = score(
        &net,
        &arch,
        &loader,
        &dataset.train,
        &search,
        &config,
        &flex(),
    )
    .unwrap();
    assert_eq!(first, again);
    assert!((0.0..=1.0).contains(&first));
}

#[test]
fn batches_are_normalised_and_augmented_only_when_asked() {
    let dataset = data::open("fashion-mnist-mini").unwrap();
    let loader = Loader::for_dataset(&dataset);
    let indices: Vec<usize> = (0..256).collect();
    let plain = loader
        .batch::<Dispatch>(&dataset.train, &indices, None, &flex())
        .unwrap();
    assert_eq!(plain.images.dims(), [256, 1, 28, 28]);
    let values: Vec<f32> = plain.images.clone().into_data().to_vec().unwrap();
    let mean = values.iter().sum::<f32>() / values.len() as f32;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / values.len() as f32;
    assert!(
        mean.abs() < 0.1 && (var.sqrt() - 1.0).abs() < 0.1,
        "{mean} {var}"
    );
    let recipe = Augment::default();
    let a = loader
        .batch::<Dispatch>(
            &dataset.train,
            &indices,
            Some((&recipe, &mut seeded(1))),
            &flex(),
        )
        .unwrap();
    let b = loader
        .batch::<Dispatch>(
            &dataset.train,
            &indices,
            Some((&recipe, &mut seeded(1))),
            &flex(),
        )
        .unwrap();
    let a: Vec<f32> = a.images.into_data().to_vec().unwrap();
    let b: Vec<f32> = b.images.into_data().to_vec().unwrap();
    assert_eq!(a, b, "the same stream gives the same augmentation");
    assert_ne!(a, values, "augmentation changed the images");
    let none = Augment::none();
    let c = loader
        .batch::<Dispatch>(
            &dataset.train,
            &indices,
            Some((&none, &mut seeded(1))),
            &flex(),
        )
        .unwrap();
    let c: Vec<f32> = c.images.into_data().to_vec().unwrap();
    assert_eq!(c, values);
}

#[test]
fn digits_are_never_mirrored() {
    let mut dataset = data::open("synthetic").unwrap();
    dataset.mirror_invariant = false;
    let loader = Loader::for_dataset(&dataset);
    let indices: Vec<usize> = (0..64).collect();
    let flip_only = Augment {
        crop_padding: 0,
        flip: true,
    };
    let plain = loader
        .batch::<Dispatch>(&dataset.train, &indices, None, &flex())
        .unwrap();
    let flipped = loader
        .batch::<Dispatch>(
            &dataset.train,
            &indices,
            Some((&flip_only, &mut seeded(2))),
            &flex(),
        )
        .unwrap();
    let plain: Vec<f32> = plain.images.into_data().to_vec().unwrap();
    let flipped: Vec<f32> = flipped.images.into_data().to_vec().unwrap();
    assert_eq!(plain, flipped);
}

#[test]
fn batch_orders_cover_every_image_once_and_follow_the_seed() {
    let order = data::batch_order(100, 32, Some(&mut seeded(3)), false);
    assert_eq!(
        order.iter().map(Vec::len).collect::<Vec<_>>(),
        [32, 32, 32, 4]
    );
    let mut all: Vec<usize> = order.concat();
    all.sort_unstable();
    assert_eq!(all, (0..100).collect::<Vec<_>>());
    assert_eq!(
        order,
        data::batch_order(100, 32, Some(&mut seeded(3)), false)
    );
    assert_ne!(
        order,
        data::batch_order(100, 32, Some(&mut seeded(4)), false)
    );
    assert_eq!(data::batch_order(100, 32, None, true).len(), 3);
}

#[test]
fn bad_recipes_name_the_key() {
    let err = TrainConfig::from_json(r#"{"epochs": 2, "learning_rate": 1}"#, "recipe.json")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("recipe.json") && err.contains("learning_rate"),
        "{err}"
    );
    let err = TrainConfig::from_json(r#"{"drop_path": 1.5}"#, "r.json")
        .unwrap_err()
        .to_string();
    assert!(err.contains("drop_path"), "{err}");
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("glit-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn flops_bins_spread_samples_evenly_over_the_cost_range() {
    use glit::space::cost::Convention;
    use glit::train::{Constrained, FlopsBins, Sampler};
    let space = glit::space::preset("micro").unwrap();
    let mut rng = seeded(11);
    let mut bins = FlopsBins::new(&space, 4, &mut rng).unwrap();
    let edges = bins.edges().to_vec();
    let mut counts = [0usize; 4];
    for _ in 0..400 {
        let arch = bins.sample(&space, &mut rng).unwrap();
        let mflops = space.cost(&arch, Convention::Official).unwrap().mflops();
        let bin = edges
            .windows(2)
            .position(|w| mflops >= w[0] && mflops <= w[1]);
        counts[bin.expect("every sample lies inside the bins")] += 1;
    }
    // 100 expected per bin; uniform sampling would crowd the middle bins instead.
    assert!(
        counts.iter().all(|&c| (60..=140).contains(&c)),
        "{counts:?}"
    );

    let budget = edges[1];
    let mut cheap = Constrained::new(
        |arch: &Arch| space.cost(arch, Convention::Official).unwrap().mflops() <= budget,
        10_000,
    );
    for _ in 0..20 {
        let arch = cheap.sample(&space, &mut rng).unwrap();
        assert!(space.cost(&arch, Convention::Official).unwrap().mflops() <= budget);
    }
    let mut impossible = Constrained::new(|_: &Arch| false, 50);
    let err = impossible.sample(&space, &mut rng).unwrap_err().to_string();
    assert!(err.contains("50 tries"), "{err}");
}
