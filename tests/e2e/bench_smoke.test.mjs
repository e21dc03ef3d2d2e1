// The benchmark never rots: `node bench/run.mjs --smoke --no-write` (tiny N, every scenario, every contender)
// must finish and print tables with a row per contender and numbers (or "cannot") in every cell. The figures
// themselves are not asserted: speed is reported by `npm run bench`, not tested.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { CONTENDERS, FLOOR } from '../../bench/lib/contenders.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;

function runSmoke() {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['bench/run.mjs', '--smoke', '--no-write'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`bench exited ${code}\n${err.slice(-4000)}`))));
  });
}

/** The rows of the first markdown table after `heading`, as arrays of trimmed cells (header and rule dropped). */
function tableAfter(md, heading) {
  const lines = md.split('\n');
  const start = lines.findIndex((l) => l.startsWith(heading));
  assert.ok(start >= 0, `section ${heading}`);
  const rows = [];
  for (const l of lines.slice(start + 1)) {
    if (l.startsWith('## ')) break;
    if (l.startsWith('|')) rows.push(l.slice(1, -1).split(' | ').map((c) => c.trim()));
    else if (rows.length) break;
  }
  return rows.slice(2);
}

const NUMBER = /^-?\d+(\.\d+)?$/;
const PAIR = /^\d+ \/ \d+$/;

test('npm run bench --smoke prints every scenario for every contender, with numeric cells', { timeout: 15 * 60 * 1000 }, async () => {
  const md = await runSmoke();
  assert.match(md, /- Machine: \d+ cores/);
  assert.match(md, /- Commit: `[0-9a-f]+`/);

  const labels = CONTENDERS.map((c) => c.label);
  const summary = tableAfter(md, '## Summary');
  assert.deepEqual(summary.map((r) => r[0]), labels, 'a summary row per contender');
  for (const row of summary) {
    for (const cell of row.slice(1)) {
      assert.ok(NUMBER.test(cell) || PAIR.test(cell) || cell === 'cannot', `${row[0]}: "${cell}" is a figure or "cannot"`);
    }
  }
  // What the issue promises at least: ours, RC and badgateway in every scenario.
  for (const row of summary.filter((r) => /ours|ringcentral|badgateway/.test(r[0]))) {
    assert.ok(row.slice(1).every((c) => c !== 'cannot'), `${row[0]} runs every scenario`);
  }

  const size = tableAfter(md, '## 1. Size');
  assert.deepEqual(size.map((r) => r[0]), labels);
  for (const r of size) for (const c of r.slice(3)) assert.match(c, NUMBER);

  const overhead = tableAfter(md, '## 2.');
  assert.deepEqual(overhead.map((r) => r[0]), [FLOOR.label, ...labels]);
  for (const r of overhead.filter((x) => x[1] !== '—')) for (const c of r.slice(1, 6)) assert.match(c, /^-?\d+(\.\d+)?$|^—$/);

  const burst = tableAfter(md, '## 3.');
  for (const label of labels) assert.ok(burst.some((r) => r[0] === label), `burst rows for ${label}`);
  for (const r of burst.filter((x) => x[3] !== '—')) for (const c of r.slice(3, 7)) assert.match(c, NUMBER);

  const cold = tableAfter(md, '## 4.');
  assert.deepEqual(cold.map((r) => r[0]), labels);
  for (const r of cold) {
    assert.match(r[2], NUMBER);
    assert.match(r[3], NUMBER);
    assert.match(r[4], /^(\d+)\/\1$/, `${r[0]} restored its tokens on every load`);
  }

  const goals = tableAfter(md, '## Goals');
  assert.equal(goals.length, 5, 'size, overhead ×2, burst, cold start');
});
