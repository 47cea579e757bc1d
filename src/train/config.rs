//! The training recipe: DeiT's (as GLiT retrains with it), scaled to small data where the
//! reference's numbers assume ImageNet. Defaults live here and only here.

use serde::{Deserialize, Serialize};

use crate::data::Augment;
use crate::error::{Error, Result};

/// How a network (supernet or standalone) is trained. Unknown keys in JSON are errors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainConfig {
    /// Passes over the training split.
    pub epochs: usize,
    /// Images per step.
    pub batch_size: usize,
    /// Peak learning rate (the released recipe: 5e-4 × 1024 / 512 = 1e-3).
    pub lr: f64,
    /// Learning rate the cosine ends at.
    pub min_lr: f64,
    /// Learning rate warm-up starts from.
    pub warmup_lr: f64,
    /// Epochs of linear warm-up (fractions allowed; DeiT: 5 of 300).
    pub warmup_epochs: f64,
    /// AdamW's decoupled weight decay, except on norms, biases, positions and the cls token.
    pub weight_decay: f64,
    /// AdamW's first-moment decay.
    pub beta1: f64,
    /// AdamW's second-moment decay.
    pub beta2: f64,
    /// AdamW's denominator epsilon.
    pub epsilon: f64,
    /// Label smoothing of the cross-entropy loss.
    pub label_smoothing: f64,
    /// Largest global gradient norm; larger gradients are scaled down. `None`: no clipping.
    pub clip_grad_norm: Option<f64>,
    /// Drop-path rate of the last block (rising linearly from 0 at the first).
    pub drop_path: f64,
    /// Training augmentation.
    pub augment: Augment,
    /// Write a mid-epoch checkpoint every this many steps (0: only at the end of epochs).
    pub checkpoint_every_steps: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 10,
            batch_size: 128,
            lr: 1e-3,
            min_lr: 1e-5,
            warmup_lr: 1e-6,
            warmup_epochs: 1.0,
            weight_decay: 0.05,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
            label_smoothing: 0.1,
            clip_grad_norm: Some(1.0),
            drop_path: 0.1,
            augment: Augment::default(),
            checkpoint_every_steps: 0,
        }
    }
}

impl TrainConfig {
    /// Checks every value, naming the first bad key.
    pub fn check(&self) -> Result<()> {
        let bad = |key: &str, message: String| {
            Err(Error::InvalidValue {
                key: key.into(),
                message,
            })
        };
        let unit = |x: f64| (0.0..1.0).contains(&x);
        if self.batch_size == 0 {
            return bad("batch_size", "must be a whole number ≥ 1, got 0".into());
        }
        for (key, value) in [
            ("lr", self.lr),
            ("min_lr", self.min_lr),
            ("warmup_lr", self.warmup_lr),
            ("warmup_epochs", self.warmup_epochs),
            ("weight_decay", self.weight_decay),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return bad(key, format!("must be a finite number ≥ 0, got {value}"));
            }
        }
        for (key, value) in [
            ("beta1", self.beta1),
            ("beta2", self.beta2),
            ("label_smoothing", self.label_smoothing),
            ("drop_path", self.drop_path),
        ] {
            if !unit(value) {
                return bad(key, format!("must lie in [0, 1), got {value}"));
            }
        }
        if self.epsilon.is_nan() || self.epsilon <= 0.0 {
            return bad("epsilon", format!("must be > 0, got {}", self.epsilon));
        }
        if let Some(n) = self.clip_grad_norm.filter(|n| n.is_nan() || *n <= 0.0) {
            return bad(
                "clip_grad_norm",
                format!("must be > 0 (or null for no clipping), got {n}"),
            );
        }
        Ok(())
    }

    /// Reads a recipe from JSON; missing keys take their defaults.
    pub fn from_json(text: &str, origin: &str) -> Result<Self> {
        let config: TrainConfig =
            serde_json::from_str(text).map_err(|e| Error::json(origin, &e))?;
        config.check()?;
        Ok(config)
    }

    /// This recipe with `overrides` (key → JSON value) applied key by key. An unknown key or a
    /// value of the wrong type is an error naming the key; the result is checked.
    pub fn with_overrides(
        &self,
        overrides: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<TrainConfig> {
        let mut value = serde_json::to_value(self).expect("a recipe serialises");
        for (key, new) in overrides {
            let map = value.as_object_mut().expect("a recipe is a map");
            if !map.contains_key(key) {
                let known: Vec<&str> = map.keys().map(String::as_str).collect();
                return Err(Error::InvalidValue {
                    key: key.clone(),
                    message: format!("no such training option (known: {})", known.join(", ")),
                });
            }
            let old = map.insert(key.clone(), new.clone()).unwrap_or_default();
            if let Err(e) = serde_json::from_value::<TrainConfig>(value.clone()) {
                let message = match expected(&old) {
                    Some(kind) => format!("must be {kind}, got {new} (was {old})"),
                    None => format!("`{new}` does not fit: {e} (was {old})"),
                };
                return Err(Error::InvalidValue {
                    key: key.clone(),
                    message,
                });
            }
        }
        let config: TrainConfig = serde_json::from_value(value).expect("checked above");
        config.check()?;
        Ok(config)
    }
}

/// What a recipe value of the same kind as `old` must be, in words; `None` for nested ones
/// (whose own error is clearer).
fn expected(old: &serde_json::Value) -> Option<&'static str> {
    use serde_json::Value;
    match old {
        Value::Number(n) if n.is_u64() => Some("a whole number ≥ 0"),
        Value::Number(_) => Some("a number"),
        Value::Bool(_) => Some("true or false"),
        Value::String(_) => Some("text"),
        _ => None,
    }
}
