//! The three local modules (conv1d, conv2d, local-attention) as a choice of the space: JSON
//! old and new, presets and their kernels, clear errors, the command line (train, resume,
//! score, show), scripts, and the PyTorch twin's logits.

use std::path::PathBuf;

use burn::tensor::{Distribution, Tensor};
use burn::{Dispatch, DispatchDevice};
use serde_json::Value;

use super::fixtures::glit;
use glit::data::{Input, Normalization};
use glit::model::{SharingPlan, Supernet};
use glit::space::{preset, LocalKind, Space};
use glit::train::NetworkFile;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("glit-local-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_conv1d_space_writes_the_json_it_always_did_and_other_kinds_say_theirs() {
    let micro = preset("micro").unwrap();
    assert_eq!(micro.local(), LocalKind::Conv1d);
    assert!(
        !micro.to_json().contains("\"local\""),
        "{}",
        micro.to_json()
    );
    // A space file written before the field existed reads as Conv1d.
    let old: Space = serde_json::from_str(&micro.to_json()).unwrap();
    assert_eq!(old, micro);

    for (name, kind) in [
        ("micro:conv2d", LocalKind::Conv2d),
        ("micro:local-attention", LocalKind::LocalAttention),
    ] {
        let space = preset(name).unwrap();
        assert_eq!(space.local(), kind);
        assert_eq!(space.name(), name);
        // Kernels sized to the 7×7 patch grid.
        assert_eq!(space.blocks()[0].kernel, vec![3, 5, 7], "{name}");
        let json = space.to_json();
        assert!(
            json.contains(&format!("\"local\": \"{}\"", kind.name())),
            "{json}"
        );
        let back: Space = serde_json::from_str(&json).unwrap();
        assert_eq!(back, space);
        // Back to Conv1d: the kind goes, the kernels stay.
        let conv1d = space.with_local(LocalKind::Conv1d).unwrap();
        assert_eq!(conv1d.name(), "micro");
        assert_eq!(conv1d.with_local(kind).unwrap().name(), name);
        assert!(!conv1d.to_json().contains("\"local\""));
        assert_eq!(conv1d.blocks()[0].kernel, vec![3, 5, 7]);
    }
    // Paper scale: the same 3, 5 and 7 on its 14×14 grid.
    let paper = preset("paper-tiny:conv2d").unwrap();
    assert_eq!(paper.blocks()[0].kernel, vec![3, 5, 7]);
    assert!(paper.to_string().contains("local heads conv2d"), "{paper}");
}

#[test]
fn unknown_kinds_and_kernels_wider_than_the_grid_are_named() {
    let err = preset("micro:conv3d").unwrap_err().to_string();
    assert!(
        err.contains("unknown local module `conv3d`") && err.contains("local-attention"),
        "{err}"
    );
    let json = preset("micro").unwrap().to_json().replace(
        "\"activation\"",
        "\"local\": \"conv3d\",\n    \"activation\"",
    );
    let err = serde_json::from_str::<Space>(&json)
        .unwrap_err()
        .to_string();
    assert!(err.contains("conv3d"), "{err}");
    // A 2-D kernel of 15 on a 7×7 grid only adds padding: refused, with the bound.
    let mut doc: Value = serde_json::from_str(&preset("micro:conv2d").unwrap().to_json()).unwrap();
    doc["blocks"][0]["kernel"] = serde_json::json!([3, 15]);
    let err = serde_json::from_value::<Space>(doc.clone())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("block 0: `kernel` 15 is wider than the conv2d heads can use on a 7×7 patch grid (at most 13)"),
        "{err}"
    );
    // The same kernel is fine along the tokens.
    doc["skeleton"]["local"] = serde_json::json!("conv1d");
    assert!(serde_json::from_value::<Space>(doc).is_ok());
}

