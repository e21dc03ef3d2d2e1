// Scenario 1, size: each contender's esbuild bundle (dist/<id>.js; ours plus its wasm), and our pkg/ as shipped
// (wasm + JS entry + snippets) for reference, raw, gzip -9 and brotli -q 11 (the CLI tools, as scripts/size.sh; zlib if one is missing).
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import zlib from 'node:zlib';
import path from 'node:path';
import { ROOT, BENCH, DIST } from './lib/paths.mjs';
import { CONTENDERS } from './lib/contenders.mjs';

function compressed(file) {
  const tool = (cmd, args) => {
    try { return execFileSync(cmd, [...args, '-c', file], { maxBuffer: 1 << 28 }).length; } catch { return null; }
  };
  const buf = readFileSync(file);
  const gzip = tool('gzip', ['-9']) ?? zlib.gzipSync(buf, { level: 9 }).length;
  const brotli = tool('brotli', ['-q', '11'])
    ?? zlib.brotliCompressSync(buf, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  return { raw: buf.length, gzip, brotli };
}

function walk(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** What the browser loads of pkg/: the wasm and every JS module (not the .d.ts files). */
export function ourFiles() {
  const pkg = path.join(ROOT, 'pkg');
  // Not loaded by a browser app: auto.js (the init-free entry, an alternative to the main one), the debug wasm
  // (the same build with names), node.js (the server-rendering stub) and the React/Vue bindings (2-3 KB
  // of JS an app opts into).
  const alternatives = new Set(['auto.js', 'oauth_spa_session_bg.debug.wasm', 'node.js', 'react.js', 'vue.js']);
  return walk(pkg).filter((f) => (f.endsWith('.wasm') || f.endsWith('.js')) && !alternatives.has(path.basename(f))).sort();
}

export function peerVersion(pkg) {
  return JSON.parse(readFileSync(path.join(BENCH, 'node_modules', pkg, 'package.json'), 'utf8')).version;
}

const OUR_WASM = path.join(ROOT, 'pkg/oauth_spa_session_bg.wasm');

function sizeOf(files) {
  const parts = files.map((f) => ({ file: path.relative(ROOT, f), ...compressed(f) }));
  const sum = (k) => parts.reduce((n, p) => n + p[k], 0);
  return { parts, raw: sum('raw'), gzip: sum('gzip'), brotli: sum('brotli') };
}

export function measureSize() {
  const rows = CONTENDERS.map(({ id, pkg }) => {
    // Every contender's JS as the same esbuild settings bundle it (ours: its entry and glue, and the wasm file).
    const files = id === 'ours' ? [path.join(DIST, 'ours.js'), OUR_WASM] : [path.join(DIST, `${id}.js`)];
    return {
      id, version: pkg ? peerVersion(pkg) : JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version,
      ...sizeOf(files),
    };
  });
  // For reference: ours as shipped in pkg/, unbundled (what `npm run size` and a no-bundler app see).
  const oursShipped = sizeOf(ourFiles());
  // For reference: RC's own prebuilt browser bundle (webpack, with crypto-browserify and friends).
  const rcDist = path.join(BENCH, 'node_modules/@ringcentral/sdk/dist/ringcentral.min.js');
  const rcShipped = existsSync(rcDist) ? compressed(rcDist) : null;
  return { rows, rcShipped, oursShipped };
}
