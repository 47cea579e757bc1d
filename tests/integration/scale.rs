//! Scaling out: the main job (fast mode) scored by workers beside it, by several devices in
//! one process, and by an outside engine through `glit ask` / `glit evaluate` / `glit tell`,
//! must end exactly as one process alone does: every score, candidates.csv, the stage
//! choices and the results.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use super::faults::{job_args, outcome, Outcome};
use super::fixtures::glit;
use super::script_runs::{read, temp_dir};

/// The main job in fast mode, alone, in `dir`.
fn single(dir: &Path) -> Outcome {
    single_with(dir, &[])
}

/// The main job in fast mode with `extra` arguments, alone, in `dir`.
fn single_with(dir: &Path, extra: &[&str]) -> Outcome {
    let _ = std::fs::remove_dir_all(dir);
    let mut args = job_args(dir);
    args.extend(extra.iter().map(|s| s.to_string()));
    let (ok, _, stderr) = glit(&args);
    assert!(ok, "{stderr}");
    outcome(dir)
}

/// `glit worker` on `dir`, started now (it waits for the run to begin).
fn worker(dir: &Path, env: &[(&str, &str)]) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_glit"));
    command
        .args(["worker", "--quiet", "--idle-exit", "300"])
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    command.spawn().expect("glit worker starts")
}

/// The processes that held the run's leases.
fn lease_holders(dir: &Path) -> BTreeSet<u64> {
    read(&dir.join("journal.jsonl"))
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line.split_once(' ')?.1).ok())
        .filter(|e| e["key"].as_str().is_some_and(|k| k.starts_with("lease-")))
        .filter_map(|e| e["value"]["holder"]["pid"].as_u64())
        .collect()
}

