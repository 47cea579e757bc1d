//! Released weights through the command line: `glit import` writes a network file that
//! `glit predict` runs on pictures with the official model's logits, `glit score` measures
//! on a data set and `glit train --init` fine-tunes; scripts predict and fine-tune through
//! `network::predict` and `train::retrain`'s `from`. Bad input is an error naming it.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::fixtures::glit;

fn official(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/official")
        .join(name)
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("glit-predict-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn case_arch(cases: &Path, case: &str) -> String {
    let cases: Value = serde_json::from_str(&std::fs::read_to_string(cases).unwrap()).unwrap();
    cases[case]["arch"].as_str().unwrap().to_string()
}

/// Runs `glit ARGS` and returns its standard output; panics with its error otherwise.
fn glit_ok(args: &[&str]) -> String {
    let (ok, out, err) = glit(args);
    assert!(ok, "glit {args:?} failed:\n{err}");
    out
}

/// Runs `glit ARGS`, which must fail, and returns its standard error.
fn glit_error(args: &[&str]) -> String {
    let (ok, out, err) = glit(args);
    assert!(!ok, "glit {args:?} succeeded:\n{out}");
    err
}

/// Imports the micro case `case` into `dir/case.safetensors` (grey pictures normalised as
/// `generate.py` normalised them).
fn import_micro(case: &str, dir: &Path) -> PathBuf {
    let out = dir.join(format!("{case}.safetensors"));
    let arch = case_arch(&official("cases.json"), case);
    let file = official(&format!("{case}.pth"));
    let summary = glit_ok(&[
        "import",
        file.to_str().unwrap(),
        "--arch",
        &arch,
        "--preset",
        "micro",
        "--mean",
        "0.5",
        "--std",
        "0.25",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        summary.contains(&arch) && summary.contains("wrote"),
        "{summary}"
    );
    out
}

/// `glit predict NETWORK PICTURES --top all --json` against the official logits in
/// `PICTURES/expected.json`: every class's logit within 1e-4 of the largest, softmax
/// probabilities that sum to one, most probable first.
fn assert_predicts_official_logits(network: &Path, pictures: &Path, classes: usize) {
    let top = classes.to_string();
    let out = glit_ok(&[
        "predict",
        network.to_str().unwrap(),
        pictures.to_str().unwrap(),
        "--top",
        &top,
        "--json",
    ]);
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(pictures.join("expected.json")).unwrap())
            .unwrap();
    let expected = expected["pictures"].as_array().unwrap();
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), expected.len(), "{out}");
    for (ours, official) in lines.iter().zip(expected) {
        let file = ours["file"].as_str().unwrap();
        assert!(file.ends_with(official["file"].as_str().unwrap()), "{file}");
        let logits: Vec<f64> = official["logits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let scale = logits.iter().fold(1.0f64, |m, v| m.max(v.abs()));
        let top = ours["top"].as_array().unwrap();
        assert_eq!(top.len(), classes);
        let mut total = 0.0;
        let mut previous = f64::INFINITY;
        for class in top {
            let index = class["class"].as_u64().unwrap() as usize;
            let logit = class["logit"].as_f64().unwrap();
            assert!(
                (logit - logits[index]).abs() <= 1e-4 * scale,
                "{file}: class {index} logit {logit}, the official model gives {}",
                logits[index]
            );
            let p = class["probability"].as_f64().unwrap();
            assert!(p <= previous, "{file}: not most probable first");
            previous = p;
            total += p;
        }
        assert!(
            (total - 1.0).abs() < 1e-9,
            "{file}: probabilities sum to {total}"
        );
    }
}

