//! Safety limits of the script engine: on by default, so a student's infinite loop, runaway
//! recursion or giant array ends in an error naming the limit instead of hanging or
//! exhausting memory. `glit run --limit key=value` changes one.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Limits applied to every script a run executes; 0 turns one off.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Script operations per run (each expression step counts one; Rust work inside a call
    /// counts one). A search of thousands of candidates takes a few million.
    pub operations: u64,
    /// Nested function calls.
    pub call_depth: usize,
    /// Nesting of expressions (and of statements inside functions: half of it).
    pub expression_depth: usize,
    /// Characters in one string.
    pub string_size: usize,
    /// Elements in one array.
    pub array_size: usize,
    /// Entries in one map.
    pub map_size: usize,
    /// Modules a script may import.
    pub modules: usize,
    /// MiB of heap the script's own values may hold (strings, arrays, maps, closures; not the
    /// data sets, networks and scores glit's primitives keep). Enforced where the program
    /// counts its heap per thread, as `glit` does ([`crate::thread_heap`]).
    pub memory_mib: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            operations: 1_000_000_000,
            call_depth: 64,
            expression_depth: 64,
            string_size: 1 << 20,
            array_size: 1 << 20,
            map_size: 1 << 16,
            modules: 64,
            memory_mib: 1024,
        }
    }
}

impl Limits {
    /// These limits with `key=value` settings applied; an unknown key or a bad number names it.
    pub fn with_settings(&self, settings: &[String]) -> Result<Limits> {
        let mut value = serde_json::to_value(self).expect("limits serialise");
        for setting in settings {
            let (key, raw) = setting.split_once('=').ok_or_else(|| Error::InvalidValue {
                key: "--limit".into(),
                message: format!("`{setting}` is not key=value"),
            })?;
            let map = value.as_object_mut().expect("limits are a map");
            if !map.contains_key(key) {
                let known: Vec<&str> = map.keys().map(String::as_str).collect();
                return Err(Error::InvalidValue {
                    key: key.into(),
                    message: format!("no such limit (known: {})", known.join(", ")),
                });
            }
            let n: u64 = raw.parse().map_err(|_| Error::InvalidValue {
                key: key.into(),
                message: format!("`{raw}` is not a whole number"),
            })?;
            map.insert(key.into(), n.into());
        }
        Ok(serde_json::from_value(value).expect("only whole numbers were set"))
    }
}
