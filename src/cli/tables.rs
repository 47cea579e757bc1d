//! Text the command line prints: space summaries and cost tables.

use std::fmt::Write;

use serde::Serialize;

use crate::error::Result;
use crate::space::cost::{Convention, Cost};
use crate::space::{Arch, Space};

/// `1234567` as `1,234,567`.
pub fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The space, its sizes, and what its all-global baseline costs.
pub fn space_summary(space: &Space) -> Result<String> {
    let mut out = format!("{space}\n");
    let exact = space
        .size_exact()
        .map_or_else(|| "more than 2^128".into(), |n| n.to_string());
    let _ = writeln!(out, "  distinct networks (exact): {exact}");
    let _ = writeln!(
        out,
        "  stage-1 space (distributions only): {:.3e}",
        space.distribution_count()
    );
    match space.baseline() {
        Ok(baseline) => {
            let official = space.cost(&baseline, Convention::Official)?;
            let exact = space.cost(&baseline, Convention::Exact)?;
            let _ = writeln!(
                out,
                "  all-global baseline {baseline}\n    params {}, {:.1} MFLOPs official, {:.1} MFLOPs exact",
                thousands(official.params()),
                official.mflops(),
                exact.mflops()
            );
        }
        Err(why) => {
            let _ = writeln!(out, "  no all-global baseline: {why}");
        }
    }
    Ok(out)
}

/// A per-block table of parameters and FLOPs under every convention, with totals.
pub fn cost_table(space: &Space, arch: &Arch, costs: &[Cost]) -> String {
    let mut out = format!("architecture {arch}\nspace `{}`\n\n", space.name());
    let mut header = format!("{:<8}{:<30}{:>14}", "part", "block", "params");
    for cost in costs {
        header.push_str(&format!("{:>18}", format!("{} MFLOPs", cost.convention)));
    }
    let _ = writeln!(out, "{header}");
    let mut row =
        |part: String, label: String, pick: &dyn Fn(&Cost) -> crate::space::cost::Count| {
            let params = pick(&costs[0]).params;
            let mut line = format!("{part:<8}{label:<30}{:>14}", thousands(params));
            for cost in costs {
                line.push_str(&format!("{:>18.1}", pick(cost).mflops()));
            }
            let _ = writeln!(out, "{line}");
        };
    row("embed".into(), "patches, cls, positions".into(), &|c| {
        c.embedding
    });
    let compact = arch.to_string();
    for (index, token) in compact.split(' ').enumerate() {
        row(format!("{index}"), token.into(), &|c| c.blocks[index]);
    }
    row("head".into(), "norm, classifier".into(), &|c| c.head);
    row("total".into(), String::new(), &|c| c.total());
    out
}

/// The architecture and its costs as one JSON document, totals included.
pub fn cost_json(space: &Space, arch: &Arch, costs: &[Cost]) -> String {
    let conventions: Vec<_> = costs
        .iter()
        .map(|cost| {
            serde_json::json!({
                "convention": cost.convention,
                "params": cost.params(),
                "mflops": cost.mflops(),
                "embedding": cost.embedding,
                "blocks": cost.blocks,
                "head": cost.head,
            })
        })
        .collect();
    let document = serde_json::json!({
        "space": space.name(),
        "arch": arch,
        "compact": arch.to_string(),
        "costs": conventions,
    });
    serde_json::to_string_pretty(&document).expect("plain values serialise") + "\n"
}

/// One scored architecture.
#[derive(Clone, Debug, Serialize)]
pub struct Scored {
    /// The architecture.
    pub arch: Arch,
    /// Accuracy (0–1) on the search split with inherited, recalibrated weights.
    pub score: f64,
    /// MFLOPs, official convention.
    pub mflops: f64,
    /// Parameters.
    pub params: u64,
}

/// Scored architectures, best first: a table, or JSON lines.
pub fn score_table(scored: &[Scored], json: bool) -> String {
    let mut sorted: Vec<_> = scored.iter().collect();
    sorted.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut out = String::new();
    if json {
        for s in sorted {
            out.push_str(&serde_json::to_string(s).expect("a score serialises"));
            out.push('\n');
        }
        return out;
    }
    out.push_str(&format!(
        "{:>7} {:>9} {:>10}  architecture\n",
        "score", "MFLOPs", "params"
    ));
    for s in sorted {
        out.push_str(&format!(
            "{:>6.2}% {:>9.2} {:>10}  {}\n",
            s.score * 100.0,
            s.mflops,
            thousands(s.params),
            s.arch
        ));
    }
    out
}
