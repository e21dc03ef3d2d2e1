//! Integration tests: each starts the real emulator on an ephemeral 127.0.0.1 port and
//! talks HTTP to it. Time-dependent behaviour uses the control API's clock, never sleeps.

mod common;

mod api;
mod authorize;
mod cli;
mod control;
mod cors;
mod faults;
mod ratelimit;
mod revoke;
mod rotation;
mod spec;
mod static_files;
mod token;
mod users;
