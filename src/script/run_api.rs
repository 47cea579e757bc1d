//! The run's global functions: `params(defaults)` and `params(defaults, budgets)` (merged
//! with `--set`, recorded in the run directory), `save(value, name)`, `load(name)`, and
//! `log(map)` / `log(file, map)` (a CSV row). Files go only inside the run directory.

use rhai::plugin::*;
use rhai::{Dynamic, Engine, ImmutableString, Map, FLOAT, INT};

use super::convert::{bad, fail, from_json, kind, lift, number, to_json, Fallible};
use super::registry::method;
use crate::error::Error;
use crate::run::Shared;

/// Registers the run functions, bound to `context`.
pub fn register(engine: &mut Engine, context: &Shared) {
    let ctx = context.clone();
    method(
        "params",
        &["defaults: Map", "Map"],
        "The script's parameters: `defaults` with `--set key=value` from the command line\n\
         applied (an unknown key or a value of the wrong type is an error), recorded in the run\n\
         directory as params.json.",
    )
    .register_into_engine(engine, move |defaults: Map| params(&ctx, defaults, None));
    let ctx = context.clone();
    method(
        "params",
        &["defaults: Map", "budgets: Map", "Map"],
        "`params(defaults)` with named budgets: `defaults` must have a string key `budget`;\n\
         when `--set budget=NAME` names a key of `budgets`, that map's values replace the\n\
         defaults before the other `--set` values apply (so `--set budget=quick --set seed=3`\n\
         is the quick run with seed 3). `budget` left at its default uses `defaults` as they are.",
    )
    .register_into_engine(engine, move |defaults: Map, budgets: Map| {
        params(&ctx, defaults, Some(budgets))
    });
    let ctx = context.clone();
    method(
        "save",
        &["value: ?", "name: &str", "()"],
        "Writes `value` as JSON to `name` inside the run directory (atomically). Architectures,\n\
         spaces and populations are written in their JSON form.",
    )
    .register_into_engine(engine, move |value: Dynamic, name: ImmutableString| {
        let json = to_json("value", &value)?;
        let path = lift(ctx.file(&name))?;
        let text = serde_json::to_string_pretty(&json).expect("JSON values serialise");
        lift(crate::atomic_file::write(&path, text.as_bytes()))
    });
    let ctx = context.clone();
    method(
        "load",
        &["name: &str", "?"],
        "Reads a JSON file `save` wrote in the run directory (maps, arrays, numbers, strings;\n\
         turn an architecture's map back into one with `space::arch`).",
    )
    .register_into_engine(engine, move |name: ImmutableString| -> Fallible<Dynamic> {
        let path = lift(ctx.file(&name))?;
        let text = std::fs::read_to_string(&path).map_err(|e| fail(Error::io(&path, e)))?;
        let json: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| fail(Error::json(path.display().to_string(), &e)))?;
        Ok(from_json(&json))
    });
    let ctx = context.clone();
    method(
        "elapsed",
        &["f64"],
        "Seconds since this run (this process: a resumed run starts again at 0) began.",
    )
    .register_into_engine(engine, move || ctx.elapsed());
    let ctx = context.clone();
    method(
        "log",
        &["row: Map", "()"],
        "Appends `row` to log.csv in the run directory (the first row fixes the columns).",
    )
    .register_into_engine(engine, move |row: Map| log(&ctx, "log.csv", row));
    let ctx = context.clone();
    method(
        "log",
        &["file: &str", "row: Map", "()"],
        "Appends `row` to the CSV file `file` in the run directory.",
    )
    .register_into_engine(engine, move |file: ImmutableString, row: Map| {
        log(&ctx, &file, row)
    });
}

/// Registers the formatting helpers `fixed` and `pad`.
pub fn register_formatting(engine: &mut Engine) {
    engine.register_global_module(exported_module!(formatting).into());
}

/// The formatting functions, with signatures and docs taken from here.
#[export_module]
mod formatting {
    use super::*;

    /// `value` with `decimals` digits after the point.
    #[rhai_fn(return_raw)]
    pub fn fixed(value: Dynamic, decimals: INT) -> Result<String, Box<EvalAltResult>> {
        let value = number("value", &value)?;
        Ok(format!("{value:.*}", decimals.clamp(0, 17) as usize))
    }

    /// `value` as text, padded with spaces on the right to `width` characters.
    pub fn pad(value: Dynamic, width: INT) -> String {
        format!("{:<1$}", value.to_string(), width.clamp(0, 1000) as usize)
    }
}

