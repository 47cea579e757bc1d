//! Decoding many files at once on a few threads.

use super::decode::{decode_square, Crop};
use super::file_list::FileImages;
use crate::error::Result;

/// Threads that decode images: `GLIT_DECODE_THREADS` when set, else one per core.
pub fn decode_threads() -> usize {
    count_from_env("GLIT_DECODE_THREADS")
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The positive whole number in the environment variable `name`, if it holds one.
pub(super) fn count_from_env(name: &str) -> Option<usize> {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
}

/// Images `indices` of `files` (with one crop each), decoded on `threads` threads: each
/// thread takes one contiguous share, so the work is split without locks; in order.
pub fn decode_some(
    files: &FileImages,
    indices: &[usize],
    crops: &[Crop],
    size: usize,
    threads: usize,
) -> Result<Vec<Vec<u8>>> {
    let share = indices.len().div_ceil(threads.max(1)).max(1);
    let decoded: Vec<Result<Vec<Vec<u8>>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = indices
            .chunks(share)
            .zip(crops.chunks(share))
            .map(|(indices, crops)| {
                scope.spawn(move || {
                    indices
                        .iter()
                        .zip(crops)
                        .map(|(&i, &crop)| decode_square(&files.path(i), size, crop))
                        .collect::<Result<Vec<_>>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a decoding thread panicked"))
            .collect()
    });
    let mut out = Vec::with_capacity(indices.len());
    for part in decoded {
        out.extend(part?);
    }
    Ok(out)
}
