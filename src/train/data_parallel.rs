//! Data-parallel steps: one batch split over several devices, the network on the first and a
//! replica on each other one training the same architecture on its share, their gradients
//! summed on the first device (`GradientsParams::to_device` and `GradientsAccumulator`, as in
//! Burn's own multi-device training).
//!
//! A replica is the network's weights moved without autodiff and tracked again on its device
//! (what Burn's `fork` does, but also between two backends, which `fork` refuses), with its
//! own BatchNorm statistics ([`crate::model`]'s `RunningStat`): nothing of it is left on the
//! first device, nothing of the network on another.
//!
//! The step's architecture is drawn once, from the step's stream, before the batch is split:
//! every replica trains the same path, whatever the number of devices. The batch (with its
//! augmentation) is made once, as on one device. Each share's loss is weighted by its share
//! of the batch, so the summed gradient is the whole batch's mean-loss gradient. Two things
//! differ from one device: BatchNorm normalises each share with that share's statistics, and
//! the running statistics are the first device's, blended from its share only (PyTorch's DDP
//! without SyncBatchNorm: rank 0's buffers); and each replica draws its drop-path masks from
//! its own stream (one device draws them all from replica 0's), derived from the seed, the
//! step and the replica.
//!
//! Replicas are driven from one thread, one after the other: on GPUs their kernels queue
//! asynchronously and overlap; and the order of every update is fixed, so a run is
//! reproducible bit for bit.

use std::collections::HashSet;

use burn::module::{AutodiffModule, Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::optim::{GradientsAccumulator, GradientsParams};
use burn::tensor::backend::{AutodiffBackend, DeviceOps};
use burn::tensor::{ElementConversion, Tensor};

use super::loss::{correct, smoothed_cross_entropy};
use super::parallel::shares;
use crate::data::Batch;
use crate::error::Result;
use crate::model::{Pass, Supernet};
use crate::rng::SearchRng;
use crate::space::Arch;

/// What one step over all replicas produced.
pub struct StepOutcome {
    /// The whole batch's gradient, on the first device.
    pub grads: GradientsParams,
    /// The batch's mean loss (not finite when training diverged).
    pub loss: f64,
    /// Correct predictions in the batch.
    pub hits: usize,
}

/// The gradient of `net` along `arch` on `batch`, computed in shares on `devices` (the first
/// is the one `net` lives on).
pub fn step<B: AutodiffBackend>(
    net: &Supernet<B>,
    devices: &[B::Device],
    batch: Batch<B>,
    arch: &Arch,
    drop_path: f64,
    label_smoothing: f64,
    masks: impl Fn(usize) -> SearchRng,
) -> Result<StepOutcome> {
    let n = batch.label_values.len();
    let main = &devices[0];
    let mut accumulator = GradientsAccumulator::<Supernet<B>>::new();
    let mut pending = Vec::new();
    let shares = shares(n, devices.len(), 1);
    for (index, (share, device)) in shares.into_iter().zip(devices).enumerate() {
        let mut masks = masks(index);
        let copy;
        let replica = if index == 0 {
            net
        } else {
            copy = replica_on(net, device);
            &copy
        };
        // Moved without autodiff: an autodiff tensor cannot cross backends.
        let images = batch.images.clone().narrow(0, share.start, share.len());
        let images = Tensor::from_inner(images.inner().to_device(device.inner()));
        let labels = &batch.label_values[share.clone()];
        let mut pass = Pass::Train {
            drop_path,
            rng: &mut masks,
        };
        let logits = replica.forward_pass(images, arch, &mut pass)?;
        let loss = smoothed_cross_entropy(logits.clone(), labels, label_smoothing);
        let weight = share.len() as f64 / n as f64;
        let grads =
            GradientsParams::from_grads(loss.clone().mul_scalar(weight).backward(), replica);
        // Gradients live on the inner (non-autodiff) backend: move them to its device.
        accumulator.accumulate(net, grads.to_device(main.inner(), net));
        // Read back once every replica's work is queued.
        pending.push((logits.detach(), loss.detach(), share, weight));
    }
    let mut loss_value = 0.0;
    let mut hits = 0;
    for (logits, loss, share, weight) in pending {
        let value: f64 = loss.into_scalar().elem();
        loss_value += value * weight;
        hits += correct(logits, &batch.label_values[share]);
    }
    Ok(StepOutcome {
        grads: accumulator.grads(),
        loss: loss_value,
        hits,
    })
}

/// `net`'s weights on `device`, which may belong to another backend, tracked for gradients
/// where `net`'s are: moved without autodiff, then tracked again (moving drops the flag).
fn replica_on<B: AutodiffBackend>(net: &Supernet<B>, device: &B::Device) -> Supernet<B> {
    let mut tracked = Tracked::default();
    net.visit(&mut tracked);
    Supernet::from_inner(net.valid().to_device(device.inner())).map(&mut tracked)
}

/// The ids of the parameters that take gradients (not BatchNorm statistics).
#[derive(Default)]
struct Tracked(HashSet<ParamId>);

impl<B: AutodiffBackend> ModuleVisitor<B> for Tracked {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        if param.val().is_require_grad() {
            self.0.insert(param.id);
        }
    }
}

impl<B: AutodiffBackend> ModuleMapper<B> for Tracked {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        if !self.0.contains(&param.id) {
            return param;
        }
        let (id, tensor, _) = param.consume();
        Param::initialized(id, tensor.require_grad())
    }
}
