#!/usr/bin/env bash
# The Rust API example (examples/rust-app): cargo (wasm32, release) → wasm-bindgen --target web, into
# examples/rust-app/pkg/. It depends on the crate without the `npm` feature, so it keeps Rust's allocator.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release --target wasm32-unknown-unknown -p rust-app-example
rm -rf examples/rust-app/pkg
wasm-bindgen --target web --out-dir examples/rust-app/pkg target/wasm32-unknown-unknown/release/rust_app_example.wasm
echo "[build-example] examples/rust-app/pkg ready: $(ls examples/rust-app/pkg | tr '\n' ' ')"
