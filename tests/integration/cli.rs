//! The `glit` binary, run as a user would.

use std::process::Command;

fn glit(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_glit"))
        .args(args)
        .output()
        .expect("the glit binary runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

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
