//! `glit train` and `glit score`: train a supernet or a standalone network on a data set into
//! a run directory (resumable), and score architectures with a trained supernet's weights.

use std::path::{Path, PathBuf};

use burn::{Dispatch, DispatchDevice};
use serde::{Deserialize, Serialize};

use super::arch::init_arch;
use super::open_arch_in;
use crate::data::{self, DataBundle, DataRequest, Dataset, Input};
use crate::error::{Error, Result};
use crate::model::{SharingPlan, Supernet};
use crate::rng;
use crate::run::{Run, TrainingFiles, TrainingRun, WHOLE_RUN_CHECKPOINT};
use crate::space::presets;
use crate::space::{Arch, Space};
use crate::train::{
    self, named_sampler, CheckpointFile, NetworkFile, Sampler, TrainConfig, Trainer, Uniform,
};

/// What `glit train` is asked.
#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    /// Data: `fashion-mnist-mini` (bundled) or a folder of MNIST-style IDX files.
    #[arg(long, default_value = "fashion-mnist-mini")]
    pub data: String,
    /// A preset (`micro` and `nano` size themselves to the data; `micro:conv2d` or
    /// `micro:local-attention` for another local module) or a space JSON file.
    #[arg(long, default_value = "micro")]
    pub preset: String,
    /// Train this architecture alone (`baseline`: the all-global one; a built-in name, a
    /// compact form or a JSON file) instead of the supernet.
    #[arg(long)]
    pub arch: Option<String>,
    /// Start from the weights of this network file (`glit import` writes one) and
    /// fine-tune it standalone; its architecture unless --arch names the same one.
    #[arg(long, value_name = "NETWORK_FILE")]
    pub init: Option<std::path::PathBuf>,
    /// Supernet sampling: `uniform` or `flops-bins:N` (SPOS).
    #[arg(long, default_value = "uniform")]
    pub sampler: String,
    /// Training images held out for scoring candidates (supernet runs).
    #[arg(long, default_value_t = 1000)]
    pub search_split: usize,
    /// Seed of every random choice in the run.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// A training recipe as JSON (missing keys keep their defaults).
    #[arg(long)]
    pub config: Option<std::path::PathBuf>,
    /// Override one recipe key, e.g. `--set epochs=3 --set lr=5e-4`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// The run directory.
    #[arg(long, default_value = "runs/train")]
    pub out: std::path::PathBuf,
    /// Continue the run in `--out` from its checkpoint, with its own run.json.
    #[arg(long)]
    pub resume: bool,
    /// No progress bar or per-epoch lines.
    #[arg(long)]
    pub quiet: bool,
    /// Devices, comma-separated: `cpu` (default), `cuda:N` (builds with `--features
    /// cuda`), `ndarray` (builds with `--features ndarray`); several train data-parallel.
    #[arg(long, default_value = "cpu")]
    pub device: String,
}

/// `glit train`: the run `args` describe (or the one `--out` holds, with `--resume`),
/// trained into its directory.
pub fn command(args: TrainArgs) -> Result<String> {
    let devices = crate::devices::list(&args.device)?;
    let run = if args.resume {
        load_run(&args.out)?
    } else {
        let arch = match &args.init {
            Some(file) => Some(init_arch(file, args.arch.as_deref())?),
            None => {
                let dataset = data::open(&args.data)?;
                let space = space_for(&args.preset, &dataset)?;
                args.arch
                    .map(|text| open_arch_in(&text, &space))
                    .transpose()?
            }
        };
        TrainRun {
            data: args.data,
            preset: args.preset,
            search_split: if arch.is_some() { 0 } else { args.search_split },
            arch,
            sampler: args.sampler,
            seed: args.seed,
            config: recipe(args.config.as_deref(), &args.sets)?,
            init: args.init,
        }
    };
    train(&run, &args.out, args.resume, args.quiet, &devices)
}

