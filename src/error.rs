//! The library's one error type. Everything reachable from a script, a data file or the command
//! line reports through it; nothing there panics.

use std::path::PathBuf;

/// Every failure the library reports, each naming what was wrong.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A preset name that is not built in.
    #[error("unknown preset `{name}` (known presets: {known})")]
    UnknownPreset {
        /// The name asked for.
        name: String,
        /// The built-in names, comma separated.
        known: String,
    },
    /// An architecture name that is not built in.
    #[error("unknown architecture `{name}` (known architectures: {known})")]
    UnknownArch {
        /// The name asked for.
        name: String,
        /// The built-in names, comma separated.
        known: String,
    },
    /// A space definition that cannot describe a network.
    #[error("invalid space: {0}")]
    InvalidSpace(String),
    /// An architecture that does not belong to the space it was used with.
    #[error("architecture not in the space: {0}")]
    NotInSpace(String),
    /// A constrained sampler that never met its predicate.
    #[error("no architecture met the constraint in {tries} tries")]
    ConstraintNeverMet {
        /// How many samples were drawn.
        tries: usize,
    },
    /// A file that could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A JSON document that does not parse or does not have the expected shape.
    #[error("{origin}: {message}")]
    Json {
        /// Where the text came from (a file path, or a description).
        origin: String,
        /// What is wrong, with line and column.
        message: String,
    },
    /// A data file whose content is not what it should be.
    #[error("{origin}: {message}")]
    InvalidData {
        /// The file (or bundled resource).
        origin: String,
        /// What is wrong.
        message: String,
    },
    /// A value given on the command line or in a script that is out of range.
    #[error("invalid value for `{key}`: {message}")]
    InvalidValue {
        /// The option or key.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// A script (or a closure it passed to a Rust function) failed.
    #[error("{0}")]
    Script(String),
    /// Training produced a non-finite loss; the last checkpoint is untouched.
    #[error("training diverged at step {step}: {message} (lower the learning rate or clip gradients; the last checkpoint is intact)")]
    Diverged {
        /// The step that failed.
        step: usize,
        /// What was seen.
        message: String,
    },
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// Data from `origin` (a file, usually given as `path.display()`) that is not what it
    /// should be.
    pub fn invalid_data(origin: impl ToString, message: impl Into<String>) -> Self {
        Error::InvalidData {
            origin: origin.to_string(),
            message: message.into(),
        }
    }

    /// A JSON error from `origin`, keeping serde's line and column.
    pub fn json(origin: impl Into<String>, error: &serde_json::Error) -> Self {
        Error::Json {
            origin: origin.into(),
            message: error.to_string(),
        }
    }
}
