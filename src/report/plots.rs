//! The report's charts: training curves, search progress per generation, and accuracy
//! against MFLOPs with the Pareto front and the chosen architectures marked.

use std::ops::Range;

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::figure::{failed, palette, text, Drawn, Figure};
use super::run_files::{Candidate, Training};
use super::spread::Spread;
use crate::search::pareto;

/// One line of a line chart.
struct Series {
    label: String,
    color: RGBColor,
    points: Vec<(f64, f64)>,
    /// A wide pale band under the others (a running best that often coincides with a line).
    underlay: bool,
}

/// Loss and accuracy per epoch of one training.
pub struct TrainingCurves<'a>(pub &'a Training);

impl Figure for TrainingCurves<'_> {
    fn size(&self) -> (u32, u32) {
        (960, 380)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn {
        let training = self.0;
        let root = root
            .titled(&format!("training: {}", training.name), text(20.0))
            .map_err(failed)?;
        let panels = root.split_evenly((1, 2));
        let per_epoch = |pick: &dyn Fn(&super::run_files::Epoch) -> Option<f64>| {
            training
                .epochs
                .iter()
                .filter_map(|e| pick(e).map(|v| (e.epoch, v)))
                .collect::<Vec<_>>()
        };
        let loss = vec![Series {
            label: "train loss".into(),
            color: palette::BLUE,
            points: per_epoch(&|e| Some(e.train_loss)),
            underlay: false,
        }];
        line_chart(&panels[0], "loss", "epoch", "loss", &loss)?;
        let mut accuracy = vec![Series {
            label: "train".into(),
            color: palette::BLUE,
            points: per_epoch(&|e| Some(e.train_accuracy * 100.0)),
            underlay: false,
        }];
        let eval = per_epoch(&|e| e.eval_accuracy.map(|a| a * 100.0));
        if !eval.is_empty() {
            accuracy.push(Series {
                label: "evaluation".into(),
                color: palette::ORANGE,
                points: eval,
                underlay: false,
            });
        }
        line_chart(&panels[1], "accuracy", "epoch", "accuracy (%)", &accuracy)
    }
}

/// Best, median and worst score of each generation's candidates in one stage, and the best
/// so far.
pub struct SearchProgress<'a> {
    /// The stage's label for the title.
    pub stage: &'a str,
    /// Its candidates in scoring order.
    pub candidates: Vec<&'a Candidate>,
}

/// Per generation: (generation, best, median, worst, best so far), scores in %.
pub fn generation_stats(candidates: &[&Candidate]) -> Vec<(i64, f64, f64, f64, f64)> {
    let mut generations: Vec<i64> = candidates.iter().map(|c| c.generation).collect();
    generations.sort_unstable();
    generations.dedup();
    let mut best_so_far = f64::NEG_INFINITY;
    generations
        .into_iter()
        .map(|g| {
            let scores: Vec<f64> = candidates
                .iter()
                .filter(|c| c.generation == g)
                .map(|c| c.score * 100.0)
                .collect();
            let s = Spread::of(&scores).expect("every listed generation has a candidate");
            best_so_far = best_so_far.max(s.max);
            (g, s.max, s.median, s.min, best_so_far)
        })
        .collect()
}

impl Figure for SearchProgress<'_> {
    fn size(&self) -> (u32, u32) {
        (720, 420)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn {
        let stats = generation_stats(&self.candidates);
        let pick = |f: fn(&(i64, f64, f64, f64, f64)) -> f64| {
            stats.iter().map(|s| (s.0 as f64, f(s))).collect::<Vec<_>>()
        };
        let series = [
            ("best so far", palette::RED, pick(|s| s.4)),
            ("best", palette::BLUE, pick(|s| s.1)),
            ("median", palette::GREEN, pick(|s| s.2)),
            ("worst", palette::ORANGE, pick(|s| s.3)),
        ]
        .map(|(label, color, points)| Series {
            underlay: label == "best so far",
            label: label.into(),
            color,
            points,
        });
        let title = format!("search progress, {}", stage_title(self.stage));
        line_chart(root, &title, "generation", "score (%)", &series)
    }
}

/// Every scored candidate of a stage: score against MFLOPs, the Pareto front (higher score,
/// fewer MFLOPs) as a staircase, and the chosen architectures ringed.
pub struct ParetoPlot<'a> {
    /// The stage's label for the title.
    pub stage: &'a str,
    /// Its candidates.
    pub candidates: Vec<&'a Candidate>,
    /// Compact forms of the architectures to mark as chosen.
    pub chosen: Vec<String>,
}

/// The indices of `candidates` on the Pareto front (maximise score, minimise MFLOPs),
/// cheapest first.
pub fn front(candidates: &[&Candidate]) -> Vec<usize> {
    let points: Vec<Vec<f64>> = candidates
        .iter()
        .map(|c| vec![-c.score, c.mflops])
        .collect();
    let mut front = pareto::fronts(&points)
        .into_iter()
        .next()
        .unwrap_or_default();
    front.sort_by(|&a, &b| candidates[a].mflops.total_cmp(&candidates[b].mflops));
    front
}

