// The wasm's shadow stack: 128 KiB instead of rustc's 1 MiB default. The linear memory starts at stack + data and
// only grows, so the default made every session hold 1.1 MB of wasm memory it never touches (the largest frame is
// ~2 KB: engine::Engine::handle; a re-entrant feed → exec → feed chain stays far below this). An overflow traps (the
// stack sits first in memory, below the data), it never overwrites the heap. Only this crate's cdylib (the npm
// package): a Rust app that depends on the crate links its own binary with its own stack.
fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg-cdylib=-zstack-size=131072");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
