//! oauth-spa-session: an OAuth 2.0 session for single-page apps.
//!
//! `core` is pure Rust (no browser calls) and is tested on the host with `cargo test`.
//! `web` is the thin browser layer (storage, fetch, timers, locks, history) compiled only for wasm32.
//!
//! The npm package's wasm (feature `npm`) is `no_std` (alloc only) with a small allocator and a panic handler
//! that just traps: std's panic and formatting machinery is kilobytes of wasm that nothing needs. Without the
//! feature — a Rust app depending on the crate, the host build, the browser tests — the crate uses std and
//! installs no allocator or panic handler of its own.

#![cfg_attr(all(target_arch = "wasm32", feature = "npm"), no_std)]

extern crate alloc;

pub mod core;

#[cfg(target_arch = "wasm32")]
pub mod web;

/// The Rust API (`native::Session`), for Rust wasm apps.
#[cfg(target_arch = "wasm32")]
pub use web::native;
