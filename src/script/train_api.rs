//! `train::`: SPOS supernet training (with a sampler closure, a constraint, or SPOS's FLOPs
//! bins), scoring with BatchNorm recalibration, accuracy without it, and standalone
//! retraining. Every call is an expensive step: its result goes to the run journal under a
//! key digested from its inputs, and a rerun of the script loads it instead of recomputing.

use std::path::PathBuf;

use burn::module::AutodiffModule;
use burn::Dispatch;
use rhai::{Array, Dynamic, Engine, FnPtr, Map, Module, NativeCallContext, INT};
use serde_json::{json, Value};

use super::context::Shared;
use super::convert::{bad, fail, from_json, kind, lift, to_json, Fallible, Options};
use super::data_api::SharedData;
use super::registry::function;
use super::rng_api::SharedRng;
use super::scoring::Scorer;
use super::space_api::MAX_TRIES;
use super::supernet_api::{NetState, SharedNet};
use crate::data::{Input, Split};
use crate::error::Error;
use crate::model::Supernet;
use crate::rng::{self, SearchRng};
use crate::hashes::digest;
use crate::space::cost::Convention;
use crate::space::{Arch, Space};
use crate::train::{
    self, learning_check, CheckpointFile, EpochMetrics, FlopsBins, NetworkFile, Outputs, Sampler,
    TrainConfig, TrainData, Trainer,
};

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
    Uniform,
    Bins(FlopsBins),
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
        for _ in 0..MAX_TRIES {
            let arch = match &mut self.draw {
                Draw::Uniform => space.sample(rng),
                Draw::Bins(bins) => bins.sample(space, rng)?,
                Draw::Closure(f) => {
                    // The closure draws from the trainer's stream through a handle; its state
                    // comes back afterwards, so checkpoints record it.
                    let handle = SharedRng::from_stream(rng.clone());
                    let arch: Arch = f
                        .call_within_context(self.call, (space.clone(), handle.clone()))
                        .map_err(script_error)?;
                    *rng = handle.state();
                    space.canonical(&arch)?
                }
            };
            let accepted = match &self.constraint {
                None => true,
                Some(c) => c
                    .call_within_context::<bool>(self.call, (arch.clone(),))
                    .map_err(script_error)?,
            };
            if accepted {
                return Ok(arch);
            }
        }
        Err(Error::ConstraintNeverMet { tries: MAX_TRIES })
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
        None => (Draw::Uniform, "uniform".to_string()),
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
    let sampler = ScriptSampler {
        call,
        draw,
        constraint,
    };
    let run = TrainingRun {
        ctx,
        key: &key,
        label: &label,
        config,
        seed,
    };
    let (trained, history) = ctx.work().time("supernet training", || {
        run.fit(state.net, &bundle.train, &bundle.loader, sampler)
    })?;
    lift(warn_if_not_learning(ctx, &label, &history, bundle))?;
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

/// One training call: where its checkpoint and metrics go, and how it replays.
struct TrainingRun<'a> {
    ctx: &'a Shared,
    key: &'a str,
    label: &'a str,
    config: TrainConfig,
    seed: u64,
}

