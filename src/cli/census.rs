//! `glit report --archs`: what a set of found architectures looks like (mixed blocks, kernel
//! sizes, global heads by depth), beside the released GLiT-Tiny that the paper's
//! observations are about.

use std::path::Path;

use super::arch::open_arch_in;
use crate::error::{Error, Result};
use crate::report::census_tables::{self, Counted, Spaces};

/// The column of a CSV file that names each row's space, when the rows come from several
/// (an experiment that searched `micro` and `micro:conv2d`, say).
const PRESET_COLUMN: &str = "preset";

/// The census tables of the architectures `sources` name, in the space `preset`: each
/// source is an architecture (a built-in name, the compact form or a JSON file) or a CSV file
/// with an `arch` column (an experiment's methods.csv, say), whose rows are split by the
/// column `group` when one is named. A CSV file's `preset` column, when it has one, names
/// each row's own space in place of `preset`.
pub fn census(sources: &[String], preset: &str, group: Option<&str>) -> Result<String> {
    let mut spaces = Spaces::default();
    let mut counted = Vec::new();
    for source in sources {
        if source.ends_with(".csv") {
            counted.extend(csv_archs(Path::new(source), group, preset, &mut spaces)?);
        } else {
            counted.push(Counted {
                group: "given".to_string(),
                preset: preset.to_string(),
                arch: open_arch_in(source, spaces.open(preset)?)?,
            });
        }
    }
    census_tables::tables(&census_tables::censuses(&counted, &mut spaces)?)
}

/// The `arch` column of the CSV file at `path`, each with its `group` column's value (or the
/// file's name), read in its `preset` column's space (or `preset`).
fn csv_archs(
    path: &Path,
    group: Option<&str>,
    preset: &str,
    spaces: &mut Spaces,
) -> Result<Vec<Counted>> {
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
    let preset_column = headers.iter().position(|h| h == PRESET_COLUMN);
    let mut out = Vec::new();
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(|e| bad(e.to_string()))?;
        let row = line + 2; // the header is line 1
        let row_preset = match preset_column {
            Some(c) => record.get(c).unwrap_or_default(),
            None => preset,
        };
        let space = spaces
            .open(row_preset)
            .map_err(|e| bad(format!("line {row}: `{PRESET_COLUMN}` {e}")))?;
        let text = record.get(arch_column).unwrap_or_default();
        let arch = open_arch_in(text, space).map_err(|e| {
            bad(format!(
                "line {row}: `{text}` is not an architecture of `{row_preset}`: {e}"
            ))
        })?;
        let name = match group_column {
            Some(c) => record.get(c).unwrap_or_default().to_string(),
            None => origin.clone(),
        };
        out.push(Counted {
            group: name,
            preset: row_preset.to_string(),
            arch,
        });
    }
    Ok(out)
}
