//! The file names of an image folder, kept compactly (one string, one offset per file) so
//! ImageNet's 1.33 million names take tens of megabytes, and a split's choice of them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Every image file of a folder, by path relative to its root.
#[derive(Debug, PartialEq, Eq)]
pub struct FileList {
    root: PathBuf,
    names: String,
    ends: Vec<usize>,
}

impl FileList {
    /// An empty list of files under `root`.
    pub fn new(root: &Path) -> FileList {
        FileList {
            root: root.to_path_buf(),
            names: String::new(),
            ends: Vec::new(),
        }
    }

    /// Adds `name` (relative to the root, `/`-separated) and returns its index.
    pub fn push(&mut self, name: &str) -> usize {
        self.names.push_str(name);
        self.ends.push(self.names.len());
        self.ends.len() - 1
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the list holds no file.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The name of file `index`, relative to the root.
    pub fn name(&self, index: usize) -> &str {
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        &self.names[start..self.ends[index]]
    }

    /// The full path of file `index`.
    pub fn path(&self, index: usize) -> PathBuf {
        self.root.join(self.name(index))
    }
}

/// The images of one split: indices into a shared [`FileList`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileImages {
    list: Arc<FileList>,
    picks: Vec<u32>,
}

impl FileImages {
    /// The files at `picks` of `list`.
    pub fn new(list: Arc<FileList>, picks: Vec<u32>) -> FileImages {
        FileImages { list, picks }
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.picks.len()
    }

    /// Whether there is no image.
    pub fn is_empty(&self) -> bool {
        self.picks.is_empty()
    }

    /// The path of this split's image `index`.
    pub fn path(&self, index: usize) -> PathBuf {
        self.list.path(self.picks[index] as usize)
    }

    /// The names of this split's images, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.picks.iter().map(|&p| self.list.name(p as usize))
    }

    /// The images at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> FileImages {
        FileImages {
            list: Arc::clone(&self.list),
            picks: indices.iter().map(|&i| self.picks[i]).collect(),
        }
    }
}
