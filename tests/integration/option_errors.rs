//! Every binding that takes options, given a bad one: the error names the key, says in
//! glit's words what the value must be and what it got, and points at the call's line and
//! column in the script.

use glit::script::{self, Limits, RunRequest};

/// Opens the data, the space and a supernet, so line 4 can call any binding.
const PRELUDE: &str = "let data = data::open(\"synthetic\", #{ search_split: 64 });\n\
                       let space = space::glit(\"nano\", data);\n\
                       let net = supernet::create(space);\n";

/// (the call on line 4, where on the line the error must point, the texts it must hold).
const CASES: &[(&str, &str, &[&str])] = &[
    // data::open
    (
        "data::open(\"synthetic\", #{ serch_split: 3 });",
        ":4:",
        &[
            "`serch_split`",
            "`data::open` has no such option",
            "search_split",
        ],
    ),
    (
        "data::open(\"synthetic\", #{ search_split: \"many\" });",
        ":4:",
        &["`search_split`: must be a whole number ≥ 0, got text (\"many\")"],
    ),
    (
        "data::open(\"synthetic\", #{ seed: -1 });",
        ":4:",
        &["`seed`: must be a whole number ≥ 0, got -1"],
    ),
    (
        "data::open(\"synthetic\", #{ train_images: 2.5 });",
        ":4:",
        &["`train_images`: must be a whole number ≥ 0, got 2.5"],
    ),
    // supernet::create
    (
        "supernet::create(space, #{ sed: 1 });",
        ":4:",
        &["`sed`", "`supernet::create` has no such option", "seed"],
    ),
    (
        "supernet::create(space, #{ sharing: \"all\" });",
        ":4:",
        &[
            "`sharing`: must be a map from dimension",
            "got text (\"all\")",
        ],
    ),
    (
        "supernet::create(space, #{ sharing: #{ kernel: \"shared\" } });",
        ":4:",
        &[
            "`sharing.kernel`",
            "`shared` is not \"separate\" or \"entangled\"",
        ],
    ),
    (
        "supernet::create(space, #{ sharing: #{ width: \"separate\" } });",
        ":4:",
        &["`sharing.width`", "not a dimension"],
    ),
    // train::spos and its recipe
    (
        "train::spos(net, data, #{ epochs: -3 });",
        ":4:",
        &["`epochs`: must be a whole number ≥ 0, got -3"],
    ),
    (
        "train::spos(net, data, #{ batch_size: 0 });",
        ":4:",
        &["`batch_size`: must be a whole number ≥ 1, got 0"],
    ),
    (
        "train::spos(net, data, #{ lr: \"fast\" });",
        ":4:",
        &["`lr`: must be a number, got \"fast\""],
    ),
    (
        "train::spos(net, data, #{ lr: -0.1 });",
        ":4:",
        &["`lr`: must be a finite number ≥ 0, got -0.1"],
    ),
    (
        "train::spos(net, data, #{ drop_path: 1.5 });",
        ":4:",
        &["`drop_path`: must lie in [0, 1), got 1.5"],
    ),
    (
        "train::spos(net, data, #{ epoch: 1 });",
        ":4:",
        &["`epoch`", "no such training option", "epochs"],
    ),
    (
        "train::spos(net, data, #{ sampler: 3 });",
        ":4:",
        &["`sampler`: must be \"uniform\", \"flops-bins:N\" or a function"],
    ),
    (
        "train::spos(net, data, #{ sampler: \"flops-bins:x\" });",
        ":4:",
        &["`sampler`", "`x` is not a bin count"],
    ),
    (
        "train::spos(net, data, #{ constraint: 5 });",
        ":4:",
        &["`constraint`: must be a function |arch| bool, got a whole number"],
    ),
    (
        "train::spos(net, data, #{ name: 5 });",
        ":4:",
        &["`name`: must be text, got 5"],
    ),
    // train::scorer
    (
        "train::scorer(net, data, #{ batch_size: 0 });",
        ":4:",
        &["`batch_size`: must be a whole number ≥ 1, got 0"],
    ),
    (
        "train::scorer(net, data, #{ calibration: 3 });",
        ":4:",
        &[
            "`calibration`",
            "`train::score` has no such option",
            "calibration_batches",
        ],
    ),
    // train::retrain
    (
        "train::retrain(space, space.baseline(), data, #{ split: \"val\" });",
        ":4:",
        &["`split`: `val` is not \"test\" or \"search\""],
    ),
    (
        "train::retrain(space, space.baseline(), data, #{ warmup_epochs: -1.0 });",
        ":4:",
        &["`warmup_epochs`: must be a finite number ≥ 0, got -1"],
    ),
    // search::options
    (
        "search::options(#{ population: 50 }, #{ popualtion: 5 });",
        ":4:",
        &["`popualtion`", "no such option", "population"],
    ),
    (
        "search::options(#{ population: 50 }, #{ population: \"many\" });",
        ":4:",
        &["`population`: must be a whole number like the default 50, got text (\"many\")"],
    ),
    // space::arch
    (
        "space::arch(#{ heads: 3, blocks: 5 });",
        ":4:",
        &["`blocks`: must be a list of blocks"],
    ),
    (
        "space::arch(#{ heads: 3, blocks: [#{ global_heads: -1, ffn_ratio: 4 }] });",
        ":4:",
        &["`blocks[0].global_heads`: must be a whole number ≥ 0, got -1"],
    ),
    (
        "space::arch(#{ heads: 3, blocks: [1] });",
        ":4:",
        &["`blocks[0]`: must be a map of the block's choices, got a whole number"],
    ),
    // space.fix_details
    (
        "space.fix_details(#{ kernel: \"big\" });",
        ":4:",
        &["`kernel`: must be a whole number ≥ 0, got text (\"big\")"],
    ),
    (
        "space.fix_details(#{ kernels: 3 });",
        ":4:",
        &["`kernels`", "`fix_details` has no such option", "kernel"],
    ),
];

#[test]
fn every_binding_names_the_bad_option_in_its_words_at_the_call() {
    let dir = std::env::temp_dir().join(format!("glit-option-errors-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut failures = Vec::new();
    for (index, (call, place, texts)) in CASES.iter().enumerate() {
        let file = dir.join(format!("case{index}.rhai"));
        std::fs::write(&file, format!("{PRELUDE}{call}\n")).unwrap();
        let outcome = script::run(RunRequest {
            script: file,
            overrides: Vec::new(),
            out: Some(dir.join(format!("run{index}"))),
            resume: None,
            devices: glit::devices::list("cpu").unwrap(),
            delegate: false,
            limits: Limits::default(),
            quiet: true,
        });
        let Err(error) = outcome else {
            failures.push(format!("{call}: ran without an error"));
            continue;
        };
        let error = error.to_string();
        let at = format!("case{index}.rhai{place}");
        let missing: Vec<&str> = std::iter::once(at.as_str())
            .chain(texts.iter().copied())
            .filter(|text| !error.contains(text))
            .collect();
        if !missing.is_empty() {
            failures.push(format!("{call}: lacks {missing:?}:\n{error}"));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
