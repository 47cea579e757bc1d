//! Released weights in: checkpoints in the official GLiT layout and timm's DeiT layout
//! (`tests/fixtures/official/`, written by `generate.py` with the official wiring) load into
//! glit standalone networks that give the official forward pass's logits; wrong
//! architectures, damaged files and foreign tensors are errors that name them.

use std::path::{Path, PathBuf};

use burn::tensor::{Tensor, TensorData};
use burn::{Dispatch, DispatchDevice};

use glit::import::{import_network, Layout};
use glit::model::HostTensor;
use glit::space::{preset, Arch, Space};

fn flex() -> DispatchDevice {
    DispatchDevice::Flex(Default::default())
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/official")
        .join(name)
}

/// The architecture `generate.py` wrote case `case` with (`cases.json`).
fn case_arch(case: &str) -> Arch {
    let text = std::fs::read_to_string(fixture("cases.json")).unwrap();
    let cases: serde_json::Value = serde_json::from_str(&text).unwrap();
    cases[case]["arch"].as_str().unwrap().parse().unwrap()
}

/// A tensor of a safetensors file.
fn stored(path: &Path, name: &str) -> HostTensor {
    let bytes = std::fs::read(path).unwrap();
    let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let view = file.tensor(name).unwrap();
    HostTensor::from_f32_le_bytes(view.shape().to_vec(), view.data())
}

/// glit's logits for the case's inputs, and the official forward pass's.
fn logits_of(file: &str, case: &str, space: &Space) -> (Vec<f32>, Vec<f32>, Layout) {
    let arch = case_arch(case);
    let (net, layout) = import_network::<Dispatch>(&fixture(file), space, &arch, &flex()).unwrap();
    let expected = fixture(&format!("{case}.logits.safetensors"));
    let inputs = stored(&expected, "inputs");
    let shape: [usize; 4] = inputs.shape.try_into().unwrap();
    let images = Tensor::<Dispatch, 4>::from_data(TensorData::new(inputs.values, shape), &flex());
    let logits = net.forward(images, &arch).unwrap();
    let ours = logits.into_data().to_vec::<f32>().unwrap();
    (ours, stored(&expected, "logits").values, layout)
}

/// The error importing `path` as `arch` of micro.
fn import_error(path: &Path, arch: &Arch) -> String {
    let space = preset("micro").unwrap();
    match import_network::<Dispatch>(path, &space, arch, &flex()) {
        Ok(_) => panic!("{} imported as {arch}", path.display()),
        Err(err) => err.to_string(),
    }
}

fn assert_close(ours: &[f32], official: &[f32], what: &str) {
    assert_eq!(ours.len(), official.len(), "{what}");
    let scale = official.iter().fold(1.0f32, |m, v| m.max(v.abs()));
    for (i, (a, b)) in ours.iter().zip(official).enumerate() {
        assert!(
            (a - b).abs() <= 1e-4 * scale,
            "{what}: logit {i} is {a}, the official forward gives {b}"
        );
    }
}

/// Both files of `case` (`.pth` and `.safetensors`) import in `layout` and give the official
/// logits.
fn assert_official_logits(case: &str, layout: Layout) {
    let space = preset("micro").unwrap();
    for file in [format!("{case}.pth"), format!("{case}.safetensors")] {
        let (ours, official, found) = logits_of(&file, case, &space);
        assert_eq!(found, layout, "{file}");
        assert_close(&ours, &official, &file);
    }
}

#[test]
fn official_glit_checkpoints_give_the_official_logits() {
    assert_official_logits("glit_micro", Layout::Glit);
}

#[test]
fn deit_checkpoints_give_the_official_logits() {
    assert_official_logits("deit_micro", Layout::Deit);
}

#[test]
fn glit_tiny_has_the_released_parameter_count() {
    let text = std::fs::read_to_string(fixture("cases.json")).unwrap();
    let cases: serde_json::Value = serde_json::from_str(&text).unwrap();
    // What the official model's `parameters()` add up to, and what glit counts for it.
    assert_eq!(cases["glit_tiny_params"], 7_264_456);
    let space = preset("released-tiny").unwrap();
    let arch = glit::space::presets::named_arch("glit-tiny").unwrap();
    let cost = space
        .cost(&arch, glit::space::cost::Convention::Official)
        .unwrap();
    assert_eq!(cost.params(), 7_264_456);
}

#[test]
fn another_architecture_is_an_error_naming_the_tensor() {
    let space = preset("micro").unwrap();
    let mut arch = case_arch("glit_micro");
    arch.blocks[1].kernel = Some(15); // the checkpoint's block 1 has kernel 23
    let err = import_error(&fixture("glit_micro.pth"), &arch);
    assert!(err.contains("glit_micro.pth"), "{err}");
    assert!(err.contains("blocks.1.0.attn.net.3.conv.weight"), "{err}");
    assert!(
        err.contains("[96, 1, 23]") && err.contains("[96, 1, 15]"),
        "{err}"
    );

    // A GLiT checkpoint read as all-global: its conv modules have no place.
    let baseline = space.baseline().unwrap();
    let err = import_error(&fixture("glit_micro.pth"), &baseline);
    assert!(err.contains("blocks.0.0.attn.qkv.weight"), "{err}");
}

#[test]
fn damaged_and_foreign_files_are_errors_naming_them() {
    let arch = case_arch("glit_micro");
    let dir = std::env::temp_dir().join(format!("glit-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    // Cut short.
    let bytes = std::fs::read(fixture("glit_micro.pth")).unwrap();
    let truncated = dir.join("truncated.pth");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let err = import_error(&truncated, &arch);
    assert!(err.contains("truncated.pth"), "{err}");

    // A tensor the network has no place for.
    let bytes = std::fs::read(fixture("glit_micro.safetensors")).unwrap();
    let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let extra = [0.5f32; 4]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect::<Vec<u8>>();
    let mut views: Vec<(String, safetensors::tensor::TensorView)> = file
        .tensors()
        .into_iter()
        .map(|(name, view)| (name.to_string(), view))
        .collect();
    views.push((
        "dist_token".into(),
        safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![1, 4], &extra).unwrap(),
    ));
    let foreign = dir.join("foreign.safetensors");
    std::fs::write(&foreign, safetensors::serialize(views, None).unwrap()).unwrap();
    let err = import_error(&foreign, &arch);
    assert!(
        err.contains("foreign.safetensors") && err.contains("`dist_token`"),
        "{err}"
    );

    let missing = dir.join("missing.pth");
    let err = import_error(&missing, &arch);
    assert!(
        err.contains("missing.pth") && err.contains("no such file"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
