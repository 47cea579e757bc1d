//! The learning-rate schedule: linear warm-up, then a cosine down to a floor (timm's
//! `CosineLRScheduler` as DeiT configures it), evaluated per step rather than per epoch so
//! that runs of a few epochs still anneal smoothly.

use super::config::TrainConfig;

/// Learning rate per step of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    lr: f64,
    min_lr: f64,
    warmup_lr: f64,
    warmup_steps: usize,
    total_steps: usize,
}

impl Schedule {
    /// The schedule of `config` over `steps_per_epoch × epochs` steps.
    pub fn new(config: &TrainConfig, steps_per_epoch: usize) -> Self {
        let total_steps = (config.epochs * steps_per_epoch).max(1);
        let warmup_steps = (config.warmup_epochs * steps_per_epoch as f64).round() as usize;
        Schedule {
            lr: config.lr,
            min_lr: config.min_lr,
            warmup_lr: config.warmup_lr,
            warmup_steps: warmup_steps.min(total_steps),
            total_steps,
        }
    }

    /// The learning rate of step `step` (from 0).
    pub fn lr_at(&self, step: usize) -> f64 {
        if step < self.warmup_steps {
            let progress = step as f64 / self.warmup_steps as f64;
            return self.warmup_lr + (self.lr - self.warmup_lr) * progress;
        }
        let span = (self.total_steps - self.warmup_steps).max(1) as f64;
        let progress = ((step - self.warmup_steps) as f64 / span).min(1.0);
        let cosine = 0.5 * (1.0 + (std::f64::consts::PI * progress).cos());
        self.min_lr + (self.lr - self.min_lr) * cosine
    }
}
