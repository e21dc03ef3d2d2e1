#!/usr/bin/env bash
# cargo (wasm32, release) → wasm-bindgen --target web → wasm-opt -Oz, into pkg/.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
# Nothing to do when pkg/ was built from exactly these inputs and is as that build left it: pkg/.build-stamp holds
# the hash of the inputs (sources, manifests, this script, the tool versions) and of pkg/'s files. Content, not
# mtimes (a fresh checkout over a kept pkg/ changes every mtime); a missing stamp or pkg/ means a full build. Even
# with cargo's own no-op, wasm-bindgen and two wasm-opt -Oz runs take a minute (`npm pack`'s prepack ran them).
inputs_hash() {
  {
    # A missing tool hashes as missing (the build below then says what is wrong).
    rustc -vV || true; wasm-bindgen --version || true
    echo "binaryen $(node -p 'require("./node_modules/binaryen/package.json").version' 2>/dev/null || true)"
    echo "RUSTFLAGS=${RUSTFLAGS:-}"
    find src js patches -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
    sha256sum Cargo.toml Cargo.lock build.rs scripts/build.sh scripts/entry.mjs scripts/minify-imports.mjs .cargo/config.toml || true
  } | sha256sum | cut -c1-64
}
outputs_hash() { (cd "$1" && find . -type f ! -name .build-stamp -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-64; }
inputs=$(inputs_hash)
if [ -f pkg/.build-stamp ] && [ "$(cat pkg/.build-stamp)" = "$inputs $(outputs_hash pkg)" ]; then
  echo "[build] pkg/ is up to date (inputs unchanged since its build; remove pkg/ to force one)"
  exit 0
fi
# `npm`: the package's own allocator and panic handler (a Rust app depending on the crate gets neither).
cargo build --release --target wasm32-unknown-unknown -p oauth-spa-session --features npm
rm -rf pkg.tmp && mkdir pkg.tmp
wasm-bindgen --target web --out-dir pkg.tmp target/wasm32-unknown-unknown/release/oauth_spa_session.wasm
# The debug build: the same optimized code with the name section kept (-g), so a stack shows Rust function names
# instead of `wasm-function[N]`. Same imports and exports, so `init({ module_or_path: <its URL> })` swaps it in;
# the production .wasm stays lean (the name section adds 34% to it, 22% after brotli).
# --converge: -Oz again until the size stops shrinking; then the producers and target_features custom sections,
# which no browser reads, are dropped (after the optimisation, which reads the features).
# --zero-filled-memory: the module's own memory starts zeroed (it is not imported), so zero bytes of the data
# segments need not be stored; --low-memory-unused: a constant added to a pointer may fold into the load's
# offset (only a pointer that wraps below address 1024 would differ; Rust never makes one). −460 B brotli.
opt="-Oz --converge --low-memory-unused --zero-filled-memory --strip-producers --strip-target-features"
node_modules/.bin/wasm-opt $opt -g pkg.tmp/oauth_spa_session_bg.wasm -o pkg.tmp/oauth_spa_session_bg.debug.wasm
node_modules/.bin/wasm-opt $opt pkg.tmp/oauth_spa_session_bg.wasm -o pkg.tmp/oauth_spa_session_bg.wasm
# The entry: js/glue.js merged in (one module to fetch, not two in sequence), the wasm's download and compilation
# started on evaluation, init failures through glue.js's `initFailed` (CSP → csp_blocked); and node.js, the entry
# under Node (server rendering: no wasm, a Session that throws unsupported_environment). See scripts/entry.mjs.
node scripts/entry.mjs pkg.tmp "$(cd pkg.tmp && ls snippets/*/js/glue.js)"
# The wasm's imports renamed `a`, `b`, … (wasm-bindgen's hashed names do not compress), in both wasm files and
# the entry's import object alike; exports untouched. See scripts/minify-imports.mjs.
node scripts/minify-imports.mjs pkg.tmp
# The entry that needs no `await init()`: the module instantiates the wasm itself (top-level await).
cat > pkg.tmp/auto.js <<'JS'
// oauth-spa-session without `await init()`: importing this module instantiates the wasm (top-level await).
import init from './oauth_spa_session.js';
await init();
export * from './oauth_spa_session.js';
export { default } from './oauth_spa_session.js';
JS
printf "export * from './oauth_spa_session.js';\nexport { default } from './oauth_spa_session.js';\n" > pkg.tmp/auto.d.ts
# The framework bindings: plain JS + hand-written .d.ts; they import the package through package.json `imports`
# (#oauth-spa-session), so the browser gets the wasm entry and Node the stub above.
for f in react vue; do cp js/$f/index.js pkg.tmp/$f.js; cp js/$f/index.d.ts pkg.tmp/$f.d.ts; done
# The .d.ts users compile against: no `[Symbol.dispose]` (a lib without esnext.disposable, e.g. ES2022, rejects
# it; the method is still there at run time), `free` documented, InitOutput without wasm-bindgen's raw exports.
# The raw exports' own .d.ts (oauth_spa_session_bg.wasm.d.ts) is not shipped.
d=pkg.tmp/oauth_spa_session.d.ts
grep -q '^    \[Symbol.dispose\](): void;$' $d && grep -q '^export interface InitOutput {$' $d && grep -q '^    free(): void;$' $d \
  || { echo "[build] wasm-bindgen's .d.ts changed: update the .d.ts edits in scripts/build.sh" >&2; exit 1; }
sed -i '/^    \[Symbol.dispose\](): void;$/d' $d
sed -i 's#^    free(): void;$#    /** Releases the object'"'"'s wasm memory (wasm-bindgen). Call `dispose()` first; any call after `free()` throws. */\n    free(): void;#' $d
sed -i '/^export interface InitOutput {$/,/^}$/c\
/** What `init()` resolves to: the instance'"'"'s memory. wasm-bindgen'"'"'s raw exports are internal and not typed. */\
export interface InitOutput {\
    readonly memory: WebAssembly.Memory;\
}' $d
rm pkg.tmp/oauth_spa_session_bg.wasm.d.ts
# wasm-bindgen types the raw wasm exports (InitOutput) with `any`; nothing public should be `any`.
sed -i -E 's/([:(,] ?)any\b/\1unknown/g; s/=> any\b/=> unknown/g' pkg.tmp/oauth_spa_session.d.ts
echo "$inputs $(outputs_hash pkg.tmp)" > pkg.tmp/.build-stamp
rm -rf pkg && mv pkg.tmp pkg
echo "[build] pkg/ ready: $(ls pkg | tr '\n' ' ')"
