#!/usr/bin/env bash
# Builds everything and serves the demo page with the local RingCentral-compatible server (test controls on,
# so the page can fast-forward the server clock and inject faults). Open the printed URL in a browser.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/setup.sh
bash scripts/build.sh
cargo build -p rc-emulator
port="${PORT:-8080}"
echo "Demo: open http://localhost:$port/ (Ctrl-C stops the server)"
if [ "${1:-}" = dpop ]; then
  # `bash scripts/demo.sh dpop`: also the local standards server (oidc-provider, DPoP with nonces) for www/dpop.html.
  node scripts/demo-dpop.mjs "$port" &
  echo "DPoP demo: open http://localhost:$port/dpop.html"
fi
exec target/debug/rc-emulator --port "$port" --test-mode --www www --pkg pkg
