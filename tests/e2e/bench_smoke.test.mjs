// The benchmark never rots: `node bench/run.mjs --smoke --no-write` (tiny N, every scenario, every contender, both
// arenas) must finish and print tables with a row per contender and numbers (or "cannot") in every cell, and an
// SVG chart. The figures themselves are not asserted: speed is reported by `npm run bench`, not tested.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CONTENDERS, FLOOR, ARENAS } from '../../bench/lib/contenders.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;

function runSmoke(out) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['bench/run.mjs', '--smoke', `--out=${out}`], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let md = '';
    let err = '';
    p.stdout.on('data', (d) => { md += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(md) : reject(new Error(`bench exited ${code}\n${err.slice(-4000)}`))));
  });
}

/** The rows of the `nth` markdown table after `heading`, as arrays of trimmed cells (header and rule dropped). */
function tableAfter(md, heading, nth = 0) {
  const lines = md.split('\n');
  const start = lines.findIndex((l) => l.startsWith(heading));
  assert.ok(start >= 0, `section ${heading}`);
  const tables = [[]];
  for (const l of lines.slice(start + 1)) {
    if (l.startsWith('## ')) break;
    if (l.startsWith('|')) tables.at(-1).push(l.slice(1, -1).split(' | ').map((c) => c.trim()));
    else if (tables.at(-1).length) tables.push([]);
  }
  return tables.filter((t) => t.length)[nth].slice(2);
}

const NUMBER = /^-?\d+(\.\d+)?$/;
const RATIO = /^×\d+(\.\d+)?$/;
const SPREAD = /^-?\d+(\.\d+)? – -?\d+(\.\d+)?$/;
const labels = CONTENDERS.map((c) => c.label);

test('npm run bench --smoke prints every scenario for every contender, in both arenas, with numeric cells', { timeout: 5 * 60 * 1000 }, async () => {
  const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-')), 'benchmarks.md');
  const md = await runSmoke(out);
  assert.equal(readFileSync(out, 'utf8'), md, 'the markdown is written where --out says');
  const svg = readFileSync(out.replace(/\.md$/, '.svg'), 'utf8');
  assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  for (const l of labels) assert.ok(svg.includes(l.replace(/&/g, '&amp;')), `chart has ${l}`);
  assert.match(md, /- Machine: \d+ cores/);
  assert.match(md, /- Commit: `[0-9a-f]+`/);
  assert.match(md, /- Load average \(1 min\) at the start and end of the measurements: \d+\.\d → \d+\.\d on \d+ cores/);
  // A destroyed wasm closure called by a page (a session dropped without dispose()) fails the smoke.
  assert.doesNotMatch(md, /closure invoked recursively or after being dropped/);
  assert.doesNotMatch(md, /×0\.00(?!\d)/, 'no ratio printed as ×0.00');
  assert.match(md, /\]\(benchmarks\.svg\)/, 'the chart is linked');

  // The standing: ours ÷ the best peer, for size, both overheads, memory, cold start, every burst.
  const standing = tableAfter(md, '## Standing');
  for (const r of standing) {
    assert.match(r[1], NUMBER, r[0]);
    assert.match(r[2], /^-?\d+(\.\d+)? \(.+\)$/, r[0]);
    // No ratio over a best of 0 (a burst where a peer had refreshed before it started, so it sent no token
    // request and failed no call): n/a then, and only then.
    if (/^0 \(/.test(r[2])) assert.equal(r[3], 'n/a', r[0]);
    else assert.match(r[3], RATIO, r[0]);
    assert.match(r[4], /^`npm run bench -- --only=\w+`$/, `${r[0]}: the command that produced it`);
  }
  for (const f of [/^size/, /fetch stubbed: median/, /fetch stubbed: p99/, /network, RC server/, /network, OIDC server/, /^memory/, /^cold start/]) {
    assert.ok(standing.some((r) => f.test(r[0])), `standing has ${f}`);
  }
  assert.equal(standing.filter((r) => /^burst/.test(r[0])).length, 8, 'burst: 2 arenas × 2 shapes × 2 expiries');

  const size = tableAfter(md, '## 1. Size');
  assert.deepEqual(size.map((r) => r[0]), labels);
  for (const r of size) for (const c of r.slice(3)) assert.match(c, NUMBER);

  // Overhead: the floor and every contender stubbed (all numeric), and over the network in each arena.
  const overhead = tableAfter(md, '## 2.');
  assert.deepEqual(overhead.map((r) => r[0]), [FLOOR.label, ...labels]);
  for (const r of overhead) {
    assert.match(r[1], NUMBER, `${r[0]} stubbed median`);
    assert.match(r[2], SPREAD, `${r[0]} stubbed spread`);
    assert.match(r[3], NUMBER, `${r[0]} stubbed p99`);
    assert.match(r[6], RATIO, `${r[0]} ratio to the floor`);
    for (const c of [r[7], r[9]]) assert.ok(NUMBER.test(c) || c === 'cannot', `${r[0]}: network "${c}"`);
  }
  assert.ok(overhead.filter((r) => r[9] === 'cannot').length === 0, 'every contender runs over the network on the OIDC server');

  const memory = tableAfter(md, '## 3. Memory');
  assert.deepEqual(memory.map((r) => r[0]), [FLOOR.label, ...labels]);
  for (const r of memory) for (const c of r.slice(1, 4)) assert.match(c, NUMBER, `${r[0]} heap`);
  assert.match(memory[1][5], NUMBER, 'our wasm memory');

  // Burst: every contender of each arena has rows with numbers; the others say "cannot" with a reason.
  const burst = tableAfter(md, '## 4.');
  for (const [a, { short, ids, cannot }] of Object.entries(ARENAS)) {
    for (const c of CONTENDERS) {
      const rows = burst.filter((r) => r[0] === short && r[1] === c.label);
      if (ids.includes(c.id)) {
        assert.equal(rows.length, 4, `${a} burst rows for ${c.label}`);
        for (const r of rows) for (const x of r.slice(4, 8)) assert.match(x, NUMBER, `${a} ${c.label}`);
      } else {
        assert.ok(cannot[c.id] && rows.length === 1 && rows[0][8].startsWith('cannot: '), `${a}: ${c.label} cannot, with its reason`);
      }
    }
  }

  const cold = tableAfter(md, '## 5.');
  assert.equal(cold.length, labels.length + 1, 'a row per contender, ours twice (streaming, ArrayBuffer)');
  for (const r of cold) {
    for (const c of [r[1], r[2], r[3], r[4], r[5], r[7]]) assert.match(c, NUMBER, `${r[0]} cold start`);
    assert.match(r[8], /^(\d+)\/\1$/, `${r[0]} restored its tokens on every load`);
  }
  const split = tableAfter(md, '## 5.', 1);
  assert.deepEqual(split.map((r) => r[0]), ['streaming', 'ArrayBuffer']);
  for (const c of [split[1][3], split[1][4], split[1][5]]) assert.match(c, NUMBER, 'download, compile, instantiate');
  assert.match(md, /the wasm is served as `application\/wasm`/);

  const goals = tableAfter(md, '## Goals');
  assert.equal(goals.length, 5, 'size, overhead ×2, burst, cold start');
});
