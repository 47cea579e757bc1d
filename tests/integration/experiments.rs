//! The experiments behind docs/results.md: both experiment scripts run in fast mode and log
//! their rows, `glit results` turns the rows into the page's tables and figure, the committed
//! page matches its committed CSV files, and the small-data guard speaks up when a training
//! cannot learn.

use std::path::Path;

use super::fixtures::glit;
use super::script_runs::{read, run_args_at, temp_dir};

/// `glit run scripts/experiments/NAME.rhai` in fast mode, with `extra` settings.
fn run_experiment(name: &str, out: &Path, extra: &[&str]) -> (bool, String, String) {
    let path = format!("scripts/experiments/{name}.rhai");
    glit(&run_args_at(&path, name, out, extra))
}

fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let mut rows = vec![headers];
    rows.extend(
        reader
            .records()
            .map(|r| r.unwrap().iter().map(String::from).collect()),
    );
    rows
}

#[test]
fn comparing_methods_logs_a_row_per_method_and_seed_at_equal_budget_and_cost() {
    let out = temp_dir("compare-methods");
    let (ok, stdout, stderr) = run_experiment("compare_methods", &out, &["seeds=2"]);
    assert!(ok, "{stderr}\n{stdout}");
    let rows = csv_rows(&out.join("methods.csv"));
    let column = |name: &str| rows[0].iter().position(|h| h == name).expect(name);
    let (method, seed, scored, mflops) = (
        column("method"),
        column("seed"),
        column("scored"),
        column("mflops"),
    );
    let runs: Vec<(String, String)> = rows[1..]
        .iter()
        .map(|r| (r[method].clone(), r[seed].clone()))
        .collect();
    let expected: Vec<(String, String)> = ["0", "1"]
        .iter()
        .flat_map(|s| {
            [
                "glit",
                "spos",
                "random",
                "baseline",
                "spos-global",
                "glit-conv2d",
                "glit-local-attention",
            ]
            .map(|m| (m.to_string(), s.to_string()))
        })
        .collect();
    assert_eq!(runs, expected);
    // Each row names the space its search ran in (fast mode: `nano`), for `glit report
    // --archs`.
    let preset = column("preset");
    for row in &rows[1..] {
        let expected = match row[method].strip_prefix("glit-") {
            Some(kind) => format!("nano:{kind}"),
            None => "nano".to_string(),
        };
        assert_eq!(row[preset], expected, "{row:?}");
    }
    let baseline_mflops: f64 = rows[4][mflops].parse().unwrap();
    for row in &rows[1..] {
        // Equal cost: nothing found costs more than the all-global baseline.
        let cost: f64 = row[mflops].parse().unwrap();
        assert!(cost <= baseline_mflops + 1e-9, "{row:?}");
        // Equal budget: the three searches scored the same number of candidates (fast
        // mode: 2 stages × 2 generations × 4 against 4 generations × 4). The fast mode's
        // global-only space holds fewer architectures within the baseline's cost than that:
        // evolution scores each of them once at most.
        match row[method].as_str() {
            "baseline" => assert_eq!(row[scored], "0", "{row:?}"),
            "spos-global" => {
                let n: usize = row[scored].parse().unwrap();
                assert!((1..=16).contains(&n), "{row:?}");
            }
            _ => assert_eq!(row[scored], "16", "{row:?}"),
        }
    }
    assert!(stdout.contains("budget per search: 4 supernet epochs, 16 scored candidates"));
    // The search-space ablation searches DeiT's blocks: every head of every block global.
    let arch = column("arch");
    for row in rows[1..].iter().filter(|r| r[method] == "spos-global") {
        let blocks: Vec<&str> = row[arch].split(' ').collect();
        assert!(blocks.iter().all(|b| b.starts_with("G3(")), "{row:?}");
    }

    // The page's tables and figure from those rows.
    let results = out.join("results");
    std::fs::create_dir_all(&results).unwrap();
    std::fs::copy(out.join("methods.csv"), results.join("methods.csv")).unwrap();
    let page = out.join("page.md");
    let markers = "<!-- generated: methods -->\n<!-- end: methods -->\n\
                   <!-- generated: runs -->\n<!-- end: runs -->\n";
    std::fs::write(&page, format!("# Results\n\n{markers}\nprose stays\n")).unwrap();
    let args = |check: bool| {
        let mut a = vec![
            "results".to_string(),
            results.display().to_string(),
            "--docs".into(),
            page.display().to_string(),
        ];
        if check {
            a.push("--check".into());
        }
        a
    };
    let (ok, _, stderr) = glit(&args(true));
    assert!(
        !ok && stderr.contains("`methods` table does not match"),
        "{stderr}"
    );
    let (ok, stdout, stderr) = glit(&args(false));
    assert!(ok, "{stderr}");
    assert!(stdout.contains("accuracy-mflops.png"), "{stdout}");
    let text = read(&page);
    assert!(text.contains("| GLiT hierarchical search | 2 |"), "{text}");
    assert!(
        text.contains("| all-global baseline (no search) | 2 |"),
        "{text}"
    );
    assert!(text.contains("prose stays"));
    assert_eq!(text.matches("\n| 1 | spos |").count(), 1, "{text}");
    assert!(results.join("accuracy-mflops.svg").is_file());
    let (ok, stdout, stderr) = glit(&args(true));
    assert!(ok && stdout.contains("matches"), "{stderr}");
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn rank_correlation_logs_both_scorings_and_every_architecture() {
    let out = temp_dir("rank-correlation");
    let (ok, stdout, stderr) = run_experiment("rank_correlation", &out, &["architectures=12"]);
    assert!(ok, "{stderr}\n{stdout}");
    let summary = csv_rows(&out.join("rank_summary.csv"));
    assert_eq!(summary.len(), 3, "{summary:?}");
    let scores = summary[0].iter().position(|h| h == "scores").unwrap();
    let tau = summary[0].iter().position(|h| h == "kendall_tau").unwrap();
    assert_eq!(summary[1][scores], "recalibrated");
    assert_eq!(summary[2][scores], "supernet statistics");
    for row in &summary[1..] {
        let t: f64 = row[tau].parse().unwrap();
        assert!((-1.0..=1.0).contains(&t), "{row:?}");
    }
    let archs = csv_rows(&out.join("rank.csv"));
    assert_eq!(archs.len(), 13, "twelve architectures and the header");
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn the_committed_results_pages_match_their_csv_files() {
    let dir = Path::new("docs/results");
    for (page, tables) in [
        (
            "docs/results.md",
            &["methods", "runs", "census", "rank", "main-job"][..],
        ),
        ("README.md", &["main-job"][..]),
    ] {
        let page = Path::new(page);
        glit::report::results_docs::check(dir, page).unwrap_or_else(|e| panic!("{e}"));
        // And the page really carries the tables (a page without them would pass nothing).
        let text = read(page);
        for name in tables {
            assert!(
                text.contains(&format!("<!-- generated: {name} -->\n|")),
                "{} has no generated `{name}` table",
                page.display()
            );
        }
    }
}

#[test]
fn a_training_too_small_to_learn_is_reported_with_what_to_change() {
    // The main job on 200 synthetic images (under the floor of 100 per class) for one epoch.
    let out = temp_dir("small-data");
    let args = run_args_at(
        "scripts/glit_search.rhai",
        "glit_search",
        &out,
        &["train_images=200"],
    );
    let (ok, stdout, stderr) = glit(&args);
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("warning: training `stage1-supernet` is too small to learn"),
        "{stderr}"
    );
    assert!(
        stderr.contains("200 training images for 4 classes, under the floor of 400")
            && stderr.contains("more epochs (`supernet_epochs`"),
        "{stderr}"
    );
    // Repeated at the end, where progress output cannot bury it, and in the report.
    assert!(
        stdout.contains("warning: training `final` is too small to learn"),
        "{stdout}"
    );
    let summary = read(&out.join("report/summary.md"));
    assert!(
        summary.contains("## Warnings") && summary.contains("`baseline` is too small to learn"),
        "{summary}"
    );
    let warnings = csv_rows(&out.join("warnings.csv"));
    assert_eq!(warnings[0], ["training", "warning"]);
    std::fs::remove_dir_all(&out).unwrap();
}
