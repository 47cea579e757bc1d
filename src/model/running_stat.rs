//! A BatchNorm running statistic that stays where its network is.
//!
//! Burn's `RunningState` keeps one value behind a pointer that every clone shares and that
//! `to_device` and `fork` move in place, so every copy of a network (the replicas of a
//! data-parallel step, the copies scorers move to their devices) ends up reading the
//! statistic from whichever device was named last. Here clones still share the value (a
//! network and its clone are one network), but [`Module::to_device`] and [`Module::fork`]
//! make an independent copy on the new device: each replica has its own statistics, and the
//! network it was copied from keeps its own where they were.
//!
//! Records, visitors and mappers see one `Param` with the statistic's id, as with
//! `RunningState`, so checkpoints do not change.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use burn::module::{
    AutodiffModule, Content, Devices, Module, ModuleDisplay, ModuleDisplayDefault, ModuleMapper,
    ModuleVisitor, Param, ParamId,
};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::Tensor;

/// A per-channel running statistic (mean or variance).
#[derive(Clone, Debug)]
pub struct RunningStat<B: Backend> {
    id: ParamId,
    value: Arc<Mutex<Tensor<B, 1>>>,
}

impl<B: Backend> RunningStat<B> {
    /// A statistic starting at `value`, on `value`'s device.
    pub fn new(value: Tensor<B, 1>) -> Self {
        Self::with_id(ParamId::new(), value)
    }

    fn with_id(id: ParamId, value: Tensor<B, 1>) -> Self {
        RunningStat {
            id,
            value: Arc::new(Mutex::new(value)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Tensor<B, 1>> {
        // A poisoned lock still holds a whole tensor: updates replace it in one assignment.
        self.value.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current value.
    pub fn value(&self) -> Tensor<B, 1> {
        self.lock().clone()
    }

    /// Replaces the value (on the same device).
    pub fn set(&self, value: Tensor<B, 1>) {
        *self.lock() = value;
    }
}

impl<B: Backend> Module<B> for RunningStat<B> {
    type Record = Param<Tensor<B, 1>>;

    fn visit<V: ModuleVisitor<B>>(&self, visitor: &mut V) {
        visitor.visit_float(&Param::initialized(self.id, self.lock().clone()));
    }

    fn map<M: ModuleMapper<B>>(self, mapper: &mut M) -> Self {
        let param = mapper.map_float(Param::initialized(self.id, self.lock().clone()));
        let (_, value, _) = param.consume();
        *self.lock() = value;
        self
    }

    fn into_record(self) -> Self::Record {
        Param::initialized(self.id, self.lock().clone())
    }

    fn load_record(mut self, record: Self::Record) -> Self {
        {
            let mut value = self.lock();
            let device = value.device();
            *value = record.val().to_device(&device);
        }
        self.id = record.id;
        self
    }

    fn to_device(self, device: &B::Device) -> Self {
        let value = self.value().to_device(device);
        Self::with_id(self.id, value)
    }

    fn fork(self, device: &B::Device) -> Self {
        self.to_device(device)
    }

    fn collect_devices(&self, mut devices: Devices<B>) -> Devices<B> {
        let device = self.lock().device();
        if !devices.contains(&device) {
            devices.push(device);
        }
        devices
    }
}

impl<B: AutodiffBackend> AutodiffModule<B> for RunningStat<B> {
    type InnerModule = RunningStat<B::InnerBackend>;

    fn valid(&self) -> Self::InnerModule {
        RunningStat::with_id(self.id, self.value().inner())
    }

    fn from_inner(module: Self::InnerModule) -> Self {
        RunningStat::with_id(module.id, Tensor::from_inner(module.value()))
    }
}

impl<B: Backend> std::fmt::Display for RunningStat<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "RunningStat(id={})", self.id)
    }
}

impl<B: Backend> ModuleDisplayDefault for RunningStat<B> {
    fn content(&self, content: Content) -> Option<Content> {
        content.add_formatted(&"RunningStat".to_string()).optional()
    }
}

impl<B: Backend> ModuleDisplay for RunningStat<B> {}
