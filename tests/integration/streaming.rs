//! Image folders at ImageNet's layout and class count, streamed: generated folders (JPEG
//! files, `train/<class>/`, `val/<class>/`) stand in for ImageNet. File lists only in memory,
//! batches decoded ahead on other threads, augmentation seeded, peak memory bounded.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use glit::data::folder_fixture::{write_image_folder, FolderSpec};
use glit::data::{self, batch_order, Augment, DataBundle, DataRequest, Loader, StreamAugment};

/// A generated folder, written once per test process.
fn folder(name: &str, spec: &FolderSpec) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("glit-stream-{name}-{}", std::process::id()));
    if !dir.join("val").is_dir() {
        let _ = std::fs::remove_dir_all(&dir);
        let partial = dir.with_extension("partial");
        let _ = std::fs::remove_dir_all(&partial);
        write_image_folder(&partial, spec).unwrap();
        std::fs::rename(&partial, &dir).unwrap();
    }
    dir
}

/// 300 classes, two training images and one validation image each, 40 × 30.
pub fn three_hundred_classes() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        folder(
            "300",
            &FolderSpec {
                classes: 300,
                train_per_class: 2,
                val_per_class: 1,
                width: 40,
                height: 30,
                seed: 1,
            },
        )
    })
}

#[test]
fn an_imagenet_layout_folder_opens_as_file_lists_with_32_bit_labels() {
    let root = three_hundred_classes();
    let set = data::open(&format!("{}@16", root.display())).unwrap();
    assert_eq!(set.classes(), 300);
    assert_eq!((set.train.len(), set.test.len()), (600, 300));
    assert!(set.train.is_streamed() && set.test.is_streamed());
    assert_eq!(set.train.labels[599], 299);
    assert_eq!(set.test.labels[299], 299);
    // The search split is held out by file list, the same files for the same seed.
    let request = DataRequest {
        name: format!("{}@16", root.display()),
        search_split: Some(100),
        seed: 3,
        ..DataRequest::default()
    };
    let a = DataBundle::open(&request).unwrap();
    let b = DataBundle::open(&request).unwrap();
    assert_eq!((a.train.len(), a.search.len()), (500, 100));
    assert_eq!(a.id, b.id);
    assert!(a.search.is_streamed());
    let other = DataBundle::open(&DataRequest { seed: 4, ..request }).unwrap();
    assert_ne!(a.id, other.id);
}

#[test]
fn streamed_batches_are_seeded_resumable_and_augmented_only_when_asked() {
    let set = data::open(&format!("{}@24", three_hundred_classes().display())).unwrap();
    let loader = Loader::for_dataset(&set);
    let order = batch_order(set.train.len(), 50, Some(&mut glit::rng::seeded(1)), true);
    let augment = |seed| {
        Some(StreamAugment {
            recipe: Augment::default(),
            seed,
        })
    };
    let collect = |first, augment| -> Vec<Vec<f32>> {
        loader
            .batches(&set.train, &order, first, augment)
            .map(|b| b.unwrap().values)
            .collect()
    };
    let a = collect(0, augment(7));
    assert_eq!(a.len(), 12);
    assert_eq!(a[0].len(), 50 * 3 * 24 * 24);
    assert_eq!(a, collect(0, augment(7)), "the same seed, the same batches");
    // A pass resumed at batch 5 makes the batches the whole pass made from there.
    assert_eq!(&a[5..], &collect(5, augment(7))[..]);
    assert_ne!(a, collect(0, augment(8)));
    // Without augmentation: the evaluation crop, as a single batch makes it.
    let plain = collect(0, None);
    assert_ne!(plain, a);
    let one = loader.host_batch(&set.train, &order[3], None).unwrap();
    assert_eq!(one.values, plain[3]);
    let labels: Vec<u32> = order[3].iter().map(|&i| set.train.labels[i]).collect();
    assert_eq!(one.labels, labels);
}

