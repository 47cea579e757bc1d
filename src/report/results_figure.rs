//! The results figure: test accuracy against MFLOPs, one marker per run (colour and shape by
//! method), each method's mean ringed.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::figure::{failed, palette, text, Drawn, Figure};
use super::plots::span;
use super::results::{method_title, MethodRun, MethodSummary};

/// Every run of methods.csv, and the summaries for the means.
pub struct AccuracyAgainstMflops<'a> {
    /// The runs.
    pub runs: &'a [MethodRun],
    /// Their per-method summaries (order gives colours).
    pub summaries: &'a [MethodSummary],
}

impl Figure for AccuracyAgainstMflops<'_> {
    fn size(&self) -> (u32, u32) {
        (760, 500)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn {
        let points = || {
            self.runs
                .iter()
                .map(|r| (r.mflops, r.test_accuracy * 100.0))
        };
        // Headroom above the markers for the legend, so that it never covers a run.
        let y = span(points().map(|p| p.1));
        let y_range = y.start..y.end + (y.end - y.start) * 0.6;
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!(
                    "test accuracy against MFLOPs ({} runs; rings: means)",
                    self.runs.len()
                ),
                text(20.0),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(span(points().map(|p| p.0)), y_range)
            .map_err(failed)?;
        chart
            .configure_mesh()
            .x_desc("MFLOPs")
            .y_desc("test accuracy (%)")
            .label_style(text(13.0))
            .axis_desc_style(text(14.0))
            .light_line_style(WHITE)
            .draw()
            .map_err(failed)?;
        for (index, summary) in self.summaries.iter().enumerate() {
            let color = palette::SERIES[index % palette::SERIES.len()];
            let mine: Vec<(f64, f64)> = self
                .runs
                .iter()
                .filter(|r| r.method == summary.method)
                .map(|r| (r.mflops, r.test_accuracy * 100.0))
                .collect();
            // Shapes as well as colours, so the figure reads in grey too.
            let label = format!("{} ({} runs)", method_title(&summary.method), mine.len());
            match index % 2 {
                0 => chart
                    .draw_series(mine.iter().map(|&p| Circle::new(p, 5, color.filled())))
                    .map_err(failed)?
                    .label(label)
                    .legend(move |(x, y)| Circle::new((x + 8, y), 5, color.filled())),
                _ => chart
                    .draw_series(
                        mine.iter()
                            .map(|&p| TriangleMarker::new(p, 6, color.filled())),
                    )
                    .map_err(failed)?
                    .label(label)
                    .legend(move |(x, y)| TriangleMarker::new((x + 8, y), 6, color.filled())),
            };
            let mean = (summary.mflops.mean, summary.accuracy.mean * 100.0);
            chart
                .draw_series([Circle::new(mean, 11, color.stroke_width(2))])
                .map_err(failed)?;
        }
        chart
            .configure_series_labels()
            .label_font(text(13.0))
            .background_style(WHITE.mix(0.85))
            .border_style(palette::GREY)
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .map_err(failed)
    }
}
