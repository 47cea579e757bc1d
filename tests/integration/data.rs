//! The bundled data set and the IDX readers, good files and bad.

use std::io::Write;
use std::path::{Path, PathBuf};

use glit::data::{self, idx};

#[test]
fn the_bundled_set_opens_from_any_directory_with_its_documented_counts() {
    let set = data::open("fashion-mnist-mini").unwrap();
    assert_eq!((set.image_size, set.channels, set.classes()), (28, 1, 10));
    assert_eq!(set.train.len(), 10_000);
    assert_eq!(set.test.len(), 2_000);
    assert_eq!(set.train.pixels().unwrap().len(), 10_000 * 28 * 28);
    // The data README's per-class counts.
    assert_eq!(
        set.class_counts(&set.train),
        vec![942, 1027, 1016, 1019, 974, 989, 1021, 1022, 990, 1000]
    );
    assert_eq!(
        set.class_counts(&set.test),
        vec![200, 203, 214, 190, 219, 195, 197, 200, 194, 188]
    );
    assert_eq!(set.class_names[9], "Ankle boot");
    // Real images: not blank, using the whole byte range.
    let first = &set.train.pixels().unwrap()[..784];
    assert!(first.iter().filter(|&&p| p > 0).count() > 100);
    assert_eq!(*set.train.pixels().unwrap().iter().max().unwrap(), 255);
}

fn temp_folder(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("glit-data-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn idx_images(count: u32, rows: u32, pixels: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for word in [0x0803, count, rows, rows] {
        bytes.extend_from_slice(&u32::to_be_bytes(word));
    }
    bytes.extend_from_slice(pixels);
    bytes
}

