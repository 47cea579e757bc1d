//! Data-parallel training over two devices (two CPU replicas here; `cuda:0,cuda:1` on GPUs)
//! against one device: the same architecture at every step, the same numbers within the
//! stated tolerances, and bit-for-bit reproducible.

use burn::module::Module;
use burn::{Dispatch, DispatchDevice};

use glit::data::{self, Augment, Loader};
use glit::model::{state_of, SharingPlan, Supernet};
use glit::rng::seeded;
use glit::space::Arch;
use glit::train::{EpochMetrics, FromFn, Outputs, TrainConfig, TrainData, Trainer};

use crate::fixtures::tiny_space;

fn trainable() -> DispatchDevice {
    DispatchDevice::autodiff(DispatchDevice::Flex(Default::default()))
}

/// What a training ended with: its history, the architecture of every step, weights, the
/// devices the network's tensors are on, and the test accuracy of its last step's path.
pub struct Trained {
    pub history: Vec<EpochMetrics>,
    pub archs: Vec<Arch>,
    pub weights: Vec<(String, Vec<f32>)>,
    pub devices: Vec<DispatchDevice>,
    pub test_accuracy: f64,
}

/// Trains `net` for two epochs of the synthetic data on `replicas` devices.
fn train(net: Supernet<Dispatch>, config: TrainConfig, replicas: usize) -> Trained {
    train_on(net, config, vec![trainable(); replicas])
}

/// Trains `net` for two epochs of the synthetic data on `devices` (autodiff devices, the
/// network's own first).
pub fn train_on(
    net: Supernet<Dispatch>,
    config: TrainConfig,
    devices: Vec<DispatchDevice>,
) -> Trained {
    let dataset = data::open("synthetic").unwrap();
    let loader = Loader::for_dataset(&dataset);
    let mut trainer = Trainer::new(net, config, 3, &devices[0])
        .unwrap()
        .with_replicas(devices);
    let data = TrainData {
        loader: &loader,
        train: &dataset.train,
        eval: None,
    };
    let mut archs = Vec::new();
    let mut sampler = FromFn(
        |space: &glit::space::Space, rng: &mut glit::rng::SearchRng| {
            let arch = space.sample(rng);
            archs.push(arch.clone());
            Ok(arch)
        },
    );
    let outputs = Outputs {
        quiet: true,
        ..Outputs::default()
    };
    let history = trainer.fit(&data, &mut sampler, &outputs).unwrap();
    let weights = state_of(trainer.net())
        .into_iter()
        .map(|(name, t)| (name, t.values))
        .collect();
    // Running statistics are read here: on the wrong device this fails.
    let inference = trainer.inference_net();
    let last = archs.last().expect("at least one step").clone();
    let first = inference.devices()[0].clone();
    let test_accuracy =
        glit::train::accuracy(&inference, &last, &loader, &dataset.test, 64, &first).unwrap();
    Trained {
        history,
        archs,
        weights,
        devices: trainer.net().devices(),
        test_accuracy,
    }
}

/// The largest relative difference between the two runs' per-epoch training losses.
pub fn loss_gap(a: &Trained, b: &Trained) -> f64 {
    a.history
        .iter()
        .zip(&b.history)
        .map(|(x, y)| (x.train_loss - y.train_loss).abs() / x.train_loss)
        .fold(0.0, f64::max)
}

/// The largest absolute difference between the two runs' weights.
fn weight_gap(a: &Trained, b: &Trained) -> f32 {
    a.weights
        .iter()
        .zip(&b.weights)
        .flat_map(|((n, x), (m, y))| {
            assert_eq!(n, m);
            x.iter().zip(y).map(|(p, q)| (p - q).abs())
        })
        .fold(0.0, f32::max)
}

pub fn config() -> TrainConfig {
    TrainConfig {
        epochs: 2,
        batch_size: 32,
        lr: 3e-3,
        warmup_epochs: 0.5,
        ..TrainConfig::default()
    }
}

#[test]
fn two_replicas_train_an_all_global_network_as_one_device_does() {
    // No BatchNorm on an all-global path and no drop path: the split batch's summed gradient
    // is the whole batch's, so only the order of float sums differs.
    let space = tiny_space();
    let arch = space.baseline().unwrap();
    let net =
        || Supernet::<Dispatch>::standalone(&space, &arch, &mut seeded(1), &trainable()).unwrap();
    let config = TrainConfig {
        drop_path: 0.0,
        augment: Augment::none(),
        ..config()
    };
    let one = train(net(), config.clone(), 1);
    let two = train(net(), config, 2);
    let (loss, weights) = (loss_gap(&one, &two), weight_gap(&one, &two));
    eprintln!("all-global, 2 replicas vs 1: loss gap {loss:.2e}, weight gap {weights:.2e}");
    assert!(
        loss < 1e-4,
        "per-epoch loss differs by {loss:.2e} (relative)"
    );
    assert!(weights < 1e-3, "weights differ by up to {weights:.2e}");
}

#[test]
fn two_replicas_train_a_supernet_on_the_same_paths_within_tolerance() {
    let net = || {
        Supernet::<Dispatch>::new(
            &tiny_space(),
            &SharingPlan::default(),
            &mut seeded(2),
            &trainable(),
        )
    };
    let one = train(net(), config(), 1);
    let two = train(net(), config(), 2);
    // Every step trains the same architecture, drawn from the step's stream.
    assert_eq!(one.archs.len(), 2 * 512 / 32);
    assert_eq!(one.archs, two.archs);
    // BatchNorm sees half batches, and each replica has its own drop-path masks.
    let loss = loss_gap(&one, &two);
    eprintln!("supernet, 2 replicas vs 1: loss gap {loss:.2e}");
    assert!(
        loss < 0.01,
        "per-epoch loss differs by {loss:.2e} (relative)"
    );
    // The network (its BatchNorm statistics too) stays on the first device, and its running
    // statistics, the first share's, test about as well as one device's.
    assert_eq!(two.devices, [trainable()]);
    assert!(
        (one.test_accuracy - two.test_accuracy).abs() < 0.1,
        "{} vs {}",
        one.test_accuracy,
        two.test_accuracy
    );
    // And the data-parallel run is reproducible bit for bit.
    let again = train(net(), config(), 2);
    assert_eq!(weight_gap(&two, &again), 0.0);
    assert_eq!(
        two.history.iter().map(|m| m.train_loss).collect::<Vec<_>>(),
        again
            .history
            .iter()
            .map(|m| m.train_loss)
            .collect::<Vec<_>>()
    );
}
