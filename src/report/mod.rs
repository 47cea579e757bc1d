//! Reports of a run directory: training curves, search progress, score against MFLOPs with
//! the Pareto front, architecture diagrams (SVG and PNG each), and a Markdown summary that
//! links them. Reads only the files a run writes, so it works on a finished run, a run still
//! going, and a copy of a run on another machine. No Burn here.

pub mod census_tables;
pub mod diagram;
pub mod figure;
pub mod plots;
pub mod results;
pub mod results_docs;
mod results_figure;
pub mod run_files;
pub mod spread;
mod summary;

use std::path::{Path, PathBuf};

use crate::atomic_file;
use crate::error::{Error, Result};
use crate::space::Arch;
use diagram::ArchDiagram;
use plots::{ParetoPlot, SearchProgress, TrainingCurves};
use run_files::RunRecord;
use summary::Linked;

/// What `write` produced.
#[derive(Clone, Debug)]
pub struct Report {
    /// The summary page (`<run>/report/summary.md`).
    pub summary: PathBuf,
    /// Every file written, the summary included.
    pub files: Vec<PathBuf>,
    /// The best architectures per stage as a terminal table.
    pub table: String,
    /// What could not be drawn, and why.
    pub warnings: Vec<String>,
}

/// The figures written so far and the summary's links to them.
struct Pages {
    out: PathBuf,
    files: Vec<PathBuf>,
    linked: Vec<Linked>,
}

impl Pages {
    /// Draws `figure` as `<stem>.svg` and `<stem>.png` and links it under `section`.
    fn draw(
        &mut self,
        figure: &impl figure::Figure,
        section: &'static str,
        caption: String,
        stem: String,
    ) -> Result<()> {
        self.files.extend(figure::save(figure, &self.out, &stem)?);
        self.linked.push(Linked {
            section,
            caption,
            stem,
        });
        Ok(())
    }
}

/// Writes the report of the run in `run_dir` into `<run_dir>/report/`.
pub fn write(run_dir: &Path) -> Result<Report> {
    let record = RunRecord::read(run_dir)?;
    let out = run_dir.join("report");
    std::fs::create_dir_all(&out).map_err(|e| Error::io(&out, e))?;
    let mut pages = Pages {
        out,
        files: Vec::new(),
        linked: Vec::new(),
    };

    for stage in record.stages() {
        let candidates = record.stage(&stage);
        let title = plots::stage_title(&stage);
        let slug = slug(&title);
        let progress = SearchProgress {
            stage: &stage,
            candidates: candidates.clone(),
        };
        let caption = format!("Search progress, {title}");
        pages.draw(&progress, "Search", caption, format!("search-{slug}"))?;
        let chosen = record
            .chosen
            .iter()
            .filter(|c| c.stage == stage)
            .map(|c| c.arch.clone())
            .collect();
        let pareto = ParetoPlot {
            stage: &stage,
            candidates,
            chosen,
        };
        let caption = format!("Score against MFLOPs, {title}");
        pages.draw(&pareto, "Search", caption, format!("pareto-{slug}"))?;
    }

    let mut warnings = Vec::new();
    for (which, compact, title) in diagrams(&record) {
        // A script may log something that is not an architecture under `arch`: skip its
        // diagram and say so, rather than lose the rest of the report.
        let arch: Arch = match compact.parse() {
            Ok(arch) => arch,
            Err(e) => {
                warnings.push(format!(
                    "no diagram of {which}: `{compact}` is not an architecture ({e})"
                ));
                continue;
            }
        };
        let stem = format!("arch-{}", slug(&which));
        pages.draw(
            &ArchDiagram {
                arch: &arch,
                title,
                local: None,
            },
            "Architectures",
            which,
            stem,
        )?;
    }

    for training in record.trainings.iter().filter(|t| !t.epochs.is_empty()) {
        let stem = format!("training-{}", slug(&training.name));
        let caption = format!("Training `{}`", training.name);
        pages.draw(&TrainingCurves(training), "Training", caption, stem)?;
    }

    let summary_path = pages.out.join("summary.md");
    atomic_file::write(
        &summary_path,
        summary::markdown(&record, &pages.linked).as_bytes(),
    )?;
    let mut files = pages.files;
    files.push(summary_path.clone());
    Ok(Report {
        summary: summary_path,
        files,
        table: summary::terminal(&record),
        warnings,
    })
}

/// The architectures to draw: every results.csv row with an `arch` column (named by its
/// `which` column), each stage's chosen one not drawn already, and the best-scored candidate when the run has
/// neither. Each is (name, compact form, title).
fn diagrams(record: &RunRecord) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = Vec::new();
    let results = &record.results;
    for (index, row) in results.rows.iter().enumerate() {
        let Some(arch) = results.get(row, "arch") else {
            continue;
        };
        let which = results
            .get(row, "which")
            .map_or_else(|| format!("result-{}", index + 1), String::from);
        let number = |column| results.get(row, column).and_then(|v| v.parse::<f64>().ok());
        let mut facts = Vec::new();
        if let Some(mflops) = number("mflops") {
            facts.push(format!("{mflops:.2} MFLOPs"));
        }
        if let Some(params) = number("params") {
            facts.push(format!("{params} params"));
        }
        if let Some(accuracy) = number("test_accuracy") {
            facts.push(format!("{:.2} % test accuracy", accuracy * 100.0));
        }
        let title = if facts.is_empty() {
            which.clone()
        } else {
            format!("{which}: {}", facts.join(", "))
        };
        out.push((which, arch.to_string(), title));
    }
    for chosen in &record.chosen {
        let which = format!("chosen-{}", plots::stage_title(&chosen.stage));
        if out.iter().all(|(w, a, _)| *w != which && *a != chosen.arch) {
            let title = format!("chosen in {}", plots::stage_title(&chosen.stage));
            out.push((which, chosen.arch.clone(), title));
        }
    }
    if out.is_empty() {
        let all: Vec<_> = record.candidates.iter().collect();
        if let Some(best) = summary::best(&all).first() {
            let title = format!(
                "best scored: {:.2} %, {:.2} MFLOPs",
                best.score * 100.0,
                best.mflops
            );
            out.push(("best".into(), best.arch.clone(), title));
        }
    }
    out
}

/// A label as a file-name part: letters, digits, `-` and `_`; anything else becomes `-`.
fn slug(label: &str) -> String {
    label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}