fn idx_labels(labels: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for word in [0x0801, labels.len() as u32] {
        bytes.extend_from_slice(&u32::to_be_bytes(word));
    }
    bytes.extend_from_slice(labels);
    bytes
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn write_set(dir: &Path, train_labels: &[u8], compress: bool) {
    let pixels = vec![7u8; 3 * 4 * 4];
    let files = [
        ("train-images-idx3-ubyte", idx_images(3, 4, &pixels)),
        ("train-labels-idx1-ubyte", idx_labels(train_labels)),
        ("t10k-images-idx3-ubyte", idx_images(3, 4, &pixels)),
        ("t10k-labels-idx1-ubyte", idx_labels(&[0, 1, 9])),
    ];
    for (name, bytes) in files {
        if compress {
            std::fs::write(dir.join(format!("{name}.gz")), gzip(&bytes)).unwrap();
        } else {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
    }
}

#[test]
fn idx_folders_open_gzipped_or_raw() {
    for compress in [true, false] {
        let dir = temp_folder(if compress { "gz" } else { "raw" });
        write_set(&dir, &[3, 4, 5], compress);
        let set = data::open(dir.to_str().unwrap()).unwrap();
        assert_eq!((set.image_size, set.train.len(), set.test.len()), (4, 3, 3));
        assert_eq!(set.train.labels, vec![3, 4, 5]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn bad_files_are_named_with_what_is_wrong() {
    let dir = temp_folder("bad");
    write_set(&dir, &[3, 4], false); // 2 labels for 3 images
    let err = data::open(dir.to_str().unwrap()).unwrap_err().to_string();
    assert!(
        err.contains("train-labels-idx1-ubyte") && err.contains("2 labels for 3 images"),
        "{err}"
    );

    write_set(&dir, &[3, 4, 12], false);
    let err = data::open(dir.to_str().unwrap()).unwrap_err().to_string();
    assert!(
        err.contains("label 12 of image 2 is not a class 0-9"),
        "{err}"
    );

    std::fs::remove_file(dir.join("t10k-labels-idx1-ubyte")).unwrap();
    let err = data::open(dir.to_str().unwrap()).unwrap_err().to_string();
    assert!(
        err.contains("t10k-labels-idx1-ubyte") && err.contains("missing IDX file"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();

    let err = idx::parse_images(&idx_labels(&[1, 2]), "x.idx")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("x.idx: not an IDX image file (magic 0x00000801"),
        "{err}"
    );
    let truncated = idx_images(3, 4, &[0u8; 20]);
    let err = idx::parse_images(&truncated, "y.idx")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("header says 3 images of 4×4 (48 bytes) but 20 bytes follow"),
        "{err}"
    );
    let err = idx::parse_labels(&[0, 0, 8], "z.idx")
        .unwrap_err()
        .to_string();
    assert!(err.contains("z.idx: truncated header"), "{err}");
    let mut corrupt = gzip(&idx_labels(&[1, 2, 3]));
    corrupt.truncate(corrupt.len() / 2);
    let err = idx::parse_labels(&corrupt, "w.gz").unwrap_err().to_string();
    assert!(err.contains("w.gz: corrupt gzip data"), "{err}");

    let err = data::open("no-such-set").unwrap_err().to_string();
    assert!(
        err.contains("`no-such-set` is neither a built-in data set"),
        "{err}"
    );
}

#[test]
fn the_search_split_is_held_out_of_training_deterministically() {
    let set = data::open("fashion-mnist-mini").unwrap();
    let (train, search) = set.train.hold_out(2_000, 0).unwrap();
    assert_eq!((train.len(), search.len()), (8_000, 2_000));
    assert_eq!(
        train.pixels().unwrap().len() + search.pixels().unwrap().len(),
        set.train.pixels().unwrap().len()
    );
    let (_, again) = set.train.hold_out(2_000, 0).unwrap();
    assert_eq!(search, again);
    let (_, other) = set.train.hold_out(2_000, 1).unwrap();
    assert_ne!(search, other);
    // A random 20 % keeps every class near its share (each has about 1,000 of 10,000).
    for count in set.class_counts(&search) {
        assert!((150..=250).contains(&count), "{count}");
    }
    // Disjoint: the held-out images plus the rest are the whole split, image for image.
    let mut all: Vec<&[u8]> = train
        .pixels()
        .unwrap()
        .chunks(784)
        .chain(search.pixels().unwrap().chunks(784))
        .collect();
    let mut original: Vec<&[u8]> = set.train.pixels().unwrap().chunks(784).collect();
    all.sort_unstable();
    original.sort_unstable();
    assert_eq!(all, original);
    let err = set.train.hold_out(10_000, 0).unwrap_err().to_string();
    assert!(
        err.contains("cannot hold out 10000 of 10000 images"),
        "{err}"
    );
}

/// `count` CIFAR records with label bytes `label_bytes`, labels cycling through `classes`.
fn cifar_records(count: usize, label_bytes: usize, classes: u8) -> Vec<u8> {
    let mut bytes = Vec::new();
    for i in 0..count {
        bytes.extend(std::iter::repeat_n(0u8, label_bytes - 1));
        bytes.push(i as u8 % classes);
        bytes.extend((0..3072).map(|p| ((p + i) % 251) as u8));
    }
    bytes
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("glit-data-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn cifar_10_and_100_binary_folders_open() {
    let dir = scratch("cifar10");
    for b in 1..=5 {
        std::fs::write(
            dir.join(format!("data_batch_{b}.bin")),
            cifar_records(4, 1, 10),
        )
        .unwrap();
    }
    std::fs::write(dir.join("test_batch.bin"), cifar_records(3, 1, 10)).unwrap();
    let set = data::open(dir.to_str().unwrap()).unwrap();
    assert_eq!((set.image_size, set.channels, set.classes()), (32, 3, 10));
    assert_eq!((set.train.len(), set.test.len()), (20, 3));
    assert_eq!(set.train.pixels().unwrap().len(), 20 * 3072);
    assert_eq!(&set.train.labels[..5], &[0, 1, 2, 3, 0]);
    assert!(set.mirror_invariant);

    let dir = scratch("cifar100");
    std::fs::write(dir.join("train.bin"), cifar_records(5, 2, 100)).unwrap();
    std::fs::write(dir.join("test.bin"), cifar_records(2, 2, 100)).unwrap();
    let set = data::open(dir.to_str().unwrap()).unwrap();
    assert_eq!(
        (set.classes(), set.train.len(), set.test.len()),
        (100, 5, 2)
    );

    // A truncated file names itself and says what is wrong.
    let mut cut = cifar_records(2, 2, 100);
    cut.truncate(5000);
    std::fs::write(dir.join("test.bin"), cut).unwrap();
    let err = data::open(dir.to_str().unwrap()).unwrap_err().to_string();
    assert!(
        err.contains("test.bin") && err.contains("not a whole number"),
        "{err}"
    );
    let Err(err) = data::cifar::parse_records(&cifar_records(8, 1, 10), 1, 5, "x.bin") else {
        panic!("label 5 of 5 classes must be refused");
    };
    let err = err.to_string();
    assert!(
        err.contains("x.bin: record 5 has label 5, expected below 5"),
        "{err}"
    );
}

#[test]
fn image_folders_open_resized_in_both_layouts() {
    use image::{Rgb, RgbImage};
    let dir = scratch("folder");
    for (split, count) in [("train", 3), ("val", 1)] {
        for (class, colour) in [("cat", [200u8, 10, 10]), ("dog", [10, 10, 200])] {
            let folder = dir.join(split).join(class);
            std::fs::create_dir_all(&folder).unwrap();
            for i in 0..count {
                let image = RgbImage::from_pixel(40, 20 + i, Rgb(colour));
                image.save(folder.join(format!("{i}.png"))).unwrap();
            }
        }
    }
    let set = data::open(&format!("{}@8", dir.display())).unwrap();
    assert_eq!((set.image_size, set.channels), (8, 3));
    assert_eq!(set.class_names, ["cat", "dog"]);
    assert_eq!((set.train.len(), set.test.len()), (6, 2));
    // Streamed: only names are kept, and a batch decodes them as planar RGB, normalised with
    // the sampled statistics: a cat's red plane is above the mean, its blue plane below.
    assert!(set.train.is_streamed() && set.normalization.is_some());
    let loader = data::Loader::for_dataset(&set);
    let cat = loader.host_batch(&set.train, &[0], None).unwrap();
    assert_eq!(cat.values.len(), 3 * 64);
    assert!(
        cat.values[..64].iter().all(|&v| v > 0.5),
        "{:?}",
        &cat.values[..4]
    );
    assert!(
        cat.values[128..].iter().all(|&v| v < -0.5),
        "{:?}",
        &cat.values[128..132]
    );
    assert_eq!(cat.labels, [0]);

    // One level of class folders: every fifth image becomes the test split.
    let flat = scratch("flat");
    for class in ["a", "b"] {
        std::fs::create_dir_all(flat.join(class)).unwrap();
        for i in 0..5 {
            RgbImage::from_pixel(10, 10, Rgb([i * 40, 0, 0]))
                .save(flat.join(class).join(format!("{i}.jpg")))
                .unwrap();
        }
    }
    let set = data::open(flat.to_str().unwrap()).unwrap();
    assert_eq!(
        (set.image_size, set.train.len(), set.test.len()),
        (32, 8, 2)
    );

    // A file that does not decode names itself.
    std::fs::write(flat.join("a").join("broken.png"), b"not a png").unwrap();
    let err = data::open(flat.to_str().unwrap()).unwrap_err().to_string();
    assert!(
        err.contains("broken.png") && err.contains("PNG or JPEG"),
        "{err}"
    );
}

#[test]
fn the_synthetic_set_is_deterministic_and_balanced() {
    let a = data::open("synthetic").unwrap();
    let b = data::open("synthetic").unwrap();
    assert_eq!(a, b);
    assert_eq!(a.class_counts(&a.train), vec![128; 4]);
    let err = data::synthetic(&data::SyntheticSpec {
        classes: 99,
        ..Default::default()
    })
    .unwrap_err()
    .to_string();
    assert!(err.contains("99 classes"), "{err}");
}
