//! Running a script in a run directory: a fresh run records what it was asked (run.json)
//! and a copy of the script; `--resume` reruns that copy with the same parameters against
//! the run's journal, so finished steps load instead of recomputing and the run ends as an
//! uninterrupted one would.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use burn::DispatchDevice;
use rhai::{Engine, Scope};
use serde::{Deserialize, Serialize};

use super::call_hints::CallShapes;
use super::engine::engine;
use super::errors::{describe, describe_with};
use super::limits::Limits;
use crate::error::{Error, Result};
use crate::run::Run;
use crate::scale::run_status;

/// What `glit run` was asked to do.
pub struct RunRequest {
    /// The script (ignored on resume: the run's own copy is used).
    pub script: PathBuf,
    /// `--set key=value` pairs for `params`.
    pub overrides: Vec<(String, String)>,
    /// The run directory; `None` picks `runs/<script>-<time>`.
    pub out: Option<PathBuf>,
    /// Continue this run directory instead of starting one.
    pub resume: Option<PathBuf>,
    /// The devices networks run on (data-parallel training and scoring use them all).
    pub devices: Vec<DispatchDevice>,
    /// Score no candidate here: leave every score to `glit worker` and `glit tell`.
    pub delegate: bool,
    /// Engine limits.
    pub limits: Limits,
    /// No progress bars or per-epoch lines.
    pub quiet: bool,
}

/// `run.json`: enough to rerun a run exactly.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRecord {
    /// The script as given (its folder resolves imports beside it).
    pub script: PathBuf,
    /// The `--set` overrides.
    pub overrides: Vec<(String, String)>,
    /// The limits the run started with.
    pub limits: Limits,
    /// glit's version.
    pub version: String,
}

/// Where a run's time went (written at its end): heavy work by kind, then the search loop.
const TIME_SPLIT: &str = "time.csv";

/// The copy of the script kept in a run directory.
const SCRIPT_COPY: &str = "script.rhai";

/// Runs (or resumes) a script; returns the last lines to print.
pub fn run(request: RunRequest) -> Result<String> {
    let (dir, record, source) = match &request.resume {
        Some(dir) => resume_record(dir)?,
        None => start_record(&request)?,
    };
    let context = Arc::new(Run::open(
        &dir,
        record.overrides.clone(),
        request.devices.clone(),
        request.delegate,
        request.quiet,
    )?);
    for warning in &context.journal_warnings {
        eprintln!("warning: {warning}");
    }
    let script_dir = record.script.parent().map(Path::to_path_buf);
    let engine = engine(&context, &request.limits, script_dir);
    let name = record.script.display().to_string();
    let attempt = context.with_journal(run_status::begin_attempt)?;
    let outcome = execute(&engine, &name, &source).and_then(|()| {
        if !context.overrides().is_empty() && !context.overrides_taken() {
            return Err(Error::InvalidValue {
                key: "--set".into(),
                message: format!("{name} never calls `params`, so it takes no --set values"),
            });
        }
        Ok(())
    });
    if let Err(error) = outcome {
        // Workers and `glit ask` read this and stop instead of waiting for tasks.
        let _ =
            context.with_journal(|j| run_status::record_failure(j, attempt, &error.to_string()));
        return Err(error);
    }
    // Workers sharing the run stop once they read this.
    if context.recall(crate::scale::FINISHED_KEY).is_none() {
        context.record(crate::scale::FINISHED_KEY, serde_json::json!(true))?;
    }
    let total = context.elapsed();
    context.work().write(&dir.join(TIME_SPLIT), total)?;
    Ok(format!(
        "{}{}\nrun directory: {}\n",
        final_report(&dir),
        context.work().summary(total),
        dir.display()
    ))
}

/// The report of a finished run (`<dir>/report/`) and its best-architectures table. A report
/// that cannot be drawn is a warning: the run itself succeeded and its files are intact.
#[cfg(feature = "report")]
fn final_report(dir: &Path) -> String {
    match crate::report::write(dir) {
        Ok(report) => {
            for warning in &report.warnings {
                eprintln!("warning: {warning}");
            }
            format!("\n{}report: {}\n", report.table, report.summary.display())
        }
        Err(error) => {
            eprintln!(
                "warning: no report: {error} (try `glit report {}`)",
                dir.display()
            );
            String::new()
        }
    }
}

/// Without the `report` feature a run draws no report; its CSV logs and journal are complete.
#[cfg(not(feature = "report"))]
fn final_report(_dir: &Path) -> String {
    String::new()
}

