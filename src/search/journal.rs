//! The run journal: the result of every expensive step of a scripted run (a training, a
//! candidate's score, a retraining), keyed by a digest of the step's inputs.
//!
//! One line per entry, `CHECKSUM JSON`, appended and synced before the step counts as done.
//! A kill can leave at most a torn last line; [`Journal::open`] drops any line whose checksum
//! does not match (reporting it), so a damaged entry is recomputed, never trusted. Rerunning a
//! script against its journal replays finished steps instead of computing them again.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::hashes;

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
    /// Keys in the order their first lines appear in the file.
    order: Vec<String>,
    file: File,
    /// Bytes of the file read so far (always the end of a whole line).
    read_to: u64,
}

impl Journal {
    /// Opens (or creates) the journal at `path`. Returns it with one message per line that
    /// was dropped as damaged; when there are any, the file is rewritten without them.
    pub fn open(path: &Path) -> Result<(Journal, Vec<String>)> {
        let text = read_text(path)?;
        let mut journal = Journal::shared(path)?;
        let mut kept = String::new();
        let mut dropped = Vec::new();
        for (number, line) in text.lines().enumerate() {
            match parse_line(line) {
                Some(entry) => {
                    kept.push_str(line);
                    kept.push('\n');
                    journal.insert(entry);
                }
                None if line.trim().is_empty() => {}
                None => dropped.push(format!(
                    "{}:{}: damaged journal entry dropped (it will be recomputed)",
                    path.display(),
                    number + 1
                )),
            }
        }
        journal.read_to = text.len() as u64;
        if !dropped.is_empty() || (!text.is_empty() && !text.ends_with('\n')) {
            crate::atomic_file::write(path, kept.as_bytes())?;
            journal.file = append_handle(path)?;
            journal.read_to = kept.len() as u64;
        }
        Ok((journal, dropped))
    }

    /// Opens the journal at `path` as one of several processes sharing it (a scoring worker):
    /// nothing is repaired, so a line another process is still writing is left alone and
    /// read once it is whole.
    pub fn join(path: &Path) -> Result<Journal> {
        let mut journal = Journal::shared(path)?;
        journal.refresh()?;
        Ok(journal)
    }

    /// An empty journal appending to `path` (created if missing), nothing read yet.
    fn shared(path: &Path) -> Result<Journal> {
        Ok(Journal {
            path: path.to_path_buf(),
            entries: HashMap::new(),
            order: Vec::new(),
            file: append_handle(path)?,
            read_to: 0,
        })
    }

    /// Reads the whole lines other processes appended since the last read. A journal that
    /// was replaced (a run reopened and repaired it) is read again from its start.
    pub fn refresh(&mut self) -> Result<()> {
        let on_disk = std::fs::metadata(&self.path).map_err(|e| Error::io(&self.path, e))?;
        let ours = self.file.metadata().map_err(|e| Error::io(&self.path, e))?;
        if on_disk.ino() != ours.ino() || on_disk.dev() != ours.dev() {
            self.file = append_handle(&self.path)?;
            self.read_to = 0;
        }
        if on_disk.len() <= self.read_to {
            return Ok(());
        }
        let mut reader = File::open(&self.path).map_err(|e| Error::io(&self.path, e))?;
        let mut bytes = Vec::new();
        reader
            .seek(SeekFrom::Start(self.read_to))
            .and_then(|_| reader.read_to_end(&mut bytes))
            .map_err(|e| Error::io(&self.path, e))?;
        // Only whole lines: a line still being written is read next time.
        let whole = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        for line in String::from_utf8_lossy(&bytes[..whole]).lines() {
            if let Some(entry) = parse_line(line) {
                self.insert(entry);
            }
        }
        self.read_to += whole as u64;
        Ok(())
    }

    /// Keeps `entry` unless its key already has a value: the first line of a key wins.
    fn insert(&mut self, entry: Entry) {
        if let std::collections::hash_map::Entry::Vacant(slot) = self.entries.entry(entry.key) {
            self.order.push(slot.key().clone());
            slot.insert(entry.value);
        }
    }

    /// The keys starting with `prefix`, in the order they were first recorded.
    pub fn keys_with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a str> {
        self.order
            .iter()
            .map(String::as_str)
            .filter(move |k| k.starts_with(prefix))
    }

    /// The last of a run of numbered keys `key(1)`, `key(2)`, … that are all recorded (0 when
    /// `key(1)` is not): the latest attempt, lease or the like.
    pub fn last_numbered(&self, key: impl Fn(usize) -> String) -> usize {
        (1..).find(|&n| self.get(&key(n)).is_none()).unwrap_or(1) - 1
    }

    /// The journal's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The recorded result of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.get(key)
    }

    /// Records `value` under `key`: appended, flushed and synced before returning, then
    /// reads the journal up to and including the new line. Where another process recorded
    /// the key first, its value stands (see [`Journal::get`] afterwards).
    pub fn put(&mut self, key: &str, value: Value) -> Result<()> {
        let entry = Entry {
            key: key.into(),
            value,
        };
        let json = serde_json::to_string(&entry).expect("journal entries serialise");
        let line = format!("{:08x} {json}\n", checksum(json.as_bytes()));
        crate::kill_point::write_all(&mut self.file, line.as_bytes(), "journal-write")
            .and_then(|()| self.file.sync_data())
            .map_err(|e| Error::io(&self.path, e))?;
        self.refresh()
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

/// The journal's text (empty when there is no file yet).
fn read_text(path: &Path) -> Result<String> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(String::from_utf8_lossy(&bytes).into_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// `path` opened for appending, created if missing.
fn append_handle(path: &Path) -> Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| Error::io(path, e))
}

/// An entry from `CHECKSUM JSON`, or `None` when the line is damaged.
fn parse_line(line: &str) -> Option<Entry> {
    let (sum, json) = line.split_once(' ')?;
    if !check_holds(sum, json.as_bytes()) {
        return None;
    }
    serde_json::from_str(json).ok()
}

/// Whether `sum`, the hex before a line's JSON, checks out: eight digits are the line's
/// [`checksum`]; sixteen are the 64-bit FNV-1a of journals written by earlier versions, which
/// stay readable (`hashes`).
fn check_holds(sum: &str, json: &[u8]) -> bool {
    match sum.len() {
        8 => u32::from_str_radix(sum, 16).ok() == Some(checksum(json)),
        16 => u64::from_str_radix(sum, 16).ok() == Some(hashes::legacy_fnv1a(json)),
        _ => false,
    }
}

/// A line's check: the CRC-32 of its JSON, enough to tell a torn or altered line from a
/// whole one.
pub fn checksum(bytes: &[u8]) -> u32 {
    hashes::line_check(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_checked_by_crc32_or_by_an_earlier_version_s_fnv_are_read_and_altered_ones_are_not() {
        let json = r#"{"key":"score-a","value":0.5}"#;
        let crc = format!("{:08x} {json}", checksum(json.as_bytes()));
        let fnv = format!("{:016x} {json}", hashes::legacy_fnv1a(json.as_bytes()));
        for line in [&crc, &fnv] {
            let entry = parse_line(line).unwrap_or_else(|| panic!("{line}"));
            assert_eq!(entry.key, "score-a");
            assert!(parse_line(&line.replace("0.5", "0.6")).is_none(), "{line}");
        }
        // A check of another length is no check.
        assert!(parse_line(&format!("{:04x} {json}", 7)).is_none());
        assert_eq!(hashes::digest(&("supernet", 1)).len(), 32);
    }

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