/// What `glit train` was asked to do, saved as `run.json` so `--resume` repeats it exactly.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainRun {
    /// Data set name or folder.
    pub data: String,
    /// Preset name or space JSON file; `micro` is sized to the data.
    pub preset: String,
    /// The architecture trained standalone; `None` trains the supernet.
    pub arch: Option<Arch>,
    /// `uniform` or `flops-bins:N` (supernet only).
    pub sampler: String,
    /// Training images held out as the search split (supernet runs; scores use it).
    pub search_split: usize,
    /// Seed of everything random in the run.
    pub seed: u64,
    /// The recipe, after `--config` and `--set`.
    pub config: TrainConfig,
    /// A network file whose weights the standalone training starts from (fine-tuning);
    /// `None`: fresh weights drawn with the seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<PathBuf>,
}

impl TrainRun {
    /// The data and splits the run trains on: the search split held out with the run's seed
    /// (supernet runs; `glit score` scores on it).
    pub fn data_request(&self) -> DataRequest {
        DataRequest {
            name: self.data.clone(),
            search_split: Some(self.search_split),
            seed: self.seed,
            train_images: 0,
            test_images: 0,
        }
    }
}

/// The files of a run directory.
pub fn run_file(dir: &Path) -> PathBuf {
    dir.join("run.json")
}

/// The checkpoint of a run directory.
pub fn checkpoint_file(dir: &Path) -> PathBuf {
    dir.join(WHOLE_RUN_CHECKPOINT)
}

/// A recipe from defaults, a JSON file, then `key=value` overrides (values parsed as JSON,
/// else taken as strings). An unknown key or a wrong type names the key.
pub fn recipe(config: Option<&Path>, sets: &[String]) -> Result<TrainConfig> {
    let base = match config {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
            TrainConfig::from_json(&text, &path.display().to_string())?
        }
        None => TrainConfig::default(),
    };
    let mut overrides = serde_json::Map::new();
    for set in sets {
        let (key, raw) = set.split_once('=').ok_or_else(|| Error::InvalidValue {
            key: "--set".into(),
            message: format!("`{set}` is not key=value"),
        })?;
        let parsed =
            serde_json::from_str(raw).unwrap_or_else(|_| serde_json::Value::String(raw.into()));
        overrides.insert(key.into(), parsed);
        // One key at a time, so the first bad one is the one named.
        base.with_overrides(&overrides)?;
    }
    base.with_overrides(&overrides)
}

/// The space of a run, sized to the data when the preset is `micro`; other presets must
/// match the data's image size, channels and classes.
pub fn space_for(preset: &str, data: &Dataset) -> Result<Space> {
    presets::sized_for(
        preset,
        data.image_size,
        data.channels,
        data.classes(),
        &data.name,
    )
}

