//! The vendored crates under patches/ (see patches/README.md) are what the build uses, at the upstream version
//! they were patched from. When Cargo.lock moves to another upstream version (a `cargo update`, a new version
//! requirement), the patch is silently dropped or stale: this fails, so the patch is revisited (re-applied to the
//! new version, or removed once upstream has the change).
#![cfg(not(target_arch = "wasm32"))]

use std::fs;
use std::path::Path;

/// `(version, source)` of the package `name` in Cargo.lock (`source` is `None` for a path dependency).
fn locked(lock: &str, name: &str) -> Vec<(String, Option<String>)> {
    let value = |line: &str, key: &str| {
        line.strip_prefix(key).map(|rest| rest.trim_start_matches(" = ").trim_matches('"').to_string())
    };
    lock.split("[[package]]")
        .filter(|entry| entry.lines().any(|l| value(l, "name").as_deref() == Some(name)))
        .map(|entry| {
            let version = entry.lines().find_map(|l| value(l, "version")).unwrap_or_default();
            (version, entry.lines().find_map(|l| value(l, "source")))
        })
        .collect()
}

#[test]
fn serde_wasm_bindgen_is_the_patched_copy_of_the_locked_upstream_version() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |p: &str| fs::read_to_string(root.join(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
    // The upstream version the patch was made from, as the patch's README records it.
    let readme = read("patches/README.md");
    let patched = "serde-wasm-bindgen 0.6.5";
    assert!(readme.contains(&format!("Upstream: {patched}")), "patches/README.md does not record {patched}");
    let manifest = read("patches/serde-wasm-bindgen/Cargo.toml");
    assert!(manifest.contains("\nname = \"serde-wasm-bindgen\"\nversion = \"0.6.5\"\n"), "vendored manifest is not 0.6.5");
    let lock = read("Cargo.lock");
    assert_eq!(
        locked(&lock, "serde-wasm-bindgen"),
        vec![("0.6.5".to_string(), None)],
        "Cargo.lock no longer uses the patched serde-wasm-bindgen 0.6.5 (patches/serde-wasm-bindgen): a new upstream \
         version? Re-apply the patch to it (patches/README.md) or drop the patch if upstream no longer formats \
         `de::Unexpected` values"
    );
    assert!(!lock.contains("[[patch.unused]]"), "Cargo.lock lists an unused patch");
    assert!(read("Cargo.toml").contains("serde-wasm-bindgen = { path = \"patches/serde-wasm-bindgen\" }"));
    // The licence travels with the copy.
    assert!(read("patches/serde-wasm-bindgen/LICENSE").starts_with("MIT License"));
}
