#!/usr/bin/env bash
# The size budget: fails when what a browser app loads grows past the number in size-budget.json, so a feature
# cannot grow the download silently. The figure is the bench's (bench/size.mjs): our JS bundled as an app's
# bundler ships it (esbuild --bundle --minify --format=esm --platform=browser of bench/entries/ours.js, as the
# peers are bundled) plus the wasm, each brotli -q 11. Raising the budget is a decision: say why in the commit.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f pkg/oauth_spa_session_bg.wasm ] || bash scripts/build.sh >/dev/null
esbuild=bench/node_modules/.bin/esbuild
[ -x "$esbuild" ] || { echo "[size] $esbuild is missing: run bash scripts/setup.sh" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$esbuild" bench/entries/ours.js --bundle --minify --format=esm --platform=browser --log-level=warning \
  --outfile="$tmp/ours.js"
js=$(brotli -q 11 -c "$tmp/ours.js" | wc -c)
wasm=$(brotli -q 11 -c pkg/oauth_spa_session_bg.wasm | wc -c)
total=$((js + wasm))
budget=$(node -p 'require("./size-budget.json").brotli')
echo "[size] what an app loads, brotli -q 11: ${total} B (bundled JS ${js} B + wasm ${wasm} B); budget ${budget} B (size-budget.json)"
if [ "$total" -gt "$budget" ]; then
  echo "[size] over budget by $((total - budget)) B: make it smaller, or raise size-budget.json saying why" >&2
  exit 1
fi
