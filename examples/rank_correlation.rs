//! Does the supernet rank architectures the way training them does? Trains the micro
//! supernet on the bundled data, scores random architectures with inherited weights
//! (BatchNorm recalibrated, search split), retrains each from scratch briefly, and prints
//! Kendall's τ and Spearman's ρ between the two rankings.
//!
//!     cargo run --release --example rank_correlation -- runs/rank
//!
//! Every training run checkpoints under the given directory, so a killed run picks up where
//! it stopped. Knobs (environment): `SUPERNET_EPOCHS` (3), `CANDIDATES` (8),
//! `RETRAIN_EPOCHS` (2), `RETRAIN_IMAGES` (3000, the first images of the training split).

use std::path::{Path, PathBuf};

use burn::{Dispatch, DispatchDevice};

use glit::data::{self, Loader};
use glit::model::{SharingPlan, Supernet};
use glit::rng::seeded;
use glit::search::{kendall_tau, spearman_rho};
use glit::space::presets;
use glit::train::{
    accuracy, score, CheckpointFile, Outputs, ScoreConfig, TrainConfig, TrainData, Trainer, Uniform,
};

fn main() -> glit::Result<()> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "runs/rank".into()),
    );
    std::fs::create_dir_all(&dir).map_err(|e| glit::Error::io(&dir, e))?;
    let supernet_epochs = env_or("SUPERNET_EPOCHS", 3);
    let candidates = env_or("CANDIDATES", 8);
    let retrain_epochs = env_or("RETRAIN_EPOCHS", 2);
    let retrain_images = env_or("RETRAIN_IMAGES", 3000);

    let dataset = data::open("fashion-mnist-mini")?;
    let loader = Loader::for_dataset(&dataset);
    let (train, search) = dataset.train.hold_out(1000, 0)?;
    let space = presets::micro(dataset.image_size, dataset.channels, dataset.classes())?;
    let device = DispatchDevice::autodiff(DispatchDevice::Flex(Default::default()));
    let plain = DispatchDevice::Flex(Default::default());

    let config = TrainConfig {
        epochs: supernet_epochs,
        ..TrainConfig::default()
    };
    let supernet = train_or_resume(&dir.join("supernet.safetensors"), &device, || {
        let net = Supernet::new(&space, &SharingPlan::default(), &mut seeded(0), &device);
        Trainer::new(net, config.clone(), 0, &device)
    })?;
    let data = TrainData {
        loader: &loader,
        train: &train,
        eval: None,
    };
    let supernet = fit(supernet, &data, &dir.join("supernet.safetensors"))?;
    let inherited = supernet.inference_net();

    let scoring = ScoreConfig::scaled_for(train.len());
    let retrain_split = train.first(retrain_images);
    let mut stream = seeded(1);
    let (mut proxy, mut trained) = (Vec::new(), Vec::new());
    println!("{:>9} {:>9}  architecture", "inherited", "retrained");
    for index in 0..candidates {
        let arch = space.sample(&mut stream);
        let proxy_score = score(
            &inherited, &arch, &loader, &train, &search, &scoring, &plain,
        )?;
        let retrain = TrainConfig {
            epochs: retrain_epochs,
            warmup_epochs: 0.3,
            ..TrainConfig::default()
        };
        let path = dir.join(format!("candidate-{index}.safetensors"));
        let trainer = train_or_resume(&path, &device, || {
            let net = Supernet::standalone(&space, &arch, &mut seeded(10 + index as u64), &device)?;
            Trainer::new(net, retrain.clone(), 10 + index as u64, &device)
        })?;
        let data = TrainData {
            loader: &loader,
            train: &retrain_split,
            eval: None,
        };
        let trainer = fit(trainer, &data, &path)?;
        let net = trainer.inference_net();
        let retrained = accuracy(&net, &arch, &loader, &search, 256, &plain)?;
        println!(
            "{:>8.2}% {:>8.2}%  {arch}",
            proxy_score * 100.0,
            retrained * 100.0
        );
        proxy.push(proxy_score);
        trained.push(retrained);
    }
    let show = |x: Option<f64>| x.map_or("undefined".to_string(), |v| format!("{v:.3}"));
    println!(
        "Kendall tau {}, Spearman rho {} over {candidates} architectures",
        show(kendall_tau(&proxy, &trained)),
        show(spearman_rho(&proxy, &trained))
    );
    Ok(())
}

/// The trainer a checkpoint at `path` holds, or a new one.
fn train_or_resume(
    path: &Path,
    device: &DispatchDevice,
    new: impl FnOnce() -> glit::Result<Trainer<Dispatch>>,
) -> glit::Result<Trainer<Dispatch>> {
    if CheckpointFile::exists(path) {
        let (trainer, warnings) = Trainer::resume(path, device)?;
        warnings.iter().for_each(|w| eprintln!("warning: {w}"));
        Ok(trainer)
    } else {
        new()
    }
}

fn fit(
    mut trainer: Trainer<Dispatch>,
    data: &TrainData,
    path: &Path,
) -> glit::Result<Trainer<Dispatch>> {
    let outputs = Outputs {
        checkpoint: Some(path.to_path_buf()),
        metrics: None,
        quiet: false,
    };
    trainer.fit(data, &mut Uniform, &outputs)?;
    Ok(trainer)
}

fn env_or(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
