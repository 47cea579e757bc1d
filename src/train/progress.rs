//! A one-line progress bar on a terminal's stderr (indicatif): loss, accuracy, images/s and
//! time left. Silent when stderr is not a terminal or the run is quiet (logs get the
//! per-epoch summary instead).

use std::io::IsTerminal;
use std::time::Instant;

use indicatif::{ProgressDrawTarget, ProgressStyle};

/// How the bar reads: `epoch 3/10 [########........] 120/300 loss 1.2345 acc 41.2% 850 img/s 1m05s left`.
const TEMPLATE: &str = "{prefix} [{bar:24}] {pos}/{len} {msg} {eta} left";

/// Progress through one loop of `total` steps.
pub struct ProgressBar {
    bar: Option<indicatif::ProgressBar>,
    started: Instant,
    /// Whether the first update (which sets where a resumed loop started) has come.
    placed: bool,
}

impl ProgressBar {
    /// A bar for `total` steps, shown only on a terminal and when not `quiet`.
    pub fn new(label: impl Into<String>, total: usize, quiet: bool) -> Self {
        let shown = !quiet && std::io::stderr().is_terminal();
        let bar = shown.then(|| {
            // Five redraws a second at most: a step can take milliseconds.
            let target = ProgressDrawTarget::stderr_with_hz(5);
            let bar = indicatif::ProgressBar::with_draw_target(Some(total as u64), target);
            let style = ProgressStyle::with_template(TEMPLATE)
                .expect("the template is valid")
                .progress_chars("#.");
            bar.set_style(style);
            bar.set_prefix(label.into());
            bar
        });
        ProgressBar {
            bar,
            started: Instant::now(),
            placed: false,
        }
    }

    /// Shows step `done` of `total`, from `first` (where a resumed loop started, so the rate
    /// and the time left count only this run's steps), with `images` seen so far.
    pub fn update(&mut self, done: usize, first: usize, images: usize, loss: f64, accuracy: f64) {
        let Some(bar) = &self.bar else {
            return;
        };
        if !self.placed {
            bar.set_position(first as u64);
            bar.reset_eta();
            self.placed = true;
        }
        let rate = images as f64 / self.started.elapsed().as_secs_f64().max(1e-9);
        bar.set_message(format!(
            "loss {loss:.4} acc {:.1}% {rate:.0} img/s",
            accuracy * 100.0
        ));
        bar.set_position(done as u64);
    }

    /// Clears the line.
    pub fn finish(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// `1h02m`, `3m05s` or `42s`.
pub fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match (s / 3600, s / 60 % 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m{s:02}s"),
        (h, m, _) => format!("{h}h{m:02}m"),
    }
}
