//! `glit bench`: images/s of the supernet training step and of scoring forward passes, for a
//! preset, here and, when PyTorch is installed, in the reference implementation
//! (`reference/`) with the same architectures, batch and threads. Each repetition runs both
//! sides in fresh processes, alternating, so the figures are medians with their spread, peak
//! memory is each process's own, and a noisy machine hits both sides alike.

pub mod decode;
mod machine;
mod memory;
mod torch;
mod worker;

use std::path::Path;
use std::process::Command;

use serde::{Deserialize, Serialize};

pub use worker::work;

use crate::error::{Error, Result};
use crate::report::spread::Spread;
use crate::rng;
use crate::space::cost::Convention;
use crate::space::{Arch, Space};
use machine::CpuPeak;

/// `glit bench`'s options.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Presets or space JSON files to measure (`micro micro:conv2d micro:local-attention`
    /// sets the local modules side by side, per FLOP).
    #[arg(default_values_t = ["micro".to_string()])]
    pub presets: Vec<String>,
    /// Images per step.
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// Timed steps per repetition (after a warm-up step on every architecture).
    #[arg(long, default_value_t = 10)]
    pub steps: usize,
    /// Architectures sampled and cycled through.
    #[arg(long, default_value_t = 4)]
    pub archs: usize,
    /// Repetitions of each side, alternating; figures are medians with min–max.
    #[arg(long, default_value_t = 3)]
    pub repeats: usize,
    /// Threads for both sides (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Device: `cpu` or `cuda:N` (a build with `--features cuda`; PyTorch then uses CUDA too).
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Run the preset's blocks on images of this size instead (e.g. paper-tiny's stack at 32).
    #[arg(long)]
    pub image_size: Option<usize>,
    /// With `--image-size`: the patch size (default: the preset's).
    #[arg(long)]
    pub patch: Option<usize>,
    /// Skip the PyTorch side.
    #[arg(long)]
    pub no_torch: bool,
}

/// What one benchmark process runs; both implementations read it as JSON.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Job {
    /// The space whose supernet is measured.
    pub space: Space,
    /// The architectures cycled through, step by step.
    pub archs: Vec<Arch>,
    /// Images per step.
    pub batch: usize,
    /// Timed steps.
    pub steps: usize,
    /// Threads the process may use.
    pub threads: usize,
    /// `cpu` or `cuda:N`.
    pub device: String,
}

/// What one benchmark process measured.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Images/s of supernet training steps (forward, loss, backward, AdamW).
    pub train: f64,
    /// Images/s of evaluation forward passes (what scoring a candidate costs per image).
    pub score: f64,
    /// Resident MiB before the model was built.
    pub base_mib: Option<f64>,
    /// Peak resident MiB after training (the process's high-water mark).
    pub peak_mib: Option<f64>,
    /// GPU MiB the process holds after training and scoring (`nvidia-smi`); GPU runs only.
    #[serde(default)]
    pub gpu_mib: Option<f64>,
}

/// The report `glit bench` prints.
pub fn run(args: &BenchArgs) -> Result<String> {
    if args.repeats == 0 || args.steps == 0 || args.batch == 0 {
        return Err(Error::InvalidValue {
            key: "--repeats/--steps/--batch".into(),
            message: "each must be at least 1".into(),
        });
    }
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let mut out = String::new();
    // Read once: every preset's FLOP/s line compares against the same peak.
    let peak = (args.device == "cpu")
        .then(|| CpuPeak::read(threads))
        .flatten();
    if let Some(peak) = &peak {
        out.push_str(&format!("{}\n", peak.derivation()));
    }
    // Each preset's training GFLOP/s, for the comparison per FLOP at the end.
    let mut rates: Vec<(String, f64)> = Vec::new();
    for preset in &args.presets {
        let space = resized(
            crate::space::presets::open(preset)?,
            args.image_size,
            args.patch,
        )?;
        let mut stream = rng::seeded(7);
        let archs: Vec<Arch> = (0..args.archs.max(1))
            .map(|_| space.sample(&mut stream))
            .collect();
        let job = Job {
            space,
            archs,
            batch: args.batch,
            steps: args.steps,
            threads,
            device: args.device.clone(),
        };
        let (report, gflops) = measure_both(&job, args.repeats, !args.no_torch, peak.as_ref())?;
        out.push_str(&report);
        if let Some(gflops) = gflops {
            rates.push((job.space.name().to_string(), gflops));
        }
    }
    out.push_str(&per_flop_line(&rates));
    Ok(out)
}

