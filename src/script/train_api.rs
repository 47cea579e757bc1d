//! `train::`: SPOS supernet training (with a sampler closure, a constraint, or SPOS's FLOPs
//! bins), scoring with BatchNorm recalibration, accuracy without it, and standalone
//! retraining. Every call is an expensive step: its result goes to the run journal under a
//! key digested from its inputs, and a rerun of the script loads it instead of recomputing.

use rhai::{Array, Dynamic, Engine, FnPtr, Map, Module, NativeCallContext, INT};
use serde_json::json;

use super::convert::{bad, fail, from_json, kind, lift, to_json, Fallible, Options};
use super::data_api::SharedData;
use super::registry::function;
use super::rng_api::SharedRng;
use super::scoring::Scorer;
use super::supernet_api::{NetState, SharedNet};
use crate::error::Error;
use crate::hashes::digest;
use crate::rng::SearchRng;
use crate::run::{AccuracyRequest, RetrainRequest, Shared, TrainingFiles, TrainingRun};
use crate::space::{first_accepted, Arch, Space, SAMPLE_TRIES};
use crate::train::{named_sampler, EpochMetrics, Sampler, TrainConfig, Uniform};

/// The `train` module.
pub fn module(context: &Shared) -> Module {
    let mut m = Module::new();
    let ctx = context.clone();
    function(
        "spos",
        &["net: Supernet", "data: Data", "options: Map", "Array"],
        "SPOS training of `net` on `data`'s training split (search split held out). Options:\n\
         any recipe key (`train::defaults()`), `seed` (data order, augmentation, sampling),\n\
         `sampler` (\"uniform\", \"flops-bins:N\" or a closure `|space, rng| arch`),\n\
         `constraint` (a closure `|arch| bool` every sampled arch must pass), `name` (files).\n\
         Returns one map per epoch; `net` holds the trained weights.",
    )
    .set_into_module(
        &mut m,
        move |call: NativeCallContext, net: SharedNet, data: SharedData, options: Map| {
            spos(&call, &ctx, &net, &data, options)
        },
    );
    let ctx = context.clone();
    function(
        "score",
        &["net: Supernet", "arch: Arch", "data: Data", "f64"],
        "SPOS's score of `arch`: weights inherited from `net`, BatchNorm statistics\n\
         re-estimated on training batches (2 % of the training split, 4 to 200 batches), then\n\
         top-1 accuracy (0–1) on the search split. Recorded in candidates.csv.",
    )
    .set_into_module(
        &mut m,
        move |net: SharedNet, arch: Arch, data: SharedData| -> Fallible<f64> {
            Ok(Scorer::new(net, data, Map::new())?.score_all(&ctx, &[arch])?[0])
        },
    );
    let ctx = context.clone();
    function(
        "score",
        &[
            "net: Supernet",
            "arch: Arch",
            "data: Data",
            "options: Map",
            "f64",
        ],
        "`score` with options: `calibration_batches` (0: keep the supernet's statistics),\n\
         `batch_size`, `seed` (which training images calibrate).",
    )
    .set_into_module(
        &mut m,
        move |net: SharedNet, arch: Arch, data: SharedData, options: Map| -> Fallible<f64> {
            Ok(Scorer::new(net, data, options)?.score_all(&ctx, &[arch])?[0])
        },
    );
    function(
        "scorer",
        &["net: Supernet", "data: Data", "options: Map", "Scorer"],
        "`train::score` bound to `net`, `data` and its options: `scorer.score(arch)` scores one\n\
         candidate, `scorer.score_all(archs)` many at once (one per device of the run, and any\n\
         `glit worker` sharing the run directory takes some). The search loops accept it where\n\
         they take a score closure.",
    )
    .set_into_module(&mut m, |net: SharedNet, data: SharedData, options: Map| {
        Scorer::new(net, data, options)
    });
    let ctx = context.clone();
    function(
        "accuracy",
        &["net: Supernet", "arch: Arch", "data: Data", "split: &str", "f64"],
        "Top-1 accuracy (0–1) of `net` along `arch` on `split` (\"test\", \"search\" or \"train\"),\n\
         with the BatchNorm statistics the network has (no recalibration).",
    )
    .set_into_module(
        &mut m,
        move |net: SharedNet, arch: Arch, data: SharedData, split: rhai::ImmutableString| {
            accuracy(&ctx, &net, &arch, &data, &split)
        },
    );
    let ctx = context.clone();
    function(
        "retrain",
        &[
            "space: Space",
            "arch: Arch",
            "data: Data",
            "options: Map",
            "Map",
        ],
        "Trains `arch` from scratch (the same recipe as supernets; options: recipe keys, `seed`,\n\
         `split` to measure on (\"test\", default, or \"search\"), `name`, `from`: a network file\n\
         of `arch` to fine-tune instead, `save`: a network file to write in the run directory,\n\
         for `glit predict` and `network::predict`). Returns #{arch, accuracy (also as test_accuracy\n\
         or search_accuracy), split, mflops, params, epochs, seconds, history, and network: the\n\
         saved file's path}.",
    )
    .set_into_module(
        &mut m,
        move |space: Space, arch: Arch, data: SharedData, options: Map| {
            retrain(&ctx, &space, &arch, &data, options)
        },
    );
    function(
        "defaults",
        &["Map"],
        "The training recipe's defaults (every key `spos` and `retrain` accept).",
    )
    .set_into_module(&mut m, || -> Fallible<Map> {
        let json = serde_json::to_value(TrainConfig::default()).map_err(fail)?;
        Ok(from_json(&json).cast::<Map>())
    });
    m
}