/// `params(defaults[, budgets])`: applies the chosen budget's values, then the overrides by
/// the type of each default.
fn params(context: &Shared, mut defaults: Map, budgets: Option<Map>) -> Fallible<Map> {
    let overrides = lift(context.take_overrides())?;
    if let Some(budgets) = budgets {
        apply_budget(&mut defaults, &budgets, overrides)?;
    }
    for (key, raw) in overrides {
        let Some(default) = defaults.get(key.as_str()) else {
            let mut known: Vec<&str> = defaults.keys().map(|k| k.as_str()).collect();
            known.sort_unstable();
            return Err(bad(
                key,
                format!(
                    "the script has no such parameter (its parameters: {})",
                    known.join(", ")
                ),
            ));
        };
        let value = parse_like(key, raw, default)?;
        defaults.insert(key.as_str().into(), value);
    }
    if context.dir().is_ok() {
        let json = to_json("params", &Dynamic::from_map(defaults.clone()))?;
        let path = lift(context.file("params.json"))?;
        let text = serde_json::to_string_pretty(&json).expect("JSON values serialise");
        lift(crate::atomic_file::write(&path, text.as_bytes()))?;
    }
    Ok(defaults)
}

/// Replaces `defaults`' values with those of the budget `--set budget=NAME` chose (or the
/// default `budget`'s, when `budgets` has it). Every key of every budget must be a parameter
/// of the same type, so a typo in a budget is an error even while it is not chosen.
fn apply_budget(defaults: &mut Map, budgets: &Map, overrides: &[(String, String)]) -> Fallible<()> {
    let Some(default_name) = defaults.get("budget").filter(|b| b.is_string()) else {
        return Err(bad(
            "budget",
            "`params(defaults, budgets)` needs a string parameter `budget` in `defaults`",
        ));
    };
    for (name, budget) in budgets {
        let Some(values) = budget.read_lock::<Map>() else {
            return Err(bad(
                name,
                format!("a budget must be a map of parameters, not {}", kind(budget)),
            ));
        };
        for (key, value) in values.iter() {
            match defaults.get(key.as_str()) {
                None => {
                    return Err(bad(
                        key,
                        format!("budget `{name}` sets a parameter the script does not have"),
                    ))
                }
                Some(default) if default.type_name() != value.type_name() => {
                    return Err(bad(
                        key,
                        format!(
                            "budget `{name}` gives {} where the default is {}",
                            kind(value),
                            kind(default)
                        ),
                    ))
                }
                Some(_) => {}
            }
        }
    }
    let chosen = overrides
        .iter()
        .rev()
        .find(|(key, _)| key == "budget")
        .map(|(_, raw)| raw.trim_matches('"').to_string())
        .unwrap_or_else(|| default_name.to_string());
    match budgets.get(chosen.as_str()) {
        Some(budget) => {
            let values = budget.read_lock::<Map>().expect("checked above").clone();
            defaults.extend(values);
        }
        None if chosen == default_name.to_string() => {}
        None => {
            let mut known: Vec<String> = budgets.keys().map(|k| k.to_string()).collect();
            known.push(default_name.to_string());
            known.sort_unstable();
            return Err(bad(
                "budget",
                format!(
                    "`{chosen}` is not a budget of this script (its budgets: {})",
                    known.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// `raw` read as a value of the default's type.
fn parse_like(key: &str, raw: &str, default: &Dynamic) -> Fallible<Dynamic> {
    let wrong = |what: &str| {
        bad(
            key,
            format!("`{raw}` is not {what} (the default is {default})"),
        )
    };
    if default.is_int() {
        raw.parse::<INT>()
            .map(Dynamic::from)
            .map_err(|_| wrong("an integer"))
    } else if default.is_float() {
        raw.parse::<FLOAT>()
            .map(Dynamic::from)
            .map_err(|_| wrong("a number"))
    } else if default.is_bool() {
        raw.parse::<bool>()
            .map(Dynamic::from)
            .map_err(|_| wrong("true or false"))
    } else if default.is_string() {
        Ok(raw.trim_matches('"').to_string().into())
    } else {
        let json: serde_json::Value = serde_json::from_str(raw).map_err(|_| wrong("JSON"))?;
        let value = from_json(&json);
        if value.type_name() != default.type_name() && !default.is_unit() {
            return Err(wrong(&kind(default)));
        }
        Ok(value)
    }
}

/// One CSV row: values as text, numbers as numbers.
fn log(context: &Shared, file: &str, row: Map) -> Fallible<()> {
    let fields = row
        .iter()
        .map(|(k, v)| {
            let text = if v.is_float() {
                format!("{}", number(k, v)?)
            } else {
                v.to_string()
            };
            Ok((k.to_string(), text))
        })
        .collect::<Fallible<Vec<_>>>()?;
    lift(context.log_row(file, &fields))
}
