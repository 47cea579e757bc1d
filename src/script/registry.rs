//! Registering a binding with its signature and doc comment, so `glit api` and the editor
//! definitions list every function the way the Rust side documents it.

use rhai::FuncRegistration;

/// A function in a namespace (`space::preset`): called with its module's prefix.
pub fn function(name: &str, params: &[&str], doc: &str) -> FuncRegistration {
    FuncRegistration::new(name)
        .in_internal_namespace()
        .with_params_info(params)
        .with_comments([comment(doc)])
}

/// A method or a global function (`space.sample(rng)`, `params(defaults)`): callable
/// without a prefix, and with method syntax on its first argument.
pub fn method(name: &str, params: &[&str], doc: &str) -> FuncRegistration {
    FuncRegistration::new(name)
        .in_global_namespace()
        .with_params_info(params)
        .with_comments([comment(doc)])
}

/// `doc` as a `///` comment block.
fn comment(doc: &str) -> String {
    doc.lines()
        .map(|line| format!("/// {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `glit api`'s text from the engine's function metadata: globals and methods first, then
/// each namespace, every function with its signature and doc.
pub fn listing(metadata: &serde_json::Value) -> String {
    let mut out =
        String::from("# Functions and methods (no prefix; methods also as value.name(...))\n");
    if let Some(functions) = metadata["functions"].as_array() {
        out.push_str(&entries(functions, ""));
    }
    if let Some(modules) = metadata["modules"].as_object() {
        for (name, module) in modules {
            out.push_str(&format!("\n# {name}::\n"));
            if let Some(functions) = module["functions"].as_array() {
                out.push_str(&entries(functions, &format!("{name}::")));
            }
        }
    }
    out
}

fn entries(functions: &[serde_json::Value], prefix: &str) -> String {
    let mut lines: Vec<(String, String)> = functions
        .iter()
        .filter(|f| !f["docComments"].as_array().is_none_or(|d| d.is_empty()))
        .map(|f| {
            let signature =
                as_scripts_see(&without_result(f["signature"].as_str().unwrap_or_default()));
            let signature = if let Some(rest) = signature.strip_prefix("get$") {
                format!("{rest} (property)")
            } else if let Some(rest) = signature.strip_prefix("set$") {
                format!("{rest} (property assignment)")
            } else {
                format!("{prefix}{signature}")
            };
            let doc: Vec<String> = f["docComments"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|d| d.as_str())
                .flat_map(|d| d.lines())
                .map(|line| format!("    {}", line.trim_start_matches("///").trim()))
                .collect();
            (signature, doc.join("\n"))
        })
        .collect();
    lines.sort();
    lines
        .into_iter()
        .map(|(signature, doc)| format!("{signature}\n{doc}\n"))
        .collect()
}

/// A signature with a fallible return type shown as what a script receives: a plugin
/// function returning `Result<T, Box<EvalAltResult>>` returns `T` (or raises).
fn without_result(signature: &str) -> String {
    let Some((head, returned)) = signature.rsplit_once(" -> ") else {
        return signature.to_string();
    };
    let returned = returned.replace(' ', "");
    match returned
        .strip_prefix("Result<")
        .and_then(|r| r.strip_suffix(",Box<EvalAltResult>>"))
    {
        Some(inner) => format!("{head} -> {inner}"),
        None => signature.to_string(),
    }
}

/// A plugin function's signature in the words of hand-registered ones: no `&mut` on the
/// receiver, an untyped parameter bare and an untyped result `?`, text `&str`, and no
/// result where there is none, as scripts see them.
pub fn as_scripts_see(signature: &str) -> String {
    let signature = signature
        .replace("&mut ", "")
        .replace(": Dynamic", "")
        .replace("-> Dynamic", "-> ?")
        .replace("ImmutableString", "&str");
    match signature.strip_suffix(" -> ()") {
        Some(head) => head.to_string(),
        None => signature,
    }
}
