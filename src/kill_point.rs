//! Named kill points for the fault tests: with `GLIT_KILL_AT=POINT:N` in its environment, the
//! process kills itself with SIGKILL (no cleanup, no buffered output flushed, exactly like
//! `kill -9` or the OOM killer) the N-th time it reaches `POINT`.
//!
//! A kill at a random moment rarely lands inside a millisecond-long checkpoint write; these
//! points let the kill-and-resume harness hit every such window on purpose. Without the
//! variable a point costs one relaxed atomic load.
//!
//! The points: `train-step` (after an optimiser step), `score` (a candidate scored, not yet
//! journalled), `generation` (between generations), `checkpoint-write` (half a checkpoint in
//! its temporary file), `checkpoint-rotate` (the previous checkpoint renamed, the new one not
//! yet in place) and `journal-write` (half a journal line on disk).

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// The environment variable naming the point and the count.
pub const VARIABLE: &str = "GLIT_KILL_AT";

/// Every point's name, for the harness and for a clear error on a misspelt one.
pub const POINTS: [&str; 6] = [
    "train-step",
    "score",
    "generation",
    "checkpoint-write",
    "checkpoint-rotate",
    "journal-write",
];

/// Times the armed point has been reached.
static REACHED: AtomicU64 = AtomicU64::new(0);

/// The armed point and count, read once.
fn armed() -> Option<&'static (String, u64)> {
    static ARMED: OnceLock<Option<(String, u64)>> = OnceLock::new();
    ARMED
        .get_or_init(|| {
            let text = std::env::var(VARIABLE).ok()?;
            let (point, count) = text.rsplit_once(':')?;
            let count = count.parse().ok()?;
            POINTS.contains(&point).then(|| (point.to_string(), count))
        })
        .as_ref()
}

/// Marks that the process reached `point`; kills it if this is the armed point's N-th time.
pub fn reached(point: &str) {
    debug_assert!(POINTS.contains(&point), "unknown kill point {point}");
    let Some((armed_point, count)) = armed() else {
        return;
    };
    if armed_point == point && REACHED.fetch_add(1, Ordering::Relaxed) + 1 == *count {
        kill_self();
    }
}

/// Writes `bytes` to `out`. When `point` is armed, the first half is written and flushed
/// first and the point reached in between, so a kill leaves a torn write on disk; otherwise
/// it is one `write_all`, so appends from several processes never interleave inside it.
pub fn write_all(out: &mut impl Write, bytes: &[u8], point: &str) -> std::io::Result<()> {
    if armed().is_none_or(|(armed_point, _)| armed_point != point) {
        return out.write_all(bytes);
    }
    let (first, rest) = bytes.split_at(bytes.len() / 2);
    out.write_all(first)?;
    out.flush()?;
    reached(point);
    out.write_all(rest)
}

#[cfg(unix)]
fn kill_self() {
    // SAFETY: kill(2) on our own pid has no memory-safety preconditions.
    unsafe {
        libc::kill(libc::getpid(), libc::SIGKILL);
    }
}

#[cfg(not(unix))]
fn kill_self() {
    std::process::abort();
}
