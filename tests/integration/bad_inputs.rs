//! The bad-input corpus (`tests/bad-inputs/`, described by its `cases.json`): every case
//! ends in a clear error that names its cause, exit code 1, no panic, and whatever the run
//! had already written stays whole.

use std::path::{Path, PathBuf};

use serde_json::Value;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-inputs")
}

/// The command line of `case`, with `{corpus}` and `{out}` filled in.
fn command_of(case: &Value, out: &Path) -> Vec<String> {
    let strings = |key: &str| -> Vec<String> {
        case[key].as_array().map_or(Vec::new(), |items| {
            items
                .iter()
                .map(|s| s.as_str().expect("strings").to_string())
                .collect()
        })
    };
    let mut args = if let Some(data) = case["data"].as_str() {
        let data = format!("{{corpus}}/{data}");
        [
            "train",
            "--data",
            &data,
            "--preset",
            "nano",
            "--search-split",
            "2",
            "--quiet",
            "--out",
            "{out}",
            "--set",
            "epochs=1",
            "--set",
            "batch_size=2",
        ]
        .map(String::from)
        .to_vec()
    } else if let Some(script) = case["script"].as_str() {
        let script = format!("{{corpus}}/{script}");
        ["run", &script, "--quiet", "--out", "{out}"]
            .map(String::from)
            .to_vec()
    } else {
        Vec::new()
    };
    args.extend(strings("args"));
    let corpus = corpus().display().to_string();
    let out = out.display().to_string();
    args.iter()
        .map(|a| a.replace("{corpus}", &corpus).replace("{out}", &out))
        .collect()
}

/// What one run of glit did: its exit code, its standard error, its wall time and its
/// peak resident memory.
struct Outcome {
    code: Option<i32>,
    stderr: String,
    seconds: f64,
    peak_mib: u64,
}

/// Runs glit with `args`, its output going to files beside `out`, and measures it.
fn run_glit(args: &[String], out: &Path) -> Outcome {
    let err_file = out.with_extension("stderr");
    let started = std::time::Instant::now();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_glit"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&err_file).expect("a file for standard error"))
        .spawn()
        .expect("glit runs");
    let (code, peak_mib) = wait_measured(&mut child);
    let stderr = std::fs::read_to_string(&err_file).unwrap_or_default();
    let _ = std::fs::remove_file(&err_file);
    Outcome {
        code,
        stderr,
        seconds: started.elapsed().as_secs_f64(),
        peak_mib,
    }
}

/// Waits for `child`; its exit code and its peak resident set in MiB (from `wait4`).
#[cfg(target_os = "linux")]
fn wait_measured(child: &mut std::process::Child) -> (Option<i32>, u64) {
    let mut status = 0;
    // SAFETY: an all-zero `rusage` is a valid value of the plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `wait4` reaps our own child once, writing into the two locals it is given.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32, "wait4 reaps glit");
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    (code, usage.ru_maxrss as u64 / 1024)
}

/// Waits for `child`; its exit code (no memory figure on this platform).
#[cfg(not(target_os = "linux"))]
fn wait_measured(child: &mut std::process::Child) -> (Option<i32>, u64) {
    (child.wait().expect("glit ends").code(), 0)
}

/// Runs one case; returns what was wrong with the outcome, if anything.
fn check(case: &Value, out: &Path) -> Option<String> {
    let _ = std::fs::remove_dir_all(out);
    let args = command_of(case, out);
    let Outcome {
        code,
        stderr,
        seconds,
        peak_mib,
    } = run_glit(&args, out);
    let name = args.join(" ");
    if case["max_seconds"].is_number() || case["max_rss_mib"].is_number() {
        // The figures behind the bounds, for `cargo test -- --nocapture`.
        println!("{name}: {seconds:.2} s, peak {peak_mib} MiB");
    }
    if stderr.contains("panicked") || stderr.contains("RUST_BACKTRACE") {
        return Some(format!("{name}: panicked:\n{stderr}"));
    }
    if let Some(limit) = case["max_seconds"]
        .as_f64()
        .filter(|limit| seconds > *limit)
    {
        return Some(format!("{name}: took {seconds:.1} s, more than {limit} s"));
    }
    if let Some(limit) = case["max_rss_mib"]
        .as_u64()
        .filter(|limit| peak_mib > *limit)
    {
        return Some(format!(
            "{name}: peaked at {peak_mib} MiB, more than {limit} MiB"
        ));
    }
    if case["ok"].as_bool() == Some(true) {
        return (code != Some(0)).then(|| format!("{name}: failed:\n{stderr}"));
    }
    if code != Some(1) {
        return Some(format!("{name}: exit {code:?}, expected 1:\n{stderr}"));
    }
    let expected = case["error"].as_array().expect("an `error` list");
    let missing: Vec<&str> = expected
        .iter()
        .filter_map(|text| text.as_str())
        .filter(|text| !stderr.contains(text))
        .collect();
    if !missing.is_empty() {
        return Some(format!("{name}: the error lacks {missing:?}:\n{stderr}"));
    }
    let kept = case["keeps"].as_array().into_iter().flatten();
    for prefix in kept.filter_map(Value::as_str) {
        if let Some(problem) = kept_whole(out, prefix) {
            return Some(format!("{name}: {problem}"));
        }
    }
    None
}

