//! Scoring candidates with inherited weights, for scripts: `train::score` (one candidate) and
//! `train::scorer` (a value whose `score_all` scores many at once).
//!
//! A batch of candidates goes through the run journal: each unscored candidate is posted as
//! a task, the run leases and scores as many at once as it has devices, and `glit worker`
//! processes sharing the run directory lease and score the rest. The run waits until every
//! score is recorded, then files them in candidates.csv in the order asked, so the run's
//! files do not depend on who scored what.

use std::time::Instant;

use burn::module::AutodiffModule;
use rhai::{Array, Dynamic, Engine, Map};
use serde_json::json;

use super::convert::{bad, kind, lift, Fallible, Options};
use super::data_api::SharedData;
use super::registry::method;
use super::supernet_api::SharedNet;
use crate::hashes::digest;
use crate::run::Shared;
use crate::scale::board::{self, ScoreTask};
use crate::scale::heartbeat::Heartbeat;
use crate::scale::worker::{score_at_once, TaskScorer, POLL};
use crate::scale::{net_file, Holder};
use crate::space::cost::Convention;
use crate::space::{Arch, Space};
use crate::train::ScoreConfig;

/// A supernet, data and scoring options bound together: `scorer.score_all(archs)`.
#[derive(Clone)]
pub struct Scorer {
    net: SharedNet,
    data: SharedData,
    config: ScoreConfig,
}

impl Scorer {
    /// A scorer of `net`'s candidates on `data` with `options` (`calibration_batches`,
    /// `batch_size`, `seed`).
    pub fn new(net: SharedNet, data: SharedData, options: Map) -> Fallible<Scorer> {
        let bundle = data.bundle();
        let mut config = ScoreConfig::scaled_for(bundle.train.len());
        let mut o = Options::new("train::score", options);
        config.calibration_batches = o.count("calibration_batches", config.calibration_batches)?;
        config.batch_size = o.positive("batch_size", config.batch_size)?;
        config.seed = o.count("seed", config.seed as usize)? as u64;
        o.finish()?;
        if bundle.search.is_empty() {
            return Err(bad(
                "data",
                "the data has no search split (open it with `search_split` above 0)",
            ));
        }
        Ok(Scorer { net, data, config })
    }

    /// The scores of `archs`, in order.
    pub fn score_all(&self, ctx: &Shared, archs: &[Arch]) -> Fallible<Vec<f64>> {
        let state = self.net.snapshot();
        // Scoring needs no gradients: the network without autodiff.
        let inference = state.net.valid();
        let space = inference.space().clone();
        let bundle = self.data.bundle();
        let archs = archs
            .iter()
            .map(|a| lift(space.canonical(a)))
            .collect::<Fallible<Vec<_>>>()?;
        if ctx.dir().is_err() {
            // `glit check` and friends: nothing to share, nothing to record.
            return archs
                .iter()
                .map(|arch| {
                    lift(crate::train::score(
                        &inference,
                        arch,
                        &bundle.loader,
                        &bundle.train,
                        &bundle.search,
                        &self.config,
                        ctx.device(),
                    ))
                })
                .collect();
        }
        let tasks: Vec<ScoreTask> = archs
            .iter()
            .map(|arch| ScoreTask {
                key: format!(
                    "score-{}",
                    digest(&(&state.lineage, arch, &bundle.id, &self.config))
                ),
                net: net_file::relative_path(&state.lineage)
                    .display()
                    .to_string(),
                data: bundle.request.clone(),
                data_id: bundle.id.clone(),
                config: self.config.clone(),
                arch: arch.clone(),
            })
            .collect();
        let open: Vec<&ScoreTask> = tasks
            .iter()
            .filter(|t| ctx.recall(&t.key).is_none())
            .collect();
        if !open.is_empty() {
            let dir = lift(ctx.dir())?;
            let net_path = lift(ctx.file(&open[0].net))?;
            lift(ctx.work().time("sharing weights", || {
                net_file::ensure(&inference, &net_path)
            }))?;
            lift(ctx.with_journal(|j| open.iter().try_for_each(|t| board::post(j, t))))?;
            let scorers = || {
                ctx.devices()
                    .iter()
                    .map(|d| {
                        TaskScorer::new(dir, d.clone()).with_loaded(
                            &open[0].net,
                            inference.clone(),
                            self.data.shared(),
                        )
                    })
                    .collect::<Vec<_>>()
            };
            wait_for_scores(ctx, &tasks, scorers)?;
        }
        let mut scores = Vec::with_capacity(tasks.len());
        for task in &tasks {
            let value = ctx.recall(&task.key).expect("every score is recorded");
            let score = value
                .as_f64()
                .ok_or_else(|| bad("journal", format!("entry {} is not a number", task.key)))?;
            record_candidate(ctx, &space, &task.arch, score)?;
            scores.push(score);
        }
        Ok(scores)
    }
}

