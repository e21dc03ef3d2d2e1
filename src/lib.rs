//! oauth-spa-session: an OAuth 2.0 session for single-page apps.
//!
//! `core` is pure Rust (no browser calls) and is tested on the host with `cargo test`.
//! `web` is the thin browser layer (storage, fetch, timers, locks, history) compiled only for wasm32.
//!
//! The shipped wasm is `no_std` (alloc only) with a panic handler that just traps: std's panic and formatting
//! machinery is kilobytes of wasm that nothing needs. The host build and the browser tests (feature `std`)
//! keep std.

#![cfg_attr(all(target_arch = "wasm32", not(feature = "std")), no_std)]

extern crate alloc;

pub mod core;

#[cfg(target_arch = "wasm32")]
pub mod web;
