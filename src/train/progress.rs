//! A one-line progress bar on a terminal's stderr: loss, accuracy, images/s and time left.
//! Silent when stderr is not a terminal (logs get the per-epoch summary instead).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Progress through one loop of `total` steps.
pub struct ProgressBar {
    label: String,
    total: usize,
    started: Instant,
    last_drawn: Option<Instant>,
    enabled: bool,
}

impl ProgressBar {
    /// A bar for `total` steps, shown only on a terminal and when not `quiet`.
    pub fn new(label: impl Into<String>, total: usize, quiet: bool) -> Self {
        ProgressBar {
            label: label.into(),
            total,
            started: Instant::now(),
            last_drawn: None,
            enabled: !quiet && std::io::stderr().is_terminal(),
        }
    }

    /// Redraws (at most five times a second) after step `done` of `total`, from `first`
    /// (where a resumed loop started, for a fair rate).
    pub fn update(&mut self, done: usize, first: usize, images: usize, loss: f64, accuracy: f64) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        if self
            .last_drawn
            .is_some_and(|t| now - t < Duration::from_millis(200))
            && done < self.total
        {
            return;
        }
        self.last_drawn = Some(now);
        let elapsed = (now - self.started).as_secs_f64().max(1e-9);
        let rate = images as f64 / elapsed;
        let per_step = elapsed / (done - first).max(1) as f64;
        let left = per_step * (self.total - done) as f64;
        let width = 24;
        let filled = width * done / self.total.max(1);
        let bar: String = (0..width)
            .map(|i| if i < filled { '#' } else { '.' })
            .collect();
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r{} [{bar}] {done}/{} loss {loss:.4} acc {:.1}% {rate:.0} img/s {} left ",
            self.label,
            self.total,
            accuracy * 100.0,
            clock(left)
        );
        let _ = err.flush();
    }

    /// Clears the line.
    pub fn finish(&mut self) {
        if self.enabled {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
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