impl Figure for ParetoPlot<'_> {
    fn size(&self) -> (u32, u32) {
        (720, 480)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn {
        let all: Vec<(f64, f64)> = self
            .candidates
            .iter()
            .map(|c| (c.mflops, c.score * 100.0))
            .collect();
        let title = format!("score against MFLOPs, {}", stage_title(self.stage));
        let mut chart = ChartBuilder::on(root)
            .caption(title, text(20.0))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(span(all.iter().map(|p| p.0)), span(all.iter().map(|p| p.1)))
            .map_err(failed)?;
        chart
            .configure_mesh()
            .x_desc("MFLOPs")
            .y_desc("score (%)")
            .label_style(text(13.0))
            .axis_desc_style(text(14.0))
            .light_line_style(WHITE)
            .draw()
            .map_err(failed)?;
        chart
            .draw_series(
                all.iter()
                    .map(|&p| Circle::new(p, 3, palette::GREY.mix(0.9).filled())),
            )
            .map_err(failed)?
            .label(format!("candidates ({})", all.len()))
            .legend(|(x, y)| Circle::new((x + 8, y), 3, palette::GREY.filled()));
        let front: Vec<(f64, f64)> = front(&self.candidates)
            .into_iter()
            .map(|i| all[i])
            .collect();
        let mut staircase = Vec::new();
        for (k, &p) in front.iter().enumerate() {
            if k > 0 {
                staircase.push((p.0, front[k - 1].1));
            }
            staircase.push(p);
        }
        chart
            .draw_series(LineSeries::new(staircase, palette::RED.stroke_width(2)))
            .map_err(failed)?;
        chart
            .draw_series(
                front
                    .iter()
                    .map(|&p| Circle::new(p, 4, palette::RED.filled())),
            )
            .map_err(failed)?
            .label(format!("Pareto front ({})", front.len()))
            .legend(|(x, y)| Circle::new((x + 8, y), 4, palette::RED.filled()));
        let chosen: Vec<(f64, f64)> = self
            .candidates
            .iter()
            .zip(&all)
            .filter(|(c, _)| self.chosen.contains(&c.arch))
            .map(|(_, &p)| p)
            .collect();
        if !chosen.is_empty() {
            chart
                .draw_series(
                    chosen
                        .iter()
                        .map(|&p| Circle::new(p, 9, palette::INK.stroke_width(2))),
                )
                .map_err(failed)?
                .label("chosen")
                .legend(|(x, y)| Circle::new((x + 8, y), 6, palette::INK.stroke_width(2)));
        }
        legend(&mut chart)
    }
}

/// A line chart with points, one per series, and a legend.
fn line_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
) -> Drawn {
    let xs = series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
    let ys = series.iter().flat_map(|s| s.points.iter().map(|p| p.1));
    // Epochs and generations are whole numbers: label only those.
    let distinct_x = series.iter().map(|s| s.points.len()).max().unwrap_or(1);
    let whole = |x: &f64| {
        if (x - x.round()).abs() < 1e-6 {
            format!("{}", x.round())
        } else {
            String::new()
        }
    };
    let mut chart = ChartBuilder::on(area)
        .caption(title, text(16.0))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(span(xs), span(ys))
        .map_err(failed)?;
    chart
        .configure_mesh()
        .x_labels(distinct_x.clamp(2, 12))
        .x_label_formatter(&whole)
        .x_desc(x_label)
        .y_desc(y_label)
        .label_style(text(13.0))
        .axis_desc_style(text(14.0))
        .light_line_style(WHITE)
        .draw()
        .map_err(failed)?;
    for s in series {
        let color = s.color;
        let style = if s.underlay {
            color.mix(0.35).stroke_width(8)
        } else {
            color.stroke_width(2)
        };
        chart
            .draw_series(LineSeries::new(s.points.clone(), style))
            .map_err(failed)?
            .label(s.label.clone())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], style));
        if s.underlay {
            continue;
        }
        chart
            .draw_series(s.points.iter().map(|&p| Circle::new(p, 3, color.filled())))
            .map_err(failed)?;
    }
    legend(&mut chart)
}

fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
) -> Drawn {
    chart
        .configure_series_labels()
        .label_font(text(13.0))
        .background_style(WHITE.mix(0.85))
        .border_style(palette::GREY)
        .position(SeriesLabelPosition::LowerRight)
        .draw()
        .map_err(failed)
}

/// An axis range covering `values` with a margin; a single value gets a unit-wide range.
pub(super) fn span(values: impl Iterator<Item = f64>) -> Range<f64> {
    let (low, high) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !low.is_finite() {
        return 0.0..1.0;
    }
    let pad = if high > low {
        (high - low) * 0.06
    } else {
        0.5_f64.max(low.abs() * 0.05)
    };
    (low - pad)..(high + pad)
}

/// `stage 1`, or `all candidates` for the unnamed stage.
pub fn stage_title(stage: &str) -> String {
    if stage.is_empty() {
        "all candidates".into()
    } else if stage.chars().all(|c| c.is_ascii_digit()) {
        format!("stage {stage}")
    } else {
        stage.to_string()
    }
}
