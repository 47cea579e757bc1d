//! How much heap a script's own values hold: the script thread's heap (counted by
//! [`crate::thread_heap`]) since the script started, less what glit's heavy primitives left
//! there (data sets, networks, scores). The memory limit (`--limit memory_mib=N`) is checked
//! against this figure.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::OnceLock;
use std::thread::ThreadId;

use crate::thread_heap::held_by_this_thread;

/// The heap ledger of one run's script thread.
#[derive(Debug, Default)]
pub struct ScriptHeap {
    /// The thread the script runs on and its heap when the script started.
    start: OnceLock<(ThreadId, i64)>,
    /// Bytes heavy primitives left on the script thread (negative when they freed more).
    heavy: AtomicI64,
}

impl ScriptHeap {
    /// Marks the calling thread as the script's, from now on (the first call wins).
    pub fn start_here(&self) {
        if let Some(held) = held_by_this_thread() {
            self.start
                .get_or_init(|| (std::thread::current().id(), held));
        }
    }

    /// Bytes the script's own values hold, when called on the script's thread with a counting
    /// allocator installed.
    pub fn held_by_script(&self) -> Option<i64> {
        let (thread, start) = *self.start.get()?;
        if std::thread::current().id() != thread {
            return None;
        }
        let held = held_by_this_thread()?;
        Some(held - start - self.heavy.load(Ordering::Relaxed))
    }

    /// Runs `work`, a heavy primitive, and books what it leaves on the script thread's heap
    /// as glit's rather than the script's.
    pub fn exclude<T>(&self, work: impl FnOnce() -> T) -> T {
        let on_script_thread = self
            .start
            .get()
            .is_some_and(|(thread, _)| *thread == std::thread::current().id());
        let before = held_by_this_thread().filter(|_| on_script_thread);
        let result = work();
        if let (Some(before), Some(after)) = (before, held_by_this_thread()) {
            self.heavy.fetch_add(after - before, Ordering::Relaxed);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::thread_heap::CountedHeap;
    use std::alloc::{GlobalAlloc, Layout, System};

    #[test]
    fn heavy_work_is_booked_as_glit_s_and_the_rest_as_the_script_s() {
        let allocator = CountedHeap(System);
        let layout = |bytes| Layout::from_size_align(bytes, 8).unwrap();
        // SAFETY (all blocks): non-zero layouts, each freed once with its own layout.
        let first = unsafe { allocator.alloc(layout(64)) };
        let heap = ScriptHeap::default();
        heap.start_here();
        let script = unsafe { allocator.alloc(layout(1 << 20)) };
        let network = heap.exclude(|| unsafe { allocator.alloc(layout(8 << 20)) });
        let held = heap.held_by_script().unwrap();
        let other_thread = std::thread::scope(|s| s.spawn(|| heap.held_by_script()).join());
        unsafe {
            allocator.dealloc(network, layout(8 << 20));
            allocator.dealloc(script, layout(1 << 20));
            allocator.dealloc(first, layout(64));
        }
        // Test threads allocate a little of their own (names, output capture) meanwhile.
        assert!((1 << 20..(1 << 20) + 65_536).contains(&held), "{held}");
        assert_eq!(
            other_thread.unwrap(),
            None,
            "only the script's thread is measured"
        );
    }
}
