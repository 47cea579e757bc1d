//! Where `import "name" as x;` finds modules: glit's recipes (`stdlib/*.rhai`, embedded in
//! the binary, so they work from any directory), then `.rhai` files in the script's own
//! folder. Nothing else is reachable: no absolute paths, no `..`.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use rhai::{Engine, EvalAltResult, Module, ModuleResolver, Position, Scope, AST};

/// A compiled module, shared.
type SharedModule = std::sync::Arc<Module>;

use crate::run::lock;

/// The recipes shipped with glit: name and source.
pub const STDLIB: [(&str, &str); 5] = [
    ("evolution", include_str!("../../stdlib/evolution.rhai")),
    ("glit", include_str!("../../stdlib/glit.rhai")),
    ("baselines", include_str!("../../stdlib/baselines.rhai")),
    ("pareto", include_str!("../../stdlib/pareto.rhai")),
    ("course", include_str!("../../stdlib/course.rhai")),
];

/// Resolves imports to the stdlib and to files beside the script; compiles each once.
pub struct Resolver {
    script_dir: Option<PathBuf>,
    cache: Mutex<HashMap<String, SharedModule>>,
}

impl Resolver {
    /// A resolver for a script in `script_dir` (`None`: stdlib only).
    pub fn new(script_dir: Option<PathBuf>) -> Self {
        Resolver {
            script_dir,
            cache: Mutex::default(),
        }
    }

    /// The source of module `path` and the name its errors report.
    fn source(&self, path: &str, pos: Position) -> Result<(String, String), Box<EvalAltResult>> {
        if let Some((_, text)) = STDLIB.iter().find(|(name, _)| *name == path) {
            return Ok((format!("stdlib/{path}.rhai"), text.to_string()));
        }
        let not_found = |why: String| -> Box<EvalAltResult> {
            EvalAltResult::ErrorRuntime(format!("module `{path}` not found: {why}").into(), pos)
                .into()
        };
        let relative = Path::new(path);
        let plain = relative
            .components()
            .all(|c| matches!(c, Component::Normal(_)));
        let known = STDLIB.map(|(name, _)| name).join(", ");
        let Some(dir) = self.script_dir.as_ref().filter(|_| plain) else {
            return Err(not_found(format!(
                "stdlib modules are {known}; other modules are .rhai files beside the script, named without `..` or an absolute path"
            )));
        };
        let file = dir.join(relative).with_extension("rhai");
        let text = std::fs::read_to_string(&file).map_err(|e| {
            not_found(format!(
                "not a stdlib module ({known}), and {}: {e}",
                file.display()
            ))
        })?;
        Ok((file.display().to_string(), text))
    }

    /// The compiled module `path`.
    fn compile(
        &self,
        engine: &Engine,
        path: &str,
        pos: Position,
    ) -> Result<AST, Box<EvalAltResult>> {
        let (origin, text) = self.source(path, pos)?;
        let mut ast = engine.compile(&text).map_err(|e| {
            Box::new(EvalAltResult::ErrorInModule(
                origin.clone(),
                EvalAltResult::from(e).into(),
                pos,
            ))
        })?;
        ast.set_source(origin);
        Ok(ast)
    }
}

impl ModuleResolver for Resolver {
    fn resolve(
        &self,
        engine: &Engine,
        _source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Result<SharedModule, Box<EvalAltResult>> {
        if let Some(module) = lock(&self.cache).get(path) {
            return Ok(module.clone());
        }
        let ast = self.compile(engine, path, pos)?;
        let origin = ast.source().unwrap_or(path).to_string();
        let mut module = Module::eval_ast_as_new(Scope::new(), &ast, engine)
            .map_err(|e| Box::new(EvalAltResult::ErrorInModule(origin, e, pos)))?;
        module.build_index();
        let module: SharedModule = module.into();
        lock(&self.cache).insert(path.into(), module.clone());
        Ok(module)
    }

    fn resolve_ast(
        &self,
        engine: &Engine,
        _source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Option<Result<AST, Box<EvalAltResult>>> {
        Some(self.compile(engine, path, pos))
    }
}
