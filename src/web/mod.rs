//! The browser layer: storage, fetch, timers, locks, history. Thin adapters around the core.

mod authed_fetch;
pub mod browser;
pub mod errors;
pub mod events;
pub mod http;
pub mod inner;
pub mod json;
mod login;
mod refresh;
pub mod session;
pub mod store;
pub mod tabs;
pub mod task;

pub use session::Session;
