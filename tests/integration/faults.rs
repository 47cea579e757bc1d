//! Kill and resume: a real `glit run` of the main job (its fast mode, two SPOS epochs per
//! stage so checkpoints are replaced) is killed with SIGKILL, resumed with `--resume`, and
//! compared with an uninterrupted run of the same seed: every recorded score, every training
//! and retraining result, the stage choices and the final best arch.
//!
//! The kills land at named points (half-way through a checkpoint's temporary file, between a
//! checkpoint's two renames, half-way through a journal line, after a training step, after a
//! score, between generations: see `glit::kill_point`) and at random moments. `cargo test`
//! runs a few; the soak runs as many as `GLIT_SOAK_KILLS` says (20 by default):
//!
//! ```text
//! cargo test --release --test integration kill_and_resume_soak -- --ignored --nocapture
//! ```

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use glit::kill_point;
use rand::RngExt;
use serde_json::Value;

use super::fixtures::glit;
use super::script_runs::{fast_mode, read, temp_dir};

/// Where one kill lands.
#[derive(Clone, Debug)]
enum Kill {
    /// The N-th time the process reaches a named point.
    At(&'static str, u64),
    /// This long after the process starts.
    After(Duration),
}

/// The main job in its fast mode, with two supernet epochs per stage.
pub fn job_args(out: &Path) -> Vec<String> {
    let mut args: Vec<String> = ["run", "scripts/glit_search.rhai", "--quiet", "--out"]
        .map(String::from)
        .to_vec();
    args.push(out.display().to_string());
    for set in fast_mode("glit_search") {
        let set = if set.starts_with("supernet_epochs=") {
            "supernet_epochs=2"
        } else {
            set
        };
        args.extend(["--set".to_string(), set.to_string()]);
    }
    args
}

/// What a run recorded that must not depend on kills.
#[derive(Debug, PartialEq)]
pub struct Outcome {
    /// Journal entries by key, without timings.
    pub journal: BTreeMap<String, Value>,
    /// The result files, whole.
    files: BTreeMap<&'static str, String>,
}

pub fn outcome(dir: &Path) -> Outcome {
    let mut journal = BTreeMap::new();
    for line in read(&dir.join("journal.jsonl")).lines() {
        let (_, json) = line.split_once(' ').expect("CHECKSUM JSON");
        let entry: Value = serde_json::from_str(json).expect("a whole journal line");
        let key = entry["key"].as_str().expect("a key").to_string();
        // Leases and a run's attempts name processes and moments; a killed run's lease is
        // followed by another, and a resumed run records another attempt.
        if key.starts_with("lease-") || key.starts_with("run-attempt-") {
            continue;
        }
        let previous = journal.insert(key.clone(), without_timings(&entry["value"]));
        assert!(
            previous.is_none(),
            "{key} recorded twice in {}",
            dir.display()
        );
    }
    let files = ["candidates.csv", "chosen.csv", "results.csv"]
        .into_iter()
        .map(|name| (name, read(&dir.join(name))))
        .collect();
    Outcome { journal, files }
}

/// `value` without wall-clock figures, which differ between any two runs.
fn without_timings(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !matches!(k.as_str(), "seconds" | "images_per_second"))
                .map(|(k, v)| (k.clone(), without_timings(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_timings).collect()),
        other => other.clone(),
    }
}

