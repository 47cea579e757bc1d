//! Every shipped script runs in its fast mode (tiny data and widths, few steps) and writes
//! its artifacts; a run directory is never overwritten.

use std::path::{Path, PathBuf};

use super::fixtures::glit;

pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("glit-script-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Settings that shrink every shipped script to seconds: the synthetic data, the nano space,
/// one epoch, a handful of candidates.
pub fn fast_mode(script: &str) -> Vec<&'static str> {
    if script == "rank_correlation" {
        return vec![
            "data=synthetic",
            "preset=nano",
            "search_split=64",
            "train_images=0",
            "supernet_epochs=1",
            "retrain_epochs=1",
            "calibration_batches=1",
        ];
    }
    let common = [
        "data=synthetic",
        "preset=nano",
        "search_split=64",
        "train_images=0",
        "supernet_epochs=1",
        "population=4",
        "generations=2",
        "calibration_batches=1",
    ];
    let extra: &[&str] = match script {
        "glit_search" => &[
            "parents=2",
            "mutations=2",
            "crossovers=1",
            "retrain_top=2",
            "retrain_epochs=1",
            "final_epochs=1",
        ],
        "compare_methods" => &[
            "parents=2",
            "mutations=2",
            "crossovers=1",
            "retrain_top=2",
            "retrain_epochs=1",
            "final_epochs=1",
        ],
        "spos_flat" => &["parents=2", "mutations=2", "crossovers=1", "final_epochs=1"],
        "random_search" => &["final_epochs=1"],
        "pareto_search" => &["final_epochs=1"],
        "custom_operator" => &["parents=2", "mutations=2", "crossovers=1"],
        "paper_tiny" => &[
            "parents=2",
            "mutations=2",
            "crossovers=1",
            "retrain_top=1",
            "retrain_epochs=1",
            "final_epochs=1",
            "batch_size=64",
            "max_mflops=1.0",
        ],
        other => panic!("scripts/{other}.rhai has no fast-mode settings in this test; add them"),
    };
    common.into_iter().chain(extra.iter().copied()).collect()
}

fn run_args(script: &str, out: &Path) -> Vec<String> {
    run_args_at(&format!("scripts/{script}.rhai"), script, out, &[])
}

/// `glit run PATH --out OUT --quiet` with `name`'s fast-mode settings, then `extra`'s.
pub fn run_args_at(path: &str, name: &str, out: &Path, extra: &[&str]) -> Vec<String> {
    let mut args = vec![
        "run".to_string(),
        path.to_string(),
        "--out".into(),
        out.display().to_string(),
        "--quiet".into(),
    ];
    for set in fast_mode(name).iter().chain(extra) {
        args.push("--set".into());
        args.push(set.to_string());
    }
    args
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_shipped_script_runs_in_fast_mode_and_writes_its_artifacts() {
    let mut scripts: Vec<String> = std::fs::read_dir("scripts")
        .unwrap()
        .filter_map(|e| {
            let path = e.unwrap().path();
            (path.extension()? == "rhai").then(|| path.file_stem()?.to_str().map(String::from))?
        })
        .collect();
    scripts.sort();
    assert!(scripts.len() >= 5, "{scripts:?}");
    for script in &scripts {
        let out = temp_dir(script);
        let (ok, stdout, stderr) = glit(&run_args(script, &out));
        assert!(ok, "{script}: {stderr}\n{stdout}");
        assert!(stdout.contains("run directory:"), "{script}: {stdout}");
        for file in [
            "run.json",
            "script.rhai",
            "params.json",
            "journal.jsonl",
            "candidates.csv",
        ] {
            assert!(out.join(file).is_file(), "{script}: no {file}");
        }
        let params: serde_json::Value =
            serde_json::from_str(&read(&out.join("params.json"))).unwrap();
        assert_eq!(
            params["preset"], "nano",
            "{script}: params.json records the overrides"
        );
        let candidates = read(&out.join("candidates.csv"));
        let mut lines = candidates.lines();
        assert_eq!(
            lines.next(),
            Some("stage,generation,arch,mflops,params,score")
        );
        let rows: Vec<&str> = lines.collect();
        assert!(rows.len() >= 4, "{script}: {candidates}");
        for row in &rows {
            let score: f64 = row.rsplit(',').next().unwrap().parse().unwrap();
            assert!((0.0..=1.0).contains(&score), "{script}: {row}");
        }
        let metrics: Vec<_> = std::fs::read_dir(out.join("metrics")).unwrap().collect();
        assert!(!metrics.is_empty(), "{script}: no training metrics");
        assert!(
            out.join("best.json").is_file() || out.join("population.json").is_file(),
            "{script}: saved nothing"
        );
        // Where the time went: heavy work by kind, the search loop's own share, the total.
        let time = read(&out.join("time.csv"));
        let rows: Vec<Vec<&str>> = time
            .lines()
            .skip(1)
            .map(|l| l.split(',').collect())
            .collect();
        let seconds = |kind: &str| -> f64 {
            let row = rows.iter().find(|r| r[0].contains(kind));
            row.unwrap_or_else(|| panic!("{script}: no {kind} in {time}"))[1]
                .parse()
                .unwrap()
        };
        let total = seconds("total");
        let parts: f64 = rows[..rows.len() - 1]
            .iter()
            .map(|r| r[1].parse::<f64>().unwrap())
            .sum();
        assert!(
            (parts - total).abs() < 1e-3,
            "{script}: the kinds add up to the total: {time}"
        );
        assert!(
            seconds("scoring") > 0.0 && seconds("search loop") >= 0.0,
            "{script}: {time}"
        );
        assert!(
            stdout.contains("of which the search loop's own"),
            "{script}: {stdout}"
        );
        // The report is drawn at the end of every run.
        assert!(stdout.contains("report: "), "{script}: {stdout}");
        let summary = read(&out.join("report/summary.md"));
        assert!(
            summary.contains("## Best architectures"),
            "{script}: {summary}"
        );
        for stem in ["search-", "pareto-", "training-"] {
            let drawn = std::fs::read_dir(out.join("report"))
                .unwrap()
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|name| name.starts_with(stem) && name.ends_with(".png"))
                .count();
            assert!(drawn >= 1, "{script}: no {stem}*.png");
        }
        std::fs::remove_dir_all(&out).unwrap();
    }
}

