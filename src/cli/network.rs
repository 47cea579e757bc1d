//! `glit import` and `glit predict`: released weights into a glit network file, and a
//! network's classes for picture files.

use std::path::{Path, PathBuf};

use burn::{Dispatch, DispatchDevice};

use crate::data::{imagenet_classes, Input, Normalization};
use crate::error::{Error, Result};
use crate::import::{import_network, Layout};
use crate::predict::{self, Prediction};
use crate::space::cost::Convention;
use crate::space::Skeleton;
use crate::train::NetworkFile;

/// What `glit import` reads and writes.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The checkpoint: `.pth`/`.pt` (a state dict at the top or under `model`) or
    /// `.safetensors`, in the official GLiT layout or timm's DeiT layout.
    pub file: PathBuf,
    /// The architecture the weights were trained as: a built-in name (glit-tiny, deit-tiny,
    /// deit-small), a compact form in quotes or a JSON file.
    #[arg(long)]
    pub arch: String,
    /// The space the architecture belongs to (a preset or a space JSON file); built-in names
    /// bring their own.
    #[arg(long)]
    pub preset: Option<String>,
    /// The network file to write (`.safetensors`).
    #[arg(long)]
    pub out: PathBuf,
    /// Class names, one per line (default: ImageNet's for 1000 outputs, else `class N`).
    #[arg(long)]
    pub classes: Option<PathBuf>,
    /// Per-channel means of the training pictures, comma-separated (default: ImageNet's for
    /// RGB networks).
    #[arg(long, value_delimiter = ',')]
    pub mean: Vec<f32>,
    /// Per-channel standard deviations, comma-separated (default: ImageNet's for RGB).
    #[arg(long, value_delimiter = ',')]
    pub std: Vec<f32>,
    /// The part of the shorter side the centre crop keeps (DeiT's 224 of 256).
    #[arg(long, default_value_t = crate::data::decode::EVAL_CROP_FRACTION)]
    pub crop_fraction: f64,
}

/// What `glit predict` runs on.
#[derive(Debug, clap::Args)]
pub struct PredictArgs {
    /// A network file (`glit import` writes one) or a run directory of `glit train --arch`.
    pub network: PathBuf,
    /// Picture files (PNG, JPEG) or folders of them.
    #[arg(required = true)]
    pub images: Vec<PathBuf>,
    /// How many classes to show per picture.
    #[arg(long, default_value_t = predict::DEFAULT_TOP)]
    pub top: usize,
    /// Print one JSON line per picture instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Where to run: `cpu` or `cuda:N`.
    #[arg(long, default_value = "cpu")]
    pub device: String,
}

/// `glit import`: reads, maps and checks the checkpoint, writes the network file, and says
/// what it wrote.
pub fn import(args: &ImportArgs) -> Result<String> {
    let (arch, space) = super::arch::open_arch(&args.arch, args.preset.as_deref())?;
    let arch = space.canonical(&arch)?;
    let device = crate::devices::named("cpu")?;
    let (net, layout) = import_network::<Dispatch>(&args.file, &space, &arch, &device)?;
    let skeleton = space.skeleton();
    let network = NetworkFile {
        net,
        input: input_for(args, skeleton)?,
        classes: class_names(args.classes.as_deref(), skeleton.classes)?,
        source: format!(
            "imported from {} ({} layout)",
            args.file.display(),
            layout_name(layout)
        ),
        arch,
    };
    if let Some(parent) = args.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    network.write(&args.out)?;
    let cost = space.cost(&network.arch, Convention::Official)?;
    Ok(format!(
        "{}: {} layout, {}\n{} parameters, {:.1} MFLOPs, input {}×{}×{}, {} classes\nwrote {}\n",
        args.file.display(),
        layout_name(layout),
        network.arch,
        super::tables::thousands(cost.params()),
        cost.mflops(),
        skeleton.image_size,
        skeleton.image_size,
        skeleton.channels,
        skeleton.classes,
        args.out.display()
    ))
}

fn layout_name(layout: Layout) -> &'static str {
    match layout {
        Layout::Glit => "official GLiT",
        Layout::Deit => "timm DeiT",
    }
}

/// How pictures reach the imported network: ImageNet's evaluation transform unless
/// `--mean`/`--std` say otherwise; a network not of 3 channels must be told.
fn input_for(args: &ImportArgs, skeleton: &Skeleton) -> Result<Input> {
    let channels = skeleton.channels;
    let imagenet = Input::imagenet(skeleton.image_size);
    let given = |values: &[f32], standard: &[f32], key: &str| -> Result<Vec<f32>> {
        match values.len() {
            0 if channels == 3 => Ok(standard.to_vec()),
            1 => Ok(vec![values[0]; channels]),
            n if n == channels => Ok(values.to_vec()),
            0 => Err(Error::InvalidValue {
                key: key.into(),
                message: format!(
                    "a network of {channels} channel(s) has no standard normalisation (ImageNet's \
                     is for RGB): give the mean and standard deviation its training pictures \
                     were normalised with"
                ),
            }),
            n => Err(Error::InvalidValue {
                key: key.into(),
                message: format!(
                    "{n} values for a network of {channels} channel(s): give one per channel{}",
                    if channels == 3 {
                        " (or none for ImageNet's)"
                    } else {
                        ""
                    }
                ),
            }),
        }
    };
    let input = Input {
        channels,
        crop_fraction: args.crop_fraction,
        normalization: Normalization {
            mean: given(&args.mean, &imagenet.normalization.mean, "--mean")?,
            std: given(&args.std, &imagenet.normalization.std, "--std")?,
        },
        ..imagenet
    };
    input.check("the import options")?;
    Ok(input)
}

/// Class names from `file` (one per line, one per output), or the defaults.
fn class_names(file: Option<&Path>, classes: usize) -> Result<Vec<String>> {
    let Some(file) = file else {
        return Ok(if classes == 1000 {
            imagenet_classes()
        } else {
            (0..classes).map(|c| format!("class {c}")).collect()
        });
    };
    let text = std::fs::read_to_string(file).map_err(|e| Error::io(file, e))?;
    let names: Vec<String> = text.lines().map(|l| l.trim().to_string()).collect();
    if names.len() != classes || names.iter().any(String::is_empty) {
        return Err(Error::invalid_data(
            file.display(),
            format!(
                "{} lines ({} empty) for a network of {classes} classes: give one name per line",
                names.len(),
                names.iter().filter(|n| n.is_empty()).count()
            ),
        ));
    }
    Ok(names)
}

/// `glit predict`: the table (or JSON lines) of each picture's most probable classes.
pub fn predict(args: &PredictArgs) -> Result<String> {
    let device = crate::devices::named(&args.device)?;
    let network = open_network(&args.network, &device)?;
    let files = predict::pictures(&args.images)?;
    let predictions = predict::predict(&network, &files, args.top.max(1), &device)?;
    Ok(if args.json {
        predictions
            .iter()
            .map(|p| serde_json::to_string(p).expect("predictions serialise") + "\n")
            .collect()
    } else {
        prediction_table(&predictions)
    })
}

/// The network at `path`: a network file, or the standalone run directory `glit train
/// --arch` wrote.
pub fn open_network(path: &Path, device: &DispatchDevice) -> Result<NetworkFile<Dispatch>> {
    if path.is_dir() {
        super::train::standalone_network(path, device)
    } else {
        NetworkFile::read(path, device)
    }
}

fn prediction_table(predictions: &[Prediction]) -> String {
    let mut out = String::new();
    for prediction in predictions {
        out.push_str(&format!("{}\n", prediction.file.display()));
        for (rank, class) in prediction.top.iter().enumerate() {
            out.push_str(&format!(
                "  {:>2}. {:>6.2}%  {} ({})\n",
                rank + 1,
                class.probability * 100.0,
                class.name,
                class.class
            ));
        }
    }
    out
}
