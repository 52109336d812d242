//! Heap allocations per pod while a Deployment scales from 1 to 1,000 replicas (issue 9).
//!
//! Wall time on the shared build machine varies by a third between runs; the number of
//! allocations does not, and malloc and free are about half of the scale path's profile, so this
//! is the figure to compare builds by. A global allocator counts every allocation this test
//! binary makes (it has only this test, so nothing else runs while it counts).
//!
//! Run: `cargo test --release -p cluster --test allocations -- --ignored --nocapture`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

mod support;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

struct Counting;

// SAFETY: every operation is the system allocator's, unchanged; the wrapper only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
#[ignore = "a figure to compare builds by; run in release with --ignored --nocapture"]
fn allocations_per_pod_scaling_to_a_thousand() {
    let n = 1_000;
    let mut c = support::one_running_replica(2_000);
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    support::scale_web(&mut c, n);
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
    let running = support::running_pods(&c);
    assert_eq!(running, n, "all replicas run");
    println!(
        "scaling 1 -> {n}: {allocations} allocations, {} per pod",
        allocations / (n - 1)
    );
}
