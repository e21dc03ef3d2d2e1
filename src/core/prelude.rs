//! The names std's prelude gives, taken from `alloc`, so the same code builds `no_std` for the shipped wasm.

pub use alloc::borrow::ToOwned;
pub use alloc::boxed::Box;
pub use alloc::string::{String, ToString};
pub use alloc::vec;
pub use alloc::vec::Vec;
