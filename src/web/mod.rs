//! The browser layer: storage, fetch, timers, locks, history. Thin adapters around the core.

mod authed_fetch;
pub mod browser;
pub mod errors;
pub mod events;
pub mod http;
pub mod inner;
pub mod json;
mod login;
pub mod refresh;
pub mod session;
pub mod store;
pub mod tabs;
pub mod task;

pub use session::Session;

// A coalescing free-list allocator: a fraction of dlmalloc's size, and this module is single-threaded (wasm32
// without atomics), which is what `AssumeSingleThreaded` asks of us.
#[global_allocator]
static ALLOC: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };
