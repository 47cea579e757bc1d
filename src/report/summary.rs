//! The report's text: a one-page Markdown summary linking every figure, and the table the
//! terminal shows at the end of a run.

use std::fmt::Write;

use super::plots::{front, stage_title};
use super::run_files::{Candidate, RunRecord};

/// Best architectures listed per stage.
pub const TOP: usize = 5;

/// A figure the summary links: its section, caption and file stem.
pub struct Linked {
    /// Section heading it goes under.
    pub section: &'static str,
    /// What it shows.
    pub caption: String,
    /// File stem (`<stem>.svg` and `<stem>.png` exist beside the summary).
    pub stem: String,
}

/// The best `TOP` distinct candidates of a stage, best score first (ties: cheaper first).
pub fn best<'a>(candidates: &[&'a Candidate]) -> Vec<&'a Candidate> {
    let mut sorted: Vec<&Candidate> = candidates.to_vec();
    sorted.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.mflops.total_cmp(&b.mflops))
    });
    let mut seen = std::collections::HashSet::new();
    sorted.retain(|c| seen.insert(c.arch.as_str()));
    sorted.truncate(TOP);
    sorted
}

/// The Markdown summary.
pub fn markdown(record: &RunRecord, figures: &[Linked]) -> String {
    let mut out = String::new();
    let script = record.script.as_deref().unwrap_or("(unknown script)");
    let _ = writeln!(out, "# Run report: `{script}`\n");
    let _ = writeln!(out, "Run directory: `{}`\n", record.dir.display());
    let warnings = warning_lines(record);
    if !warnings.is_empty() {
        let _ = writeln!(out, "## Warnings\n");
        for warning in &warnings {
            let _ = writeln!(out, "- **{warning}**");
        }
        out.push('\n');
    }
    if !record.results.rows.is_empty() {
        let _ = writeln!(out, "## Results\n");
        out.push_str(&markdown_table(
            &record.results.headers,
            &record.results.rows,
        ));
        out.push('\n');
    }
    for stage in record.stages() {
        let candidates = record.stage(&stage);
        let _ = writeln!(
            out,
            "## Best architectures, {} ({} scored, {} on the Pareto front)\n",
            stage_title(&stage),
            candidates.len(),
            front(&candidates).len()
        );
        let rows: Vec<Vec<String>> = best(&candidates)
            .iter()
            .enumerate()
            .map(|(rank, c)| {
                let chosen = record
                    .chosen
                    .iter()
                    .any(|k| k.stage == stage && k.arch == c.arch);
                vec![
                    format!("{}", rank + 1),
                    format!("{:.2} %", c.score * 100.0),
                    format!("{:.3}", c.mflops),
                    c.params.to_string(),
                    format!("`{}`{}", c.arch, if chosen { " (chosen)" } else { "" }),
                ]
            })
            .collect();
        let headers = ["rank", "score", "MFLOPs", "params", "architecture"].map(String::from);
        out.push_str(&markdown_table(&headers, &rows));
        out.push('\n');
    }
    for section in ["Search", "Architectures", "Training"] {
        let linked: Vec<&Linked> = figures.iter().filter(|f| f.section == section).collect();
        if linked.is_empty() {
            continue;
        }
        let _ = writeln!(out, "## {section}\n");
        for figure in linked {
            let _ = writeln!(
                out,
                "**{}** ([PNG]({stem}.png))\n\n![{}]({stem}.svg)\n",
                figure.caption,
                figure.caption,
                stem = figure.stem
            );
        }
    }
    if !record.timing.is_empty() {
        let _ = writeln!(out, "## Time\n");
        let mut previous = 0.0;
        let rows: Vec<Vec<String>> = record
            .timing
            .iter()
            .map(|(phase, at)| {
                let row = vec![
                    phase.clone(),
                    format!("{:.1}", at - previous),
                    format!("{at:.1}"),
                ];
                previous = *at;
                row
            })
            .collect();
        let headers = ["phase", "seconds", "elapsed at its end"].map(String::from);
        out.push_str(&markdown_table(&headers, &rows));
        out.push('\n');
    }
    if !record.params.is_empty() {
        let _ = writeln!(out, "## Parameters\n");
        let rows: Vec<Vec<String>> = record
            .params
            .iter()
            .map(|(k, v)| vec![k.clone(), format!("`{v}`")])
            .collect();
        out.push_str(&markdown_table(&["key".into(), "value".into()], &rows));
    }
    out
}

/// The run's warnings (warnings.csv's `warning` column), each once, in order.
fn warning_lines(record: &RunRecord) -> Vec<String> {
    let table = &record.warnings;
    let mut lines: Vec<String> = Vec::new();
    for row in &table.rows {
        if let Some(warning) = table.get(row, "warning") {
            if !lines.iter().any(|l| l == warning) {
                lines.push(warning.to_string());
            }
        }
    }
    lines
}

/// The terminal's end-of-run table: the best architectures of each stage, after the run's
/// warnings (repeated here so that progress output cannot bury them).
pub fn terminal(record: &RunRecord) -> String {
    let mut out = String::new();
    for warning in warning_lines(record) {
        let _ = writeln!(out, "warning: {warning}");
    }
    for stage in record.stages() {
        let candidates = record.stage(&stage);
        let _ = writeln!(
            out,
            "best of {} ({} scored):",
            stage_title(&stage),
            candidates.len()
        );
        let _ = writeln!(
            out,
            "  {:>4}  {:>8}  {:>8}  {:>9}  architecture",
            "rank", "score", "MFLOPs", "params"
        );
        for (rank, c) in best(&candidates).iter().enumerate() {
            let _ = writeln!(
                out,
                "  {:>4}  {:>7.2}%  {:>8.3}  {:>9}  {}",
                rank + 1,
                c.score * 100.0,
                c.mflops,
                c.params,
                c.arch
            );
        }
    }
    out
}

/// A Markdown table; `|` inside a cell is escaped.
pub(super) fn markdown_table(headers: &[String], rows: &[Vec<String>]) -> String {
    let mut out = format!("| {} |\n", headers.join(" | "));
    let _ = writeln!(out, "|{}", " --- |".repeat(headers.len()));
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| c.replace('|', "\\|")).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out
}
