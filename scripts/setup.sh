#!/usr/bin/env bash
# Installs what a fresh machine lacks, and nothing twice: the wasm target, wasm-bindgen-cli at exactly the
# version Cargo.lock pins, Debian's chromium/chromium-driver/brotli, and the npm dev dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
say() { printf '[setup] %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# The CLI must match the crate byte for byte in version, so read it from the lock file.
want=$(awk '$1=="name" && $3=="\"wasm-bindgen\"" {getline; gsub(/"/,"",$3); print $3; exit}' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  say "installing wasm-bindgen-cli $want (have: ${have:-none}); takes a few minutes"
  # No --locked: its lock file pins a webpki-roots the registry does not serve.
  cargo install wasm-bindgen-cli --version "$want" --force
fi

missing=""
for p in chromium chromium-driver brotli; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  say "installing Debian packages:$missing"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

# npm ci only where package.json or the lock changed since the last install (by content, see npm-ci.sh).
bash scripts/npm-ci.sh . bench tests/vite-app tests/bundlers examples/react examples/vue scripts/typedoc
say "ok"
