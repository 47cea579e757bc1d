//! A results page's generated parts. The prose of a page such as docs/results.md is written by
//! hand; each table sits between `<!-- generated: NAME -->` and `<!-- end: NAME -->` and is
//! made from the CSV files of one folder, so every figure on the page comes from a committed
//! file by a committed command (`glit results DIR --docs PAGE`), and `--check` says whether
//! the page still matches its files.
//!
//! The tables: `methods`, `runs` and `census` (methods.csv), `rank` (rank_summary.csv), `main-job`
//! (main_job.csv). The figure accuracy-mflops.svg/.png is drawn beside the CSV files.

use std::path::{Path, PathBuf};

use super::census_tables::{self, Counted, Spaces};
use super::figure;
use super::results::{self, MethodRun};
use super::results_figure::AccuracyAgainstMflops;
use crate::atomic_file;
use crate::error::{Error, Result};
use crate::space::Arch;

/// The stem of the figure drawn into the results folder.
pub const FIGURE: &str = "accuracy-mflops";

/// The search runs of `dir`'s methods.csv.
fn method_runs(dir: &Path) -> Result<Vec<MethodRun>> {
    results::read_methods(&dir.join("methods.csv"))
}

/// Each generated part that `dir`'s files allow, as (name, Markdown); `runs` are its
/// methods.csv's rows.
pub fn parts(dir: &Path, runs: &[MethodRun]) -> Result<Vec<(&'static str, String)>> {
    let summaries = results::summarise(runs);
    let seconds: f64 = runs.iter().map(|r| r.seconds).sum();
    let methods = format!(
        "{}\n{} runs; their wall time adds up to {:.0} minutes.\n",
        results::methods_table(&summaries),
        runs.len(),
        seconds / 60.0
    );
    let mut parts = vec![("methods", methods), ("runs", results::runs_table(runs))];
    // Only runs whose networks are in the spaces their rows name have a census (a page
    // asking for the census of other runs is told that the part cannot be made).
    if let Ok(census) = census(runs) {
        parts.push(("census", census));
    }
    let rank = dir.join("rank_summary.csv");
    if rank.is_file() {
        parts.push(("rank", results::rank_table(&results::read_rank(&rank)?)));
    }
    let main_job = dir.join("main_job.csv");
    if main_job.is_file() {
        let rows = results::read_main_job(&main_job)?;
        parts.push(("main-job", results::main_job_table(&rows)));
    }
    Ok(parts)
}

/// The census tables of each method's found networks, each read in the space its row names;
/// an error when a network is not in it.
fn census(runs: &[MethodRun]) -> Result<String> {
    let counted = runs
        .iter()
        .map(|run| {
            Ok(Counted {
                group: results::method_title(&run.method),
                preset: run.preset.clone(),
                arch: run.arch.parse::<Arch>()?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    census_tables::tables(&census_tables::censuses(&counted, &mut Spaces::default())?)
}

/// `page` with each generated block replaced by its part. A page may hold any of the parts
/// (the README holds only `main-job`); a block whose part `dir` cannot make, a block without
/// its end marker, or a page with no block at all is an error naming it (`origin` names the
/// page).
pub fn fill(page: &str, parts: &[(&str, String)], origin: &str) -> Result<String> {
    let bad = |message: String| Error::InvalidData {
        origin: origin.into(),
        message,
    };
    let mut out = page.to_string();
    let mut filled = 0;
    for (name, content) in parts {
        let (start, end) = markers(name);
        let Some(at) = out.find(&start) else {
            continue;
        };
        let from = at + start.len();
        let to = out[from..]
            .find(&end)
            .ok_or_else(|| bad(format!("`{start}` has no `{end}` after it")))?
            + from;
        out.replace_range(from..to, &format!("\n{content}"));
        filled += 1;
    }
    for (at, _) in out.match_indices(START) {
        let rest = &out[at + START.len()..];
        let name = rest.split(" -->").next().unwrap_or(rest);
        if !parts.iter().any(|(n, _)| *n == name) {
            return Err(bad(format!(
                "the `{name}` table has no CSV file to be made from"
            )));
        }
    }
    if filled == 0 {
        return Err(bad(format!(
            "no generated table (`{START}NAME -->` ... `<!-- end: NAME -->`)"
        )));
    }
    Ok(out)
}

/// Writes `page`'s generated parts from `dir`'s files and draws the figure into `dir`;
/// returns the files written.
pub fn write(dir: &Path, page: &Path) -> Result<Vec<PathBuf>> {
    let text = std::fs::read_to_string(page).map_err(|e| Error::io(page, e))?;
    let runs = method_runs(dir)?;
    let filled = fill(&text, &parts(dir, &runs)?, &page.display().to_string())?;
    atomic_file::write(page, filled.as_bytes())?;
    let summaries = results::summarise(&runs);
    let figure = AccuracyAgainstMflops {
        runs: &runs,
        summaries: &summaries,
    };
    let mut files = figure::save(&figure, dir, FIGURE)?;
    files.push(page.to_path_buf());
    Ok(files)
}

/// Whether `page`'s generated blocks hold exactly what `dir`'s files make; an error naming
/// the first table that differs otherwise.
pub fn check(dir: &Path, page: &Path) -> Result<()> {
    let text = std::fs::read_to_string(page).map_err(|e| Error::io(page, e))?;
    let parts = parts(dir, &method_runs(dir)?)?;
    let filled = fill(&text, &parts, &page.display().to_string())?;
    if filled == text {
        return Ok(());
    }
    let stale = parts
        .iter()
        .find(|(name, content)| {
            let (start, _) = markers(name);
            text.contains(&start) && !text.contains(&format!("{start}\n{content}"))
        })
        .map_or("?", |(name, _)| name);
    Err(Error::InvalidData {
        origin: page.display().to_string(),
        message: format!(
            "the `{stale}` table does not match {}; run `glit results {} --docs {}`",
            dir.display(),
            dir.display(),
            page.display()
        ),
    })
}

/// How a generated block starts, before its name.
const START: &str = "<!-- generated: ";

fn markers(name: &str) -> (String, String) {
    (
        format!("{START}{name} -->"),
        format!("<!-- end: {name} -->"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_replace_what_lies_between_their_markers() {
        let page = "# R\n\n<!-- generated: a -->\nold\n<!-- end: a -->\n\ntext\n";
        let filled = fill(page, &[("a", "| new |\n".into())], "page.md").unwrap();
        assert_eq!(
            filled,
            "# R\n\n<!-- generated: a -->\n| new |\n<!-- end: a -->\n\ntext\n"
        );
        assert_eq!(
            fill(&filled, &[("a", "| new |\n".into())], "p").unwrap(),
            filled
        );
    }

    #[test]
    fn a_missing_marker_or_csv_is_named() {
        let error = fill("no markers", &[("a", "x".into())], "page.md").unwrap_err();
        assert!(error.to_string().contains("no generated table"), "{error}");
        let error = fill("<!-- generated: a -->", &[("a", "x".into())], "p").unwrap_err();
        assert!(
            error.to_string().contains("has no `<!-- end: a -->`"),
            "{error}"
        );
        let page = "<!-- generated: b -->\n<!-- end: b -->";
        let error = fill(page, &[], "page.md").unwrap_err();
        assert!(
            error.to_string().contains("`b` table has no CSV"),
            "{error}"
        );
    }
}
