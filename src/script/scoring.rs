//! Scoring candidates with inherited weights, for scripts: `train::score` (one candidate) and
//! `train::scorer` (a value whose `score_all` scores many at once), both through the run's
//! [`score_candidates`](crate::run::Run::score_candidates): shared with `glit worker`s,
//! journaled, filed in candidates.csv.

use rhai::{Array, Dynamic, Engine, Map};

use super::convert::{bad, kind, lift, Fallible, Options};
use super::data_api::SharedData;
use super::registry::method;
use super::supernet_api::SharedNet;
use crate::run::{ScoreRequest, Shared};
use crate::space::Arch;
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

    /// The scores of `archs`, in order (each also a row of candidates.csv).
    pub fn score_all(&self, ctx: &Shared, archs: &[Arch]) -> Fallible<Vec<f64>> {
        let state = self.net.snapshot();
        lift(ctx.score_candidates(&ScoreRequest {
            net: &state.net,
            lineage: &state.lineage,
            data: &self.data.shared(),
            config: &self.config,
            archs,
        }))
    }
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