/// Registers nothing beyond the module: `train` has no value types of its own.
pub fn register(_engine: &mut Engine) {}

/// How each SPOS step's architecture is drawn.
enum Draw {
    Named(Box<dyn Sampler>),
    Closure(FnPtr),
}

/// A [`Sampler`] that may call back into the script.
struct ScriptSampler<'c, 'n> {
    call: &'c NativeCallContext<'n>,
    draw: Draw,
    constraint: Option<FnPtr>,
}

impl Sampler for ScriptSampler<'_, '_> {
    fn sample(&mut self, space: &Space, rng: &mut SearchRng) -> crate::Result<Arch> {
        let script_error = |e: Box<rhai::EvalAltResult>| Error::Script(e.to_string());
        let (call, constraint) = (self.call, &self.constraint);
        let draw = &mut self.draw;
        let drawn = first_accepted(
            SAMPLE_TRIES,
            || match draw {
                Draw::Named(sampler) => sampler.sample(space, rng),
                Draw::Closure(f) => {
                    // The closure draws from the trainer's stream through a handle; its state
                    // comes back afterwards, so checkpoints record it.
                    let handle = SharedRng::from_stream(rng.clone());
                    let arch: Arch = f
                        .call_within_context(call, (space.clone(), handle.clone()))
                        .map_err(script_error)?;
                    *rng = handle.state();
                    space.canonical(&arch)
                }
            },
            |arch| match constraint {
                None => Ok(true),
                Some(c) => c
                    .call_within_context::<bool>(call, (arch.clone(),))
                    .map_err(script_error),
            },
        )?;
        drawn.ok_or(Error::ConstraintNeverMet {
            tries: SAMPLE_TRIES,
        })
    }
}

