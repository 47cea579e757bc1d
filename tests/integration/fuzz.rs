//! Fuzzing the readers of untrusted input: IDX images and labels, CIFAR records, image files,
//! space JSON, architecture JSON and the compact architecture form. Each target starts from
//! valid inputs and feeds mutations of them (bit flips, interesting bytes and numbers,
//! insertions, deletions, truncations, splices) from a seeded stream; any panic is a failure,
//! and the input that caused it is written to `target/fuzz-crashes/` to replay.
//!
//! `cargo test` runs a short pass of each target; for minutes per target:
//!
//! ```text
//! GLIT_FUZZ_SECONDS=180 cargo test --release --test integration fuzz_soak -- --ignored --nocapture
//! ```

use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use glit::data::{cifar, decode, idx};
use glit::rng::{seeded, SearchRng};
use glit::space::cost::Convention;
use glit::space::{presets, Arch, Space};
use rand::RngExt;

/// One thing to fuzz: its name, valid starting inputs, and the code that must not panic.
struct Target {
    name: &'static str,
    seeds: Vec<Vec<u8>>,
    run: fn(&[u8]),
}

fn idx_images(count: u32, side: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    for field in [0x803, count, side, side] {
        bytes.extend(u32::to_be_bytes(field));
    }
    bytes.extend((0..count * side * side).map(|i| (i * 37 % 256) as u8));
    bytes
}

fn idx_labels(labels: &[u8]) -> Vec<u8> {
    let mut bytes = [0x801u32, labels.len() as u32]
        .iter()
        .flat_map(|f| f.to_be_bytes())
        .collect::<Vec<_>>();
    bytes.extend(labels);
    bytes
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let pixels = (0..width * height * 3)
        .map(|i| (i * 13 % 256) as u8)
        .collect();
    let image = image::RgbImage::from_raw(width, height, pixels).unwrap();
    let mut bytes = std::io::Cursor::new(Vec::new());
    image.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
    bytes.into_inner()
}

fn targets() -> Vec<Target> {
    let space_json = |name: &str| presets::preset(name).unwrap().to_json().into_bytes();
    let arch_json = |name: &str| presets::named_arch(name).unwrap().to_json().into_bytes();
    vec![
        Target {
            name: "idx-images",
            seeds: vec![idx_images(3, 4), idx_images(1, 28), gzip(&idx_images(2, 5))],
            run: |bytes| {
                let _ = idx::parse_images(bytes, "fuzz");
            },
        },
        Target {
            name: "idx-labels",
            seeds: vec![idx_labels(&[0, 1, 9]), gzip(&idx_labels(&[3; 20]))],
            run: |bytes| {
                let _ = idx::parse_labels(bytes, "fuzz");
            },
        },
        Target {
            name: "cifar-records",
            seeds: vec![
                [vec![3u8], vec![7u8; 3072]].concat(),
                [vec![1u8, 42], vec![9u8; 3072]].concat(),
            ],
            run: |bytes| {
                let _ = cifar::parse_records(bytes, 1, 10, "fuzz");
                let _ = cifar::parse_records(bytes, 2, 100, "fuzz");
            },
        },
        Target {
            name: "image-file",
            seeds: vec![png(6, 6), png(3, 9)],
            run: |bytes| {
                let path = scratch_file();
                std::fs::write(&path, bytes).unwrap();
                let _ = decode::decode_square(&path, 8, decode::Crop::Centre);
                let random = decode::Crop::Random {
                    seed: 1,
                    crop: true,
                    flip: true,
                };
                let _ = decode::decode_square(&path, 8, random);
            },
        },
        Target {
            name: "space-json",
            seeds: vec![space_json("nano"), space_json("paper-tiny")],
            run: |bytes| {
                let Ok(space) = serde_json::from_slice::<Space>(bytes) else {
                    return;
                };
                // A space that parses must be usable: sized, sampled, costed, staged.
                let _ = (space.size(), space.size_exact(), space.paper_size());
                let arch = space.sample(&mut seeded(1));
                let _ = space.cost(&arch, Convention::Official);
                let _ = space.cost(&arch, Convention::Exact);
                let _ = space.mutate(&arch, 0.5, &mut seeded(2));
                let _ = space.baseline();
            },
        },
        Target {
            name: "arch-json",
            seeds: vec![arch_json("glit-tiny"), arch_json("deit-small")],
            run: |bytes| {
                let Ok(text) = std::str::from_utf8(bytes) else {
                    return;
                };
                if let Ok(arch) = Arch::from_json(text, "fuzz") {
                    let space = presets::preset("paper-tiny").unwrap();
                    if space.check(&arch).is_ok() {
                        let _ = space.cost(&arch, Convention::Official);
                    }
                    let _ = arch.to_string().parse::<Arch>();
                }
            },
        },
        Target {
            name: "arch-compact",
            seeds: vec![
                presets::named_arch("glit-tiny")
                    .unwrap()
                    .to_string()
                    .into_bytes(),
                b"G3(qk8,f4) L3(k5,e2,f4) M1/2(qk4,k3,e1,f2)".to_vec(),
            ],
            run: |bytes| {
                if let Ok(text) = std::str::from_utf8(bytes) {
                    if let Ok(arch) = text.parse::<Arch>() {
                        let _ = arch.to_json();
                    }
                }
            },
        },
    ]
}