#[test]
fn a_file_that_stops_decoding_mid_run_is_an_error_naming_it() {
    let root = std::env::temp_dir().join(format!("glit-stream-broken-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    write_image_folder(
        &root,
        &FolderSpec {
            classes: 3,
            train_per_class: 4,
            val_per_class: 1,
            width: 20,
            height: 20,
            seed: 2,
        },
    )
    .unwrap();
    let set = data::open(&format!("{}@8", root.display())).unwrap();
    let loader = Loader::for_dataset(&set);
    let victim = root.join("train/n00000002/train_2_3.JPEG");
    std::fs::write(&victim, b"truncated").unwrap();
    let order = batch_order(set.train.len(), 4, None, false);
    let results: Vec<_> = loader.batches(&set.train, &order, 0, None).collect();
    assert!(results[0].is_ok() && results[1].is_ok());
    let err = results.last().unwrap().as_ref().unwrap_err().to_string();
    assert!(
        err.contains("train_2_3.JPEG") && err.contains("PNG or JPEG"),
        "{err}"
    );
}

/// The child side of the memory test: streams every training batch of the folder in
/// `GLIT_STREAM_FOLDER` at 224 × 224 and prints its peak resident growth. Does nothing when
/// run on its own.
#[test]
#[ignore = "run by streaming_a_1000_class_folder_keeps_memory_bounded in a fresh process"]
fn streaming_memory_child() {
    let Ok(folder) = std::env::var("GLIT_STREAM_FOLDER") else {
        return;
    };
    let status = || std::fs::read_to_string("/proc/self/status").unwrap();
    let field = |text: &str, name: &str| -> f64 {
        let line = text.lines().find(|l| l.starts_with(name)).unwrap();
        line.split_whitespace()
            .nth(1)
            .unwrap()
            .parse::<f64>()
            .unwrap()
            / 1024.0
    };
    let start = field(&status(), "VmRSS:");
    let set = data::open(&format!("{folder}@224")).unwrap();
    let loader = Loader::for_dataset(&set);
    let order = batch_order(set.train.len(), 32, Some(&mut glit::rng::seeded(0)), true);
    let augment = StreamAugment {
        recipe: Augment::default(),
        seed: 1,
    };
    let device = burn::DispatchDevice::Flex(Default::default());
    let mut images = 0;
    for host in loader.batches(&set.train, &order, 0, Some(augment)) {
        let batch = loader.to_device::<burn::Dispatch>(host.unwrap(), &device);
        images += batch.label_values.len();
    }
    let peak = field(&status(), "VmHWM:");
    println!(
        "STREAMED {images} images; peak growth {:.1} MiB",
        peak - start
    );
}

#[test]
fn streaming_a_1000_class_folder_keeps_memory_bounded() {
    let spec = FolderSpec {
        classes: 1000,
        train_per_class: 4,
        val_per_class: 1,
        width: 64,
        height: 48,
        seed: 3,
    };
    let root = folder("1000", &spec);
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "streaming::streaming_memory_child",
            "--ignored",
            "--nocapture",
        ])
        .env("GLIT_STREAM_FOLDER", &root)
        .env("GLIT_PREFETCH_BATCHES", "2")
        .env("GLIT_DECODE_THREADS", "2")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line = stdout
        .lines()
        .find(|l| l.starts_with("STREAMED"))
        .expect("the child's figures");
    let growth: f64 = line
        .rsplit("growth ")
        .next()
        .unwrap()
        .trim_end_matches(" MiB")
        .parse()
        .unwrap();
    // Held in memory, the 4,000 decoded images would take 4,000 × 3 × 224² bytes = 574 MiB
    // (and four times that as floats); streamed, a few batches of 32 are alive at once.
    let in_memory = 4000.0 * 3.0 * 224.0 * 224.0 / (1 << 20) as f64;
    eprintln!("{line} (in memory: {in_memory:.0} MiB)");
    assert!(line.contains("STREAMED 4000 images"), "{line}");
    assert!(
        growth < 200.0,
        "peak grew {growth:.0} MiB while streaming; in memory: {in_memory:.0} MiB"
    );
}

