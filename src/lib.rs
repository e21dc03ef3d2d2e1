//! oauth-spa-session: an OAuth 2.0 session for single-page apps.
//!
//! `core` is pure Rust (no browser calls) and is tested on the host with `cargo test`.
//! `web` is the thin browser layer (storage, fetch, timers, locks, history) compiled only for wasm32.

pub mod core;

#[cfg(target_arch = "wasm32")]
pub mod web;
