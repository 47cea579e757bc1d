//! `glit bench`: images/s of the supernet training step and of scoring forward passes, for a
//! preset, measured here and, when PyTorch is installed, in the same run with the same
//! architectures in the reference implementation (`reference/`), as a ratio.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use burn::module::AutodiffModule;
use burn::optim::GradientsParams;
use burn::tensor::{Distribution, Tensor};
use burn::{Dispatch, DispatchDevice};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{Pass, SharingPlan, Supernet};
use crate::rng;
use crate::space::{Arch, Space};
use crate::train::{smoothed_cross_entropy, AdamW, TrainConfig};

/// The reference implementation, embedded so `glit bench` works from any directory.
const REFERENCE: [(&str, &str); 2] = [
    (
        "glit_torch.py",
        include_str!("../../reference/glit_torch.py"),
    ),
    ("speed.py", include_str!("../../reference/speed.py")),
];

/// Images per second of both implementations.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Speed {
    /// Supernet training steps (forward, loss, backward, AdamW).
    pub train: f64,
    /// Evaluation forward passes (what scoring a candidate costs per image).
    pub score: f64,
}

/// What one benchmark runs.
#[derive(Clone, Debug, Serialize)]
struct Job<'a> {
    space: &'a Space,
    archs: &'a [Arch],
    batch: usize,
    steps: usize,
    threads: usize,
}

/// Measures `space`'s supernet here, over `archs` sampled architectures, `steps` timed
/// steps of `batch` images after one warm-up step.
pub fn measure(space: &Space, archs: &[Arch], batch: usize, steps: usize) -> Result<Speed> {
    let device = DispatchDevice::autodiff(DispatchDevice::Flex(Default::default()));
    let mut init = rng::seeded(0);
    let mut net = Supernet::<Dispatch>::new(space, &SharingPlan::default(), &mut init, &device);
    let s = space.skeleton();
    let shape = [batch, s.channels, s.image_size, s.image_size];
    let images = Tensor::<Dispatch, 4>::random(shape, Distribution::Normal(0.0, 1.0), &device);
    let labels: Vec<u8> = (0..batch).map(|i| (i % s.classes) as u8).collect();
    let config = TrainConfig::default();
    let mut optimizer = AdamW::<Dispatch>::default();
    let mut stream = rng::seeded(1);
    let mut step = |net: Supernet<Dispatch>, arch: &Arch| -> Result<Supernet<Dispatch>> {
        let mut pass = Pass::Train {
            drop_path: config.drop_path,
            rng: &mut stream,
        };
        let logits = net.forward_pass(images.clone(), arch, &mut pass)?;
        let loss = smoothed_cross_entropy(logits, &labels, config.label_smoothing);
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        Ok(optimizer.step(net, grads, 1e-3, &config).0)
    };
    net = step(net, &archs[0])?;
    let started = Instant::now();
    for i in 0..steps {
        net = step(net, &archs[i % archs.len()])?;
    }
    let train = (batch * steps) as f64 / started.elapsed().as_secs_f64();

    let inference = net.valid();
    let plain = images.inner();
    logits_sync(inference.forward(plain.clone(), &archs[0])?);
    let started = Instant::now();
    for i in 0..steps {
        logits_sync(inference.forward(plain.clone(), &archs[i % archs.len()])?);
    }
    let score = (batch * steps) as f64 / started.elapsed().as_secs_f64();
    Ok(Speed { train, score })
}

/// Waits for a result, so timings include the work a lazy backend defers.
fn logits_sync(logits: Tensor<Dispatch, 2>) {
    let _ = logits.into_data();
}

/// Runs the same job in PyTorch. `Ok(None)` when `python3` or `torch` is missing.
pub fn measure_torch(
    space: &Space,
    archs: &[Arch],
    batch: usize,
    steps: usize,
    threads: usize,
) -> Result<Option<Speed>> {
    let probe = Command::new("python3")
        .args(["-c", "import torch"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        return Ok(None);
    }
    let dir = std::env::temp_dir().join(format!("glit-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    for (name, text) in REFERENCE {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| Error::io(&path, e))?;
    }
    let job = Job {
        space,
        archs,
        batch,
        steps,
        threads,
    };
    let job_path = dir.join("job.json");
    let text = serde_json::to_string(&job).expect("a job serialises");
    std::fs::write(&job_path, text).map_err(|e| Error::io(&job_path, e))?;
    let output = Command::new("python3")
        .arg(dir.join("speed.py"))
        .arg(&job_path)
        .output()
        .map_err(|e| Error::io(Path::new("python3"), e))?;
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    if !output.status.success() {
        return Err(Error::InvalidData {
            origin: "reference/speed.py".into(),
            message: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    serde_json::from_str(line)
        .map(Some)
        .map_err(|e| Error::json("reference/speed.py output", &e))
}

/// The report `glit bench` prints for one space.
pub fn report(
    space: &Space,
    archs: usize,
    batch: usize,
    steps: usize,
    torch: bool,
) -> Result<String> {
    let mut stream = rng::seeded(7);
    let archs: Vec<Arch> = (0..archs.max(1))
        .map(|_| space.sample(&mut stream))
        .collect();
    let glit = measure(space, &archs, batch, steps)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let reference = if torch {
        measure_torch(space, &archs, batch, steps, threads)?
    } else {
        None
    };
    let mut out = format!(
        "{}: batch {batch}, {steps} timed steps over {} sampled architectures, {threads} threads\n",
        space.name(),
        archs.len()
    );
    out.push_str(&format!(
        "{:<8} {:>12} {:>14} {:>8}\n",
        "", "glit img/s", "PyTorch img/s", "ratio"
    ));
    for (name, mine, theirs) in [
        ("train", glit.train, reference.as_ref().map(|r| r.train)),
        ("score", glit.score, reference.as_ref().map(|r| r.score)),
    ] {
        let (theirs_text, ratio) = match theirs {
            Some(t) => (format!("{t:.1}"), format!("{:.2}×", mine / t)),
            None => ("-".into(), "-".into()),
        };
        out.push_str(&format!(
            "{name:<8} {mine:>12.1} {theirs_text:>14} {ratio:>8}\n"
        ));
    }
    if torch && reference.is_none() {
        out.push_str("(PyTorch not found: `pip install torch` for the side-by-side figures)\n");
    }
    Ok(out)
}
