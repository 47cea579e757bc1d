//! AdamW as timm configures it for DeiT: decoupled weight decay on weight matrices and
//! kernels only (not on norms, biases, position embeddings or the cls token), gradients
//! clipped by their global norm. Moments are keyed by parameter name, so they survive a
//! checkpoint round trip and stay readable in one.

use std::collections::BTreeMap;

use burn::module::{AutodiffModule, ModuleMapper, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{ElementConversion, Tensor};

use super::config::TrainConfig;
use crate::model::{HostTensor, ModulePath, NamedTensors};

/// Whether the parameter called `name`, of rank `rank`, gets weight decay: timm's rule
/// (`ndim <= 1` or `.bias` or in `no_weight_decay()`), with GLiT's `{pos_embed, cls_token}`
/// named `positions` and `cls_token` here.
pub fn decays(name: &str, rank: usize) -> bool {
    let field = name.rsplit('.').next().unwrap_or(name);
    rank > 1 && field != "bias" && name != "positions" && name != "cls_token"
}

/// One parameter's optimiser state.
#[derive(Clone, Debug)]
struct Moments<B: AutodiffBackend> {
    first: Tensor<B::InnerBackend, 1>,
    second: Tensor<B::InnerBackend, 1>,
    /// Steps this parameter has taken (it is skipped in steps that give it no gradient).
    steps: u64,
}

/// AdamW with named moments.
#[derive(Clone, Debug)]
pub struct AdamW<B: AutodiffBackend> {
    moments: BTreeMap<String, Moments<B>>,
}

impl<B: AutodiffBackend> Default for AdamW<B> {
    fn default() -> Self {
        AdamW {
            moments: BTreeMap::new(),
        }
    }
}

impl<B: AutodiffBackend> AdamW<B> {
    /// One step at learning rate `lr`: clips `grads` to `config.clip_grad_norm` (by their
    /// global norm) and updates every parameter of `module` that has a gradient. Returns the
    /// updated module and the gradient norm before clipping.
    pub fn step<M: AutodiffModule<B>>(
        &mut self,
        module: M,
        mut grads: GradientsParams,
        lr: f64,
        config: &TrainConfig,
    ) -> (M, f64) {
        let norm = global_norm::<B, M>(&module, &grads);
        let scale = match config.clip_grad_norm {
            Some(max) if norm > max => max / (norm + 1e-6),
            _ => 1.0,
        };
        let mut update = Update {
            path: ModulePath::default(),
            grads: &mut grads,
            moments: &mut self.moments,
            lr,
            scale,
            config,
        };
        (module.map(&mut update), norm)
    }

    /// The moments as host tensors (`<name>.first`, `<name>.second`) and each parameter's step
    /// count, for a checkpoint.
    pub fn state(&self) -> (NamedTensors, BTreeMap<String, u64>) {
        let mut tensors = NamedTensors::new();
        let mut steps = BTreeMap::new();
        for (name, moments) in &self.moments {
            for (suffix, tensor) in [("first", &moments.first), ("second", &moments.second)] {
                let values = tensor.clone().into_data().convert::<f32>().to_vec();
                let values = values.expect("moments are floats");
                let shape = vec![values.len()];
                tensors.insert(format!("{name}.{suffix}"), HostTensor { shape, values });
            }
            steps.insert(name.clone(), moments.steps);
        }
        (tensors, steps)
    }

    /// The optimiser a checkpoint's [`AdamW::state`] describes, on `device`. A moment named
    /// in `steps` but missing from `tensors` is reported by name.
    pub fn from_state(
        tensors: &NamedTensors,
        steps: &BTreeMap<String, u64>,
        device: &burn::tensor::ops::Device<B::InnerBackend>,
    ) -> std::result::Result<Self, String> {
        let mut moments = BTreeMap::new();
        for (name, &count) in steps {
            let load = |suffix: &str| {
                let key = format!("{name}.{suffix}");
                let host = tensors
                    .get(&key)
                    .ok_or_else(|| format!("optimiser moment `{key}` is missing"))?;
                let data = burn::tensor::TensorData::new(host.values.clone(), [host.values.len()]);
                Ok::<_, String>(Tensor::from_data(data, device))
            };
            moments.insert(
                name.clone(),
                Moments {
                    first: load("first")?,
                    second: load("second")?,
                    steps: count,
                },
            );
        }
        Ok(AdamW { moments })
    }
}

/// √(Σ ‖g‖²) over every gradient in `grads`, read back once.
fn global_norm<B: AutodiffBackend, M: AutodiffModule<B>>(
    module: &M,
    grads: &GradientsParams,
) -> f64 {
    struct SumSquares<'a, B: AutodiffBackend> {
        grads: &'a GradientsParams,
        total: Option<Tensor<B::InnerBackend, 1>>,
    }
    impl<B: AutodiffBackend> ModuleVisitor<B> for SumSquares<'_, B> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            if let Some(grad) = self.grads.get::<B::InnerBackend, D>(param.id) {
                let part = grad.square().sum();
                self.total = Some(match self.total.take() {
                    Some(total) => total + part,
                    None => part,
                });
            }
        }
    }
    let mut sum = SumSquares::<B> { grads, total: None };
    module.visit(&mut sum);
    sum.total
        .map_or(0.0, |t| t.into_scalar().elem::<f64>().sqrt())
}

/// The mapper that applies one AdamW step to every parameter with a gradient.
struct Update<'a, B: AutodiffBackend> {
    path: ModulePath,
    grads: &'a mut GradientsParams,
    moments: &'a mut BTreeMap<String, Moments<B>>,
    lr: f64,
    scale: f64,
    config: &'a TrainConfig,
}

impl<B: AutodiffBackend> ModuleMapper<B> for Update<'_, B> {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.path.enter(name);
    }

    fn exit_module(&mut self, _: &str, _: &str) {
        self.path.exit();
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        let (id, tensor, mapper) = param.consume();
        let Some(grad) = self.grads.remove::<B::InnerBackend, D>(id) else {
            return Param::from_mapped_value(id, tensor, mapper);
        };
        let name = self.path.name();
        let c = self.config;
        let shape = tensor.dims();
        let count = shape.iter().product::<usize>();
        let grad = grad.reshape([count]) * self.scale;
        let device = grad.device();
        let state = self.moments.entry(name.clone()).or_insert_with(|| Moments {
            first: Tensor::zeros([count], &device),
            second: Tensor::zeros([count], &device),
            steps: 0,
        });
        state.steps += 1;
        state.first = state.first.clone() * c.beta1 + grad.clone() * (1.0 - c.beta1);
        state.second = state.second.clone() * c.beta2 + grad.square() * (1.0 - c.beta2);
        let t = state.steps as i32;
        let first_hat = state.first.clone() / (1.0 - c.beta1.powi(t));
        let second_hat = state.second.clone() / (1.0 - c.beta2.powi(t));
        let delta = first_hat / (second_hat.sqrt() + c.epsilon);
        let mut value = tensor.inner().reshape([count]);
        if decays(&name, D) {
            value = value * (1.0 - self.lr * c.weight_decay);
        }
        let value = (value - delta * self.lr).reshape(shape);
        let updated = Tensor::from_inner(value).require_grad();
        Param::from_mapped_value(id, updated, mapper)
    }
}
