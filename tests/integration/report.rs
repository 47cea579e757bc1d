//! Reports: every figure and the summary from a small hand-made run directory, figures that
//! parse (SVG text, PNG of the stated size with something drawn), the Pareto front, errors
//! that name the file, and `glit show`.

use std::path::{Path, PathBuf};

use glit::report;

use super::fixtures::glit;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("glit-report-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("metrics")).unwrap();
    dir
}

/// A finished two-stage run as a script would leave it (nano architectures).
fn small_run(dir: &Path) {
    let files = [
        (
            "run.json",
            r#"{"script": "scripts/glit_search.rhai"}"#.to_string(),
        ),
        (
            "params.json",
            r#"{"seed": 0, "preset": "nano"}"#.to_string(),
        ),
        (
            "candidates.csv",
            [
                "stage,generation,arch,mflops,params,score",
                "1,0,\"G3(qk4,f2) G3(qk4,f2)\",0.060,3000,0.30",
                "1,0,\"L3(k3,e1,f2) L3(k3,e1,f2)\",0.030,2400,0.20",
                "1,1,\"M1/2(qk4,k3,e1,f2) L3(k3,e1,f2)\",0.035,2500,0.35",
                "1,1,\"M2/1(qk4,k3,e1,f2) G3(qk4,f2)\",0.050,2800,0.25",
                "2,0,\"M1/2(qk8,k5,e2,f4) L3(k3,e1,f2)\",0.045,2900,0.40",
                "2,0,\"M1/2(qk4,k3,e1,f2) L3(k5,e2,f4)\",0.040,2700,0.45",
            ]
            .join("\n")
                + "\n",
        ),
        (
            "chosen.csv",
            "arch,stage\n\"M1/2(qk4,k3,e1,f2) L3(k3,e1,f2)\",1\n".to_string(),
        ),
        (
            "results.csv",
            "arch,mflops,params,test_accuracy,which\n\
             \"M1/2(qk4,k3,e1,f2) L3(k5,e2,f4)\",0.04,2700,0.5,found\n\
             \"G3(qk4,f4) G3(qk4,f4)\",0.08,4264,0.25,baseline\n"
                .to_string(),
        ),
        (
            "timing.csv",
            "phase,seconds\nstage 1 supernet,10.0\nstage 1 evolution,14.5\n".to_string(),
        ),
        (
            "metrics/stage1-supernet.csv",
            "epoch,step,lr,train_loss,train_accuracy,eval_accuracy,images_per_second,seconds\n\
             1,7,0.001,1.39,0.25,,1785.6,0.25\n2,14,0.0005,1.20,0.40,,1800.0,0.50\n"
                .to_string(),
        ),
        (
            "metrics/final.csv",
            "epoch,step,lr,train_loss,train_accuracy,eval_accuracy,images_per_second,seconds\n\
             1,7,0.001,1.30,0.30,0.35,1700.0,0.25\n2,14,0.0005,1.10,0.45,0.50,1750.0,0.50\n"
                .to_string(),
        ),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

/// The PNG's size, and whether anything but white was drawn.
fn png_drawn(path: &Path) -> ((u32, u32), bool) {
    let image = image::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .to_rgb8();
    let drawn = image.pixels().filter(|p| p.0 != [255, 255, 255]).count();
    (image.dimensions(), drawn > 1000)
}

#[test]
fn a_finished_run_gets_every_figure_and_a_summary_linking_them() {
    let dir = temp_dir("full");
    small_run(&dir);
    let written = report::write(&dir).unwrap();
    let out = dir.join("report");
    for stem in [
        "search-stage-1",
        "search-stage-2",
        "pareto-stage-1",
        "pareto-stage-2",
        "arch-found",
        "arch-baseline",
        "arch-chosen-stage-1",
        "training-stage1-supernet",
        "training-final",
    ] {
        let svg = std::fs::read_to_string(out.join(format!("{stem}.svg")))
            .unwrap_or_else(|e| panic!("{stem}.svg: {e}"));
        let document =
            roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{stem}.svg: {e}"));
        assert_eq!(document.root_element().tag_name().name(), "svg");
        let count = |tag: &str| {
            document
                .descendants()
                .filter(|n| n.tag_name().name() == tag)
                .count()
        };
        assert!(count("text") >= 3, "{stem}.svg has no labels");
        let marks = count("rect") + count("circle") + count("polyline") + count("path");
        assert!(marks >= 5, "{stem}.svg draws nothing ({marks} marks)");
        let (size, drawn) = png_drawn(&out.join(format!("{stem}.png")));
        assert!(
            size.0 >= 400 && size.1 >= 200 && drawn,
            "{stem}.png {size:?}"
        );
        assert!(written.files.contains(&out.join(format!("{stem}.png"))));
    }
    let svg = std::fs::read_to_string(out.join("pareto-stage-1.svg")).unwrap();
    assert!(
        svg.contains("Pareto front (2)") && svg.contains("chosen"),
        "{svg}"
    );
    let summary = std::fs::read_to_string(&written.summary).unwrap();
    for expected in [
        "# Run report: `scripts/glit_search.rhai`",
        "| found |",
        "`M1/2(qk4,k3,e1,f2) L3(k3,e1,f2)` (chosen)",
        "![Score against MFLOPs, stage 2](pareto-stage-2.svg)",
        "| stage 1 evolution | 4.5 | 14.5 |",
    ] {
        assert!(summary.contains(expected), "no `{expected}` in\n{summary}");
    }
    assert!(
        written.table.contains("best of stage 2 (2 scored)") && written.table.contains("45.00%"),
        "{}",
        written.table
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_pareto_front_keeps_only_undominated_candidates_cheapest_first() {
    let dir = temp_dir("front");
    small_run(&dir);
    let record = report::run_files::RunRecord::read(&dir).unwrap();
    let stage1 = record.stage("1");
    let front: Vec<&str> = report::plots::front(&stage1)
        .into_iter()
        .map(|i| stage1[i].arch.as_str())
        .collect();
    // (0.030, 0.20) and (0.035, 0.35) trade off; (0.050, 0.25) and (0.060, 0.30) are
    // dominated by (0.035, 0.35).
    assert_eq!(
        front,
        [
            "L3(k3,e1,f2) L3(k3,e1,f2)",
            "M1/2(qk4,k3,e1,f2) L3(k3,e1,f2)"
        ]
    );
    let stats = report::plots::generation_stats(&stage1);
    assert_eq!(stats.len(), 2);
    let (generation, best, median, worst, best_so_far) = stats[1];
    assert_eq!(generation, 1);
    assert!((best - 35.0).abs() < 1e-9 && (median - 30.0).abs() < 1e-9);
    assert!((worst - 25.0).abs() < 1e-9 && (best_so_far - 35.0).abs() < 1e-9);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_malformed_file_or_an_empty_folder_is_an_error_naming_it() {
    let dir = temp_dir("bad");
    small_run(&dir);
    std::fs::write(
        dir.join("candidates.csv"),
        "stage,generation,arch,mflops,params,score\n1,0,\"G3(qk4,f2) G3(qk4,f2)\",lots,3000,0.3\n",
    )
    .unwrap();
    let error = report::write(&dir).unwrap_err().to_string();
    assert!(error.contains("candidates.csv:2"), "{error}");
    std::fs::remove_dir_all(&dir).unwrap();

    let empty = temp_dir("empty");
    let error = report::write(&empty).unwrap_err().to_string();
    assert!(error.contains("holds no run"), "{error}");
    std::fs::remove_dir_all(&empty).unwrap();
    let error = report::write(Path::new("/nonexistent/run"))
        .unwrap_err()
        .to_string();
    assert!(error.contains("not a directory"), "{error}");
}

#[test]
fn glit_show_draws_an_architecture_and_prints_its_costs() {
    let dir = temp_dir("show");
    let out = dir.join("tiny");
    let out = out.display().to_string();
    let (ok, stdout, stderr) = glit(&["show", "glit-tiny", "--out", &out]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("total") && stdout.contains("diagram:"),
        "{stdout}"
    );
    let svg = std::fs::read_to_string(dir.join("tiny.svg")).unwrap();
    // 12 blocks of 3 heads: 36 head cells, each labelled.
    let cells = svg
        .lines()
        .filter(|line| *line == "attention" || *line == "conv")
        .count();
    assert_eq!(cells, 36, "head cells in the diagram");
    let (size, drawn) = png_drawn(&dir.join("tiny.png"));
    assert!(size.0 > 1200 && drawn, "{size:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_result_that_is_not_an_architecture_loses_only_its_diagram() {
    let dir = temp_dir("not-arch");
    small_run(&dir);
    std::fs::write(
        dir.join("results.csv"),
        "arch,which\n\"G3(qk4,f4) G3(qk4,f4)\",baseline\nsomething else,odd\n",
    )
    .unwrap();
    let written = report::write(&dir).unwrap();
    assert!(dir.join("report/arch-baseline.svg").is_file());
    assert!(!dir.join("report/arch-odd.svg").exists());
    assert_eq!(written.warnings.len(), 1, "{:?}", written.warnings);
    assert!(
        written.warnings[0].contains("`something else`"),
        "{:?}",
        written.warnings
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