/// A file for the image target, one per test thread.
fn scratch_file() -> PathBuf {
    let thread = format!("{:?}", std::thread::current().id());
    let name: String = thread.chars().filter(char::is_ascii_alphanumeric).collect();
    std::env::temp_dir().join(format!("glit-fuzz-{}-{name}.png", std::process::id()))
}

/// Numbers that break arithmetic: zero, signs, powers of two at type edges, huge floats.
const INTERESTING_NUMBERS: [&str; 10] = [
    "0",
    "-1",
    "1",
    "255",
    "65536",
    "4294967295",
    "4294967296",
    "18446744073709551615",
    "1e308",
    "99999999999999999999999",
];

/// One mutation of `input` (with `other` for splices).
fn mutate(input: &[u8], other: &[u8], rng: &mut SearchRng) -> Vec<u8> {
    let mut bytes = input.to_vec();
    let rounds = rng.random_range(1..=4);
    for _ in 0..rounds {
        let len = bytes.len();
        match rng.random_range(0..8) {
            0 if len > 0 => {
                let at = rng.random_range(0..len);
                bytes[at] ^= 1 << rng.random_range(0..8);
            }
            1 if len > 0 => {
                let at = rng.random_range(0..len);
                bytes[at] = [0, 1, 0x7f, 0x80, 0xff][rng.random_range(0..5)];
            }
            2 => {
                let at = rng.random_range(0..=len);
                let count = rng.random_range(1..=16);
                let insert: Vec<u8> = (0..count).map(|_| rng.random_range(0..=255)).collect();
                bytes.splice(at..at, insert);
            }
            3 if len > 0 => {
                let start = rng.random_range(0..len);
                let end = rng.random_range(start..=len.min(start + 64));
                bytes.drain(start..end);
            }
            4 => bytes.truncate(rng.random_range(0..=len)),
            5 if !other.is_empty() => {
                let cut = rng.random_range(0..=len);
                let from = rng.random_range(0..other.len());
                bytes.truncate(cut);
                bytes.extend(&other[from..]);
            }
            6 => replace_a_number(&mut bytes, rng),
            _ if len >= 4 => {
                // A big-endian header field set to an edge value.
                let at = rng.random_range(0..len / 4) * 4;
                let value = [0u32, 1, 0x7fff_ffff, 0xffff_ffff][rng.random_range(0..4)];
                bytes[at..at + 4].copy_from_slice(&value.to_be_bytes());
            }
            _ => {}
        }
    }
    bytes
}

/// Replaces one run of ASCII digits (a JSON number, a compact-form width) with an interesting
/// number.
fn replace_a_number(bytes: &mut Vec<u8>, rng: &mut SearchRng) {
    let starts: Vec<usize> = (0..bytes.len())
        .filter(|&i| bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_digit()))
        .collect();
    if starts.is_empty() {
        return;
    }
    let start = starts[rng.random_range(0..starts.len())];
    let end = (start..bytes.len())
        .find(|&i| !bytes[i].is_ascii_digit())
        .unwrap_or(bytes.len());
    let number = INTERESTING_NUMBERS[rng.random_range(0..INTERESTING_NUMBERS.len())];
    bytes.splice(start..end, number.bytes());
}

/// Fuzzes `target` for `iterations` inputs or `budget`, whichever ends first. Returns the
/// number of inputs tried; panics (after saving the input) on the first crash.
fn fuzz(target: &Target, seed: u64, iterations: usize, budget: Duration) -> usize {
    let mut rng = seeded(seed);
    let started = Instant::now();
    let mut tried = 0;
    while tried < iterations && started.elapsed() < budget {
        let seeds = &target.seeds;
        let input = &seeds[rng.random_range(0..seeds.len())];
        let other = &seeds[rng.random_range(0..seeds.len())];
        let bytes = mutate(input, other, &mut rng);
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| (target.run)(&bytes)));
        if outcome.is_err() {
            let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-crashes");
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join(format!("{}-{seed}-{tried}", target.name));
            std::fs::write(&path, &bytes).unwrap();
            panic!(
                "{}: input {tried} panicked; saved to {}",
                target.name,
                path.display()
            );
        }
        tried += 1;
    }
    let _ = std::fs::remove_file(scratch_file());
    tried
}

#[test]
fn the_readers_survive_mutated_input() {
    for target in targets() {
        // The image decoder is slower per input than the parsers.
        let iterations = if target.name == "image-file" {
            300
        } else {
            3000
        };
        let tried = fuzz(&target, 1, iterations, Duration::from_secs(20));
        assert!(tried >= 100, "{}: only {tried} inputs", target.name);
    }
}

#[test]
#[ignore = "soak: GLIT_FUZZ_SECONDS per target (180 by default); run with --ignored --release"]
fn fuzz_soak() {
    let seconds: u64 = std::env::var("GLIT_FUZZ_SECONDS").map_or(180, |s| s.parse().unwrap());
    for target in targets() {
        let tried = fuzz(&target, 2026, usize::MAX, Duration::from_secs(seconds));
        println!("{}: {tried} inputs in {seconds} s, 0 crashes", target.name);
    }
}