/// How much longer each later preset's training takes per FLOP than the first's (their
/// GFLOP/s inverted: a local module's speed beside GLiT's Conv1d), when there are several.
fn per_flop_line(rates: &[(String, f64)]) -> String {
    let Some(((first, base), rest)) = rates.split_first() else {
        return String::new();
    };
    if rest.is_empty() {
        return String::new();
    }
    let ratios: Vec<String> = rest
        .iter()
        .map(|(name, gflops)| format!("{name} {:.2}×", base / gflops))
        .collect();
    format!(
        "time per FLOP of the training step against {first}: {}\n",
        ratios.join(", ")
    )
}

/// `space` with its images resized (and its patch changed), for CPU-sized runs of a paper
/// preset's block stack.
fn resized(space: Space, image_size: Option<usize>, patch: Option<usize>) -> Result<Space> {
    let Some(size) = image_size else {
        return Ok(space);
    };
    let mut skeleton = space.skeleton().clone();
    skeleton.image_size = size;
    if let Some(patch) = patch {
        skeleton.patch_size = patch;
    }
    let name = format!("{}@{size}/{}", space.name(), skeleton.patch_size);
    Space::new(name, skeleton, space.blocks().to_vec())
}

/// Runs `repeats` alternating repetitions of both sides and formats the figures; with them,
/// glit's training GFLOP/s (on the CPU).
fn measure_both(
    job: &Job,
    repeats: usize,
    torch: bool,
    peak: Option<&CpuPeak>,
) -> Result<(String, Option<f64>)> {
    let dir = std::env::temp_dir().join(format!("glit-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let job_path = dir.join("job.json");
    let text = serde_json::to_string(job).expect("a job serialises");
    std::fs::write(&job_path, text).map_err(|e| Error::io(&job_path, e))?;
    let outcome = repetitions(job, &dir, &job_path, repeats, torch);
    let _ = std::fs::remove_dir_all(&dir);
    let (glit, reference) = outcome?;
    let gflops = train_flops_per_image(job)
        .filter(|_| job.device == "cpu")
        .map(|flops| spread_of(&glit, |s| s.train).median * flops / 1e9);
    Ok((
        format_report(job, &glit, reference.as_deref(), peak),
        gflops,
    ))
}

/// The samples of each side; the reference's are `None` when PyTorch is missing.
fn repetitions(
    job: &Job,
    dir: &Path,
    job_path: &Path,
    repeats: usize,
    torch: bool,
) -> Result<(Vec<Sample>, Option<Vec<Sample>>)> {
    let script = if torch { torch::prepare(dir)? } else { None };
    let mut glit = Vec::new();
    let mut reference = script.as_ref().map(|_| Vec::new());
    for _ in 0..repeats {
        glit.push(run_worker(job_path)?);
        if let (Some(script), Some(samples)) = (&script, reference.as_mut()) {
            samples.push(torch::measure(script, job_path, job)?);
        }
    }
    Ok((glit, reference))
}

/// Measures glit's side in a fresh process of this program.
fn run_worker(job_path: &Path) -> Result<Sample> {
    let exe = std::env::current_exe().map_err(|e| Error::io(Path::new("glit"), e))?;
    let output = Command::new(&exe)
        .arg("bench-worker")
        .arg(job_path)
        .output()
        .map_err(|e| Error::io(&exe, e))?;
    parse_sample("glit bench-worker", &output)
}

/// The JSON sample on the last line of a benchmark process's output.
fn parse_sample(origin: &str, output: &std::process::Output) -> Result<Sample> {
    if !output.status.success() {
        return Err(Error::InvalidData {
            origin: origin.into(),
            message: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(line).map_err(|e| Error::json(format!("{origin} output"), &e))
}

/// Training FLOPs per image: forward multiply-adds of the cycled archs (every matrix product
/// and convolution, `Convention::Exact`), × 2 flops each, × 3 for forward plus backward.
fn train_flops_per_image(job: &Job) -> Option<f64> {
    let macs: Option<Vec<f64>> = job
        .archs
        .iter()
        .map(|a| {
            job.space
                .cost(a, Convention::Exact)
                .ok()
                .map(|c| c.total().macs as f64)
        })
        .collect();
    let macs = macs?;
    Some(6.0 * macs.iter().sum::<f64>() / macs.len() as f64)
}

/// Which figure of a sample a table row shows.
type Pick = fn(&Sample) -> f64;

/// The spread of one figure over the repetitions (there is at least one).
fn spread_of(samples: &[Sample], pick: Pick) -> Spread {
    let values: Vec<f64> = samples.iter().map(pick).collect();
    Spread::of(&values).expect("every side has at least one repetition")
}

/// The report for one job: speeds, memory (on the CPU) and achieved FLOP/s (against `peak`).
fn format_report(
    job: &Job,
    glit: &[Sample],
    reference: Option<&[Sample]>,
    peak: Option<&CpuPeak>,
) -> String {
    let mut out = format!(
        "{}: batch {}, {} timed steps × {} repetitions over {} sampled architectures, {} threads, {}\n",
        job.space.name(),
        job.batch,
        job.steps,
        glit.len(),
        job.archs.len(),
        job.threads,
        job.device,
    );
    out.push_str(&speed_rows(glit, reference));
    if job.device == "cpu" {
        out.push_str(&memory_line(glit, reference));
        out.push_str(&flops_line(job, glit, reference, peak));
    } else {
        out.push_str(&gpu_memory_line(glit, reference));
    }
    if reference.is_none() {
        out.push_str(
            "(PyTorch side skipped or not found: `pip install torch` for the side-by-side figures)\n",
        );
    }
    out
}

/// Median images/s with their spread, for training and scoring, and the ratios.
fn speed_rows(glit: &[Sample], reference: Option<&[Sample]>) -> String {
    let mut out = format!(
        "{:<8} {:>26} {:>26} {:>7}\n",
        "", "glit img/s median [min–max]", "PyTorch img/s", "ratio"
    );
    let figure = |samples: &[Sample], pick: Pick| {
        let s = spread_of(samples, pick);
        (
            s.median,
            format!("{:.1} [{:.1}–{:.1}]", s.median, s.min, s.max),
        )
    };
    let modes: [(&str, Pick); 2] = [("train", |s| s.train), ("score", |s| s.score)];
    for (name, pick) in modes {
        let (mine, mine_text) = figure(glit, pick);
        let (theirs_text, ratio) = match reference {
            Some(r) => {
                let (theirs, text) = figure(r, pick);
                (text, format!("{:.2}×", mine / theirs))
            }
            None => ("-".into(), "-".into()),
        };
        out.push_str(&format!(
            "{name:<8} {mine_text:>26} {theirs_text:>26} {ratio:>7}\n"
        ));
    }
    out
}

/// The highest peak over the repetitions and its growth over the smallest starting size.
fn peak_memory(samples: &[Sample]) -> Option<(f64, f64)> {
    let peak = samples.iter().filter_map(|s| s.peak_mib).reduce(f64::max)?;
    let base = samples
        .iter()
        .filter_map(|s| s.base_mib)
        .reduce(f64::min)
        .unwrap_or(0.0);
    Some((peak, peak - base))
}

/// Both sides' peak resident memory and the ratios.
fn memory_line(glit: &[Sample], reference: Option<&[Sample]>) -> String {
    let Some((mine, mine_growth)) = peak_memory(glit) else {
        return String::new();
    };
    let theirs = match reference.and_then(peak_memory) {
        Some((peak, growth)) => format!(
            "{peak:.0} MiB (+{growth:.0} over start); ratio {:.2}× peak, {:.2}× growth",
            mine / peak,
            mine_growth / growth
        ),
        None => "-".into(),
    };
    format!("memory   glit peak {mine:.0} MiB (+{mine_growth:.0} over start); PyTorch {theirs}\n")
}

/// Both sides' GPU memory (the largest over the repetitions) and the ratio.
fn gpu_memory_line(glit: &[Sample], reference: Option<&[Sample]>) -> String {
    let most = |samples: &[Sample]| samples.iter().filter_map(|s| s.gpu_mib).reduce(f64::max);
    let Some(mine) = most(glit) else {
        return "gpu mem  not measured (no `nvidia-smi`)\n".into();
    };
    let theirs = match reference.and_then(most) {
        Some(theirs) => format!("{theirs:.0} MiB; ratio {:.2}×", mine / theirs),
        None => "-".into(),
    };
    format!("gpu mem  glit {mine:.0} MiB; PyTorch {theirs} (nvidia-smi, per process)\n")
}

/// Achieved training FLOP/s of both sides, and their share of the CPU's peak.
fn flops_line(
    job: &Job,
    glit: &[Sample],
    reference: Option<&[Sample]>,
    peak: Option<&CpuPeak>,
) -> String {
    let Some(flops) = train_flops_per_image(job) else {
        return String::new();
    };
    let achieved = |samples: &[Sample]| {
        let rate = spread_of(samples, |s| s.train).median;
        let gflops = rate * flops / 1e9;
        let share = peak
            .map(|p| format!(" ({:.1} % of peak)", 100.0 * gflops / p.gflops()))
            .unwrap_or_default();
        format!("{gflops:.1} GFLOP/s{share}")
    };
    let theirs = reference.map_or("-".into(), achieved);
    format!(
        "flops    train step {:.1} MFLOP/image (6 × forward multiply-adds): glit {}, PyTorch {theirs}\n",
        flops / 1e6,
        achieved(glit)
    )
}