#[test]
fn the_main_job_reports_the_found_arch_next_to_the_baseline() {
    let out = temp_dir("main-job");
    let (ok, stdout, stderr) = glit(&run_args("glit_search", &out));
    assert!(ok, "{stderr}");
    assert!(stdout.contains("stage 1 chose"), "{stdout}");
    let found = stdout
        .lines()
        .find(|l| l.starts_with("found"))
        .expect(&stdout);
    let baseline = stdout
        .lines()
        .find(|l| l.starts_with("baseline"))
        .expect(&stdout);
    assert!(found.contains('%') && baseline.contains("G3("), "{stdout}");
    let results = read(&out.join("results.csv"));
    assert!(
        results.starts_with("arch,mflops,params,test_accuracy,test_images,which"),
        "{results}"
    );
    assert_eq!(results.lines().count(), 3, "{results}");
    let best: serde_json::Value = serde_json::from_str(&read(&out.join("best.json"))).unwrap();
    let accuracy = best["found"]["test_accuracy"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&accuracy), "{best}");
    assert_eq!(best["found"]["arch"]["blocks"].as_array().unwrap().len(), 2);
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn a_run_directory_is_not_overwritten_and_resume_keeps_its_parameters() {
    let out = temp_dir("twice");
    let (ok, _, stderr) = glit(&run_args("random_search", &out));
    assert!(ok, "{stderr}");
    let (ok, _, stderr) = glit(&run_args("random_search", &out));
    assert!(!ok);
    assert!(
        stderr.contains("already holds a run") && stderr.contains("--resume"),
        "{stderr}"
    );
    let (ok, _, stderr) = glit(&[
        "run".into(),
        "--resume".into(),
        out.display().to_string(),
        "--set".into(),
        "seed=3".into(),
    ]);
    assert!(!ok);
    assert!(stderr.contains("keeps its own parameters"), "{stderr}");
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn same_named_functions_in_a_script_and_its_module_each_call_their_own() {
    // Rhai caches function lookups by name and arity; unpatched, a name the script has called
    // twice resolves to the script's function even inside a module that defines its own
    // (`vendor/rhai/PATCHED.md`). The stdlib's modules and users' scripts share names like
    // `defaults`, so this must hold deterministically, in both directions.
    let dir = temp_dir("same-names");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("helpers.rhai"),
        "fn defaults() { \"module\" }\nfn which() { defaults() + defaults() }\n",
    )
    .unwrap();
    let script = dir.join("main.rhai");
    std::fs::write(
        &script,
        r#"import "helpers" as h;
fn defaults() { "main" }
let mine = defaults() + defaults();
let theirs = h::which() + h::which();
let mine_again = defaults();
if mine != "mainmain" || theirs != "modulemodulemodulemodule" || mine_again != "main" {
    throw `mixed up: ${mine} / ${theirs} / ${mine_again}`;
}
"#,
    )
    .unwrap();
    let (ok, _, stderr) = glit(&[
        "run".to_string(),
        script.display().to_string(),
        "--out".into(),
        dir.join("run").display().to_string(),
        "--quiet".into(),
    ]);
    assert!(ok, "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}