#[test]
fn imported_networks_predict_the_official_logits_on_pictures() {
    let dir = temp_dir("official");
    for case in ["glit_micro", "deit_micro"] {
        let network = import_micro(case, &dir);
        let pictures = official(&format!("{case}.pictures"));
        assert_predicts_official_logits(&network, &pictures, 10);
    }
    // A table names each picture and its classes.
    let table = glit_ok(&[
        "predict",
        dir.join("glit_micro.safetensors").to_str().unwrap(),
        official("glit_micro.pictures/1.png").to_str().unwrap(),
        "--top",
        "2",
    ]);
    assert!(
        table.starts_with(official("glit_micro.pictures/1.png").to_str().unwrap()),
        "{table}"
    );
    assert_eq!(table.lines().count(), 3, "{table}");
    assert!(table.contains("class "), "{table}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// GLiT-Tiny at full size (`generate.py --full`, 58 MB, so not committed): when PyTorch and
/// safetensors are installed the fixture is generated here, imported with ImageNet's
/// preprocessing and class names, and predicts the official logits on 224² crops.
#[test]
fn full_size_glit_tiny_predicts_the_official_logits() {
    let dir = temp_dir("full");
    let generated = std::process::Command::new("python3")
        .arg(official("generate.py"))
        .arg("--full")
        .arg(&dir)
        .output();
    let Some(output) = generated.ok().filter(|o| o.status.success()) else {
        eprintln!(
            "skipped: PyTorch and safetensors are not installed (pip install torch safetensors)"
        );
        return;
    };
    assert!(output.status.success());
    let network = dir.join("glit_tiny.safetensors.net");
    let summary = glit_ok(&[
        "import",
        dir.join("glit_tiny.pth").to_str().unwrap(),
        "--arch",
        "glit-tiny",
        "--out",
        network.to_str().unwrap(),
    ]);
    assert!(summary.contains("7,264,456 parameters"), "{summary}");
    assert!(summary.contains("224×224×3, 1000 classes"), "{summary}");
    assert_predicts_official_logits(&network, &dir.join("glit_tiny.pictures"), 1000);
    let table = glit_ok(&[
        "predict",
        network.to_str().unwrap(),
        dir.join("glit_tiny.pictures").to_str().unwrap(),
        "--top",
        "1000",
    ]);
    assert!(
        table.contains("tabby") && table.contains("(281)"),
        "ImageNet's names"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn imported_networks_score_and_fine_tune_on_a_data_set() {
    let dir = temp_dir("tune");
    let network = import_micro("glit_micro", &dir);
    let net = network.to_str().unwrap();
    let data = small_fashion_idx(&dir.join("fashion-small"));
    let data = data.to_str().unwrap();
    let scored = glit_ok(&["score", net, "--data", data, "--json"]);
    let scored: Value = serde_json::from_str(scored.trim()).unwrap();
    let accuracy = scored["score"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&accuracy), "{scored}");
    let cases: Value =
        serde_json::from_str(&std::fs::read_to_string(official("cases.json")).unwrap()).unwrap();
    assert_eq!(scored["params"], cases["glit_micro"]["params"], "{scored}");

    // One epoch at learning rate 0: the run starts from the file's weights and keeps them.
    let run = dir.join("tuned");
    glit_ok(&[
        "train",
        "--init",
        net,
        "--data",
        data,
        "--set",
        "epochs=1",
        "--set",
        "lr=0",
        "--set",
        "warmup_lr=0",
        "--set",
        "min_lr=0",
        "--quiet",
        "--out",
        run.to_str().unwrap(),
    ]);
    let start = safetensors_values(&network, "head.weight");
    let tuned = safetensors_values(&run.join("checkpoint.safetensors"), "model.head.weight");
    assert_eq!(start, tuned, "the fine-tuning started elsewhere");

    // The run directory predicts with the data set's class names.
    let out = glit_ok(&[
        "predict",
        run.to_str().unwrap(),
        official("glit_micro.pictures/0.png").to_str().unwrap(),
        "--top",
        "10",
    ]);
    assert!(
        out.contains("Ankle boot") && out.contains("T-shirt/top"),
        "{out}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A Fashion-MNIST-shaped IDX folder (28×28 grey, 10 classes) of 256 training and 64 test
/// images with hashed pixels: the real format at a size that trains in a moment.
fn small_fashion_idx(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    for (stem, count) in [("train", 256u32), ("t10k", 64)] {
        let mut images = [0x803u32, count, 28, 28]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect::<Vec<u8>>();
        let pixels = super::fixtures::hashed_values(count as usize * 28 * 28, count);
        images.extend(pixels.iter().map(|v| ((v + 2.0) * 63.0) as u8));
        let mut labels = [0x801u32, count]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect::<Vec<u8>>();
        labels.extend((0..count).map(|i| (i % 10) as u8));
        std::fs::write(dir.join(format!("{stem}-images-idx3-ubyte")), images).unwrap();
        std::fs::write(dir.join(format!("{stem}-labels-idx1-ubyte")), labels).unwrap();
    }
    dir.to_path_buf()
}

fn safetensors_values(path: &Path, name: &str) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let names: Vec<&str> = file.names();
    match file.tensor(name) {
        Ok(view) => view.data().to_vec(),
        Err(_) => panic!("{} has no {name}; it has {names:?}", path.display()),
    }
}

#[test]
fn bad_imports_and_predictions_are_errors_naming_the_problem() {
    let dir = temp_dir("errors");
    let arch = case_arch(&official("cases.json"), "glit_micro");
    let pth = official("glit_micro.pth");
    let out = dir.join("net.safetensors");
    let import = |file: &Path, arch: &str, extra: &[&str]| {
        let mut args = vec![
            "import",
            file.to_str().unwrap(),
            "--arch",
            arch,
            "--preset",
            "micro",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        glit_error(&args)
    };
    let normalised = ["--mean", "0.5", "--std", "0.25"];

    // Another architecture: the tensor whose shape differs.
    let other = arch.replacen("k23", "k15", 1);
    let err = import(&pth, &other, &normalised);
    assert!(err.contains("blocks.1.0.attn.net.3.conv.weight"), "{err}");

    // A file cut short is named.
    let bytes = std::fs::read(&pth).unwrap();
    let truncated = dir.join("truncated.pth");
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).unwrap();
    let err = import(&truncated, &arch, &normalised);
    assert!(err.contains("truncated.pth"), "{err}");

    // A grey network has no standard normalisation.
    let err = import(&pth, &arch, &[]);
    assert!(err.contains("--mean") && err.contains("1 channel"), "{err}");
    let err = import(&pth, &arch, &["--mean", "0.5,0.5", "--std", "0.25"]);
    assert!(err.contains("--mean") && err.contains("2 values"), "{err}");
    assert!(!out.exists(), "a failed import wrote {}", out.display());

    let network = import_micro("glit_micro", &dir);
    let net = network.to_str().unwrap();
    // A file that is not a picture, a path that does not exist, a folder without pictures.
    let not_picture = dir.join("notes.png");
    std::fs::write(&not_picture, "not a picture").unwrap();
    let err = glit_error(&["predict", net, not_picture.to_str().unwrap()]);
    assert!(
        err.contains("notes.png") && err.contains("PNG or JPEG"),
        "{err}"
    );
    let err = glit_error(&["predict", net, dir.join("absent.jpg").to_str().unwrap()]);
    assert!(err.contains("absent.jpg"), "{err}");
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let err = glit_error(&["predict", net, empty.to_str().unwrap()]);
    assert!(err.contains("no PNG or JPEG pictures"), "{err}");

    // A checkpoint that is not a network file; a network scored on data it does not fit.
    let err = glit_error(&[
        "predict",
        pth.to_str().unwrap(),
        not_picture.to_str().unwrap(),
    ]);
    assert!(err.contains("glit_micro.pth"), "{err}");
    let err = glit_error(&["score", net, "--data", "synthetic"]);
    assert!(
        err.contains("net.safetensors") || err.contains("glit_micro.safetensors"),
        "{err}"
    );
    assert!(err.contains("28×28×1"), "{err}");
    let err = glit_error(&["score", net]);
    assert!(err.contains("--data"), "{err}");

    // Fine-tuning another architecture than the file holds.
    let err = glit_error(&[
        "train",
        "--init",
        net,
        "--arch",
        "baseline",
        "--data",
        "fashion-mnist-mini",
        "--out",
        dir.join("run").to_str().unwrap(),
    ]);
    assert!(err.contains("glit_micro.safetensors"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn scripts_predict_and_fine_tune_from_network_files() {
    let dir = temp_dir("script");
    let network = import_micro("glit_micro", &dir);
    let data = small_fashion_idx(&dir.join("fashion-small"));
    let arch = case_arch(&official("cases.json"), "glit_micro");
    let pictures = official("glit_micro.pictures");
    let script = dir.join("tune.rhai");
    std::fs::write(
        &script,
        format!(
            r#"
let data = data::open("{data}", #{{ search_split: 32 }});
let space = space::glit("micro", data);
let arch = space::arch("{arch}");
let found = network::predict("{net}", ["{pictures}"], #{{ top: 3 }});
if found.len() != 3 || found[0].top.len() != 3 {{ throw `predictions: ${{found}}`; }}
print(`first ${{found[0].top[0].class}}`);
let tuned = train::retrain(space, arch, data, #{{ from: "{net}", epochs: 1, seed: 1, save: "tuned.safetensors" }});
print(`tuned ${{tuned.accuracy}}`);
let again = network::predict(tuned.network, ["{pictures}"]);
if again.len() != 3 || again[0].top.len() != 5 {{ throw `saved network: ${{again}}`; }}
print(`saved ${{again[0].top[0].name}}`);
let other = space.baseline();
train::retrain(space, other, data, #{{ from: "{net}", epochs: 1 }});
"#,
            data = data.display(),
            net = network.display(),
            pictures = pictures.display(),
        ),
    )
    .unwrap();
    let run = dir.join("run");
    let (ok, out, err) = glit(&[
        "run",
        script.to_str().unwrap(),
        "--quiet",
        "--out",
        run.to_str().unwrap(),
    ]);
    assert!(!ok, "the last retrain is of another architecture:\n{out}");
    // The script saw the same top class as the command line.
    let cli = glit_ok(&[
        "predict",
        network.to_str().unwrap(),
        pictures.join("0.png").to_str().unwrap(),
        "--json",
        "--top",
        "1",
    ]);
    let cli: Value = serde_json::from_str(cli.trim()).unwrap();
    let first = format!("first {}", cli["top"][0]["class"]);
    assert!(out.contains(&first), "{out}\n{err}");
    assert!(out.contains("tuned "), "{out}\n{err}");
    // The saved network predicts with the data set's class names, from the run directory.
    assert!(out.contains("saved "), "{out}\n{err}");
    assert!(!out.contains("saved class "), "{out}");
    let tuned = run.join("tuned.safetensors");
    let table = glit_ok(&[
        "predict",
        tuned.to_str().unwrap(),
        pictures.to_str().unwrap(),
    ]);
    let names = glit::data::FASHION_MNIST_CLASSES;
    let shown = names.iter().filter(|n| table.contains(*n)).count();
    assert!(
        shown >= 5,
        "five Fashion-MNIST names or more in
{table}"
    );
    assert!(
        err.contains("glit_micro.safetensors") && err.contains("not the architecture"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
