//! The small-data guard: whether a finished training learned anything, judged from its
//! per-epoch history and the size of its training split, with what to change when it did not.
//!
//! A vision transformer trained on a few hundred images, or for a few dozen optimiser steps,
//! stays at chance; every score and accuracy of a search built on it is then noise. Nothing
//! fails, so without this check a run would report those numbers as if they meant something.

use super::EpochMetrics;

/// The stated floor: fewer training images per class than this is too few for any preset
/// here to learn from in the epochs a search can afford.
pub const MIN_IMAGES_PER_CLASS: usize = 100;

/// A training within this factor of chance accuracy at its end has not learned.
const NEAR_CHANCE: f64 = 1.5;

/// A loss that fell by less than this fraction from the first epoch to the last has not
/// fallen.
const MIN_LOSS_DROP: f64 = 0.01;

/// What one training was: its history and the data it saw.
#[derive(Clone, Copy, Debug)]
pub struct TrainingFacts<'a> {
    /// Per-epoch metrics, in order.
    pub history: &'a [EpochMetrics],
    /// Images in the training split.
    pub train_images: usize,
    /// Classes of the data set.
    pub classes: usize,
}

/// Why a training is not to be trusted: each finding, and one piece of advice.
#[derive(Clone, Debug, PartialEq)]
pub struct NotLearning {
    /// What was seen, one phrase each.
    pub findings: Vec<String>,
    /// What to change.
    pub advice: String,
}

impl NotLearning {
    /// One line for the run's output and its report: findings, then advice.
    pub fn message(&self, training: &str) -> String {
        format!(
            "training `{training}` is too small to learn: {}. {}",
            self.findings.join("; "),
            self.advice
        )
    }
}

/// Checks one finished training; `None` when it learned and had enough data.
pub fn check(facts: TrainingFacts) -> Option<NotLearning> {
    let mut findings = Vec::new();
    let classes = facts.classes.max(1);
    let floor = MIN_IMAGES_PER_CLASS * classes;
    if facts.train_images < floor {
        findings.push(format!(
            "{} training images for {classes} classes, under the floor of {floor} \
             ({MIN_IMAGES_PER_CLASS} per class)",
            facts.train_images
        ));
    }
    if let (Some(first), Some(last)) = (facts.history.first(), facts.history.last()) {
        let chance = 1.0 / classes as f64;
        if last.train_accuracy < NEAR_CHANCE * chance {
            findings.push(format!(
                "training accuracy {:.1} % after {} epoch{}, chance is {:.1} %",
                last.train_accuracy * 100.0,
                last.epoch,
                if last.epoch == 1 { "" } else { "s" },
                chance * 100.0
            ));
        }
        let fell = last.train_loss < first.train_loss * (1.0 - MIN_LOSS_DROP);
        if facts.history.len() >= 2 && !fell {
            findings.push(format!(
                "its loss did not fall after the first epoch ({:.3} → {:.3})",
                first.train_loss, last.train_loss
            ));
        }
    }
    if findings.is_empty() {
        return None;
    }
    let steps = facts.history.last().map_or(0, |m| m.step);
    Some(NotLearning {
        findings,
        advice: format!(
            "It took {steps} optimiser steps; give it more: more training images \
             (`train_images`, 0 for all), more epochs (`supernet_epochs`, `final_epochs`, \
             `epochs`), a smaller batch (`batch_size`), or a smaller preset (`nano`)"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epoch(epoch: usize, loss: f64, accuracy: f64) -> EpochMetrics {
        EpochMetrics {
            epoch,
            step: epoch * 16,
            lr: 1e-3,
            train_loss: loss,
            train_accuracy: accuracy,
            eval_accuracy: None,
            images_per_second: 100.0,
            seconds: 1.0,
        }
    }

    fn facts(history: &[EpochMetrics], train_images: usize) -> TrainingFacts<'_> {
        TrainingFacts {
            history,
            train_images,
            classes: 10,
        }
    }

    #[test]
    fn a_training_that_learned_on_enough_data_passes() {
        let history = [epoch(1, 1.9, 0.35), epoch(2, 1.2, 0.62)];
        assert_eq!(check(facts(&history, 9000)), None);
    }

    #[test]
    fn too_few_images_is_named_with_the_floor() {
        let history = [epoch(1, 1.9, 0.35), epoch(2, 1.2, 0.62)];
        let found = check(facts(&history, 999)).expect("under the floor");
        assert_eq!(found.findings.len(), 1);
        assert!(found.findings[0].contains("999 training images for 10 classes"));
        assert!(found.findings[0].contains("floor of 1000"));
    }

    #[test]
    fn chance_accuracy_and_a_flat_loss_are_both_reported() {
        let history = [epoch(1, 2.302, 0.10), epoch(2, 2.301, 0.11)];
        let found = check(facts(&history, 5000)).expect("at chance");
        assert_eq!(found.findings.len(), 2, "{:?}", found.findings);
        assert!(found.findings[0].contains("11.0 % after 2 epochs, chance is 10.0 %"));
        assert!(found.findings[1].contains("did not fall"));
        let message = found.message("final");
        assert!(message.starts_with("training `final` is too small to learn"));
        assert!(message.contains("32 optimiser steps"));
    }

    #[test]
    fn a_single_epoch_is_judged_by_accuracy_alone() {
        assert_eq!(check(facts(&[epoch(1, 2.2, 0.3)], 5000)), None);
        assert!(check(facts(&[epoch(1, 2.3, 0.12)], 5000)).is_some());
    }
}
