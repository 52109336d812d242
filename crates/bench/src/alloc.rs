//! A global allocator that counts live heap bytes, so memory figures are exact and repeatable
//! (RSS would include allocator caches and fragmentation that vary from run to run). It hands
//! every request to mimalloc, the server's allocator, so timings match the server's; once the
//! memory figures are taken, [`stop_counting`] leaves it exactly the server's (an atomic add
//! per allocation cost the scaling figures about 5%).

use std::alloc::{GlobalAlloc, Layout};

use server::allocator::Allocator;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

static LIVE: AtomicUsize = AtomicUsize::new(0);
static COUNTING: AtomicBool = AtomicBool::new(true);

/// Stops counting for good (the count would be wrong if it started again: memory allocated
/// meanwhile would be freed uncounted).
pub fn stop_counting() {
    COUNTING.store(false, Ordering::Relaxed);
}

fn count(add: usize, sub: usize) {
    if COUNTING.load(Ordering::Relaxed) {
        if add > 0 {
            LIVE.fetch_add(add, Ordering::Relaxed);
        }
        if sub > 0 {
            LIVE.fetch_sub(sub, Ordering::Relaxed);
        }
    }
}

pub struct Counting;

// SAFETY: defers every operation to the server's allocator unchanged; only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { Allocator.alloc(layout) };
        if !p.is_null() {
            count(layout.size(), 0);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { Allocator.dealloc(ptr, layout) };
        count(0, layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { Allocator.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            count(new_size, layout.size());
        }
        p
    }
}

/// Bytes currently allocated on the heap.
pub fn live_bytes() -> usize {
    LIVE.load(Ordering::Relaxed)
}
