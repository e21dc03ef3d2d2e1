//! The protocol core: pure Rust, no browser calls. Everything here is tested on the host.
