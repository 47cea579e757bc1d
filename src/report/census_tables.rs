//! Censuses of found architectures as Markdown tables, set beside the released GLiT-Tiny's,
//! which is what the paper's two observations (about a quarter of the blocks mixed; the
//! smallest kernel never chosen) are about.

use crate::error::Result;
use crate::space::{Arch, Census, Space};

/// The name of the paper's row.
pub const PAPER_ROW: &str = "paper: released GLiT-Tiny";

/// The census of each group of `archs` (name and architecture each, in `space`), in the
/// order the groups first appear.
pub fn censuses(
    space: &Space,
    archs: impl IntoIterator<Item = (String, Arch)>,
) -> Result<Vec<(String, Census)>> {
    let mut groups: Vec<(String, Vec<Arch>)> = Vec::new();
    for (name, arch) in archs {
        match groups.iter_mut().find(|(n, _)| *n == name) {
            Some((_, members)) => members.push(arch),
            None => groups.push((name, vec![arch])),
        }
    }
    groups
        .into_iter()
        .map(|(name, members)| Census::of(space, &members).map(|c| (name, c)))
        .collect()
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
