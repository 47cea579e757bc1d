//! Script errors as people read them: `file:line:col: message`, where the error happened
//! first, then each call and import that led there.

use rhai::{EvalAltResult, Position};

use super::call_hints::CallShapes;
use super::engine::MEMORY_LIMIT;
use super::stdlib::STDLIB;

/// The text of `error`, raised running (or compiling) `file`.
pub fn describe(file: &str, error: &EvalAltResult) -> String {
    describe_with(file, error, &CallShapes::default())
}

/// [`describe`], with a hint where the error is a property called as a method or a method
/// read as a property (`shapes` knows which names are which).
pub fn describe_with(file: &str, error: &EvalAltResult, shapes: &CallShapes) -> String {
    let mut trail = Vec::new();
    let (origin, leaf) = innermost(file, error, &mut trail);
    let mut out = format!("{}: {}", at(&origin, leaf.position()), message(leaf));
    if let Some(hint) = shapes.hint(leaf) {
        out.push_str(&format!("\n  hint: {hint}"));
    }
    for line in trail.iter().rev() {
        out.push_str("\n  ");
        out.push_str(line);
    }
    out
}

/// Follows calls and imports down to the error that started it all, noting each hop.
fn innermost<'e>(
    file: &str,
    error: &'e EvalAltResult,
    trail: &mut Vec<String>,
) -> (String, &'e EvalAltResult) {
    match error {
        EvalAltResult::ErrorInFunctionCall(name, source, inner, pos) => {
            let what = if name.starts_with("anon$") {
                "a closure".to_string()
            } else {
                format!("function `{name}`")
            };
            trail.push(format!("in {what}, called at {}", at(file, *pos)));
            let next = if source.is_empty() {
                file.to_string()
            } else {
                module_file(source)
            };
            innermost(&next, inner, trail)
        }
        EvalAltResult::ErrorInModule(name, inner, pos) => {
            let module = module_file(name);
            trail.push(format!(
                "in module {module}, imported at {}",
                at(file, *pos)
            ));
            innermost(&module, inner, trail)
        }
        leaf => (file.to_string(), leaf),
    }
}

/// The file a module name stands for (`evolution` → `stdlib/evolution.rhai`).
fn module_file(name: &str) -> String {
    if STDLIB.iter().any(|(n, _)| *n == name) {
        format!("stdlib/{name}.rhai")
    } else {
        name.to_string()
    }
}

fn at(file: &str, pos: Position) -> String {
    match (pos.line(), pos.position()) {
        (Some(line), Some(col)) => format!("{file}:{line}:{col}"),
        (Some(line), None) => format!("{file}:{line}"),
        _ => file.to_string(),
    }
}

/// The message alone: no position suffix, no "Runtime error:" prefix on errors that glit's
/// own functions raise (they already say what went wrong).
fn message(error: &EvalAltResult) -> String {
    let text = match error {
        EvalAltResult::ErrorRuntime(value, _) => value.to_string(),
        EvalAltResult::ErrorTooManyOperations(_) => limit_hit(
            "the script ran more operations than its limit allows (an endless loop?)",
            "operations",
        ),
        EvalAltResult::ErrorStackOverflow(_) => limit_hit(
            "function calls nested deeper than the limit allows (endless recursion?)",
            "call_depth",
        ),
        EvalAltResult::ErrorDataTooLarge(what, _) => {
            let key = match what.as_str() {
                w if w.contains("string") => "string_size",
                w if w.contains("array") => "array_size",
                _ => "map_size",
            };
            limit_hit(&format!("{what} larger than the limit allows"), key)
        }
        EvalAltResult::ErrorTerminated(token, _) => {
            let text = token.to_string();
            match text.rsplit_once(": ") {
                Some((what, key)) if key == MEMORY_LIMIT => limit_hit(what, key),
                _ => format!("the script was stopped: {text}"),
            }
        }
        EvalAltResult::ErrorTooManyModules(_) => {
            limit_hit("more modules imported than the limit allows", "modules")
        }
        other => other.to_string(),
    };
    match text.rfind(" (line ") {
        Some(i) if text.ends_with(')') => text[..i].to_string(),
        _ => text,
    }
}

/// A safety limit's error: what happened, and how to change the limit if it was meant.
fn limit_hit(what: &str, key: &str) -> String {
    format!("{what}: script limit `{key}` (change it with `glit run --limit {key}=N`)")
}
