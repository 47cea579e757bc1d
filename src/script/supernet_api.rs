//! `supernet::`: weight-sharing supernets and standalone networks as script values. A
//! `Supernet` is a shared handle: training through one copy trains the network every copy
//! sees. Each network carries its lineage, a digest of how its weights came to be, which keys
//! its scores in the run journal.

use std::sync::{Arc, Mutex};

use burn::Dispatch;
use rhai::plugin::*;
use rhai::{Engine, Map, Module, INT};

use super::convert::{bad, described, lift, Fallible, Options, RhaiResultOf};
use super::registry::function;
use crate::hashes::digest;
use crate::model::{Sharing, SharingPlan, Supernet};
use crate::rng;
use crate::run::lock;
use crate::run::Shared;
use crate::space::{Arch, Dimension, Space};

/// The script's `Supernet`.
#[derive(Clone)]
pub struct SharedNet(Arc<Mutex<NetState>>);

/// A network and the digest naming its weights.
#[derive(Clone)]
pub struct NetState {
    /// The network, on the run's training (autodiff) device.
    pub net: Supernet<Dispatch>,
    /// How the weights came to be: creation, then each training, as a digest.
    pub lineage: String,
}

impl SharedNet {
    /// A handle on `net` with `lineage`.
    pub fn new(net: Supernet<Dispatch>, lineage: String) -> Self {
        SharedNet(Arc::new(Mutex::new(NetState { net, lineage })))
    }

    /// A copy of the state (cheap: tensors are shared). Work on the copy, so a closure
    /// called meanwhile can still use the handle.
    pub fn snapshot(&self) -> NetState {
        lock(&self.0).clone()
    }

    /// Replaces the network (after training).
    pub fn replace(&self, state: NetState) {
        *lock(&self.0) = state;
    }

    /// The network's space.
    pub fn space(&self) -> Space {
        lock(&self.0).net.space().clone()
    }
}

/// The `supernet` module.
pub fn module(context: &Shared) -> Module {
    let mut m = Module::new();
    let ctx = context.clone();
    function(
        "create",
        &["space: Space", "Supernet"],
        "A supernet over `space` with the default sharing (global heads separate, widths and\n\
         kernels entangled), initialised from seed 0.",
    )
    .set_into_module(&mut m, move |space: Space| {
        create(&ctx, &space, &SharingPlan::default(), 0)
    });
    let ctx = context.clone();
    function(
        "create",
        &["space: Space", "options: Map", "Supernet"],
        "A supernet with options: `seed` (initialisation, default 0) and `sharing`, a map from\n\
         dimension to \"separate\" (own weights per candidate, SPOS) or \"entangled\" (sliced\n\
         from the largest, AutoFormer).",
    )
    .set_into_module(&mut m, move |space: Space, options: Map| {
        let mut o = Options::new("supernet::create", options);
        let seed = o.count("seed", 0)? as u64;
        let plan = match o.take("sharing") {
            None => SharingPlan::default(),
            Some(v) => {
                let given = described(&v);
                let map = v.try_cast::<Map>().ok_or_else(|| {
                    bad(
                        "sharing",
                        format!("must be a map from dimension to \"separate\" or \"entangled\", got {given}"),
                    )
                })?;
                sharing_plan(map)?
            }
        };
        o.finish()?;
        create(&ctx, &space, &plan, seed)
    });
    let ctx = context.clone();
    function(
        "standalone",
        &["space: Space", "arch: Arch", "seed: i64", "Supernet"],
        "A standalone network for `arch` (a supernet over the space holding it alone), fresh\n\
         weights from `seed`.",
    )
    .set_into_module(
        &mut m,
        move |space: Space, arch: Arch, seed: INT| -> Fallible<SharedNet> {
            let device = ctx.training_device();
            let net = lift(Supernet::standalone(
                &space,
                &arch,
                &mut rng::seeded(seed as u64),
                &device,
            ))?;
            let lineage = digest(&("standalone", space.to_json(), &arch, seed));
            Ok(SharedNet::new(net, lineage))
        },
    );
    m
}

/// Registers the methods of `Supernet`.
pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<SharedNet>("Supernet");
    engine.register_fn("to_string", |n: &mut SharedNet| describe(n));
    engine.register_fn("to_debug", |n: &mut SharedNet| describe(n));
    engine.register_global_module(exported_module!(supernet_methods).into());
}

/// The properties and methods of `Supernet`, with signatures and docs taken from here.
#[export_module]
mod supernet_methods {
    use super::*;

    pub type Supernet = SharedNet;

    /// The space the network covers.
    #[rhai_fn(get = "space", pure)]
    pub fn space(net: &mut Supernet) -> Space {
        net.space()
    }

    /// Number of weights (all candidates' weights of a supernet).
    #[rhai_fn(get = "parameters", pure)]
    pub fn parameters(net: &mut Supernet) -> INT {
        net.snapshot().net.parameter_count() as INT
    }

    /// A standalone network for `arch` that inherits its weights (slices) from this supernet.
    #[rhai_fn(pure, return_raw)]
    pub fn extract(net: &mut Supernet, arch: Arch) -> RhaiResultOf<Supernet> {
        let state = net.snapshot();
        let extracted = lift(state.net.extract(&arch))?;
        let lineage = digest(&("extract", &state.lineage, &arch));
        Ok(SharedNet::new(extracted, lineage))
    }
}

fn create(context: &Shared, space: &Space, plan: &SharingPlan, seed: u64) -> Fallible<SharedNet> {
    let device = context.training_device();
    let net = Supernet::new(space, plan, &mut rng::seeded(seed), &device);
    let lineage = digest(&("supernet", space.to_json(), plan, seed));
    Ok(SharedNet::new(net, lineage))
}

fn sharing_plan(map: Map) -> Fallible<SharingPlan> {
    let mut plan = SharingPlan::default();
    for (key, value) in map {
        let name = format!("sharing.{key}");
        let dimension = Dimension::from_name(&key).ok_or_else(|| {
            bad(
                &name,
                "not a dimension (global_heads, qk_dim, ffn_ratio, conv_expand, kernel)",
            )
        })?;
        let sharing = match value.to_string().as_str() {
            "separate" => Sharing::Separate,
            "entangled" => Sharing::Entangled,
            other => {
                return Err(bad(
                    &name,
                    format!("`{other}` is not \"separate\" or \"entangled\""),
                ))
            }
        };
        match dimension {
            Dimension::GlobalHeads => plan.global_heads = sharing,
            Dimension::QkDim => plan.qk_dim = sharing,
            Dimension::FfnRatio => plan.ffn_ratio = sharing,
            Dimension::ConvExpand => plan.conv_expand = sharing,
            Dimension::Kernel => plan.kernel = sharing,
        }
    }
    Ok(plan)
}

fn describe(n: &SharedNet) -> String {
    let state = n.snapshot();
    let space = state.net.space();
    format!(
        "supernet over `{}` ({} blocks, {} weights)",
        space.name(),
        space.depth(),
        state.net.parameter_count()
    )
}
