//! Locking the values scripts share between closures and threads (populations, streams, the
//! run context) so that a panic on one thread cannot turn every later lock into a second one.

use std::sync::{Mutex, MutexGuard};

/// A lock that a panic elsewhere cannot turn into a second panic here.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
