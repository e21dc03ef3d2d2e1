//! oauth-spa-session: an OAuth 2.0 session for single-page apps.
//!
//! Three layers (ARCHITECTURE.md): `protocol` is pure Rust (OAuth messages, storage forms, server answers),
//! `engine` is the sans-IO state machine that makes every decision of a session, both tested on the host with
//! `cargo test`; `web` is the browser layer that carries the engine's commands out, compiled only for wasm32.
//!
//! The wasm links std: serde-wasm-bindgen and gloo-net (through wasm-bindgen's and js-sys's `std`
//! features) need it. Panics are `abort` (release profile): a bug, never an input the library handles, traps.
//! The npm package's build (feature `npm`) adds a small global allocator; without it — a Rust app depending on
//! the crate — the crate installs no allocator of its own.

extern crate alloc;

pub mod engine;
pub mod protocol;

#[cfg(target_arch = "wasm32")]
pub mod web;

/// The Rust API (`native::Session`), for Rust wasm apps.
#[cfg(target_arch = "wasm32")]
pub use web::native;
