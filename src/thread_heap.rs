//! Heap bytes each thread holds, counted by an allocator wrapper the program installs.
//!
//! A script's memory limit (`glit run --limit memory_mib=N`) needs to know how much of the
//! heap the script's own values hold. The process's resident set cannot tell: it also holds
//! the networks and data sets glit's Rust code keeps, and other threads' work (a test binary
//! runs many scripts at once). So the `glit` binary wraps its allocator in [`CountedHeap`],
//! which keeps, per thread, the bytes that thread allocated less the bytes it freed. The
//! script host reads its own thread's figure and subtracts what glit's heavy primitives left
//! there (`script::ScriptHeap`).
//!
//! A program that links glit as a library and does not install [`CountedHeap`] reads zero
//! everywhere, and the memory limit does not apply there (the size limits on strings, arrays
//! and maps still do).

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};

thread_local! {
    /// Bytes this thread allocated less the bytes it freed (negative when it frees more than
    /// it allocated: memory made on another thread).
    static HELD: Cell<i64> = const { Cell::new(0) };
}

/// Set by the first allocation through a [`CountedHeap`].
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// An allocator that counts, per thread, the bytes `A` hands out and takes back.
///
/// ```ignore
/// #[global_allocator]
/// static ALLOCATOR: glit::thread_heap::CountedHeap<std::alloc::System> =
///     glit::thread_heap::CountedHeap(std::alloc::System);
/// ```
pub struct CountedHeap<A>(pub A);

/// Adds `bytes` to this thread's count. `try_with` because an allocation can come after the
/// thread's locals are gone; the count is a plain `const` cell, so no allocation happens here.
#[inline]
fn count(bytes: i64) {
    if !INSTALLED.load(Ordering::Relaxed) {
        INSTALLED.store(true, Ordering::Relaxed);
    }
    let _ = HELD.try_with(|held| held.set(held.get() + bytes));
}

// SAFETY: every call forwards to `A` with the same arguments and returns its result; counting
// touches only a thread-local integer and never allocates.
unsafe impl<A: GlobalAlloc> GlobalAlloc for CountedHeap<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = self.0.alloc(layout);
        if !ptr.is_null() {
            count(layout.size() as i64);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = self.0.alloc_zeroed(layout);
        if !ptr.is_null() {
            count(layout.size() as i64);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        self.0.dealloc(ptr, layout);
        count(-(layout.size() as i64));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = self.0.realloc(ptr, layout, new_size);
        if !new.is_null() {
            count(new_size as i64 - layout.size() as i64);
        }
        new
    }
}

/// Bytes the calling thread holds on the heap (allocated less freed), or `None` when no
/// [`CountedHeap`] is installed.
pub fn held_by_this_thread() -> Option<i64> {
    INSTALLED
        .load(Ordering::Relaxed)
        .then(|| HELD.try_with(Cell::get).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::alloc::System;

    #[test]
    fn each_thread_counts_what_it_allocates_and_frees() {
        let heap = CountedHeap(System);
        let layout = Layout::from_size_align(4096, 8).unwrap();
        // SAFETY: a non-zero layout, freed below with the same layout.
        let block = unsafe { heap.alloc(layout) };
        let held = held_by_this_thread().expect("counting since the first allocation");
        let elsewhere = std::thread::spawn(held_by_this_thread).join().unwrap();
        // SAFETY: `block` came from `heap.alloc(layout)` and is grown in place or moved.
        let block = unsafe { heap.realloc(block, layout, 10_000) };
        let grown = held_by_this_thread().unwrap();
        // SAFETY: `block` holds 10,000 bytes of the same alignment.
        unsafe { heap.dealloc(block, Layout::from_size_align(10_000, 8).unwrap()) };
        let freed = held_by_this_thread().unwrap();
        assert_eq!(grown - held, 10_000 - 4096);
        assert_eq!(grown - freed, 10_000);
        assert_eq!(elsewhere, Some(0), "another thread's count is its own");
    }
}
