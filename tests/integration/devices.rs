//! Several devices that really differ: Burn's dispatch over its two CPU backends (`cpu`,
//! burn-flex, and `ndarray`), so a tensor left on the wrong device fails (two `cpu` devices
//! compare equal and would hide it). The same code paths run `cuda:0,cuda:1`; in builds with
//! `--features cuda` and `GLIT_CUDA_TESTS=1` the same checks run with `cuda:0` as the other
//! device (`bench/gpu_check.sh`).

use std::sync::Arc;

use burn::module::Module;
use burn::{Dispatch, DispatchDevice};

use glit::data::{DataBundle, DataRequest};
use glit::model::{SharingPlan, Supernet};
use glit::rng::seeded;
use glit::scale::worker::{score_at_once, TaskScorer};
use glit::scale::ScoreTask;
use glit::train::ScoreConfig;

use crate::data_parallel::{config, loss_gap, train_on};
use crate::fixtures::tiny_space;

fn cpu() -> DispatchDevice {
    DispatchDevice::Flex(Default::default())
}

#[cfg(feature = "ndarray")]
fn ndarray() -> DispatchDevice {
    DispatchDevice::NdArray(Default::default())
}

/// `cuda:0` when this build has CUDA and `GLIT_CUDA_TESTS=1` says a GPU is there.
#[cfg(feature = "cuda")]
pub fn gpu() -> Option<DispatchDevice> {
    (std::env::var("GLIT_CUDA_TESTS").as_deref() == Ok("1"))
        .then(|| glit::cli::run::device("cuda:0").unwrap())
}

#[cfg(feature = "ndarray")]
#[test]
fn the_two_cpu_backends_are_different_devices() {
    assert_ne!(cpu(), ndarray());
    assert_eq!(
        glit::devices::list("cpu, ndarray").unwrap(),
        [cpu(), ndarray()]
    );
}

#[cfg(feature = "ndarray")]
#[test]
fn a_supernet_trains_data_parallel_over_two_different_backends() {
    trains_data_parallel_beside_the_cpu(ndarray());
}

#[cfg(feature = "ndarray")]
#[test]
fn scorers_on_two_different_backends_give_the_run_s_scores_and_keep_their_own_networks() {
    scores_beside_the_cpu(ndarray());
}

#[cfg(feature = "cuda")]
#[test]
fn a_supernet_trains_data_parallel_over_cuda_and_the_cpu() {
    match gpu() {
        Some(gpu) => trains_data_parallel_beside_the_cpu(gpu),
        None => eprintln!("skipped: set GLIT_CUDA_TESTS=1 on a machine with a GPU"),
    }
}

#[cfg(feature = "cuda")]
#[test]
fn scorers_on_cuda_and_the_cpu_give_the_run_s_scores() {
    match gpu() {
        Some(gpu) => scores_beside_the_cpu(gpu),
        None => eprintln!("skipped: set GLIT_CUDA_TESTS=1 on a machine with a GPU"),
    }
}

/// Data-parallel training over the CPU and `other`: the network and its statistics stay on
/// the CPU, the paths are the one-device run's, and the losses agree within tolerance.
fn trains_data_parallel_beside_the_cpu(other: DispatchDevice) {
    let net = || {
        Supernet::<Dispatch>::new(
            &tiny_space(),
            &SharingPlan::default(),
            &mut seeded(2),
            &DispatchDevice::autodiff(cpu()),
        )
    };
    let one = train_on(net(), config(), vec![DispatchDevice::autodiff(cpu())]);
    let two = train_on(
        net(),
        config(),
        vec![
            DispatchDevice::autodiff(cpu()),
            DispatchDevice::autodiff(other),
        ],
    );
    // Every tensor of the trained network, BatchNorm statistics included, stayed on the
    // first device, and the replica on the other backend trained the same paths.
    assert_eq!(two.devices, [DispatchDevice::autodiff(cpu())]);
    assert_eq!(one.archs, two.archs);
    let loss = loss_gap(&one, &two);
    assert!(
        loss < 0.01,
        "per-epoch loss differs by {loss:.2e} (relative)"
    );
    assert!(
        (one.test_accuracy - two.test_accuracy).abs() < 0.1,
        "test accuracy {} on one device, {} on two",
        one.test_accuracy,
        two.test_accuracy
    );
}

