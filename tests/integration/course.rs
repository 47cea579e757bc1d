//! The course: every lesson's script runs in a fast mode (synthetic data, the nano space),
//! prints what its page says the student will see, and lesson 4's check accepts the
//! reference solution and rejects the unfinished exercise with a message.

use std::path::PathBuf;

use super::fixtures::glit;

/// Settings shrinking each lesson to seconds.
fn fast_mode(lesson: &str) -> Vec<&'static str> {
    let small_data = [
        "data=synthetic",
        "preset=nano",
        "search_split=64",
        "train_images=0",
        "calibration_batches=1",
    ];
    let extra: &[&str] = match lesson {
        "1_spaces" => return vec!["preset=nano"],
        "2_supernet" => &["supernet_epochs=1", "archs=3"],
        "3_evolution" => &[
            "supernet_epochs=1",
            "population=4",
            "generations=2",
            "parents=2",
            "mutations=2",
            "crossovers=1",
        ],
        "4_operator" => &["population=4", "generations=2"],
        "5_glit" => &[
            "test_images=0",
            "population=4",
            "generations=2",
            "final_epochs=1",
        ],
        other => panic!("scripts/course/{other}.rhai has no fast-mode settings here; add them"),
    };
    small_data
        .into_iter()
        .chain(extra.iter().copied())
        .collect()
}

fn run_lesson(lesson: &str, extra: &[&str]) -> (bool, String, String) {
    let out = std::env::temp_dir().join(format!("glit-course-{lesson}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let mut args = vec![
        "run".to_string(),
        format!("scripts/course/{lesson}.rhai"),
        "--quiet".into(),
        "--out".into(),
        out.display().to_string(),
    ];
    for set in fast_mode(lesson).iter().chain(extra) {
        args.extend(["--set".to_string(), set.to_string()]);
    }
    let result = glit(&args);
    let _ = std::fs::remove_dir_all(&out);
    result
}

fn lessons() -> Vec<String> {
    let mut lessons: Vec<String> = std::fs::read_dir("scripts/course")
        .unwrap()
        .filter_map(|e| {
            let path = e.unwrap().path();
            let stem = path.file_stem()?.to_str()?.to_string();
            let numbered = stem.starts_with(|c: char| c.is_ascii_digit());
            (path.extension()? == "rhai" && numbered).then_some(stem)
        })
        .collect();
    lessons.sort();
    lessons
}

#[test]
fn every_lesson_runs_and_prints_what_its_page_promises() {
    let lessons = lessons();
    assert_eq!(lessons.len(), 5, "{lessons:?}");
    for lesson in &lessons {
        let extra: &[&str] = if lesson == "4_operator" {
            &["solution=true"]
        } else {
            &[]
        };
        let (ok, stdout, stderr) = run_lesson(lesson, extra);
        assert!(ok, "{lesson}: {stderr}\n{stdout}");
        let promised = match lesson.as_str() {
            "1_spaces" => "distinct networks",
            "2_supernet" => "rank agreement between the two",
            "3_evolution" => "budget: ",
            "4_operator" => "check passed: 200 mutations",
            "5_glit" => "global heads: ",
            other => panic!("{other}"),
        };
        assert!(stdout.contains(promised), "{lesson}: {stdout}");
    }
}

#[test]
fn every_lesson_has_a_page_that_names_its_script() {
    for lesson in lessons() {
        let number = &lesson[..1];
        let page: PathBuf = std::fs::read_dir("docs/course")
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(number) && n.ends_with(".md"))
            })
            .unwrap_or_else(|| panic!("no docs/course/{number}-*.md for {lesson}"));
        let text = std::fs::read_to_string(&page).unwrap();
        assert!(
            text.contains(&format!("scripts/course/{lesson}.rhai")),
            "{} does not name scripts/course/{lesson}.rhai",
            page.display()
        );
        assert!(text.contains("What you should see"), "{}", page.display());
    }
}

#[test]
fn the_unfinished_exercise_fails_the_check_with_a_reason() {
    let (ok, stdout, stderr) = run_lesson("4_operator", &[]);
    assert!(!ok, "the shipped exercise should fail its check: {stdout}");
    assert!(
        stderr.contains("stdlib/course.rhai") && stderr.contains("your mutation"),
        "{stderr}"
    );
}
