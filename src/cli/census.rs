//! `glit report --archs`: what a set of found architectures looks like (mixed blocks, kernel
//! sizes, global heads by depth), beside the released GLiT-Tiny that the paper's
//! observations are about.

use std::path::Path;

use super::arch::open_arch_in;
use crate::error::{Error, Result};
use crate::report::census_tables;
use crate::space::{presets, Arch, Space};

/// The census tables of the architectures `sources` name, in the space `preset`: each
/// source is an architecture (a built-in name, the compact form or a JSON file) or a CSV file
/// with an `arch` column (an experiment's methods.csv, say), whose rows are split by the
/// column `group` when one is named.
pub fn census(sources: &[String], preset: &str, group: Option<&str>) -> Result<String> {
    let space = presets::open(preset)?;
    let mut archs = Vec::new();
    for source in sources {
        if source.ends_with(".csv") {
            archs.extend(csv_archs(Path::new(source), group, &space)?);
        } else {
            archs.push(("given".to_string(), open_arch_in(source, &space)?));
        }
    }
    census_tables::tables(&census_tables::censuses(&space, archs)?)
}

/// The `arch` column of the CSV file at `path`, each with its `group` column's value (or the
/// file's name).
fn csv_archs(path: &Path, group: Option<&str>, space: &Space) -> Result<Vec<(String, Arch)>> {
    let origin = path.display().to_string();
    let bad = |message: String| Error::InvalidData {
        origin: origin.clone(),
        message,
    };
    let mut reader = csv::Reader::from_path(path)
        .map_err(|e| Error::io(path, std::io::Error::other(e.to_string())))?;
    let headers = reader.headers().map_err(|e| bad(e.to_string()))?.clone();
    let column = |name: &str| {
        headers.iter().position(|h| h == name).ok_or_else(|| {
            bad(format!(
                "no `{name}` column (columns: {})",
                headers.iter().collect::<Vec<_>>().join(", ")
            ))
        })
    };
    let arch_column = column("arch")?;
    let group_column = group.map(column).transpose()?;
    let mut out = Vec::new();
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(|e| bad(e.to_string()))?;
        let row = line + 2; // the header is line 1
        let text = record.get(arch_column).unwrap_or_default();
        let arch = open_arch_in(text, space).map_err(|e| {
            bad(format!(
                "line {row}: `{text}` is not an architecture of `{}`: {e}",
                space.name()
            ))
        })?;
        let name = match group_column {
            Some(c) => record.get(c).unwrap_or_default().to_string(),
            None => origin.clone(),
        };
        out.push((name, arch));
    }
    Ok(out)
}
