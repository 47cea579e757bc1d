//! A run that stops without finishing tells the processes sharing its journal: workers and
//! `glit ask` stop with the reason instead of waiting forever; leases say in `ask`'s output
//! what the journal says.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use glit::scale::board;
use glit::scale::lease::Holder;
use glit::scale::run_status::{self, RunState};
use glit::search::Journal;

use crate::fixtures::glit;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("glit-stops-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `glit worker DIR` and `glit ask DIR --wait 60`: both must return within seconds.
fn worker_and_ask(dir: &Path) -> ((bool, String), serde_json::Value) {
    let started = Instant::now();
    let (ok, _, err) = glit(&[
        "worker".as_ref(),
        dir.as_os_str(),
        "--lease-timeout".as_ref(),
        "60".as_ref(),
    ]);
    let (asked, out, ask_err) = glit(&[
        "ask".as_ref(),
        dir.as_os_str(),
        "--wait".as_ref(),
        "60".as_ref(),
    ]);
    assert!(asked, "{ask_err}");
    let seconds = started.elapsed().as_secs_f64();
    assert!(seconds < 20.0, "they waited {seconds:.0} s");
    ((ok, err), serde_json::from_str(&out).unwrap())
}

#[test]
fn a_run_that_fails_stops_its_workers_and_ask_with_its_error() {
    let dir = temp_dir("failed");
    let script = dir.join("fails.rhai");
    std::fs::write(
        &script,
        "let p = params(#{ n: 1 });\nthrow `boom ${p.n}`;\n",
    )
    .unwrap();
    let run = dir.join("run");
    let (ok, _, err) = glit(&[
        "run".as_ref(),
        script.as_os_str(),
        "--out".as_ref(),
        run.as_os_str(),
        "--quiet".as_ref(),
    ]);
    assert!(!ok && err.contains("boom 1"), "{err}");
    let journal = Journal::join(&run.join("journal.jsonl")).unwrap();
    assert!(matches!(run_status::state(&journal), RunState::Failed(e) if e.contains("boom 1")));
    let ((ok, err), asked) = worker_and_ask(&run);
    assert!(
        !ok && err.contains("stopped with an error") && err.contains("boom 1"),
        "{err}"
    );
    assert!(err.contains("glit run --resume"), "{err}");
    assert_eq!(asked["finished"], false);
    assert!(
        asked["stopped"].as_str().unwrap().contains("boom 1"),
        "{asked}"
    );

    // Resumed, the run is a new attempt: no longer failed while it runs.
    std::fs::write(&script, "let p = params(#{ n: 1 });\nprint(p.n);\n").unwrap();
    std::fs::copy(&script, run.join("script.rhai")).unwrap();
    let (ok, _, err) = glit(&[
        "run".as_ref(),
        "--resume".as_ref(),
        run.as_os_str(),
        "--quiet".as_ref(),
    ]);
    assert!(ok, "{err}");
    let journal = Journal::join(&run.join("journal.jsonl")).unwrap();
    assert_eq!(run_status::state(&journal), RunState::Finished);
}

#[test]
fn a_run_killed_on_this_machine_stops_its_workers() {
    let dir = temp_dir("killed");
    let path = dir.join("journal.jsonl");
    let (mut journal, _) = Journal::open(&path).unwrap();
    // A process that has ended: its pid, with this machine's name.
    let mut child = Command::new("true").spawn().unwrap();
    child.wait().unwrap();
    let dead = Holder {
        pid: child.id(),
        nonce: 7,
        ..Holder::this_process()
    };
    journal
        .put(
            "run-attempt-1",
            serde_json::json!({ "holder": dead, "started": 0.0 }),
        )
        .unwrap();
    assert!(matches!(run_status::state(&journal), RunState::Gone(_)));
    let ((ok, err), asked) = worker_and_ask(&dir);
    assert!(!ok && err.contains("ended without finishing"), "{err}");
    assert!(
        asked["stopped"].as_str().unwrap().contains("killed"),
        "{asked}"
    );
}

#[test]
fn ask_prints_the_lease_its_journal_line_holds() {
    let dir = temp_dir("lease");
    let path = dir.join("journal.jsonl");
    let (mut journal, _) = Journal::open(&path).unwrap();
    run_status::begin_attempt(&mut journal).unwrap();
    let task = board::ScoreTask {
        key: "score-x".into(),
        net: "nets/x.safetensors".into(),
        data: glit::data::DataRequest::default(),
        data_id: "d".into(),
        config: glit::train::ScoreConfig::default(),
        arch: "G3(qk4,f2)".parse().unwrap(),
    };
    board::post(&mut journal, &task).unwrap();
    let (ok, out, err) = glit(&[
        "ask".as_ref(),
        dir.as_os_str(),
        "--lease-timeout".as_ref(),
        "90".as_ref(),
    ]);
    assert!(ok, "{err}");
    let asked: serde_json::Value = serde_json::from_str(&out).unwrap();
    let until = asked["tasks"][0]["lease_until"].as_f64().unwrap();
    journal.refresh().unwrap();
    let line = journal.get("lease-score-x-1").unwrap();
    assert_eq!(line["until"].as_f64().unwrap(), until, "{out}");
    assert!(asked["stopped"].is_null(), "{asked}");
}
