//! One round of SPOS on the bundled Fashion-MNIST subset, through the library alone:
//! train the micro supernet for one epoch (uniform sampling), score a few random
//! architectures with inherited weights (BatchNorm recalibrated, search split), then retrain
//! the best one from scratch briefly and report its test accuracy.
//!
//!     cargo run --release --example spos_micro
//!
//! `GLIT_EXAMPLE_IMAGES=2000` trains on fewer images for a quick look (default: all 9,000
//! left after the 1,000-image search split); `GLIT_EXAMPLE_CANDIDATES` sets how many
//! architectures are scored (default 6).

use burn::{Dispatch, DispatchDevice};

use glit::data::{self, Loader};
use glit::model::{SharingPlan, Supernet};
use glit::rng::seeded;
use glit::space::cost::Convention;
use glit::space::presets;
use glit::train::{score, Outputs, ScoreConfig, TrainConfig, TrainData, Trainer, Uniform};

fn main() -> glit::Result<()> {
    let images: usize = env_or("GLIT_EXAMPLE_IMAGES", usize::MAX);
    let candidates: usize = env_or("GLIT_EXAMPLE_CANDIDATES", 6);
    let dataset = data::open("fashion-mnist-mini")?;
    let loader = Loader::for_dataset(&dataset);
    let (train, search) = dataset.train.hold_out(1000, 0)?;
    let train = train.first(images);
    let space = presets::micro(dataset.image_size, dataset.channels, dataset.classes())?;
    let device = DispatchDevice::autodiff(DispatchDevice::Flex(Default::default()));
    let quiet = Outputs::default();

    println!(
        "training the {} supernet for one epoch on {} images",
        space.name(),
        train.len()
    );
    let net = Supernet::<Dispatch>::new(&space, &SharingPlan::default(), &mut seeded(0), &device);
    let config = TrainConfig {
        epochs: 1,
        warmup_epochs: 0.2,
        ..TrainConfig::default()
    };
    let mut trainer = Trainer::new(net, config.clone(), 0, &device)?;
    let data = TrainData {
        loader: &loader,
        train: &train,
        eval: None,
    };
    trainer.fit(&data, &mut Uniform, &quiet)?;

    let supernet = trainer.inference_net();
    let plain = DispatchDevice::Flex(Default::default());
    let scoring = ScoreConfig::scaled_for(train.len());
    let mut stream = seeded(1);
    let mut scored = Vec::new();
    for _ in 0..candidates {
        let arch = space.sample(&mut stream);
        let accuracy = score(&supernet, &arch, &loader, &train, &search, &scoring, &plain)?;
        let mflops = space.cost(&arch, Convention::Official)?.mflops();
        println!("  {:5.1}%  {mflops:6.2} MFLOPs  {arch}", accuracy * 100.0);
        scored.push((accuracy, arch));
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (_, best) = scored.first().expect("at least one candidate");

    println!("retraining the best from scratch for two epochs: {best}");
    let net = Supernet::<Dispatch>::standalone(&space, best, &mut seeded(2), &device)?;
    let retrain = TrainConfig {
        epochs: 2,
        warmup_epochs: 0.3,
        ..config
    };
    let mut trainer = Trainer::new(net, retrain, 2, &device)?;
    let data = TrainData {
        loader: &loader,
        train: &train,
        eval: Some(&dataset.test),
    };
    let history = trainer.fit(&data, &mut Uniform, &quiet)?;
    let test = history
        .last()
        .and_then(|m| m.eval_accuracy)
        .unwrap_or_default();
    println!("test accuracy after retraining: {:.2}%", test * 100.0);
    Ok(())
}

fn env_or(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