/// Scorers on the CPU and on `other` give the scores the run computes, and moving a copy
/// leaves the original network where it was.
fn scores_beside_the_cpu(other: DispatchDevice) {
    let net = Supernet::<Dispatch>::new(
        &tiny_space(),
        &SharingPlan::default(),
        &mut seeded(5),
        &cpu(),
    );
    let request = DataRequest {
        name: "synthetic".into(),
        search_split: Some(128),
        ..DataRequest::default()
    };
    let data = Arc::new(DataBundle::open(&request).unwrap());
    let dir = std::env::temp_dir().join(format!("glit-devices-{}", std::process::id()));
    let mut scorers = vec![
        TaskScorer::new(&dir, cpu()).with_loaded("net", net.clone(), Arc::clone(&data)),
        TaskScorer::new(&dir, other.clone()).with_loaded("net", net.clone(), Arc::clone(&data)),
    ];
    // Moving a copy to the other backend leaves the original where it was.
    assert_eq!(net.devices(), [cpu()]);
    let config = ScoreConfig {
        calibration_batches: 3,
        batch_size: 64,
        seed: 0,
    };
    let mut rng = seeded(9);
    for _ in 0..3 {
        let arch = net.space().sample(&mut rng);
        let task = ScoreTask {
            key: arch.to_string(),
            net: "net".into(),
            data: request.clone(),
            data_id: data.id.clone(),
            config: config.clone(),
            arch: arch.clone(),
        };
        let scores = score_at_once(&mut scorers, &[task.clone(), task]);
        let (a, b) = (*scores[0].as_ref().unwrap(), *scores[1].as_ref().unwrap());
        let here = glit::train::score(
            &net,
            &arch,
            &data.loader,
            &data.train,
            &data.search,
            &config,
            &cpu(),
        )
        .unwrap();
        // One image in 128 may flip where two logits nearly tie.
        assert!(
            (a - here).abs() <= 1.0 / 128.0 + 1e-9,
            "{arch}: cpu scorer {a}, run {here}"
        );
        assert!(
            (b - here).abs() <= 1.0 / 128.0 + 1e-9,
            "{arch}: {other:?} scorer {b}, run {here}"
        );
    }
    assert_eq!(net.devices(), [cpu()]);
}

#[cfg(feature = "ndarray")]
#[test]
fn glit_train_and_glit_score_take_a_device_list() {
    use crate::fixtures::glit;
    let (dir, space) = crate::cli::tiny_space_file("devices");
    let run = dir.join("run");
    let (ok, out, err) = glit(&[
        "train",
        "--data",
        "synthetic",
        "--preset",
        space.to_str().unwrap(),
        "--search-split",
        "128",
        "--set",
        "epochs=1",
        "--set",
        "batch_size=32",
        "--device",
        "cpu,ndarray",
        "--out",
        run.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("1 epochs") || out.contains("1 epoch"), "{out}");
    // Each device list scores its own copy of the run: scores are journaled, and a second
    // `glit score` of the same run would recall the first one's.
    let score = |devices: &str| {
        let copy = dir.join(format!("run-{devices}"));
        let _ = std::fs::remove_dir_all(&copy);
        let copied = std::process::Command::new("cp")
            .arg("-r")
            .arg(&run)
            .arg(&copy)
            .status();
        assert!(copied.unwrap().success());
        let (ok, out, err) = glit(&[
            "score",
            copy.to_str().unwrap(),
            "--random",
            "4",
            "--json",
            "--device",
            devices,
        ]);
        assert!(ok, "{devices}: {err}");
        out.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .map(|row| (row["arch"].to_string(), row["score"].as_f64().unwrap()))
            .collect::<Vec<_>>()
    };
    let one = score("cpu");
    let two = score("cpu,ndarray");
    assert_eq!(one.len(), 4);
    for ((arch, a), (other, b)) in one.iter().zip(&two) {
        assert_eq!(arch, other, "the same candidates in the same order");
        assert!(
            (a - b).abs() <= 1.0 / 128.0 + 1e-9,
            "{arch}: {a} on cpu, {b} on cpu,ndarray"
        );
    }
    // A device this build lacks is refused with the way to get it.
    let (ok, _, err) = glit(&[
        "score",
        run.to_str().unwrap(),
        "--random",
        "1",
        "--device",
        "cuda:0",
    ]);
    if cfg!(feature = "cuda") {
        return;
    }
    assert!(!ok && err.contains("--features cuda"), "{err}");
}
