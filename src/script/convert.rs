//! The one boundary between script values and Rust types: errors, numbers, JSON, blocks,
//! and option maps whose unknown keys and wrong types are errors naming the key.

use rhai::{Array, Dynamic, EvalAltResult, Map, INT};

use crate::error::Error;
use crate::space::{Arch, BlockArch, Dimension, Space};

/// What a binding returns.
pub type Fallible<T> = Result<T, Box<EvalAltResult>>;

/// What a plugin function (`#[export_module]`) returns when it may fail: `Fallible`, under the
/// name Rhai's metadata shows as the type a script receives (so `glit api` and the editor
/// definitions say `-> Array`, not the `Result`).
pub type RhaiResultOf<T> = Result<T, Box<EvalAltResult>>;

/// A Rust error as a script runtime error (Rhai adds the call's position).
pub fn fail(error: impl std::fmt::Display) -> Box<EvalAltResult> {
    error.to_string().into()
}

/// Converts a library result for a script.
pub fn lift<T>(result: crate::Result<T>) -> Fallible<T> {
    result.map_err(fail)
}

/// An error naming `key`.
pub fn bad(key: &str, message: impl Into<String>) -> Box<EvalAltResult> {
    fail(Error::InvalidValue {
        key: key.into(),
        message: message.into(),
    })
}

/// A count or size from a script integer; negative values name `key`.
pub fn count(key: &str, value: INT) -> Fallible<usize> {
    usize::try_from(value).map_err(|_| bad(key, format!("must be a whole number ≥ 0, got {value}")))
}

/// A count or size from any script value: a whole number ≥ 0, or an error naming `key` that
/// says what was given instead.
pub fn whole_number(key: &str, value: &Dynamic) -> Fallible<usize> {
    let n = value.as_int().map_err(|_| {
        bad(
            key,
            format!("must be a whole number ≥ 0, got {}", described(value)),
        )
    })?;
    count(key, n)
}

/// What a script value is, in the words of the script's author: `a whole number`, `text`, `a
/// list`, `a map`, or glit's own type (`an Arch`).
pub fn kind(value: &Dynamic) -> String {
    let article = |name: &str| {
        let vowel = name.starts_with(['A', 'E', 'I', 'O', 'U', 'a', 'e', 'i', 'o', 'u']);
        format!("{} {name}", if vowel { "an" } else { "a" })
    };
    match value.type_name() {
        "i64" | "i32" => "a whole number".into(),
        "f64" | "f32" => "a fractional number".into(),
        "string" | "char" => "text".into(),
        "bool" => "true or false".into(),
        "array" => "a list".into(),
        "map" => "a map".into(),
        "blob" => "a BLOB".into(),
        "Fn" => "a function".into(),
        "()" => "nothing (`()`)".into(),
        // glit's own types: the Rust path's last part, less the `Shared` of shared handles.
        rust => {
            let last = rust.rsplit("::").next().unwrap_or(rust);
            article(last.trim_end_matches('>').trim_start_matches("Shared"))
        }
    }
}

/// `value` for an error message: its kind, and the value itself where it is short.
pub fn described(value: &Dynamic) -> String {
    let shown = value.to_string();
    if value.is_int() || value.is_float() || value.is_bool() {
        shown
    } else if value.is_string() && shown.chars().count() <= 40 {
        format!("{} (\"{shown}\")", kind(value))
    } else {
        kind(value)
    }
}

/// A script number (integer or float) as f64.
pub fn number(key: &str, value: &Dynamic) -> Fallible<f64> {
    if let Some(v) = value.clone().try_cast::<f64>() {
        Ok(v)
    } else if let Some(v) = value.clone().try_cast::<INT>() {
        Ok(v as f64)
    } else {
        Err(bad(
            key,
            format!("must be a number, got {}", described(value)),
        ))
    }
}

/// A script value as JSON: unit, booleans, numbers, strings, arrays, maps, and glit's own
/// values (an architecture, a space, a population) in their JSON form.
pub fn to_json(key: &str, value: &Dynamic) -> Fallible<serde_json::Value> {
    use serde_json::Value;
    if value.is_unit() {
        return Ok(Value::Null);
    }
    if let Some(v) = value.clone().try_cast::<bool>() {
        return Ok(Value::Bool(v));
    }
    if let Some(v) = value.clone().try_cast::<INT>() {
        return Ok(Value::from(v));
    }
    if let Some(v) = value.clone().try_cast::<f64>() {
        return Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number));
    }
    if value.is_string() {
        return Ok(Value::String(value.to_string()));
    }
    if let Some(arch) = value.clone().try_cast::<Arch>() {
        return Ok(serde_json::to_value(&arch).expect("an Arch serialises"));
    }
    if let Some(space) = value.clone().try_cast::<Space>() {
        return serde_json::from_str(&space.to_json()).map_err(fail);
    }
    if let Some(population) = value
        .clone()
        .try_cast::<super::shared_population::SharedPopulation>()
    {
        let members = population.members();
        return Ok(serde_json::to_value(&members).expect("members serialise"));
    }
    if value.is_array() {
        let array = value.clone().into_array().expect("checked");
        return array
            .iter()
            .enumerate()
            .map(|(i, v)| to_json(&format!("{key}[{i}]"), v))
            .collect::<Fallible<Vec<_>>>()
            .map(Value::Array);
    }
    if value.is_map() {
        let map = value.clone().cast::<Map>();
        let mut object = serde_json::Map::new();
        for (k, v) in map {
            object.insert(k.to_string(), to_json(&format!("{key}.{k}"), &v)?);
        }
        return Ok(Value::Object(object));
    }
    Err(bad(
        key,
        format!("{} cannot be written as JSON", kind(value)),
    ))
}