impl TrainingRun<'_> {
    fn checkpoint(&self) -> Option<PathBuf> {
        let tail = &self.key[self.key.len().saturating_sub(8)..];
        self.ctx
            .file(&format!("checkpoints/{}-{tail}.safetensors", self.label))
            .ok()
    }

    /// Trains `net` (or loads the finished result, or continues a checkpoint) and returns the
    /// trained network with its history.
    fn fit(
        &self,
        net: Supernet<Dispatch>,
        train_split: &Split,
        loader: &crate::data::Loader,
        mut sampler: impl Sampler,
    ) -> Fallible<(Supernet<Dispatch>, Vec<EpochMetrics>)> {
        let device = self.ctx.training_device();
        let checkpoint = self.checkpoint();
        let resumed = match &checkpoint {
            Some(path) if CheckpointFile::exists(path) => {
                match Trainer::<Dispatch>::resume(path, &device) {
                    Ok((trainer, warnings)) => {
                        warnings.iter().for_each(|w| eprintln!("warning: {w}"));
                        Some(trainer)
                    }
                    // Training is a function of its seed: with no usable checkpoint the step
                    // starts again and ends where the lost one would have.
                    Err(e) => {
                        eprintln!("warning: {e}; training {} starts again", self.label);
                        None
                    }
                }
            }
            _ => None,
        };
        let trainer = match resumed {
            Some(trainer) => trainer,
            None => lift(Trainer::new(net, self.config.clone(), self.seed, &device))?,
        };
        // Several devices: every step's batch is split over them.
        let mut trainer = trainer.with_replicas(self.ctx.training_devices());
        let outputs = Outputs {
            checkpoint: checkpoint.clone(),
            metrics: self.ctx.file(&format!("metrics/{}.csv", self.label)).ok(),
            quiet: self.ctx.quiet(),
        };
        let data = TrainData {
            loader,
            train: train_split,
            eval: None,
        };
        let history = lift(trainer.fit(&data, &mut sampler, &outputs))?;
        Ok((trainer.net().clone(), history))
    }
}

fn draw_named(text: &str, space: &Space, seed: u64) -> Fallible<Draw> {
    if text == "uniform" {
        return Ok(Draw::Uniform);
    }
    if let Some(bins) = text.strip_prefix("flops-bins:") {
        let bins: usize = bins
            .parse()
            .map_err(|_| bad("sampler", format!("`{bins}` is not a bin count")))?;
        let bins = lift(FlopsBins::new(space, bins, &mut rng::seeded(seed)))?;
        return Ok(Draw::Bins(bins));
    }
    Err(bad(
        "sampler",
        format!("`{text}` is not \"uniform\" or \"flops-bins:N\""),
    ))
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
    let bundle = data.bundle();
    let images = match split {
        "test" => &bundle.test,
        "search" => &bundle.search,
        "train" => &bundle.train,
        other => {
            return Err(bad(
                "split",
                format!("`{other}` is not \"test\", \"search\" or \"train\""),
            ))
        }
    };
    let state = net.snapshot();
    let arch = lift(state.net.space().canonical(arch))?;
    let key = format!(
        "accuracy-{}",
        digest(&(&state.lineage, &arch, &bundle.id, split))
    );
    let value = remember(ctx, &key, "accuracy", || {
        let inference = state.net.valid();
        let a = train::accuracy(&inference, &arch, &bundle.loader, images, 128, ctx.device())?;
        Ok(json!(a))
    })?;
    value
        .as_f64()
        .ok_or_else(|| bad("journal", format!("entry {key} is not a number")))
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
    let eval = o.string("split", "test")?;
    let from = o.string("from", "")?;
    let save = o.string("save", "")?;
    let config = recipe(&mut o)?;
    o.finish()?;
    let bundle = data.bundle();
    let eval_split = match eval.as_str() {
        "test" => &bundle.test,
        "search" => &bundle.search,
        other => {
            return Err(bad(
                "split",
                format!("`{other}` is not \"test\" or \"search\""),
            ))
        }
    };
    let arch = lift(space.canonical(arch))?;
    let inputs = digest(&(
        space.only(&arch).map(|s| s.to_json()).map_err(fail)?,
        &arch,
        &bundle.id,
        &config,
        seed,
        &eval,
    ));
    // A start from a network file keys on the file's contents; a fresh start keeps the key
    // it always had.
    let inputs = match from.as_str() {
        "" => inputs,
        file => {
            let bytes = std::fs::read(file).map_err(|e| fail(Error::io(file, e)))?;
            digest(&(inputs, crate::hashes::content_digest(&bytes)))
        }
    };
    // So is a retraining that saves its network: adding `save` later trains it again,
    // rather than finding a journal entry without the file.
    let inputs = match save.as_str() {
        "" => inputs,
        name => digest(&(inputs, "save", name)),
    };
    let saved = (!save.is_empty()).then(|| ctx.file(&save)).transpose();
    let saved = lift(saved)?;
    let key = format!("retrain-{inputs}");
    let label = if name.is_empty() {
        format!("retrain-{}", &inputs[..8])
    } else {
        name
    };
    let value = remember(ctx, &key, "retraining", || {
        let device = ctx.training_device();
        let net = match from.as_str() {
            "" => Supernet::standalone(space, &arch, &mut rng::seeded(seed), &device)?,
            file => NetworkFile::read(file.as_ref(), &device)?.starting_point(
                Some(&arch),
                bundle.dataset(),
                file.as_ref(),
            )?,
        };
        let run = TrainingRun {
            ctx,
            key: &key,
            label: &label,
            config: config.clone(),
            seed,
        };
        let sampler = crate::train::Fixed(arch.clone());
        let (trained, history) = run
            .fit(net, &bundle.train, &bundle.loader, sampler)
            .map_err(|e| Error::Script(e.to_string()))?;
        let accuracy = train::accuracy(
            &trained.valid(),
            &arch,
            &bundle.loader,
            eval_split,
            128,
            ctx.device(),
        )?;
        if let Some(path) = &saved {
            let network = NetworkFile {
                net: trained.valid(),
                arch: arch.clone(),
                input: Input::of_loader(&bundle.loader, bundle.dataset()),
                classes: bundle.dataset().class_names.clone(),
                source: format!("train::retrain `{label}` on {}", bundle.dataset().name),
            };
            network.write(path)?;
        }
        let seconds: f64 = history.iter().map(|m| m.seconds).sum();
        Ok(json!({ "accuracy": accuracy, "history": history, "seconds": seconds }))
    })?;
    let cost = lift(space.cost(&arch, Convention::Official))?;
    let mut result = Map::new();
    let history: Vec<EpochMetrics> =
        serde_json::from_value(value["history"].clone()).map_err(fail)?;
    lift(warn_if_not_learning(ctx, &label, &history, bundle))?;
    result.insert("arch".into(), Dynamic::from(arch));
    result.insert("accuracy".into(), from_json(&value["accuracy"]));
    result.insert(
        format!("{eval}_accuracy").into(),
        from_json(&value["accuracy"]),
    );
    result.insert("split".into(), eval.into());
    if let Some(path) = &saved {
        result.insert("network".into(), path.display().to_string().into());
    }
    result.insert("mflops".into(), cost.mflops().into());
    result.insert("params".into(), (cost.params() as INT).into());
    result.insert("epochs".into(), (history.len() as INT).into());
    result.insert("seconds".into(), from_json(&value["seconds"]));
    result.insert(
        "history".into(),
        history.iter().map(epoch_map).collect::<Array>().into(),
    );
    Ok(result)
}