/// Whether a file whose path in `out` starts with `prefix` survived the failure whole.
fn kept_whole(out: &Path, prefix: &str) -> Option<String> {
    let path = out.join(prefix);
    let (folder, start) = (path.parent()?, path.file_name()?.to_string_lossy());
    let found = std::fs::read_dir(folder).ok()?.flatten().find(|entry| {
        let name = entry.file_name().to_string_lossy().into_owned();
        name.starts_with(start.as_ref())
    });
    let Some(found) = found else {
        return Some(format!("nothing like {prefix} was kept"));
    };
    if prefix == "journal.jsonl" {
        let (journal, dropped) = glit::search::Journal::open(&found.path()).ok()?;
        if !dropped.is_empty() || journal.len() < 4 {
            return Some(format!(
                "the journal lost entries: {dropped:?}, {}",
                journal.len()
            ));
        }
    }
    None
}

#[test]
fn every_bad_input_in_the_corpus_gets_its_clear_error() {
    let text = std::fs::read_to_string(corpus().join("cases.json")).unwrap();
    let cases: Value = serde_json::from_str(&text).unwrap();
    let cases = cases["cases"].as_array().unwrap();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let out = std::env::temp_dir().join(format!("glit-bad-input-{}", std::process::id()));
    let failures: Vec<String> = cases.iter().filter_map(|case| check(case, &out)).collect();
    let _ = std::fs::remove_dir_all(&out);
    assert!(
        !Path::new("/tmp/glit-escaped.csv").exists(),
        "a script wrote outside its run directory"
    );
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

#[test]
fn errors_from_namespaced_bindings_name_the_line_and_column() {
    let dir = std::env::temp_dir().join(format!("glit-positions-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("not-data").join("only-class")).unwrap();
    let prelude = "let data = data::open(\"synthetic\", #{ search_split: 64 });\n\
                   let space = space::glit(\"nano\", data);\n\
                   let net = supernet::create(space);\n";
    let cases = [
        (
            format!("let d = data::open(\"{}\");\n", dir.join("not-data").display()),
            ":1:",
            "at least two class folders",
        ),
        (
            format!("{prelude}let h = train::spos(net, data, #{{ epochs: -3 }});\n"),
            ":4:",
            "`epochs`: must be a whole number ≥ 0, got -3",
        ),
        (
            format!("{prelude}let h = train::spos(net, data, #{{ batch_size: 0 }});\n"),
            ":4:",
            "`batch_size`: must be a whole number ≥ 1, got 0",
        ),
        (
            format!("{prelude}let a = space::preset(\"paper-tiny\").baseline();\nprint(space.mflops(a));\n"),
            ":5:",
            "not in the space",
        ),
    ];
    for (index, (source, line, message)) in cases.iter().enumerate() {
        let script = dir.join(format!("case{index}.rhai"));
        std::fs::write(&script, source).unwrap();
        let out = dir.join(format!("run{index}"));
        let (ok, _, err) = crate::fixtures::glit(&[
            "run".as_ref(),
            script.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
            "--quiet".as_ref(),
        ]);
        let place = format!("case{index}.rhai{line}");
        assert!(!ok, "case {index} must fail:\n{source}");
        assert!(
            err.contains(&place) && err.contains(message),
            "case {index}: {err}"
        );
    }
}
