//! The one engine constructor, used by `glit run`, `glit check`, `glit api`, the tests and
//! the docs generator: limits, the import resolver, and every binding.

use std::path::PathBuf;

use rhai::{Dynamic, Engine};

use super::limits::Limits;
use super::stdlib::Resolver;
use super::{
    admission, data_api, network_api, operators_api, rng_api, run_api, scoring, search_api,
    space_api, supernet_api, train_api,
};
use crate::run::Shared;

/// An engine for a script in `script_dir` (for imports beside it), running in `context`,
/// within `limits`.
pub fn engine(context: &Shared, limits: &Limits, script_dir: Option<PathBuf>) -> Engine {
    let mut engine = Engine::new();
    engine
        .set_max_operations(limits.operations)
        .set_max_call_levels(limits.call_depth)
        .set_max_expr_depths(limits.expression_depth, limits.expression_depth / 2)
        .set_max_string_size(limits.string_size)
        .set_max_array_size(limits.array_size)
        .set_max_map_size(limits.map_size)
        .set_max_modules(limits.modules)
        .set_module_resolver(Resolver::new(script_dir));
    engine.set_fail_on_invalid_map_property(true);
    stop_at_memory_limit(&mut engine, context, limits.memory_mib);
    rng_api::register(&mut engine);
    run_api::register(&mut engine, context);
    run_api::register_formatting(&mut engine);
    space_api::register(&mut engine);
    data_api::register(&mut engine);
    supernet_api::register(&mut engine);
    train_api::register(&mut engine);
    scoring::register(&mut engine, context);
    search_api::register(&mut engine);
    admission::register(&mut engine);
    operators_api::register(&mut engine);
    engine.register_static_module("space", space_api::module(context).into());
    engine.register_static_module("data", data_api::module(context).into());
    engine.register_static_module("supernet", supernet_api::module(context).into());
    engine.register_static_module("train", train_api::module(context).into());
    engine.register_static_module("search", search_api::module(context).into());
    engine.register_static_module("network", network_api::module(context).into());
    engine
}

/// The token a script stopped for its memory limit ends with, read by [`super::errors`].
pub const MEMORY_LIMIT: &str = "memory_mib";

/// Script operations between two looks at the script's heap: a look costs a few
/// nanoseconds, and no operation adds more than the size limits allow.
const OPERATIONS_PER_LOOK: u64 = 16;

/// Stops the script, with a token naming the limit, once its own values hold more than
/// `limit_mib` MiB (see [`crate::run::ScriptHeap`]); 0 means no limit.
fn stop_at_memory_limit(engine: &mut Engine, context: &Shared, limit_mib: u64) {
    if limit_mib == 0 {
        return; // 0 turns the limit off, as for the engine's own limits
    }
    let context = context.clone();
    let limit = i64::try_from(limit_mib.saturating_mul(1 << 20)).unwrap_or(i64::MAX);
    engine.on_progress(move |operations| {
        if operations % OPERATIONS_PER_LOOK != 1 {
            return None;
        }
        // The first operation marks the script's thread and its heap at the start.
        let heap = context.work().heap();
        heap.start_here();
        let held = heap.held_by_script()?;
        (held > limit).then(|| {
            Dynamic::from(format!(
                "the script's values hold {} MiB, more than the {limit_mib} MiB the limit allows: \
                 {MEMORY_LIMIT}",
                held >> 20
            ))
        })
    });
}