/// The small-data guard: when the training `label` did not learn (or had too few images),
/// says so on the terminal and in the run's warnings.csv, which the report shows first. A
/// replay finds the same history and writes the same warning again.
fn warn_if_not_learning(
    ctx: &Shared,
    label: &str,
    history: &[EpochMetrics],
    bundle: &crate::data::DataBundle,
) -> crate::Result<()> {
    let facts = learning_check::TrainingFacts {
        history,
        train_images: bundle.train.len(),
        classes: bundle.dataset().classes(),
    };
    let Some(found) = learning_check::check(facts) else {
        return Ok(());
    };
    let message = found.message(label);
    eprintln!("warning: {message}");
    if ctx.dir().is_err() {
        return Ok(());
    }
    ctx.log_row(
        "warnings.csv",
        &[
            ("training".into(), label.into()),
            ("warning".into(), message),
        ],
    )
}

/// The journal's result for `key`, or `compute`'s, recorded; computing counts as `kind` in
/// the run's time split.
fn remember(
    ctx: &Shared,
    key: &str,
    kind: &'static str,
    compute: impl FnOnce() -> crate::Result<Value>,
) -> Fallible<Value> {
    if let Some(value) = ctx.recall(key) {
        return Ok(value);
    }
    let value = lift(ctx.work().time(kind, compute))?;
    if ctx.dir().is_ok() {
        lift(ctx.record(key, value.clone()))?;
    }
    Ok(value)
}

fn epoch_map(m: &EpochMetrics) -> Dynamic {
    let json = serde_json::to_value(m).expect("metrics serialise");
    from_json(&json)
}