#[test]
fn paper_tiny_searches_an_imagenet_layout_folder_of_300_classes() {
    use crate::fixtures::glit;
    use crate::script_runs::{read, run_args_at, temp_dir};
    let out = temp_dir("paper-tiny-folder");
    let data = format!("data={}@16", three_hundred_classes().display());
    let args = run_args_at(
        "scripts/paper_tiny.rhai",
        "paper_tiny",
        &out,
        &[&data, "search_split=100"],
    );
    let (ok, stdout, stderr) = glit(&args);
    assert!(ok, "{stderr}\n{stdout}");
    assert!(stdout.contains("300 classes"), "{stdout}");
    assert!(stdout.contains("found "), "{stdout}");
    let best: serde_json::Value = serde_json::from_str(&read(&out.join("best.json"))).unwrap();
    let accuracy = best["test_accuracy"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&accuracy), "{best}");
    let params: serde_json::Value = serde_json::from_str(&read(&out.join("params.json"))).unwrap();
    assert!(
        params["data"].as_str().unwrap().ends_with("@16"),
        "{params}"
    );
}

#[test]
fn decoding_keeps_the_centre_for_evaluation_and_mirrors_or_crops_only_for_training() {
    use glit::data::decode::{decode_square, random_resized_box, Crop};
    use image::{Rgb, RgbImage};
    let dir = std::env::temp_dir().join(format!("glit-decode-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Left half red, right half blue.
    let halves = dir.join("halves.png");
    RgbImage::from_fn(200, 200, |x, _| {
        if x < 100 {
            Rgb([250, 0, 0])
        } else {
            Rgb([0, 0, 250])
        }
    })
    .save(&halves)
    .unwrap();
    let size = 8;
    let plane = size * size;
    let centre = decode_square(&halves, size, Crop::Centre).unwrap();
    assert_eq!(centre.len(), 3 * plane);
    // Row 0: red on the left, blue on the right.
    assert!(
        centre[0] > 200 && centre[2 * plane] < 50,
        "{:?}",
        &centre[..size]
    );
    assert!(centre[size - 1] < 50 && centre[2 * plane + size - 1] > 200);
    // Without a crop, training decodes the centre too, mirrored for some seeds only.
    let decoded: Vec<Vec<u8>> = (0..16)
        .map(|seed| {
            let crop = Crop::Random {
                seed,
                crop: false,
                flip: true,
            };
            decode_square(&halves, size, crop).unwrap()
        })
        .collect();
    let mirrored: Vec<u8> = centre
        .chunks(size)
        .flat_map(|row| row.iter().rev().copied())
        .collect();
    assert!(decoded.iter().all(|d| *d == centre || *d == mirrored));
    assert!(decoded.contains(&centre) && decoded.contains(&mirrored));
    // An evaluation crop of a wide image keeps its middle: all blue here.
    let wide = dir.join("wide.png");
    RgbImage::from_fn(400, 200, |x, _| {
        if x < 100 {
            Rgb([250, 0, 0])
        } else {
            Rgb([0, 0, 250])
        }
    })
    .save(&wide)
    .unwrap();
    let middle = decode_square(&wide, size, Crop::Centre).unwrap();
    assert!(middle[..plane].iter().all(|&r| r < 50), "{middle:?}");
    // Random-resized boxes stay inside the image, between 8 % and all of its area, with
    // aspect ratios between 3/4 and 4/3 (rounding aside).
    let mut rng = glit::rng::seeded(5);
    for (width, height) in [(500, 375), (64, 48), (30, 400), (1, 1)] {
        for _ in 0..200 {
            let (x, y, w, h) = random_resized_box(width, height, &mut rng);
            assert!(w >= 1 && h >= 1 && x + w <= width && y + h <= height);
            let area = (w * h) as f64 / (width * height) as f64;
            if (width, height) == (500, 375) {
                let aspect = w as f64 / h as f64;
                assert!((0.07..=1.0).contains(&area), "{area}");
                assert!((0.7..=1.4).contains(&aspect), "{aspect}");
            }
        }
    }
}
