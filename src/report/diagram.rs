//! An architecture drawn like the GLiT paper's figure: one column per block, each head a cell
//! coloured global (attention) or local (the space's local module), with the block's q/k
//! width, kernel (or window), expansion and FFN ratio written under it.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::figure::{failed, palette, text, Drawn, Figure};
use crate::space::{Arch, LocalKind};

const COLUMN: i32 = 104;
const CELL: i32 = 26;
const MARGIN: i32 = 28;
const TOP: i32 = 64;

/// The diagram of one architecture, with a title line (its name and cost, say).
pub struct ArchDiagram<'a> {
    /// The architecture.
    pub arch: &'a Arch,
    /// The title.
    pub title: String,
    /// The module of its local heads, when known (a run's log records architectures
    /// without their space).
    pub local: Option<LocalKind>,
}

impl ArchDiagram<'_> {
    fn heads_height(&self) -> i32 {
        self.arch.heads.max(1) as i32 * CELL
    }
}

impl Figure for ArchDiagram<'_> {
    fn size(&self) -> (u32, u32) {
        let width = 2 * MARGIN + COLUMN * self.arch.blocks.len().max(1) as i32;
        let height = TOP + self.heads_height() + 150;
        (width.max(480) as u32, height as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn {
        let centred = |size: f64| text(size).pos(Pos::new(HPos::Center, VPos::Center));
        let (width, _) = self.size();
        root.draw(&Text::new(
            self.title.clone(),
            (width as i32 / 2, 22),
            centred(17.0),
        ))
        .map_err(failed)?;
        let tokens: Vec<String> = self.arch.to_string().split(' ').map(String::from).collect();
        let heads_bottom = TOP + self.heads_height();
        for (index, block) in self.arch.blocks.iter().enumerate() {
            let left = MARGIN + COLUMN * index as i32 + 8;
            let right = left + COLUMN - 16;
            let middle = (left + right) / 2;
            root.draw(&Text::new(
                format!("block {}", index + 1),
                (middle, TOP - 14),
                centred(13.0),
            ))
            .map_err(failed)?;
            for head in 0..self.arch.heads {
                let global = head < block.global_heads;
                let top = TOP + head as i32 * CELL;
                let color = if global {
                    palette::BLUE
                } else {
                    palette::ORANGE
                };
                root.draw(&Rectangle::new(
                    [(left, top), (right, top + CELL - 3)],
                    color.filled(),
                ))
                .map_err(failed)?;
                let label = if global {
                    "attention"
                } else {
                    local_label(self.local)
                };
                root.draw(&Text::new(
                    label,
                    (middle, top + CELL / 2 - 1),
                    centred(12.0).color(&WHITE),
                ))
                .map_err(failed)?;
            }
            // The head split (`M2/1`); the values in parentheses follow one per line.
            let split = tokens
                .get(index)
                .map_or("", |t| t.split('(').next().unwrap_or(t));
            let mut lines = vec![split.to_string()];
            lines.extend(details(block, self.arch.heads, self.local));
            for (row, line) in lines.iter().enumerate() {
                let size = if row == 0 { 14.0 } else { 13.0 };
                root.draw(&Text::new(
                    line.clone(),
                    (middle, heads_bottom + 16 + 18 * row as i32),
                    centred(size),
                ))
                .map_err(failed)?;
            }
        }
        let legend_y = heads_bottom + 16 + 18 * 5;
        for (k, (label, color)) in [
            ("global head (multi-head attention)", palette::BLUE),
            (local_legend(self.local), palette::ORANGE),
        ]
        .into_iter()
        .enumerate()
        {
            let x = MARGIN + 8 + k as i32 * 260;
            root.draw(&Rectangle::new(
                [(x, legend_y - 6), (x + 14, legend_y + 6)],
                color.filled(),
            ))
            .map_err(failed)?;
            root.draw(&Text::new(
                label,
                (x + 20, legend_y),
                text(12.0).pos(Pos::new(HPos::Left, VPos::Center)),
            ))
            .map_err(failed)?;
        }
        Ok(())
    }
}

/// A local head's cell label.
fn local_label(local: Option<LocalKind>) -> &'static str {
    match local {
        Some(LocalKind::Conv1d) => "conv",
        Some(LocalKind::Conv2d) => "conv2d",
        Some(LocalKind::LocalAttention) => "window",
        None => "local",
    }
}

/// The legend's line for local heads.
fn local_legend(local: Option<LocalKind>) -> &'static str {
    match local {
        Some(LocalKind::Conv1d) => "local head (depthwise Conv1d)",
        Some(LocalKind::Conv2d) => "local head (depthwise Conv2d, k×k)",
        Some(LocalKind::LocalAttention) => "local head (attention in a k×k window)",
        None => "local head",
    }
}

/// The labelled low-level values of a block: what its global and local parts use.
fn details(block: &crate::space::BlockArch, heads: usize, local: Option<LocalKind>) -> Vec<String> {
    let mut lines = Vec::new();
    if block.global_heads > 0 {
        if let Some(qk) = block.qk_dim {
            lines.push(format!("q/k {qk}"));
        }
    }
    if block.local_heads(heads) > 0 {
        if let Some(kernel) = block.kernel {
            lines.push(match local {
                Some(LocalKind::Conv2d) => format!("kernel {kernel}×{kernel}"),
                Some(LocalKind::LocalAttention) => format!("window {kernel}×{kernel}"),
                _ => format!("kernel {kernel}"),
            });
        }
        if let Some(expand) = block.conv_expand {
            lines.push(format!("expand {expand}"));
        }
    }
    lines.push(format!("ffn ×{}", block.ffn_ratio));
    lines
}
