#!/usr/bin/env bash
# `bash scripts/npm-ci.sh DIR...`: `npm ci` in each DIR whose package.json or package-lock.json (or Node's version)
# changed since the last install there, and nothing in the others. Compared by content: the hash of what was
# installed is kept in DIR/node_modules/.oss-installed. Not by mtime: a checkout, `git stash`, a work tree laid
# anew over a kept node_modules or a restored CI cache gives every lock a new mtime without changing it, and an
# mtime test then reinstalled all of them (scripts/demo.sh took 120 s to print its URL that way).
set -euo pipefail
cd "$(dirname "$0")/.."
for dir in "$@"; do
  [ -f "$dir/package.json" ] || continue
  want=$( { node --version; cat "$dir/package.json" "$dir/package-lock.json"; } | sha256sum | cut -c1-64)
  stamp="$dir/node_modules/.oss-installed"
  have=$(cat "$stamp" 2>/dev/null || true)
  # An install from before this stamp existed: trusted once when npm's own record is newer than the lock (the
  # test this replaces), so the change itself costs no reinstall.
  if [ -z "$have" ] && [ -f "$dir/node_modules/.package-lock.json" ] && [ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ]; then
    echo "$want" > "$stamp"
    continue
  fi
  [ "$have" = "$want" ] && continue
  printf '[setup] installing npm packages in %s\n' "$dir"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" > "$stamp"
done
