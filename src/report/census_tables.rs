//! Censuses of found architectures as Markdown tables, set beside the released GLiT-Tiny's,
//! which is what the paper's two observations (about a quarter of the blocks mixed; the
//! smallest kernel never chosen) are about.

use crate::error::Result;
use crate::space::{presets, Arch, Census, Space};

/// The name of the paper's row.
pub const PAPER_ROW: &str = "paper: released GLiT-Tiny";

/// One architecture to count: its group, the space it was read in, and itself.
pub struct Counted {
    /// The row of the tables it is counted in.
    pub group: String,
    /// The name of its space (a preset, with its `:kind`, or a JSON file).
    pub preset: String,
    /// The architecture.
    pub arch: Arch,
}

/// The census of each group, in the order the groups first appear; a group whose
/// architectures come from several spaces gets one census per space, named with it.
pub fn censuses(counted: &[Counted], spaces: &mut Spaces) -> Result<Vec<(String, Census)>> {
    // Each group with the spaces of its rows, both in order of first appearance.
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for row in counted {
        match groups.iter_mut().find(|(group, _)| *group == row.group) {
            Some((_, presets)) if presets.contains(&row.preset.as_str()) => {}
            Some((_, presets)) => presets.push(&row.preset),
            None => groups.push((&row.group, vec![&row.preset])),
        }
    }
    let mut out = Vec::new();
    for (group, presets) in &groups {
        for preset in presets {
            let members: Vec<Arch> = counted
                .iter()
                .filter(|row| row.group == *group && row.preset == *preset)
                .map(|row| row.arch.clone())
                .collect();
            let name = if presets.len() > 1 {
                format!("{group} ({preset})")
            } else {
                group.to_string()
            };
            out.push((name, Census::of(spaces.open(preset)?, &members)?));
        }
    }
    Ok(out)
}

/// The spaces opened so far, by the name they were opened with: a CSV file names the same
/// few on every row.
#[derive(Default)]
pub struct Spaces(Vec<(String, Space)>);

impl Spaces {
    /// The space `name` names (a preset or a JSON file), opened once.
    pub fn open(&mut self, name: &str) -> Result<&Space> {
        let at = match self.0.iter().position(|(n, _)| n == name) {
            Some(at) => at,
            None => {
                self.0.push((name.to_string(), presets::open(name)?));
                self.0.len() - 1
            }
        };
        Ok(&self.0[at].1)
    }
}

/// Two tables for `groups` (a name and its census each): the blocks' make-up and kernel
/// sizes, with the released GLiT-Tiny's last; then the global heads at each depth.
pub fn tables(groups: &[(String, Census)]) -> Result<String> {
    let paper = Census::of_released_glit_tiny()?;
    let mut out = String::from(
        "| networks | count | blocks | mixed blocks (%) | all-global (%) | all-local (%) | \
         smallest kernel: blocks using it | blocks per kernel size |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    let rows = groups
        .iter()
        .map(|(name, census)| (name.as_str(), census))
        .chain(std::iter::once((PAPER_ROW, &paper)));
    for (name, census) in rows {
        let smallest = census
            .smallest_kernel()
            .map_or_else(|| "—".to_string(), |(k, n)| format!("k{k}: {n}"));
        let kernels: Vec<String> = census
            .kernels
            .iter()
            .map(|(k, n)| format!("k{k}: {n}"))
            .collect();
        out.push_str(&format!(
            "| {name} | {} | {} | {:.0} | {:.0} | {:.0} | {smallest} | {} |\n",
            census.networks,
            census.blocks,
            100.0 * census.mixed_fraction(),
            100.0 * census.all_global_fraction(),
            100.0 * census.all_local_fraction(),
            kernels.join(", ")
        ));
    }
    let Some(depth) = groups
        .iter()
        .map(|(_, c)| c.global_heads_by_depth.len())
        .max()
    else {
        return Ok(out);
    };
    out.push_str(
        "\nGlobal heads at each depth (block 1 nearest the input): the mean over the networks, \
         and how many networks have 0, 1, 2, … global heads there.\n\n",
    );
    let header: Vec<String> = (1..=depth).map(|d| format!("block {d}")).collect();
    out.push_str(&format!("| networks | {} |\n", header.join(" | ")));
    out.push_str(&format!("| --- |{}\n", " --- |".repeat(depth)));
    for (name, census) in groups {
        let cells: Vec<String> = census
            .global_heads_by_depth
            .iter()
            .zip(census.mean_global_heads())
            .map(|(counts, mean)| {
                let counts: Vec<String> = counts.iter().map(|n| n.to_string()).collect();
                format!("{mean:.1} ({})", counts.join("/"))
            })
            .collect();
        out.push_str(&format!("| {name} | {} |\n", cells.join(" | ")));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::presets;

    #[test]
    fn the_paper_row_comes_last_and_depths_get_their_columns() {
        let space = presets::preset("micro").unwrap();
        let baseline = space.baseline().unwrap();
        let census = Census::of(&space, &[baseline.clone(), baseline]).unwrap();
        let text = tables(&[("baseline".into(), census)]).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[2].starts_with("| baseline | 2 | 12 | 0 | 100 | 0 | k9: 0 |"),
            "{text}"
        );
        assert!(
            lines[3].starts_with("| paper: released GLiT-Tiny | 1 | 12 | 25 | 42 | 33 | k17: 0 |"),
            "{text}"
        );
        assert!(text.contains("| baseline | 3.0 (0/0/0/2) |"), "{text}");
        assert!(text.contains("block 6 |"), "{text}");
    }
}