fn spos(
    call: &NativeCallContext,
    ctx: &Shared,
    net: &SharedNet,
    data: &SharedData,
    options: Map,
) -> Fallible<Array> {
    let mut o = Options::new("train::spos", options);
    let seed = o.count("seed", 0)? as u64;
    let name = o.string("name", "")?;
    let sampler = o.take("sampler");
    let constraint = o
        .take("constraint")
        .map(|c| {
            let given = kind(&c);
            c.try_cast::<FnPtr>().ok_or_else(|| {
                bad(
                    "constraint",
                    format!("must be a function |arch| bool, got {given}"),
                )
            })
        })
        .transpose()?;
    let config = recipe(&mut o)?;
    o.finish()?;
    let state = net.snapshot();
    let space = state.net.space().clone();
    let (draw, sampler_id) = match sampler {
        None => (Draw::Named(Box::new(Uniform)), "uniform".to_string()),
        Some(s) if s.is_string() => {
            let text = s.to_string();
            (draw_named(&text, &space, seed)?, text)
        }
        Some(s) => match s.try_cast::<FnPtr>() {
            Some(f) => (Draw::Closure(f), "closure".to_string()),
            None => {
                return Err(bad(
                    "sampler",
                    "must be \"uniform\", \"flops-bins:N\" or a function |space, rng| arch",
                ))
            }
        },
    };
    // Closures cannot be digested (an anonymous closure's name is a hash that differs from
    // one process to the next, so a resumed run would never find its own step), so the
    // call's place in the run is part of its key instead.
    let constraint_id = constraint.as_ref().map(|_| "closure");
    let ordinal = ctx.next_ordinal("spos");
    let inputs = digest(&(
        &state.lineage,
        &data.bundle().id,
        &config,
        seed,
        &sampler_id,
        &constraint_id,
    ));
    let key = format!("spos-{ordinal}-{inputs}");
    let label = if name.is_empty() {
        format!("spos-{ordinal}")
    } else {
        name
    };
    let bundle = data.bundle();
    let mut sampler = ScriptSampler {
        call,
        draw,
        constraint,
    };
    let run = TrainingRun {
        run: ctx,
        key: &key,
        label: &label,
        config,
        seed,
        files: TrainingFiles::Named,
        eval: None,
    };
    let (trained, history) = lift(ctx.work().time("supernet training", || {
        run.fit(
            || Ok(state.net),
            &bundle.train,
            &bundle.loader,
            &mut sampler,
        )
    }))?;
    lift(ctx.warn_if_not_learning(&label, &history, bundle))?;
    // The checkpoint holds the weights; the journal says they are final.
    if ctx.dir().is_ok() && ctx.recall(&key).is_none() {
        lift(ctx.record(&key, json!({ "epochs": history.len() })))?;
    }
    net.replace(NetState {
        net: trained,
        lineage: key,
    });
    Ok(history.iter().map(epoch_map).collect())
}

fn draw_named(text: &str, space: &Space, seed: u64) -> Fallible<Draw> {
    lift(named_sampler(text, "sampler", space, seed)).map(Draw::Named)
}

/// The recipe keys left in `o`, over the defaults.
fn recipe(o: &mut Options) -> Fallible<TrainConfig> {
    let rest = o.rest();
    let json = to_json("options", &Dynamic::from_map(rest))?;
    let map = json.as_object().cloned().unwrap_or_default();
    lift(TrainConfig::default().with_overrides(&map))
}

fn accuracy(
    ctx: &Shared,
    net: &SharedNet,
    arch: &Arch,
    data: &SharedData,
    split: &str,
) -> Fallible<f64> {
    let state = net.snapshot();
    lift(ctx.accuracy(&AccuracyRequest {
        net: &state.net,
        lineage: &state.lineage,
        arch,
        data: data.bundle(),
        split,
    }))
}

fn retrain(
    ctx: &Shared,
    space: &Space,
    arch: &Arch,
    data: &SharedData,
    options: Map,
) -> Fallible<Map> {
    let mut o = Options::new("train::retrain", options);
    let seed = o.count("seed", 0)? as u64;
    let name = o.string("name", "")?;
    let split = o.string("split", "test")?;
    let from = o.string("from", "")?;
    let save = o.string("save", "")?;
    let config = recipe(&mut o)?;
    o.finish()?;
    let request = RetrainRequest {
        space,
        arch,
        data: data.bundle(),
        config,
        seed,
        split: split.clone(),
        name,
        from: (!from.is_empty()).then(|| from.into()),
        save: (!save.is_empty()).then_some(save),
    };
    let done = lift(ctx.retrain(&request))?;
    let mut result = Map::new();
    result.insert("arch".into(), Dynamic::from(done.arch));
    result.insert("accuracy".into(), done.accuracy.into());
    result.insert(format!("{split}_accuracy").into(), done.accuracy.into());
    result.insert("split".into(), split.into());
    if let Some(path) = &done.network {
        result.insert("network".into(), path.display().to_string().into());
    }
    result.insert("mflops".into(), done.mflops.into());
    result.insert("params".into(), (done.params as INT).into());
    result.insert("epochs".into(), (done.history.len() as INT).into());
    result.insert("seconds".into(), done.seconds.into());
    result.insert(
        "history".into(),
        done.history.iter().map(epoch_map).collect::<Array>().into(),
    );
    Ok(result)
}

fn epoch_map(m: &EpochMetrics) -> Dynamic {
    let json = serde_json::to_value(m).expect("metrics serialise");
    from_json(&json)
}
