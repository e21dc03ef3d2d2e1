#!/usr/bin/env bash
# Prints pkg/'s wasm and JS sizes as shipped: raw, gzip -9, brotli -q 11, and the total. The budget the test command
# enforces is on what an app loads (the JS bundled as an app's bundler does it): scripts/size-budget.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f pkg/oauth_spa_session_bg.wasm ] || bash scripts/build.sh >/dev/null
row() { printf '| %-36s | %8s | %8s | %9s |\n' "$@"; }
row file raw gzip-9 brotli-11
row ------------------------------------ -------- -------- ---------
tr=0; tg=0; tb=0
# Everything the browser loads: the wasm and the entry module (js/glue.js is merged into it).
for f in pkg/oauth_spa_session_bg.wasm pkg/oauth_spa_session.js; do
  r=$(wc -c <"$f"); g=$(gzip -9 -c "$f" | wc -c); b=$(brotli -q 11 -c "$f" | wc -c)
  tr=$((tr+r)); tg=$((tg+g)); tb=$((tb+b))
  row "$f" "$r" "$g" "$b"
done
row total "$tr" "$tg" "$tb"
awk -v b="$tb" 'BEGIN{printf "brotli total: %.1f KB as shipped (the budget: scripts/size-budget.sh)\n", b/1000}'
