//! Writing files so that a kill at any moment leaves either the old or the new content.
//!
//! The bytes go to a temporary file beside the target (`.NAME.tmp`), are synced, and only then
//! renamed over the target; the folder is synced so the rename itself survives a power cut.
//! A failure on the way (a full disk, say) removes the temporary file and leaves the target
//! as it was.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Writes `bytes` to `path` atomically.
pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    stage(path, bytes, None)?.commit()
}

/// Bytes written and synced to a temporary file beside their target, not yet in place.
/// Dropping it without [`Staged::commit`] removes the temporary file.
#[derive(Debug)]
pub struct Staged {
    temp: PathBuf,
    target: PathBuf,
    committed: bool,
}

/// Writes `bytes` to the temporary file for `path`. With `kill_point`, the fault tests may
/// kill the process there, half-way through the bytes.
pub fn stage(path: &Path, bytes: &[u8], kill_point: Option<&str>) -> Result<Staged> {
    let file_name = path
        .file_name()
        .ok_or_else(|| Error::io(path, std::io::Error::other("not a file path")))?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(file_name);
    temp_name.push(".tmp");
    let staged = Staged {
        temp: path.with_file_name(temp_name),
        target: path.to_path_buf(),
        committed: false,
    };
    let temp = &staged.temp;
    let mut file = std::fs::File::create(temp).map_err(|e| Error::io(temp, e))?;
    match kill_point {
        Some(point) => crate::kill_point::write_all(&mut file, bytes, point),
        None => file.write_all(bytes),
    }
    .and_then(|()| file.sync_all())
    .map_err(|e| Error::io(temp, e))?;
    Ok(staged)
}

impl Staged {
    /// The file the bytes are meant for.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Renames the temporary file over the target and syncs the folder.
    pub fn commit(mut self) -> Result<()> {
        std::fs::rename(&self.temp, &self.target).map_err(|e| Error::io(&self.target, e))?;
        self.committed = true;
        sync_folder(&self.target);
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// Syncs the folder holding `path`, so renames in it are durable. Best effort: some file
/// systems refuse to open or sync a folder, and the data itself is already synced.
pub fn sync_folder(path: &Path) {
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        if let Ok(handle) = std::fs::File::open(folder) {
            let _ = handle.sync_all();
        }
    }
}
