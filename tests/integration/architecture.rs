//! The house rules, kept by a test: the layer order of `src/` (as `../DESIGN.md` draws it),
//! no import from a higher layer or between peers, no circle between files, no file over 400
//! lines outside its unit tests. Each failure names the files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Modules every layer may use, and that use only each other: errors, random streams,
/// hashes, atomic files and the process-wide helpers.
const FOUNDATIONS: &[&str] = &[
    "error",
    "rng",
    "hashes",
    "atomic_file",
    "kill_point",
    "thread_heap",
    "pool_spin",
    "patched",
    "devices",
];

/// The layers above the foundations, lowest first. A module imports from the foundations and
/// from lower layers only; modules of one layer are peers and import nothing of each other.
const LAYERS: &[&[&str]] = &[
    &["space", "data"],
    &["search", "model"],
    &["train", "import"],
    &["predict", "scale", "report"],
    &["run"],
    &["script"],
    &["cli"],
];

/// Lines a file may hold before its unit tests.
const MAX_LINES: usize = 400;

/// A module path inside the crate (`["train", "trainer"]`); the crate root is empty.
type ModPath = Vec<String>;

struct SourceFile {
    path: PathBuf,
    module: ModPath,
    /// The code before the unit tests, without comments or literals.
    code: String,
    lines: usize,
}

fn source_files() -> Vec<SourceFile> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    collect(&root, &mut paths);
    paths
        .into_iter()
        .filter(|p| !p.ends_with("main.rs"))
        .map(|path| {
            let relative = path.strip_prefix(&root).unwrap().with_extension("");
            let mut module: ModPath = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if module.last().is_some_and(|m| m == "mod" || m == "lib") {
                module.pop();
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let before_tests = without_unit_tests(&text);
            SourceFile {
                lines: before_tests.lines().count(),
                code: code_only(before_tests),
                module,
                path,
            }
        })
        .collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
}

/// The text before a `#[cfg(test)]` that opens a `mod`.
fn without_unit_tests(text: &str) -> &str {
    let mut offset = 0;
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim() == "#[cfg(test)]"
            && lines
                .peek()
                .is_some_and(|l| l.trim_start().starts_with("mod "))
        {
            return &text[..offset];
        }
        offset += line.len() + 1;
    }
    text
}