/// Starts the job (fresh, or resuming `dir`) and kills it as `kill` says. Returns `Ok` when
/// it died of SIGKILL, and what became of it otherwise (it finished first, or failed).
fn start_and_kill(dir: &Path, resume: bool, kill: &Kill) -> Result<(), String> {
    let args = if resume {
        ["run", "--quiet", "--resume"]
            .map(String::from)
            .into_iter()
            .chain([dir.display().to_string()])
            .collect()
    } else {
        job_args(dir)
    };
    let mut command = Command::new(env!("CARGO_BIN_EXE_glit"));
    command
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Kill::At(point, count) = kill {
        command.env(kill_point::VARIABLE, format!("{point}:{count}"));
    }
    let mut child = command.spawn().expect("glit starts");
    if let Kill::After(delay) = kill {
        let started = Instant::now();
        while started.elapsed() < *delay && child.try_wait().unwrap().is_none() {
            std::thread::sleep(Duration::from_millis(2));
        }
        let _ = child.kill(); // SIGKILL: no cleanup runs
    }
    let output = child.wait_with_output().unwrap();
    match output.status.signal() {
        Some(libc::SIGKILL) => Ok(()),
        _ => Err(format!(
            "{kill:?} never happened: the run ended first ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )),
    }
}

/// Runs the job into `dir` with `kills` in turn (each kill hits a fresh process: the first
/// run, then each resume), resumes to the end, and compares with `reference`. Returns the
/// mismatch or the resume's failure, if any.
fn killed_and_resumed(dir: &Path, kills: &[Kill], reference: &Outcome) -> Result<(), String> {
    let _ = std::fs::remove_dir_all(dir);
    for (i, kill) in kills.iter().enumerate() {
        start_and_kill(dir, i > 0, kill)?;
    }
    let (ok, _, stderr) = glit(&[
        "run".into(),
        "--resume".into(),
        dir.display().to_string(),
        "--quiet".into(),
    ]);
    if !ok {
        return Err(format!("the resume failed after {kills:?}: {stderr}"));
    }
    let resumed = outcome(dir);
    if resumed != *reference {
        return Err(format!(
            "after {kills:?}, the resumed run differs:\n{resumed:#?}\nfrom\n{reference:#?}"
        ));
    }
    Ok(())
}

/// An uninterrupted run: its outcome, its wall time, and how often it reached each point.
struct Reference {
    outcome: Outcome,
    took: Duration,
    counts: BTreeMap<&'static str, u64>,
}

fn reference_run(name: &str) -> Reference {
    let dir = temp_dir(name);
    let started = Instant::now();
    let (ok, _, stderr) = glit(&job_args(&dir));
    let took = started.elapsed();
    assert!(ok, "{stderr}");
    let reference = Reference {
        outcome: outcome(&dir),
        took,
        counts: reach_counts(&dir),
    };
    std::fs::remove_dir_all(&dir).unwrap();
    reference
}

#[test]
fn a_run_killed_anywhere_resumes_to_the_same_scores_and_best_arch() {
    let Reference {
        outcome: reference,
        took,
        ..
    } = reference_run("kill-reference");
    assert!(reference.journal.len() > 10, "{reference:#?}");
    let mut stream = glit::rng::seeded(7);
    let random_moment = Duration::from_secs_f64(took.as_secs_f64() * stream.random_range(0.1..0.9));
    let cases = [
        vec![Kill::At("checkpoint-write", 2)],
        vec![Kill::At("checkpoint-rotate", 1)],
        vec![Kill::At("train-step", 10)],
        vec![Kill::At("score", 5)],
        vec![Kill::At("journal-write", 6)],
        vec![Kill::At("generation", 2)],
        // Killed, resumed, killed again mid-resume.
        vec![Kill::At("score", 3), Kill::At("checkpoint-write", 3)],
        vec![Kill::After(random_moment)],
    ];
    let dir = temp_dir("killed");
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|kills| killed_and_resumed(&dir, kills, &reference).err())
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        failures.is_empty(),
        "{} of {} kill cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// How often each point is reached in a whole run, from its files: a kill's count is drawn
/// below it so that the kill happens.
fn reach_counts(dir: &Path) -> BTreeMap<&'static str, u64> {
    let mut epochs = 0;
    let mut trainings = 0;
    let mut steps = 0;
    for entry in std::fs::read_dir(dir.join("metrics")).unwrap() {
        let text = read(&entry.unwrap().path());
        let rows: Vec<&str> = text.lines().skip(1).collect();
        epochs += rows.len() as u64;
        trainings += 1;
        let last_step = rows.last().and_then(|r| r.split(',').nth(1)).unwrap();
        steps += last_step.parse::<u64>().unwrap();
    }
    let journal = read(&dir.join("journal.jsonl"));
    let scores = journal.matches("\"key\":\"score-").count() as u64;
    let candidates = read(&dir.join("candidates.csv"));
    let generations = candidates
        .lines()
        .skip(1)
        .map(|row| row.split(',').take(2).collect::<Vec<_>>().join(","))
        .collect::<std::collections::BTreeSet<_>>()
        .len() as u64;
    BTreeMap::from([
        ("train-step", steps),
        ("score", scores),
        ("generation", generations),
        ("checkpoint-write", epochs),
        ("checkpoint-rotate", epochs - trainings),
        ("journal-write", journal.lines().count() as u64),
    ])
}

#[test]
#[ignore = "soak: GLIT_SOAK_KILLS kill points (20 by default); run with --ignored --release"]
fn kill_and_resume_soak() {
    let kills: usize = std::env::var("GLIT_SOAK_KILLS").map_or(20, |n| n.parse().unwrap());
    let Reference {
        outcome: reference,
        took,
        counts,
    } = reference_run("soak-reference");
    println!(
        "reference run: {:.2} s; points reached: {counts:?}",
        took.as_secs_f64()
    );

    let mut stream = glit::rng::seeded(2026);
    let dir = temp_dir("soak");
    let mut matched = 0;
    let mut failures = Vec::new();
    for i in 0..kills {
        // Each kind of kill equally often; a named point at a random count below its total.
        let kind = stream.random_range(0..=kill_point::POINTS.len());
        let kill = match kill_point::POINTS.get(kind) {
            Some(&point) => Kill::At(point, stream.random_range(1..=counts[point])),
            None => Kill::After(took.mul_f64(stream.random_range(0.05..0.95))),
        };
        match killed_and_resumed(&dir, std::slice::from_ref(&kill), &reference) {
            Ok(()) => {
                matched += 1;
                println!("kill {:2}: {kill:?}: matched", i + 1);
            }
            Err(e) => {
                println!("kill {:2}: {kill:?}: FAILED", i + 1);
                failures.push(e);
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!("{matched} of {kills} kill points resumed to the uninterrupted result");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Runs `glit args` with writes past `kib` KiB failing (RLIMIT_FSIZE: the kernel refuses
/// the write with EFBIG, as a full disk refuses it with ENOSPC). Returns (success, stderr).
fn glit_with_file_limit(kib: u64, args: &[String]) -> (bool, String) {
    let output = Command::new("bash")
        .arg("-c")
        .arg(format!("trap '' XFSZ; ulimit -f {kib}; exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_glit"))
        .args(args)
        .output()
        .expect("bash runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.success(), stderr)
}

#[test]
fn a_write_that_fails_mid_run_is_an_error_naming_the_file_and_keeps_what_was_written() {
    let dir = temp_dir("disk-full");
    // The journal's lines fit; the first supernet checkpoint (weights and moments) does not.
    let (ok, stderr) = glit_with_file_limit(40, &job_args(&dir));
    assert!(!ok);
    assert!(
        stderr.contains("checkpoints/.stage1-supernet-") && stderr.contains("File too large"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let leftovers: Vec<_> = std::fs::read_dir(dir.join("checkpoints"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    for kept in ["run.json", "script.rhai"] {
        assert!(!read(&dir.join(kept)).is_empty(), "{kept} lost");
    }
    // With room again, the same run resumes and finishes.
    let (ok, _, stderr) = glit(&[
        "run".into(),
        "--resume".into(),
        dir.display().to_string(),
        "--quiet".into(),
    ]);
    assert!(ok, "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_full_disk_is_an_error_naming_the_file() {
    // A real ENOSPC needs a small file system; mounting one needs privileges.
    let mount = temp_dir("small-disk");
    std::fs::create_dir_all(&mount).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(&mount)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!(
            "skipped: cannot mount a small tmpfs here (needs root); the EFBIG test covers the path"
        );
        return;
    }
    let out = mount.join("run");
    let (ok, _, stderr) = glit(&job_args(&out));
    let _ = Command::new("umount").arg(&mount).status();
    let _ = std::fs::remove_dir_all(&mount);
    assert!(!ok);
    assert!(
        stderr.contains(&mount.display().to_string()) && stderr.contains("No space left on device"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_diverging_training_stops_naming_the_step_and_arch_and_keeps_the_last_checkpoint() {
    let dir = temp_dir("diverged");
    let (ok, _, stderr) = glit(&[
        "train",
        "--data",
        "synthetic",
        "--preset",
        "nano",
        "--search-split",
        "64",
        "--quiet",
        "--out",
        &dir.display().to_string(),
        "--set",
        "lr=1e30",
        "--set",
        "checkpoint_every_steps=1",
    ]);
    assert!(!ok);
    let message = stderr.trim();
    assert!(
        message.contains("training diverged at step ")
            && message.contains("the loss is NaN on architecture ")
            && message.contains("the last checkpoint is intact"),
        "{message}"
    );
    let step: usize = message
        .split("at step ")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .and_then(|n| n.parse().ok())
        .expect("a step number");
    // The checkpoint is whole (its checksum holds) and from before the failing step.
    let file = glit::train::CheckpointFile::read(&dir.join("checkpoint.safetensors")).unwrap();
    let position: Value = serde_json::from_str(&file.metadata["position"]).unwrap();
    assert!(
        position["step"].as_u64().unwrap() <= step as u64,
        "{position}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