/// JSON as a script value (objects become maps, numbers integers where they are whole).
pub fn from_json(value: &serde_json::Value) -> Dynamic {
    use serde_json::Value;
    match value {
        Value::Null => Dynamic::UNIT,
        Value::Bool(b) => (*b).into(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => (i as INT).into(),
            None => n.as_f64().unwrap_or(f64::NAN).into(),
        },
        Value::String(s) => s.clone().into(),
        Value::Array(items) => items.iter().map(from_json).collect::<Array>().into(),
        Value::Object(object) => object
            .iter()
            .map(|(k, v)| (k.as_str().into(), from_json(v)))
            .collect::<Map>()
            .into(),
    }
}

/// A block as a script map: `#{global_heads: 1, qk_dim: 8, ffn_ratio: 2, conv_expand: 1,
/// kernel: 3}`, values a block does not hold absent.
pub fn block_to_map(block: &BlockArch) -> Map {
    Dimension::ALL
        .iter()
        .filter_map(|&d| {
            block
                .get(d)
                .map(|v| (d.name().into(), Dynamic::from(v as INT)))
        })
        .collect()
}

/// A block from a script map; unknown keys and non-integers are errors naming them.
pub fn block_from_map(index: usize, map: &Map) -> Fallible<BlockArch> {
    let mut block = BlockArch::default();
    for (key, value) in map {
        let name = format!("blocks[{index}].{key}");
        let dimension = Dimension::from_name(key).ok_or_else(|| {
            bad(
                &name,
                "not a block dimension (global_heads, qk_dim, ffn_ratio, conv_expand, kernel)",
            )
        })?;
        if value.is_unit() {
            continue;
        }
        block.set(dimension, Some(whole_number(&name, value)?));
    }
    for required in [Dimension::GlobalHeads, Dimension::FfnRatio] {
        if !map.contains_key(required.name()) {
            return Err(bad(
                &format!("blocks[{index}].{}", required.name()),
                "missing",
            ));
        }
    }
    Ok(block)
}

/// A number list from a script array; an element that is not a number is an error naming
/// `key[i]`.
pub fn numbers(key: &str, array: &Array) -> Fallible<Vec<f64>> {
    array
        .iter()
        .enumerate()
        .map(|(i, v)| number(&format!("{key}[{i}]"), v))
        .collect()
}

/// An integer list from a script array.
pub fn int_list(key: &str, array: &Array) -> Fallible<Vec<usize>> {
    array
        .iter()
        .enumerate()
        .map(|(i, v)| whole_number(&format!("{key}[{i}]"), v))
        .collect()
}

/// Options given to a binding, checked against the keys it knows: `take` removes one, and
/// [`Options::finish`] fails on anything left over, naming it and the known keys.
pub struct Options {
    what: &'static str,
    map: Map,
    known: Vec<&'static str>,
}

impl Options {
    /// Options of `what` (e.g. `train::spos`) from a script map.
    pub fn new(what: &'static str, map: Map) -> Self {
        Options {
            what,
            map,
            known: Vec::new(),
        }
    }

    /// Removes and returns `key`, if given.
    pub fn take(&mut self, key: &'static str) -> Option<Dynamic> {
        self.known.push(key);
        self.map.remove(key)
    }

    /// `key` as an integer ≥ 0, or `default`.
    pub fn count(&mut self, key: &'static str, default: usize) -> Fallible<usize> {
        Ok(self.optional_count(key)?.unwrap_or(default))
    }

    /// `key` as an integer ≥ 0, if given.
    pub fn optional_count(&mut self, key: &'static str) -> Fallible<Option<usize>> {
        self.take(key).map(|v| whole_number(key, &v)).transpose()
    }

    /// `key` as an integer ≥ 1, or `default`.
    pub fn positive(&mut self, key: &'static str, default: usize) -> Fallible<usize> {
        match self.count(key, default)? {
            0 => Err(bad(key, "must be a whole number ≥ 1, got 0")),
            n => Ok(n),
        }
    }

    /// `key` as a string, or `default`.
    pub fn string(&mut self, key: &'static str, default: &str) -> Fallible<String> {
        match self.take(key) {
            None => Ok(default.into()),
            Some(v) if v.is_string() => Ok(v.to_string()),
            Some(v) => Err(bad(key, format!("must be text, got {}", described(&v)))),
        }
    }

    /// What is left, untouched (for keys another layer checks, such as a recipe's).
    pub fn rest(&mut self) -> Map {
        std::mem::take(&mut self.map)
    }

    /// Fails when a key is left that no `take` asked for.
    pub fn finish(self) -> Fallible<()> {
        match self.map.keys().next() {
            None => Ok(()),
            Some(key) => Err(bad(
                key,
                format!(
                    "`{}` has no such option (it knows: {})",
                    self.what,
                    self.known.join(", ")
                ),
            )),
        }
    }
}