/// Runs the job in `dir` with `extra` arguments while `workers` run beside it; returns its
/// outcome once the run and every worker have ended.
fn with_workers(dir: &Path, extra: &[&str], workers: Vec<Child>) -> Outcome {
    let mut args = job_args(dir);
    args.extend(extra.iter().map(|s| s.to_string()));
    let (ok, _, stderr) = glit(&args);
    assert!(ok, "{stderr}");
    for child in workers {
        let output = child.wait_with_output().unwrap();
        // A worker killed on purpose dies of SIGKILL; the others stop when the run ends.
        if output.status.code().is_some() {
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
    outcome(dir)
}

#[test]
fn workers_devices_and_an_outside_engine_score_as_one_process_does() {
    // Generations of 12 with a 128-image search split: enough scoring per generation that
    // workers polling every 50 ms find candidates left (with 4 the run could score a whole
    // generation before a worker's first look, and the test failed now and then).
    let more = ["--set", "population=12", "--set", "search_split=128"];
    let single_dir = temp_dir("scale-single");
    let reference = single_with(&single_dir, &more);
    assert!(
        reference
            .journal
            .keys()
            .filter(|k| k.starts_with("score-"))
            .count()
            > 10
    );

    // Two workers beside a run that scores too.
    let dir = temp_dir("scale-two-workers");
    let _ = std::fs::remove_dir_all(&dir);
    let workers = vec![worker(&dir, &[]), worker(&dir, &[])];
    assert_eq!(
        with_workers(&dir, &more, workers),
        reference,
        "two workers beside the run"
    );
    assert!(
        lease_holders(&dir).len() >= 2,
        "the workers scored some candidates"
    );

    // A run that scores nothing itself; one worker dies (SIGKILL) after its first score,
    // before recording it, and the other takes its candidate over.
    let dir = temp_dir("scale-delegated");
    let _ = std::fs::remove_dir_all(&dir);
    let workers = vec![
        worker(&dir, &[(glit::kill_point::VARIABLE, "score:1")]),
        worker(&dir, &[]),
    ];
    assert_eq!(
        with_workers(&dir, &[&more[..], &["--delegate"]].concat(), workers),
        reference,
        "a dead worker"
    );
    let holders = lease_holders(&dir);
    assert_eq!(holders.len(), 2, "only the two workers scored: {holders:?}");

    // Two devices in one process (two CPU replicas here). Two devices also train data-
    // parallel, which matches one device only within a tolerance; so the trainings are
    // replayed from a copy of the single run's journal and only the scores are computed
    // again, two at a time.
    let dir = temp_dir("scale-two-devices");
    let _ = std::fs::remove_dir_all(&dir);
    let copied = Command::new("cp")
        .arg("-r")
        .arg(&single_dir)
        .arg(&dir)
        .status();
    assert!(copied.unwrap().success());
    let journal = dir.join("journal.jsonl");
    let kept: String = read(&journal)
        .lines()
        .filter(|line| {
            !["score-", "task-", "lease-", "run-finished", "run-attempt-"]
                .iter()
                .any(|k| line.contains(&format!("{{\"key\":\"{k}")))
        })
        .map(|line| format!("{line}\n"))
        .collect();
    std::fs::write(&journal, kept).unwrap();
    let resume = ["run", "--quiet", "--device", "cpu,cpu", "--resume"];
    let (ok, _, stderr) = glit(&[&resume[..], &[dir.to_str().unwrap()]].concat());
    assert!(ok, "{stderr}");
    assert_eq!(outcome(&dir), reference, "cpu,cpu");
    let holders = lease_holders(&dir);
    assert_eq!(holders.len(), 1, "the run scored alone: {holders:?}");
    for dir in [
        "scale-single",
        "scale-two-workers",
        "scale-delegated",
        "scale-two-devices",
    ] {
        let _ = std::fs::remove_dir_all(temp_dir(dir));
    }
}

/// Drives the run in `dir` as an outside engine would: ask for a candidate, evaluate it,
/// tell its score, until the run has finished. Returns how many it told.
fn drive_by_ask_and_tell(dir: &Path) -> usize {
    let mut told = 0;
    loop {
        let (ok, out, err) = glit(&[
            "ask".as_ref(),
            dir.as_os_str(),
            "--wait".as_ref(),
            "2".as_ref(),
        ]);
        assert!(ok, "{err}");
        let asked: Value = serde_json::from_str(&out).expect("ask prints JSON");
        let tasks = asked["tasks"].as_array().expect("a list of tasks");
        if tasks.is_empty() && asked["finished"] == Value::Bool(true) {
            return told;
        }
        for task in tasks {
            let key = task["task"].as_str().unwrap();
            let (ok, score, err) = glit(&["evaluate".as_ref(), dir.as_os_str(), key.as_ref()]);
            assert!(ok, "{err}");
            let arch = task["arch"].as_str().unwrap();
            // Told by architecture (the compact form), as a person would.
            let (ok, out, err) = glit(&[
                "tell".as_ref(),
                dir.as_os_str(),
                arch.as_ref(),
                score.trim().as_ref(),
            ]);
            assert!(ok && out.starts_with("recorded"), "{out}{err}");
            told += 1;
        }
    }
}

/// The job started in `dir` with `--delegate`: it scores nothing and waits for others.
fn delegated_run(dir: &Path) -> Child {
    let _ = std::fs::remove_dir_all(dir);
    let mut args = job_args(dir);
    args.push("--delegate".into());
    Command::new(env!("CARGO_BIN_EXE_glit"))
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn an_outside_engine_drives_a_run_with_ask_and_tell() {
    let reference = single(&temp_dir("ask-single"));
    let dir = temp_dir("ask-driven");
    let run = delegated_run(&dir);
    while !dir.join("journal.jsonl").exists() {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let told = drive_by_ask_and_tell(&dir);
    let output = run.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let scores = reference
        .journal
        .keys()
        .filter(|k| k.starts_with("score-"))
        .count();
    assert_eq!(told, scores, "every candidate went through ask and tell");
    assert_eq!(outcome(&dir), reference);

    // Telling a candidate nobody asked for, or a non-number, is a clear error.
    let (ok, _, err) = glit(&[
        "tell".as_ref(),
        dir.as_os_str(),
        "G3(qk4,f2) G3(qk4,f2)".as_ref(),
        "0.5".as_ref(),
    ]);
    assert!(!ok && err.contains("no open task"), "{err}");
    let (ok, _, err) = glit(&[
        "tell".as_ref(),
        dir.as_os_str(),
        "x".as_ref(),
        "high".as_ref(),
    ]);
    assert!(!ok && err.contains("`high` is not a number"), "{err}");
    for name in ["ask-single", "ask-driven"] {
        let _ = std::fs::remove_dir_all(temp_dir(name));
    }
}

/// The Optuna example, run when `optuna` imports (CI tries `pip install optuna`).
#[test]
fn the_optuna_example_drives_a_run() {
    let has_optuna = Command::new("python3")
        .args(["-c", "import optuna"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_optuna {
        eprintln!("skipped: optuna is not installed (pip install optuna), so examples/optuna_ask_tell.py was not run");
        return;
    }
    let reference = single(&temp_dir("optuna-single"));
    let dir = temp_dir("optuna-driven");
    let run = delegated_run(&dir);
    let example = Command::new("python3")
        .arg("examples/optuna_ask_tell.py")
        .arg(&dir)
        .args(["--glit", env!("CARGO_BIN_EXE_glit"), "--jobs", "2"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&example.stdout);
    assert!(
        example.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&example.stderr)
    );
    let output = run.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(outcome(&dir), reference);
    let scores = reference
        .journal
        .keys()
        .filter(|k| k.starts_with("score-"))
        .count();
    assert!(stdout.contains(&format!("{scores} trials")), "{stdout}");
    for name in ["optuna-single", "optuna-driven"] {
        let _ = std::fs::remove_dir_all(temp_dir(name));
    }
}