/// Compiles and runs `source` (named `name` in errors).
fn execute(engine: &Engine, name: &str, source: &str) -> Result<()> {
    let mut ast = engine
        .compile(source)
        .map_err(|e| Error::Script(describe(name, &e.into())))?;
    ast.set_source(name);
    // A panic below a binding is a bug in glit, never the script's fault; it ends the run
    // with an error (the journal keeps every finished step) instead of an abort.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        engine.run_ast_with_scope(&mut Scope::new(), &ast)
    }));
    match outcome {
        Ok(result) => {
            result.map_err(|e| Error::Script(describe_with(name, &e, &CallShapes::of(engine))))
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(Error::Script(format!(
                "{name}: internal error in glit: {what} (finished steps are kept; please report this with the script)"
            )))
        }
    }
}

fn start_record(request: &RunRequest) -> Result<(PathBuf, RunRecord, String)> {
    let source =
        std::fs::read_to_string(&request.script).map_err(|e| Error::io(&request.script, e))?;
    let dir = match &request.out {
        Some(dir) => dir.clone(),
        None => default_dir(&request.script),
    };
    if dir.join("run.json").exists() {
        return Err(Error::InvalidValue {
            key: "--out".into(),
            message: format!(
                "{} already holds a run; continue it with `glit run --resume {}` or choose another --out",
                dir.display(),
                dir.display()
            ),
        });
    }
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let record = RunRecord {
        script: request.script.clone(),
        overrides: request.overrides.clone(),
        limits: request.limits.clone(),
        version: env!("CARGO_PKG_VERSION").into(),
    };
    let text = serde_json::to_string_pretty(&record).expect("a run record serialises");
    crate::atomic_file::write(&dir.join("run.json"), text.as_bytes())?;
    crate::atomic_file::write(&dir.join(SCRIPT_COPY), source.as_bytes())?;
    Ok((dir, record, source))
}

fn resume_record(dir: &Path) -> Result<(PathBuf, RunRecord, String)> {
    let path = dir.join("run.json");
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    let record: RunRecord =
        serde_json::from_str(&text).map_err(|e| Error::json(path.display().to_string(), &e))?;
    let copy = dir.join(SCRIPT_COPY);
    let source = std::fs::read_to_string(&copy).map_err(|e| Error::io(&copy, e))?;
    Ok((dir.to_path_buf(), record, source))
}

/// `runs/<script stem>-<UTC date>-<time>`.
fn default_dir(script: &Path) -> PathBuf {
    let stem = script
        .file_stem()
        .map_or("run".into(), |s| s.to_string_lossy().into_owned());
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    PathBuf::from("runs").join(format!("{stem}-{}", utc_stamp(seconds)))
}

/// `YYYYMMDD-HHMMSS` for seconds since 1970 (UTC), by the civil-from-days algorithm.
fn utc_stamp(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let rest = seconds % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}-{:02}{:02}{:02}",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// `glit check`: parses the script and every module it imports, runs nothing.
pub fn check(script: &Path) -> Result<String> {
    let source = std::fs::read_to_string(script).map_err(|e| Error::io(script, e))?;
    let context = Arc::new(Run::detached());
    let engine = engine(
        &context,
        &Limits::default(),
        script.parent().map(Path::to_path_buf),
    );
    let name = script.display().to_string();
    let ast = engine
        .compile_into_self_contained(&Scope::new(), &source)
        .map_err(|e| Error::Script(describe(&name, &e)))?;
    let functions = ast.iter_functions().count();
    Ok(format!(
        "{name}: ok (parsed, {functions} functions and closures of its own, every import resolved)\n"
    ))
}

/// `glit api`: every script function with its signature and doc; with `definitions`, also
/// writes Rhai definition files (`.d.rhai`) for editors there.
pub fn api(definitions: Option<&Path>) -> Result<String> {
    let context = Arc::new(Run::detached());
    let engine = engine(&context, &Limits::default(), None);
    if let Some(dir) = definitions {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        engine
            .definitions()
            .with_headers(true)
            .include_standard_packages(false)
            .write_to_dir(dir)
            .map_err(|e| Error::io(dir, e))?;
    }
    let json = engine
        .gen_fn_metadata_to_json(false)
        .map_err(|e| Error::Script(e.to_string()))?;
    let value: serde_json::Value =
        serde_json::from_str(&json).map_err(|e| Error::json("function metadata", &e))?;
    Ok(super::registry::listing(&value))
}