/// `code` with comments, string and character literals blanked, so that only real paths
/// remain.
fn code_only(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    let mut out = String::with_capacity(code.len());
    let mut i = 0;
    while i < chars.len() {
        let rest = &chars[i..];
        if rest.starts_with(&['/', '/']) {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if rest.starts_with(&['/', '*']) {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i..].starts_with(&['/', '*']) {
                    depth += 1;
                    i += 2;
                } else if chars[i..].starts_with(&['*', '/']) {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if rest[0] == 'r'
            && matches!(rest.get(1), Some('"') | Some('#'))
            && !ident_before(&chars, i)
        {
            // A raw string: r"…" or r#"…"#.
            let hashes = rest[1..].iter().take_while(|c| **c == '#').count();
            if rest.get(1 + hashes) == Some(&'"') {
                i += 2 + hashes;
                let close: Vec<char> = std::iter::once('"')
                    .chain(std::iter::repeat_n('#', hashes))
                    .collect();
                while i < chars.len() && !chars[i..].starts_with(&close) {
                    i += 1;
                }
                i += close.len();
                out.push_str("\"\"");
            } else {
                out.push(chars[i]);
                i += 1;
            }
        } else if rest[0] == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if rest[0] == '\'' && (rest.get(2) == Some(&'\'') || rest.get(1) == Some(&'\\')) {
            // A character literal ('x', '\n', '\u{…}'); a lifetime has no closing quote.
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("' '");
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

fn ident_before(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// Every `crate::…`, `super::…` and `self::…` path the code names: `use` trees expanded,
/// and paths written inline.
fn paths_in(code: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut rest = code;
    let mut inline = String::new();
    while let Some(at) = find_use(rest) {
        inline.push_str(&rest[..at]);
        let statement = &rest[at..];
        let end = statement.find(';').unwrap_or(statement.len());
        paths.extend(expand(&normalise(&statement["use".len()..end])));
        rest = &statement[end..];
    }
    inline.push_str(rest);
    let chars: Vec<char> = inline.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let starts = ["crate::", "super::"]
            .iter()
            .any(|p| chars[i..].starts_with(&p.chars().collect::<Vec<_>>()));
        if starts && !ident_before(&chars, i) {
            let mut j = i;
            while j < chars.len()
                && (chars[j].is_alphanumeric() || chars[j] == '_' || chars[j] == ':')
            {
                j += 1;
            }
            paths.push(
                chars[i..j]
                    .iter()
                    .collect::<String>()
                    .trim_end_matches(':')
                    .to_string(),
            );
            i = j;
        } else {
            i += 1;
        }
    }
    paths
}

/// Where the next `use` statement of crate-local paths starts.
fn find_use(code: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = code[from..].find("use ") {
        let at = from + found;
        let word_start =
            at == 0 || !code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_');
        let after = code[at + 4..].trim_start();
        let local = ["crate::", "super::", "self::", "{"]
            .iter()
            .any(|p| after.starts_with(p));
        if word_start && local {
            return Some(at);
        }
        from = at + 4;
    }
    None
}

/// A `use` tree with no space but in ` as ` renames: `a::{b, c as d}` → `a::{b,c as d}`.
fn normalise(tree: &str) -> String {
    let words = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = String::new();
    for (k, c) in words.char_indices() {
        let next = words[k + 1..].chars().next();
        let beside_punctuation = out.ends_with([':', '{', '}', ','])
            || next.is_some_and(|n| matches!(n, ':' | '{' | '}' | ','));
        if c == ' ' && beside_punctuation {
            continue;
        }
        out.push(c);
    }
    out
}

/// A normalised `use` tree as its paths; `as` renames dropped.
fn expand(tree: &str) -> Vec<String> {
    let Some(open) = tree.find('{') else {
        return vec![tree.split(" as ").next().unwrap_or(tree).to_string()];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (k, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..k]);
                start = k + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(|p| expand(p).into_iter().map(move |e| format!("{prefix}{e}")))
        .collect()
}

/// The file a path leads to: the longest module prefix it names, followed through a
/// directory's `pub use child::Item` re-exports to the child that defines the item.
struct Resolver<'a> {
    modules: BTreeMap<ModPath, &'a SourceFile>,
    /// Per directory module: re-exported name → the child module it comes from.
    reexports: BTreeMap<ModPath, BTreeMap<String, ModPath>>,
}

impl<'a> Resolver<'a> {
    fn new(files: &'a [SourceFile]) -> Self {
        let modules: BTreeMap<ModPath, &SourceFile> =
            files.iter().map(|f| (f.module.clone(), f)).collect();
        let mut reexports: BTreeMap<ModPath, BTreeMap<String, ModPath>> = BTreeMap::new();
        for file in files {
            let mut code = file.code.as_str();
            while let Some(at) = code.find("pub use ") {
                let statement = &code[at + "pub use ".len()..];
                let end = statement.find(';').unwrap_or(statement.len());
                for path in expand(&normalise(&statement[..end])) {
                    let first = path.split("::").next().unwrap_or("");
                    let mut child = file.module.clone();
                    child.push(first.to_string());
                    let name = path.rsplit("::").next().unwrap_or("").to_string();
                    if modules.contains_key(&child) {
                        reexports
                            .entry(file.module.clone())
                            .or_default()
                            .insert(name, child);
                    }
                }
                code = &statement[end..];
            }
        }
        Resolver { modules, reexports }
    }

    /// The module `path` (written in module `from`) leads to, if it is in the crate.
    fn resolve(&self, from: &ModPath, path: &str) -> Option<ModPath> {
        let mut segments = path.split("::").filter(|s| !s.is_empty()).peekable();
        let mut base: ModPath = match segments.peek().copied() {
            Some("crate") => Vec::new(),
            Some("super") | Some("self") => from.clone(),
            _ => return None,
        };
        if segments.peek() == Some(&"crate") {
            segments.next();
        }
        while let Some(&segment) = segments.peek() {
            match segment {
                "super" => {
                    base.pop();
                }
                "self" => {}
                _ => break,
            }
            segments.next();
        }
        let full: Vec<String> = base.into_iter().chain(segments.map(String::from)).collect();
        let known = (0..=full.len())
            .rev()
            .find(|&n| self.modules.contains_key(&full[..n]))?;
        let module = full[..known].to_vec();
        let through = full
            .get(known)
            .and_then(|item| self.reexports.get(&module)?.get(item));
        Some(through.cloned().unwrap_or(module))
    }
}

/// Each file's imports of other files of the crate, by module path.
fn import_graph(files: &[SourceFile]) -> BTreeMap<ModPath, BTreeSet<ModPath>> {
    let resolver = Resolver::new(files);
    files
        .iter()
        .map(|file| {
            let targets = paths_in(&file.code)
                .iter()
                .filter_map(|p| resolver.resolve(&file.module, p))
                .filter(|t| *t != file.module)
                .collect();
            (file.module.clone(), targets)
        })
        .collect()
}

fn top(module: &ModPath) -> &str {
    module.first().map_or("", String::as_str)
}

/// The layer of a top-level module: 0 for the foundations, then 1, 2, … up `LAYERS`.
fn layer_of(top: &str) -> Option<usize> {
    if FOUNDATIONS.contains(&top) {
        return Some(0);
    }
    LAYERS
        .iter()
        .position(|layer| layer.contains(&top))
        .map(|l| l + 1)
}

fn shown(module: &ModPath, files: &[SourceFile]) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    files
        .iter()
        .find(|f| f.module == *module)
        .map(|f| {
            f.path
                .strip_prefix(root)
                .unwrap_or(&f.path)
                .display()
                .to_string()
        })
        .unwrap_or_else(|| module.join("::"))
}

#[test]
fn every_module_has_a_layer_and_imports_only_from_below() {
    let files = source_files();
    let graph = import_graph(&files);
    let mut problems = Vec::new();
    for (module, targets) in &graph {
        if module.is_empty() {
            continue; // the crate root declares the modules
        }
        let Some(from) = layer_of(top(module)) else {
            problems.push(format!(
                "{}: module `{}` is in no layer",
                shown(module, &files),
                top(module)
            ));
            continue;
        };
        for target in targets {
            if target.is_empty() || top(target) == top(module) {
                continue;
            }
            let Some(to) = layer_of(top(target)) else {
                continue;
            };
            let allowed = to < from || (from == 0 && to == 0);
            if !allowed {
                let how = if to == from {
                    "a peer"
                } else {
                    "a higher layer"
                };
                problems.push(format!(
                    "{} imports {} ({how}: `{}` may not use `{}`)",
                    shown(module, &files),
                    shown(target, &files),
                    top(module),
                    top(target)
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "layering broken:\n{}",
        problems.join("\n")
    );
}

#[test]
fn no_circle_between_files() {
    let files = source_files();
    let graph = import_graph(&files);
    // A directory's mod.rs is its front: it declares and re-exports its children, who may
    // use its items. Only its imports from outside its own directory count.
    let edges: BTreeMap<&ModPath, Vec<&ModPath>> = graph
        .iter()
        .map(|(from, targets)| {
            let front = |t: &ModPath| t.len() > from.len() && t.starts_with(from);
            (from, targets.iter().filter(|t| !front(t)).collect())
        })
        .collect();
    let mut circles = Vec::new();
    let mut finished: BTreeSet<&ModPath> = BTreeSet::new();
    for start in edges.keys() {
        let mut path = Vec::new();
        find_circle(start, &edges, &mut path, &mut finished, &mut circles);
    }
    let named: Vec<String> = circles
        .iter()
        .map(|c: &Vec<&ModPath>| {
            c.iter()
                .map(|m| shown(m, &files))
                .collect::<Vec<_>>()
                .join(" → ")
        })
        .collect();
    assert!(
        named.is_empty(),
        "circles between files:\n{}",
        named.join("\n")
    );
}

/// Depth-first search from `at`; a module met again on the current path closes a circle.
fn find_circle<'a>(
    at: &'a ModPath,
    edges: &BTreeMap<&'a ModPath, Vec<&'a ModPath>>,
    path: &mut Vec<&'a ModPath>,
    finished: &mut BTreeSet<&'a ModPath>,
    circles: &mut Vec<Vec<&'a ModPath>>,
) {
    if finished.contains(at) {
        return;
    }
    if let Some(k) = path.iter().position(|m| *m == at) {
        let mut circle = path[k..].to_vec();
        circle.push(at);
        circles.push(circle);
        return;
    }
    path.push(at);
    for next in edges.get(at).into_iter().flatten() {
        find_circle(next, edges, path, finished, circles);
    }
    path.pop();
    finished.insert(at);
}

#[test]
fn no_file_is_over_the_line_limit() {
    let files = source_files();
    let long: Vec<String> = files
        .iter()
        .filter(|f| f.lines > MAX_LINES)
        .map(|f| {
            format!(
                "{}: {} lines before its unit tests",
                shown(&f.module, &files),
                f.lines
            )
        })
        .collect();
    assert!(
        long.is_empty(),
        "files over {MAX_LINES} lines:\n{}",
        long.join("\n")
    );
}

#[test]
fn the_checks_see_imports_circles_and_tests() {
    // The path reader on the shapes the crate uses.
    let code = code_only("use super::{a::{B, C as D}, e};\nlet x = crate::f::g(); // crate::h\nlet s = \"crate::i\";");
    assert_eq!(
        paths_in(&code),
        ["super::a::B", "super::a::C", "super::e", "crate::f::g"]
    );
    assert_eq!(without_unit_tests("a\n#[cfg(test)]\nmod tests {}\n"), "a\n");
    assert_eq!(layer_of("cli"), Some(LAYERS.len()));
    assert_eq!(layer_of("error"), Some(0));
    assert_eq!(layer_of("nowhere"), None);
}
