//! Hints for the mix-up that trips most people writing scripts: a property called as a
//! method (`population.members()`) or a method read as a property (`population.top`). Rhai
//! only says the function or getter is not there; the hint says which one it is and how to
//! write it, from the functions the engine has registered.

use std::collections::{BTreeMap, BTreeSet};

use rhai::{Engine, EvalAltResult};

use super::registry::as_scripts_see;

/// Every property and method of glit's value types, by (type, name).
#[derive(Debug, Default)]
pub struct CallShapes {
    /// Properties: (type, name).
    properties: BTreeSet<(String, String)>,
    /// Methods: (type of the first argument, name) → a signature to show.
    methods: BTreeMap<(String, String), String>,
}

impl CallShapes {
    /// The shapes of the functions `engine` holds outside any namespace.
    pub fn of(engine: &Engine) -> Self {
        let mut shapes = CallShapes::default();
        for signature in engine.gen_fn_signatures(false) {
            let signature = as_scripts_see(&signature);
            let Some((name, first_type)) = name_and_receiver(&signature) else {
                continue;
            };
            if let Some(property) = name.strip_prefix("get$") {
                shapes.properties.insert((first_type, property.to_string()));
            } else if !name.contains('$') {
                shapes
                    .methods
                    .entry((first_type, name.to_string()))
                    .or_insert(signature.clone());
            }
        }
        shapes
    }

    /// How to write what `error` tried, when it is the mix-up.
    pub fn hint(&self, error: &EvalAltResult) -> Option<String> {
        match error {
            // "members (Population)": the name and the argument types tried.
            EvalAltResult::ErrorFunctionNotFound(tried, _) => {
                let (name, types) = tried.split_once(" (")?;
                let receiver = types.trim_end_matches(')').split(',').next()?.trim();
                let key = (receiver.to_string(), name.trim().to_string());
                self.properties.contains(&key).then(|| {
                    let value = receiver.to_lowercase();
                    format!(
                        "`{name}` is a property of {receiver}, not a method: write `{value}.{name}` \
                         without parentheses"
                    )
                })
            }
            // "Unknown property 'top' - a getter is not registered for type 'Population'"
            EvalAltResult::ErrorDotExpr(text, _) => {
                let property = between(text, "Unknown property '", "'")?;
                let receiver = between(text, "for type '", "'")?;
                let signature = self
                    .methods
                    .get(&(receiver.to_string(), property.to_string()))?;
                let value = receiver.to_lowercase();
                Some(format!(
                    "`{property}` is a method of {receiver}, not a property: call it with its \
                     arguments, `{value}.{property}(…)` ({signature})"
                ))
            }
            _ => None,
        }
    }
}

/// The name and the first parameter's type of a signature `name(a: Type, …) -> Out`.
fn name_and_receiver(signature: &str) -> Option<(&str, String)> {
    let (name, rest) = signature.split_once('(')?;
    let first = rest.split([',', ')']).next()?;
    let (_, type_name) = first.split_once(':')?;
    Some((
        name.trim(),
        type_name.trim().trim_start_matches('&').trim().to_string(),
    ))
}

/// The text of `text` between `start` and the next `end`.
fn between<'t>(text: &'t str, start: &str, end: &str) -> Option<&'t str> {
    let from = text.find(start)? + start.len();
    let to = text[from..].find(end)? + from;
    Some(&text[from..to])
}
