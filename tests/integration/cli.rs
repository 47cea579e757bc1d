//! The `glit` binary, run as a user would.

use super::fixtures::glit;

#[test]
fn space_prints_candidates_sizes_and_the_baseline() {
    let (ok, out, err) = glit(&["space", "paper-tiny"]);
    assert!(ok, "{err}");
    assert!(out.contains("blocks 0-11:"), "{out}");
    assert!(out.contains("kernel       [17, 31, 45]"), "{out}");
    assert!(out.contains("1.338e30 by the paper's formula"), "{out}");
    assert!(
        out.contains(&format!("distinct networks (exact): {}", 198u128.pow(12))),
        "{out}"
    );
    assert!(
        out.contains("stage-1 space (distributions only): 1.678e7"),
        "{out}"
    );
    assert!(
        out.contains("params 5,717,416, 1253.7 MFLOPs official"),
        "{out}"
    );
}

#[test]
fn cost_prints_a_table_with_exact_totals() {
    let (ok, out, err) = glit(&["cost", "glit-tiny"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("official MFLOPs") && out.contains("exact MFLOPs"),
        "{out}"
    );
    let total = out
        .lines()
        .find(|l| l.starts_with("total"))
        .expect("a total row");
    let fields: Vec<&str> = total.split_whitespace().collect();
    let params: u64 = fields[1].replace(',', "").parse().unwrap();
    assert!((params as f64 / 1e6 - 7.3).abs() < 0.05, "{total}");
    let official: f64 = fields[2].parse().unwrap();
    assert!((official - 1330.0).abs() < 5.0, "{total}");
    assert_eq!(
        out.lines()
            .filter(|l| l.starts_with(char::is_numeric))
            .count(),
        12
    );
}

#[test]
fn cost_reads_json_files_and_the_compact_form() {
    let dir = std::env::temp_dir().join(format!("glit-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("arch.json");
    std::fs::write(
        &file,
        glit::space::named_arch("glit-tiny").unwrap().to_json(),
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let (ok, from_file, err) = glit(&["cost", path, "--preset", "paper-tiny"]);
    assert!(ok, "{err}");
    let (_, builtin, _) = glit(&["cost", "glit-tiny"]);
    assert_eq!(from_file, builtin);
    let (ok, _, err) = glit(&["cost", path]);
    assert!(!ok && err.contains("name its space with --preset"), "{err}");
    let (ok, out, err) = glit(&[
        "cost",
        "G3(qk16,f4) L3(k9,e2,f2) M1/2(qk16,k15,e1,f6) G3(qk8,f2) L3(k23,e4,f4) G3(qk32,f6)",
        "--preset",
        "micro",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("M1/2(qk16,k15,e1,f6)"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn errors_name_the_problem() {
    let (ok, _, err) = glit(&["space", "paper-huge"]);
    assert!(!ok);
    assert!(
        err.contains("unknown preset `paper-huge`") && err.contains("paper-tiny"),
        "{err}"
    );
    let (ok, _, err) = glit(&["cost", "glit-tiny", "--preset", "micro"]);
    assert!(!ok);
    assert!(
        err.contains("not in the space: it has 12 blocks, the space `micro` has 6"),
        "{err}"
    );
    let (ok, _, err) = glit(&["cost", "glit-huge"]);
    assert!(
        !ok && err.contains("unknown architecture `glit-huge`"),
        "{err}"
    );
    let (ok, _, err) = glit(&["cost", "/nonexistent/arch.json", "--preset", "micro"]);
    assert!(!ok && err.contains("/nonexistent/arch.json"), "{err}");
}

#[test]
fn sample_is_reproducible_and_prints_parsable_arches() {
    let (ok, a, err) = glit(&["sample", "micro", "--seed", "9", "--count", "4"]);
    assert!(ok, "{err}");
    let (_, b, _) = glit(&["sample", "micro", "--seed", "9", "--count", "4"]);
    assert_eq!(a, b);
    let space = glit::space::preset("micro").unwrap();
    for line in a.lines() {
        let arch: glit::space::Arch = line.parse().unwrap();
        assert!(space.contains(&arch), "{line}");
    }
    assert_eq!(a.lines().count(), 4);
}

#[test]
fn cost_json_carries_both_conventions() {
    let (ok, out, err) = glit(&["cost", "deit-tiny", "--json"]);
    assert!(ok, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["space"], "paper-tiny");
    assert_eq!(doc["costs"][0]["convention"], "official");
    assert_eq!(doc["costs"][1]["convention"], "exact");
    assert_eq!(doc["costs"][0]["params"], 5_717_416);
    assert_eq!(doc["costs"][0]["blocks"].as_array().unwrap().len(), 12);
    let arch: glit::space::Arch = serde_json::from_value(doc["arch"].clone()).unwrap();
    assert_eq!(arch, glit::space::named_arch("deit-tiny").unwrap());
}

/// A two-block space over the synthetic set's 16×16 gray images, written to a JSON file.
pub fn tiny_space_file(name: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("glit-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let space = crate::fixtures::tiny_space();
    let path = dir.join("tiny.json");
    std::fs::write(&path, space.to_json()).unwrap();
    (dir, path)
}

#[test]
fn train_writes_a_run_directory_that_score_reads() {
    let (dir, space) = tiny_space_file("train");
    let run = dir.join("run");
    let args = [
        "train",
        "--data",
        "synthetic",
        "--preset",
        space.to_str().unwrap(),
        "--search-split",
        "128",
        "--set",
        "epochs=2",
        "--set",
        "batch_size=32",
        "--out",
        run.to_str().unwrap(),
        "--quiet",
    ];
    let (ok, out, err) = glit(&args);
    assert!(ok, "{err}");
    assert!(out.contains("2 epochs"), "{out}");
    let metrics = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
    assert_eq!(metrics.lines().count(), 3, "{metrics}");
    assert!(metrics.starts_with("epoch,step,lr,train_loss"), "{metrics}");
    assert!(run.join("checkpoint.safetensors").is_file());
    assert!(std::fs::read_to_string(run.join("run.json"))
        .unwrap()
        .contains("\"search_split\": 128"));

    // The same directory again would overwrite the run: refused, with the way out.
    let (ok, _, err) = glit(&args);
    assert!(!ok && err.contains("--resume"), "{err}");
    // Resuming a finished run trains nothing more and reports the same history.
    let (ok, out, err) = glit(&[
        "train",
        "--resume",
        "--out",
        run.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("2 epochs"), "{out}");

    let (ok, out, err) = glit(&[
        "score",
        run.to_str().unwrap(),
        "--arch",
        "baseline",
        "--random",
        "2",
    ]);
    assert!(ok, "{err}");
    assert_eq!(out.lines().count(), 4, "header and three rows:\n{out}");
    assert!(
        out.contains("G3(qk4,f4) G3(qk4,f4)") || out.contains("G3("),
        "{out}"
    );
    let (ok, out, _) = glit(&["score", run.to_str().unwrap(), "--random", "1", "--json"]);
    assert!(ok);
    let row: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    let score = row["score"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&score), "{row}");
    // Scores are journaled in the run, as a script's are, and filed in candidates.csv: the
    // same candidate again is recalled, not scored again.
    let journal = std::fs::read_to_string(run.join("journal.jsonl")).unwrap();
    let scored = journal.lines().filter(|l| l.contains("\"score-")).count();
    let (ok, again, _) = glit(&["score", run.to_str().unwrap(), "--random", "1", "--json"]);
    assert!(ok && again == out, "{again}");
    let journal = std::fs::read_to_string(run.join("journal.jsonl")).unwrap();
    assert_eq!(
        journal.lines().filter(|l| l.contains("\"score-")).count(),
        scored
    );
    let candidates = std::fs::read_to_string(run.join("candidates.csv")).unwrap();
    assert!(
        candidates.starts_with("stage,generation,arch,mflops,params,score"),
        "{candidates}"
    );
}

#[test]
fn train_one_architecture_reports_test_accuracy_each_epoch() {
    let (dir, space) = tiny_space_file("standalone");
    let run = dir.join("run");
    let (ok, out, err) = glit(&[
        "train",
        "--data",
        "synthetic",
        "--preset",
        space.to_str().unwrap(),
        "--arch",
        "L3(k5,e2,f4) M1/2(qk8,k3,e1,f2)",
        "--set",
        "epochs=1",
        "--out",
        run.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("eval "), "{out}");
    let metrics = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
    let row = metrics.lines().nth(1).unwrap();
    let eval: f64 = row.split(',').nth(5).unwrap().parse().unwrap();
    assert!((0.0..=1.0).contains(&eval), "{row}");
}

#[test]
fn train_warns_when_its_training_split_is_under_the_floor() {
    let (dir, space) = tiny_space_file("small-data");
    let run = dir.join("run");
    // A supernet on 512 synthetic images with 420 held out for scoring: 92 left for 4
    // classes, under 100 per class.
    let (ok, out, err) = glit(&[
        "train",
        "--data",
        "synthetic",
        "--preset",
        space.to_str().unwrap(),
        "--search-split",
        "420",
        "--set",
        "epochs=1",
        "--set",
        "batch_size=32",
        "--out",
        run.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(ok, "{err}");
    let warning = "is too small to learn: 92 training images for 4 classes, under the floor of 400";
    // On the terminal's error stream, and in the run's warnings.csv, as a script's training.
    assert!(err.contains(warning) && !out.contains(warning), "{err}");
    let filed = std::fs::read_to_string(run.join("warnings.csv")).unwrap();
    assert!(filed.contains(warning), "{filed}");
}

#[test]
fn bad_training_options_name_the_key() {
    let (ok, _, err) = glit(&[
        "train",
        "--set",
        "learning_rate=1",
        "--out",
        "/nonexistent/x",
    ]);
    assert!(
        !ok && err.contains("`learning_rate`") && err.contains("known: augment, batch_size"),
        "{err}"
    );
    let (ok, _, err) = glit(&["train", "--set", "epochs=many", "--out", "/nonexistent/x"]);
    assert!(!ok && err.contains("`epochs`"), "{err}");
    let (ok, _, err) = glit(&["train", "--preset", "paper-tiny", "--out", "/nonexistent/x"]);
    assert!(!ok && err.contains("use `micro`"), "{err}");
    let (ok, _, err) = glit(&["train", "--sampler", "bins", "--data", "synthetic", "--out"]);
    assert!(!ok, "{err}");
}

#[test]
fn bench_prints_images_per_second_memory_and_flops() {
    let (_dir, space) = tiny_space_file("bench");
    let (ok, out, err) = glit(&[
        "bench",
        space.to_str().unwrap(),
        "--batch",
        "4",
        "--steps",
        "2",
        "--repeats",
        "2",
        "--no-torch",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("2 timed steps × 2 repetitions"), "{out}");
    for mode in ["train", "score"] {
        let line = out.lines().find(|l| l.starts_with(mode)).expect(mode);
        let rate: f64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        assert!(rate > 0.0, "{line}");
        assert!(
            line.contains('[') && line.contains('–'),
            "median with its spread: {line}"
        );
    }
    let memory = out
        .lines()
        .find(|l| l.starts_with("memory"))
        .expect("memory");
    let peak: f64 = memory.split_whitespace().nth(3).unwrap().parse().unwrap();
    assert!(peak > 1.0, "{memory}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("flops") && l.contains("GFLOP/s")),
        "{out}"
    );
}

#[test]
fn bench_sets_each_local_module_beside_conv1d_per_flop() {
    let (ok, out, err) = glit(&[
        "bench",
        "nano",
        "nano:conv2d",
        "nano:local-attention",
        "--batch",
        "4",
        "--steps",
        "1",
        "--repeats",
        "1",
        "--no-torch",
    ]);
    assert!(ok, "{err}");
    for name in ["nano:conv2d", "nano:local-attention"] {
        assert!(out.contains(&format!("{name}: batch 4")), "{out}");
    }
    let line = out
        .lines()
        .find(|l| l.starts_with("time per FLOP of the training step against nano: "))
        .unwrap_or_else(|| panic!("{out}"));
    for name in ["nano:conv2d", "nano:local-attention"] {
        let ratio: f64 = line
            .split(&format!("{name} "))
            .nth(1)
            .and_then(|rest| rest.split('×').next())
            .and_then(|r| r.parse().ok())
            .unwrap_or_else(|| panic!("{line}"));
        assert!(ratio > 0.0, "{line}");
    }
}

#[test]
fn bench_resizes_a_preset_and_refuses_zero_repeats() {
    let (ok, _, err) = glit(&["bench", "micro", "--repeats", "0", "--no-torch"]);
    assert!(!ok);
    assert!(
        err.contains("--repeats") && err.contains("at least 1"),
        "{err}"
    );
    let (ok, _, err) = glit(&["bench", "micro", "--image-size", "30", "--no-torch"]);
    assert!(!ok, "30 is not a multiple of micro's patch 4");
    assert!(err.contains("30"), "{err}");
}

#[test]
fn an_unreadable_pool_wait_time_is_refused_by_name_and_a_readable_one_is_taken() {
    let run = |value: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_glit"))
            .args(["space", "micro"])
            .env("GLIT_POOL_SPIN_US", value)
            .output()
            .expect("the glit binary runs")
    };
    let refused = run("20ms");
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("GLIT_POOL_SPIN_US") && err.contains("`20ms` is not a whole number"),
        "{err}"
    );
    for taken in ["0", " 20000 "] {
        let output = run(taken);
        assert!(
            output.status.success(),
            "{taken}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn report_archs_counts_mixed_blocks_and_kernels_beside_the_released_glit_tiny() {
    let (ok, out, err) = glit(&[
        "report",
        "--archs",
        "docs/results/methods.csv",
        "--group",
        "method",
    ]);
    assert!(ok, "{err}");
    // The committed baseline runs are all-global: no mixed block, no kernel.
    assert!(
        out.contains("| baseline | 3 | 18 | 0 | 100 | 0 | k9: 0 |"),
        "{out}"
    );
    // The paper's network: 3 of 12 blocks mixed, kernel 17 never chosen.
    assert!(
        out.contains("| paper: released GLiT-Tiny | 1 | 12 | 25 | 42 | 33 | k17: 0 |"),
        "{out}"
    );
    assert!(
        out.contains("| block 1 |") && out.contains("| block 6 |"),
        "{out}"
    );
    // The locality ablation's rows are read in the spaces their `preset` column names:
    // Conv2d kernels 3, 5 and 7 over micro's 7×7 patch grid.
    assert!(
        out.contains("| glit-conv2d | 3 | 18 | 56 | 22 | 22 | k3: 5 | k3: 5, k5: 4, k7: 5 |"),
        "{out}"
    );
    // Single architectures count as one group.
    let (ok, out, err) = glit(&["report", "--archs", "glit-tiny", "--preset", "paper-tiny"]);
    assert!(ok, "{err}");
    assert!(out.contains("| given | 1 | 12 | 25 |"), "{out}");
    // A row that is not an architecture of the space is named by file and line.
    let dir = std::env::temp_dir().join(format!("glit-census-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "arch,method\n\"G3(qk16,f4)\",x\n").unwrap();
    let (ok, _, err) = glit(&["report", "--archs", bad.to_str().unwrap()]);
    assert!(
        !ok && err.contains("bad.csv") && err.contains("line 2"),
        "{err}"
    );
    // One group searched in two spaces gets a row for each, named with its space; a space
    // that does not open is named with the file and line.
    let mixed = dir.join("mixed.csv");
    std::fs::write(
        &mixed,
        "arch,method,preset\nbaseline,m,micro\n\"L3(k3,e1,f2) G3(qk16,f4) G3(qk16,f4) \
         G3(qk16,f4) G3(qk16,f4) G3(qk16,f4)\",m,micro:conv2d\nbaseline,m,micro:nope\n",
    )
    .unwrap();
    let (ok, _, err) = glit(&[
        "report",
        "--archs",
        mixed.to_str().unwrap(),
        "--group",
        "method",
    ]);
    assert!(
        !ok && err.contains("mixed.csv") && err.contains("line 4") && err.contains("nope"),
        "{err}"
    );
    let two_rows = std::fs::read_to_string(&mixed)
        .unwrap()
        .replace("baseline,m,micro:nope\n", "");
    std::fs::write(&mixed, two_rows).unwrap();
    let (ok, out, err) = glit(&[
        "report",
        "--archs",
        mixed.to_str().unwrap(),
        "--group",
        "method",
    ]);
    assert!(ok, "{err}");
    assert!(
        out.contains("| m (micro) | 1 | 6 | 0 | 100 | 0 | k9: 0 |"),
        "{out}"
    );
    assert!(
        out.contains("| m (micro:conv2d) | 1 | 6 | 0 | 83 | 17 | k3: 1 |"),
        "{out}"
    );
    let (ok, _, err) = glit(&[
        "report",
        "--archs",
        "docs/results/methods.csv",
        "--group",
        "nope",
    ]);
    assert!(!ok && err.contains("no `nope` column"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
