//! The browser layer: it carries out the engine's commands (storage, fetch, timers, locks, broadcasts,
//! history) and exposes the `Session` class. Decisions live in `crate::engine`.

pub mod browser;
pub mod pending;
mod dpop_signer;
pub mod driver;
pub mod js_error;
pub mod events;
mod silent_frame;
pub(crate) mod window_handover;
pub mod http;
mod tab_group;
pub mod json;
mod login_io;
pub mod native;
mod popup;
pub mod session;
pub mod store;
pub mod tabs;

pub use session::Session;

// A coalescing free-list allocator: a fraction of dlmalloc's size, and this module is single-threaded (wasm32
// without atomics), which is what `AssumeSingleThreaded` asks of us. The npm build only: a Rust app keeps its own.
#[cfg(feature = "npm")]
#[global_allocator]
static ALLOC: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };
