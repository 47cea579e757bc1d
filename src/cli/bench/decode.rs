//! `glit bench-decode`: images/s of the streaming reader (decode, augment, normalise) at
//! ImageNet's size, on the decoding threads training uses, next to the same work in Python
//! with PIL (as torchvision's transforms do it) when PIL is installed, in the same run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::data::folder_fixture::{write_image_folder, FolderSpec};
use crate::data::{self, batch_order, Augment, Loader, StreamAugment};
use crate::error::{Error, Result};
use crate::report::spread::Spread;

/// `glit bench-decode`'s options.
#[derive(clap::Args, Debug)]
pub struct DecodeArgs {
    /// An image folder to read (default: a generated one of JPEG files at 500 × 375,
    /// ImageNet's most common size).
    #[arg(long)]
    pub folder: Option<PathBuf>,
    /// Images generated when no folder is given.
    #[arg(long, default_value_t = 512)]
    pub images: usize,
    /// Side of the decoded square.
    #[arg(long, default_value_t = 224)]
    pub size: usize,
    /// Repetitions; figures are medians with min–max.
    #[arg(long, default_value_t = 3)]
    pub repeats: usize,
}

/// The reference side, embedded so the benchmark runs from any directory.
const REFERENCE: &str = include_str!("../../../reference/decode_speed.py");

/// Measures and formats the report.
pub fn run(args: &DecodeArgs) -> Result<String> {
    if args.repeats == 0 || args.images < 2 || args.size == 0 {
        return Err(Error::InvalidValue {
            key: "--repeats/--images/--size".into(),
            message: "need at least 1 repetition, 2 images and a size of 1".into(),
        });
    }
    let scratch = std::env::temp_dir().join(format!("glit-bench-decode-{}", std::process::id()));
    let outcome = measure(args, &scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    outcome
}

fn measure(args: &DecodeArgs, scratch: &Path) -> Result<String> {
    let folder = match &args.folder {
        Some(folder) => folder.clone(),
        None => {
            let classes = 8;
            let spec = FolderSpec {
                classes,
                train_per_class: args.images.div_ceil(classes),
                val_per_class: 1,
                width: 500,
                height: 375,
                seed: 0,
            };
            write_image_folder(&scratch.join("folder"), &spec)?;
            scratch.join("folder")
        }
    };
    let set = data::open(&format!("{}@{}", folder.display(), args.size))?;
    let loader = Loader::for_dataset(&set);
    let threads = data::decode_threads();
    let order = batch_order(set.train.len(), 64, Some(&mut crate::rng::seeded(0)), false);
    let pass = |augment: Option<StreamAugment>| -> Result<f64> {
        let started = Instant::now();
        let mut images = 0;
        for batch in loader.batches(&set.train, &order, 0, augment) {
            images += batch?.labels.len();
        }
        Ok(images as f64 / started.elapsed().as_secs_f64())
    };
    let (mut train, mut eval) = (Vec::new(), Vec::new());
    for repeat in 0..args.repeats {
        train.push(pass(Some(StreamAugment {
            recipe: Augment::default(),
            seed: repeat as u64,
        }))?);
        eval.push(pass(None)?);
    }
    let reference = reference(scratch, &folder, args, threads)?;
    let mut out = format!(
        "decode: {} images of {}, to {}×{}, batches of 64, {threads} decoding threads\n",
        set.train.len(),
        folder.display(),
        args.size,
        args.size
    );
    out.push_str(&format!(
        "{:<30} {:>26} {:>26} {:>7}\n",
        "", "glit img/s median [min–max]", "PIL img/s", "ratio"
    ));
    let rows = [
        (
            "train (random-resized crop)",
            &train,
            reference.as_ref().map(|r| &r.0),
        ),
        (
            "eval (resize, centre crop)",
            &eval,
            reference.as_ref().map(|r| &r.1),
        ),
    ];
    for (name, mine, theirs) in rows {
        let mine = Spread::of(mine).expect("at least one repetition");
        let (theirs_text, ratio) = match theirs.and_then(|t| Spread::of(t)) {
            Some(t) => (
                format!("{:.0} [{:.0}–{:.0}]", t.median, t.min, t.max),
                format!("{:.2}×", mine.median / t.median),
            ),
            None => ("-".into(), "-".into()),
        };
        out.push_str(&format!(
            "{name:<30} {:>26} {theirs_text:>26} {ratio:>7}\n",
            format!("{:.0} [{:.0}–{:.0}]", mine.median, mine.min, mine.max)
        ));
    }
    if reference.is_none() {
        out.push_str("(PIL side skipped: `pip install pillow` for the side-by-side figures)\n");
    }
    Ok(out)
}

/// The reference's train and eval images/s per repetition; `None` without PIL.
fn reference(
    scratch: &Path,
    folder: &Path,
    args: &DecodeArgs,
    threads: usize,
) -> Result<Option<(Vec<f64>, Vec<f64>)>> {
    let probe = Command::new("python3").args(["-c", "import PIL"]).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        return Ok(None);
    }
    std::fs::create_dir_all(scratch).map_err(|e| Error::io(scratch, e))?;
    let script = scratch.join("decode_speed.py");
    std::fs::write(&script, REFERENCE).map_err(|e| Error::io(&script, e))?;
    let output = Command::new("python3")
        .arg(&script)
        .arg(folder.join("train"))
        .args([args.size, args.repeats, threads].map(|n| n.to_string()))
        .output()
        .map_err(|e| Error::io(Path::new("python3"), e))?;
    if !output.status.success() {
        return Err(Error::InvalidData {
            origin: "reference/decode_speed.py".into(),
            message: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let parsed: serde_json::Value = serde_json::from_str(text.trim())
        .map_err(|e| Error::json("reference/decode_speed.py", &e))?;
    let figures = |key: &str| -> Vec<f64> {
        parsed[key]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_f64()).collect())
            .unwrap_or_default()
    };
    Ok(Some((figures("train"), figures("eval"))))
}