/// Trains as `run` says into `dir` (continuing the checkpoint there when `resume`) on
/// `devices` (the first holds the network; more train data-parallel), and returns a summary.
pub fn train(
    run: &TrainRun,
    dir: &Path,
    resume: bool,
    quiet: bool,
    devices: &[DispatchDevice],
) -> Result<String> {
    let checkpoint = checkpoint_file(dir);
    if !resume && CheckpointFile::exists(&checkpoint) {
        return Err(Error::InvalidValue {
            key: "--out".into(),
            message: format!(
                "{} already holds a run; continue it with `glit train --resume {}` or choose another --out",
                dir.display(),
                dir.display()
            ),
        });
    }
    let data = DataBundle::open(&run.data_request())?;
    let context = Run::open(dir, Vec::new(), devices.to_vec(), false, quiet)?;
    if !resume {
        let text = serde_json::to_string_pretty(run).expect("a run serialises");
        crate::atomic_file::write(&run_file(dir), text.as_bytes())?;
    }
    let mut sampler = sampler_for(run, data.dataset())?;
    let training = TrainingRun {
        run: &context,
        key: "train",
        label: "train",
        config: run.config.clone(),
        seed: run.seed,
        files: TrainingFiles::WholeRun,
        // Standalone runs report test accuracy per epoch (DeiT's practice).
        eval: run.arch.as_ref().map(|_| &data.test),
    };
    let initial = || initial_network(run, data.dataset(), &context.training_device());
    let (_, history) = training.fit(initial, &data.train, &data.loader, sampler.as_mut())?;
    context.warn_if_not_learning(&dir.display().to_string(), &history, &data)?;
    let mut out = String::new();
    if let Some(last) = history.last() {
        out.push_str(&train::describe(last, run.config.epochs));
        out.push('\n');
    }
    let images: f64 = history
        .iter()
        .map(|m| m.images_per_second * m.seconds)
        .sum();
    let seconds: f64 = history.iter().map(|m| m.seconds).sum();
    out.push_str(&format!(
        "{} epochs, {} of training, {:.1} img/s; checkpoint {}\n",
        history.len(),
        train::clock(seconds),
        images / seconds.max(1e-9),
        checkpoint.display()
    ));
    Ok(out)
}

/// The network a new run starts from: the weights of `run.init`, or fresh ones drawn with
/// the run's seed over the preset's space sized to `dataset`.
fn initial_network(
    run: &TrainRun,
    dataset: &Dataset,
    device: &DispatchDevice,
) -> Result<Supernet<Dispatch>> {
    let mut init = rng::seeded(run.seed);
    match (&run.init, &run.arch) {
        (Some(file), arch) => {
            NetworkFile::read(file, device)?.starting_point(arch.as_ref(), dataset, file)
        }
        (None, Some(arch)) => {
            Supernet::standalone(&space_for(&run.preset, dataset)?, arch, &mut init, device)
        }
        (None, None) => Ok(Supernet::new(
            &space_for(&run.preset, dataset)?,
            &SharingPlan::default(),
            &mut init,
            device,
        )),
    }
}

/// The network a standalone run directory (`glit train --arch`) trained, with its data
/// set's picture preparation and class names.
pub fn standalone_network(dir: &Path, device: &DispatchDevice) -> Result<NetworkFile<Dispatch>> {
    let run = load_run(dir)?;
    let Some(arch) = run.arch else {
        return Err(Error::InvalidValue {
            key: "NETWORK".into(),
            message: format!(
                "{} is a supernet run; give one network: a standalone run (`glit train --arch`) \
                 or a network file (`glit import`)",
                dir.display()
            ),
        });
    };
    let dataset = data::open(&run.data)?;
    let autodiff = DispatchDevice::autodiff(device.clone());
    let (trainer, warnings) = Trainer::<Dispatch>::resume(&checkpoint_file(dir), &autodiff)?;
    warn(&warnings);
    Ok(NetworkFile {
        net: trainer.inference_net(),
        arch,
        input: Input::of_dataset(&dataset),
        classes: dataset.class_names.clone(),
        source: format!("trained by `glit train` in {}", dir.display()),
    })
}

/// The architectures a run trains: its one (drawn from a space of one), or the named
/// sampler's over the preset's space.
fn sampler_for(run: &TrainRun, dataset: &Dataset) -> Result<Box<dyn Sampler>> {
    if run.arch.is_some() {
        return Ok(Box::new(Uniform));
    }
    let space = space_for(&run.preset, dataset)?;
    named_sampler(&run.sampler, "--sampler", &space, run.seed)
}

/// Reads a run directory's `run.json`.
pub fn load_run(dir: &Path) -> Result<TrainRun> {
    let path = run_file(dir);
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    serde_json::from_str(&text).map_err(|e| Error::json(path.display().to_string(), &e))
}

/// Prints each warning to stderr.
pub(super) fn warn(warnings: &[String]) {
    for warning in warnings {
        eprintln!("warning: {warning}");
    }
}