#[test]
fn every_local_module_trains_resumes_scores_and_is_drawn_from_the_command_line() {
    for kind in ["conv2d", "local-attention"] {
        let dir = temp_dir(&format!("cli-{kind}"));
        let run = dir.join("run");
        let preset = format!("nano:{kind}");
        let args = [
            "train",
            "--data",
            "synthetic",
            "--preset",
            &preset,
            "--search-split",
            "128",
            "--set",
            "epochs=1",
            "--set",
            "batch_size=32",
            "--out",
            run.to_str().unwrap(),
            "--quiet",
        ];
        let (ok, out, err) = glit(&args);
        assert!(ok, "{kind}: {err}");
        assert!(out.contains("1 epochs") || out.contains("1 epoch"), "{out}");
        // The run records its preset, kind included, and resumes over the same space.
        let run_json = std::fs::read_to_string(run.join("run.json")).unwrap();
        assert!(
            run_json.contains(&format!("\"preset\": \"nano:{kind}\"")),
            "{run_json}"
        );
        let (ok, out, err) = glit(&[
            "train",
            "--resume",
            "--out",
            run.to_str().unwrap(),
            "--quiet",
        ]);
        assert!(ok, "{kind}: {err}");
        assert!(out.contains("epoch"), "{out}");
        let (ok, out, err) = glit(&["score", run.to_str().unwrap(), "--random", "2", "--json"]);
        assert!(ok, "{kind}: {err}");
        for line in out.lines() {
            let row: Value = serde_json::from_str(line).unwrap();
            let score = row["score"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&score), "{row}");
        }

        // One architecture, standalone, one epoch with test accuracy.
        let alone = dir.join("alone");
        let (ok, out, err) = glit(&[
            "train",
            "--data",
            "synthetic",
            "--preset",
            &preset,
            "--arch",
            "L3(k5,e2,f4) M1/2(qk8,k3,e1,f2)",
            "--set",
            "epochs=1",
            "--out",
            alone.to_str().unwrap(),
            "--quiet",
        ]);
        assert!(ok, "{kind}: {err}");
        assert!(out.contains("eval "), "{out}");

        let picture = dir.join("arch");
        let micro = format!("micro:{kind}");
        let (ok, out, err) = glit(&[
            "show",
            "M1/2(qk16,k5,e2,f4) L3(k7,e1,f2) G3(qk16,f4) L3(k3,e4,f4) M2/1(qk8,k5,e1,f2) G3(qk32,f6)",
            "--preset",
            &micro,
            "--out",
            picture.to_str().unwrap(),
        ]);
        assert!(ok, "{kind}: {err}");
        assert!(out.contains("MFLOPs") || out.contains("mflops"), "{out}");
        let svg = std::fs::read_to_string(dir.join("arch.svg")).unwrap();
        let label = if kind == "conv2d" {
            "depthwise Conv2d"
        } else {
            "attention in a k×k window"
        };
        assert!(svg.contains(label), "{kind}: the legend names the module");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn scripts_choose_the_local_module() {
    let dir = temp_dir("script");
    let script = dir.join("kinds.rhai");
    std::fs::write(
        &script,
        r#"
let micro = space::preset("micro");
if micro.local != "conv1d" { throw "micro is " + micro.local; }
let windows = micro.with_local("local-attention");
if windows.local != "local-attention" { throw "with_local gave " + windows.local; }
if windows.name != "micro:local-attention" { throw "named " + windows.name; }
if windows.skeleton.local != "local-attention" { throw "skeleton says " + windows.skeleton.local; }
if windows.blocks[0].kernel != [3, 5, 7] { throw "kernels " + windows.blocks[0].kernel; }
let arch = space::arch("L3(k5,e1,f4) L3(k5,e1,f4) L3(k5,e1,f4) L3(k5,e1,f4) L3(k5,e1,f4) L3(k5,e1,f4)");
if windows.mflops(arch) >= micro.with_local("conv2d").mflops(arch) * 10.0 { throw "costs"; }
print(`kinds ok ${windows.mflops(arch)}`);
let bad = micro.with_local("conv3d");
"#,
    )
    .unwrap();
    let (ok, out, err) = glit(&[
        "run",
        script.to_str().unwrap(),
        "--out",
        dir.join("run").to_str().unwrap(),
    ]);
    assert!(!ok, "{out}");
    assert!(out.contains("kinds ok"), "{out}\n{err}");
    assert!(
        err.contains("unknown local module `conv3d`") && err.contains("kinds.rhai:12:"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// glit's logits for random images against the PyTorch twin's on the same file, for each
/// local module; skipped without PyTorch (`pip install torch`).
#[test]
fn the_pytorch_twin_gives_glits_logits_for_every_local_module() {
    let has_torch = std::process::Command::new("python3")
        .args(["-c", "import torch"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_torch {
        eprintln!("skipped: PyTorch is not installed (pip install torch)");
        return;
    }
    let device = DispatchDevice::Flex(Default::default());
    let dir = temp_dir("twin");
    let twin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("reference/twin_logits.py");
    for name in ["micro", "micro:conv2d", "micro:local-attention"] {
        let space = preset(name).unwrap();
        let mut rng = glit::rng::seeded(11);
        let net = Supernet::<Dispatch>::new(&space, &SharingPlan::default(), &mut rng, &device);
        for round in 0..3 {
            let arch = space.sample(&mut rng);
            let file = dir.join(format!("net-{round}.net"));
            let standalone = net.extract(&arch).unwrap();
            NetworkFile {
                net: standalone.clone(),
                arch: arch.clone(),
                input: Input {
                    image_size: 28,
                    channels: 1,
                    crop_fraction: 1.0,
                    normalization: Normalization {
                        mean: vec![0.5],
                        std: vec![0.25],
                    },
                },
                classes: (0..10).map(|c| c.to_string()).collect(),
                source: "test".into(),
            }
            .write(&file)
            .unwrap();
            let images = Tensor::<Dispatch, 4>::random(
                [2, 1, 28, 28],
                Distribution::Normal(0.0, 1.0),
                &device,
            );
            let ours: Vec<f32> = standalone
                .forward(images.clone(), &arch)
                .unwrap()
                .into_data()
                .to_vec()
                .unwrap();
            let values: Vec<f32> = images.into_data().to_vec().unwrap();
            let inputs = dir.join("inputs.json");
            std::fs::write(
                &inputs,
                serde_json::json!({ "arch": arch, "shape": [2, 1, 28, 28], "images": values })
                    .to_string(),
            )
            .unwrap();
            let output = std::process::Command::new("python3")
                .arg(&twin)
                .arg(&file)
                .arg(&inputs)
                .output()
                .unwrap();
            assert!(
                output.status.success(),
                "{name}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            let theirs: Value = serde_json::from_slice(&output.stdout).unwrap();
            let theirs: Vec<f64> = theirs["logits"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|row| row.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()))
                .collect();
            assert_eq!(theirs.len(), ours.len());
            let scale = theirs.iter().fold(1.0f64, |m, v| m.max(v.abs()));
            for (p, q) in ours.iter().zip(&theirs) {
                assert!(
                    (*p as f64 - q).abs() <= 1e-4 * scale,
                    "{name} {arch}: glit {p}, PyTorch {q}"
                );
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
