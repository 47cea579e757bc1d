//! The run journal: the result of every expensive step of a scripted run (a training, a
//! candidate's score, a retraining), keyed by a digest of the step's inputs.
//!
//! One line per entry, `CHECKSUM JSON`, appended and synced before the step counts as done.
//! A kill can leave at most a torn last line; [`Journal::open`] drops any line whose checksum
//! does not match (reporting it), so a damaged entry is recomputed, never trusted. Rerunning a
//! script against its journal replays finished steps instead of computing them again.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};

/// One journal line's content.
#[derive(Serialize, Deserialize)]
struct Entry {
    key: String,
    value: Value,
}

/// Recorded results by key, and the file they are appended to.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    entries: HashMap<String, Value>,
    file: File,
}

impl Journal {
    /// Opens (or creates) the journal at `path`. Returns it with one message per line that
    /// was dropped as damaged; when there are any, the file is rewritten without them.
    pub fn open(path: &Path) -> Result<(Journal, Vec<String>)> {
        let text = match std::fs::read(path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(Error::io(path, e)),
        };
        let mut entries = HashMap::new();
        let mut kept = String::new();
        let mut dropped = Vec::new();
        for (number, line) in text.lines().enumerate() {
            match parse_line(line) {
                Some(entry) => {
                    kept.push_str(line);
                    kept.push('\n');
                    entries.insert(entry.key, entry.value);
                }
                None if line.trim().is_empty() => {}
                None => dropped.push(format!(
                    "{}:{}: damaged journal entry dropped (it will be recomputed)",
                    path.display(),
                    number + 1
                )),
            }
        }
        if !dropped.is_empty() || (!text.is_empty() && !text.ends_with('\n')) {
            crate::atomic_file::write(path, kept.as_bytes())?;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        let journal = Journal {
            path: path.to_path_buf(),
            entries,
            file,
        };
        Ok((journal, dropped))
    }

    /// The recorded result of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.get(key)
    }

    /// Records `value` under `key`: appended, flushed and synced before returning.
    pub fn put(&mut self, key: &str, value: Value) -> Result<()> {
        let entry = Entry {
            key: key.into(),
            value,
        };
        let json = serde_json::to_string(&entry).expect("journal entries serialise");
        let line = format!("{:016x} {json}\n", checksum(json.as_bytes()));
        crate::kill_point::write_all(&mut self.file, line.as_bytes(), "journal-write")
            .and_then(|()| self.file.sync_data())
            .map_err(|e| Error::io(&self.path, e))?;
        self.entries.insert(entry.key, entry.value);
        Ok(())
    }

    /// Number of recorded results.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// An entry from `CHECKSUM JSON`, or `None` when the line is damaged.
fn parse_line(line: &str) -> Option<Entry> {
    let (sum, json) = line.split_once(' ')?;
    let sum = u64::from_str_radix(sum, 16).ok()?;
    if sum != checksum(json.as_bytes()) {
        return None;
    }
    serde_json::from_str(json).ok()
}

/// FNV-1a, 64 bits: enough to tell a torn or altered line from a whole one.
pub fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325, |hash, &byte| {
        (hash ^ byte as u64).wrapping_mul(0x100000001b3)
    })
}

/// A short digest naming a step's inputs (anything serialisable): the journal key's tail.
pub fn digest<T: Serialize + ?Sized>(inputs: &T) -> String {
    let json = serde_json::to_string(inputs).expect("step inputs serialise");
    format!("{:016x}", checksum(json.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replays_whole_lines_and_drops_a_torn_one() {
        let dir = std::env::temp_dir().join(format!("glit-journal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("journal.jsonl");
        let _ = std::fs::remove_file(&path);
        let (mut journal, dropped) = Journal::open(&path).unwrap();
        assert!(dropped.is_empty());
        journal.put("score-a", serde_json::json!(0.5)).unwrap();
        journal.put("score-b", serde_json::json!(0.25)).unwrap();
        drop(journal);
        // A kill mid-write: half a line at the end.
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("0123456789abcdef {\"key\":\"score-c\",\"va");
        std::fs::write(&path, &text).unwrap();
        let (mut journal, dropped) = Journal::open(&path).unwrap();
        assert_eq!(dropped.len(), 1, "{dropped:?}");
        assert!(dropped[0].contains("journal.jsonl:3"), "{dropped:?}");
        assert_eq!(journal.get("score-b"), Some(&serde_json::json!(0.25)));
        journal.put("score-c", serde_json::json!(1.0)).unwrap();
        let (journal, dropped) = Journal::open(&path).unwrap();
        assert!(dropped.is_empty());
        assert_eq!(journal.len(), 3);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