/// Scores what this process can lease of `tasks` (unless the run delegates) and waits for
/// workers to record the rest.
fn wait_for_scores(
    ctx: &Shared,
    tasks: &[ScoreTask],
    scorers: impl Fn() -> Vec<TaskScorer>,
) -> Fallible<()> {
    let holder = Holder::this_process();
    let mut local: Option<Vec<TaskScorer>> = None;
    let mut waiting_since: Option<Instant> = None;
    let mut told = false;
    loop {
        lift(ctx.with_journal(|j| j.refresh()))?;
        let open: Vec<&ScoreTask> = tasks
            .iter()
            .filter(|t| ctx.recall(&t.key).is_none())
            .collect();
        if open.is_empty() {
            if let Some(since) = waiting_since {
                ctx.work()
                    .add("waiting for workers", since.elapsed().as_secs_f64());
            }
            return Ok(());
        }
        let mut mine = Vec::new();
        if !ctx.delegates() {
            let room = ctx.devices().len();
            lift(ctx.with_journal(|j| {
                for task in &open {
                    if mine.len() < room
                        && board::claimable(j, &task.key)
                        && board::claim(j, &task.key, &holder, LEASE_SECONDS)?.is_some()
                    {
                        mine.push((*task).clone());
                    }
                }
                Ok(())
            }))?;
        }
        if mine.is_empty() {
            let since = *waiting_since.get_or_insert_with(Instant::now);
            if !told && !ctx.quiet() && since.elapsed().as_secs() >= 5 {
                eprintln!(
                    "waiting for {} score(s) from workers (`glit worker {dir}`, or `glit ask {dir}` and `glit tell`)",
                    open.len(),
                    dir = lift(ctx.dir())?.display()
                );
                told = true;
            }
            std::thread::sleep(POLL);
            continue;
        }
        if let Some(since) = waiting_since.take() {
            ctx.work()
                .add("waiting for workers", since.elapsed().as_secs_f64());
        }
        let scorers = local.get_or_insert_with(&scorers);
        // Keeps the leases while scoring takes longer than they last.
        let keys = mine.iter().map(|t| t.key.clone()).collect();
        let journal_path = lift(ctx.dir())?.join("journal.jsonl");
        let _heartbeat = Heartbeat::start(journal_path, holder.clone(), keys, LEASE_SECONDS);
        let scores = ctx.work().time("scoring", || {
            Ok::<_, crate::Error>(score_at_once(&mut scorers[..mine.len()], &mine))
        });
        for (task, score) in mine.iter().zip(lift(scores)?) {
            lift(ctx.record(&task.key, json!(lift(score)?)))?;
        }
    }
}

/// Seconds the run's own leases last. They end with the run's process anyway, so this only
/// matters to a worker on another machine, which cannot see that the process died.
const LEASE_SECONDS: f64 = 600.0;

/// A row of candidates.csv: stage, generation, arch, MFLOPs, params, score.
fn record_candidate(ctx: &Shared, space: &Space, arch: &Arch, score: f64) -> Fallible<()> {
    let cost = lift(space.cost(arch, Convention::Official))?;
    let labels = ctx.labels();
    let row = [
        ("stage", labels.stage),
        ("generation", labels.generation.to_string()),
        ("arch", arch.to_string()),
        ("mflops", format!("{:.3}", cost.mflops())),
        ("params", cost.params().to_string()),
        ("score", format!("{score}")),
    ]
    .map(|(k, v)| (k.to_string(), v));
    lift(ctx.log_row("candidates.csv", &row))
}

/// Registers the `Scorer` type and its methods, bound to `context`.
pub fn register(engine: &mut Engine, context: &Shared) {
    engine.register_type_with_name::<Scorer>("Scorer");
    engine.register_fn("to_string", |_: &mut Scorer| "Scorer".to_string());
    let ctx = context.clone();
    method(
        "score",
        &["scorer: Scorer", "arch: Arch", "f64"],
        "The score of `arch` (as `train::score`).",
    )
    .register_into_engine(engine, move |s: &mut Scorer, arch: Arch| -> Fallible<f64> {
        Ok(s.score_all(&ctx, &[arch])?[0])
    });
    let ctx = context.clone();
    method(
        "score_all",
        &["scorer: Scorer", "archs: Array", "Array"],
        "The scores of `archs`, in order: scored at once on every device of the run and by\n\
         any `glit worker` sharing its directory.",
    )
    .register_into_engine(
        engine,
        move |s: &mut Scorer, archs: Array| -> Fallible<Array> {
            let archs = archs
                .into_iter()
                .enumerate()
                .map(|(i, a)| {
                    let name = kind(&a);
                    a.try_cast::<Arch>()
                        .ok_or_else(|| bad("archs", format!("element {i} is {name}, not an Arch")))
                })
                .collect::<Fallible<Vec<_>>>()?;
            Ok(s.score_all(&ctx, &archs)?
                .into_iter()
                .map(Dynamic::from)
                .collect())
        },
    );
}
