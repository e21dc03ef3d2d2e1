#!/usr/bin/env node
// `npm run bench`: builds what is missing, starts both arenas (the RingCentral-compatible emulator, which also
// serves the pages, and oidc-provider) and headless Chromium, runs the scenarios (size, overhead without and with
// the network, memory, refresh burst, cold start), prints the markdown and writes docs/benchmarks.md and the chart
// docs/benchmarks.svg.
//
//   node bench/run.mjs [--smoke] [--no-write] [--only=size,overhead,memory,burst,coldstart] [--out=FILE]
//
// --smoke: tiny N (a liveness check for the test suite); --no-write: print only.
import { existsSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { spawnSync, execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { ROOT, BENCH } from './lib/paths.mjs';

const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const opt = (name) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];

export const SIZES = {
  full: {
    stub: { n: 10000, block: 250, warmup: 500 }, net: { n: 100, block: 10, warmup: 10 }, memory: 10000,
    burst: [{ tabs: 1, per: 1000 }, { tabs: 4, per: 250 }], coldstart: 15,
  },
  smoke: {
    stub: { n: 20, block: 5, warmup: 2 }, net: { n: 5, block: 5, warmup: 1 }, memory: 20,
    burst: [{ tabs: 1, per: 10 }, { tabs: 4, per: 3 }], coldstart: 2,
  },
};
export const SCENARIOS = ['size', 'overhead', 'memory', 'burst', 'coldstart'];

const say = (m) => process.stderr.write(`[bench] ${m}\n`);

function sh(cmd, argv, opts = {}) {
  say(`${cmd} ${argv.join(' ')}`);
  const env = { ...process.env, PATH: `${os.homedir()}/.cargo/bin:${process.env.PATH}` };
  // The child's stdout goes to our stderr: stdout carries only the markdown.
  const r = spawnSync(cmd, argv, { cwd: ROOT, stdio: ['ignore', 2, 2], env, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status ?? r.signal})`);
}

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const mtime = (f) => (existsSync(f) ? statSync(f).mtimeMs : 0);
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
const PKG_WASM = path.join(ROOT, 'pkg/oauth_spa_session_bg.wasm');

/** Setup, the wasm package and the emulator binary, each only when missing. */
export function ensureBuilt() {
  const lock = path.join(BENCH, 'package-lock.json');
  const installed = path.join(BENCH, 'node_modules/.package-lock.json');
  if (!existsSync(path.join(ROOT, 'node_modules/playwright-core')) || !existsSync(installed)
      || mtime(lock) > mtime(installed) || !has('brotli') || !existsSync('/usr/bin/chromium')) {
    sh('bash', ['scripts/setup.sh']);
  }
  if (!existsSync(PKG_WASM)) sh('bash', ['scripts/build.sh']);
  if (!existsSync(path.join(ROOT, 'target/debug/rc-emulator'))) sh('cargo', ['build', '-p', 'rc-emulator']);
}

function quiet(cmd, argv) {
  try { return execFileSync(cmd, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim(); } catch { return ''; }
}

function meta({ browserVersion, smoke, seconds, pkgBuiltMs }) {
  const head = quiet('git', ['rev-parse', '--short', 'HEAD']) || 'unknown';
  const dirty = quiet('git', ['status', '--porcelain', '--', 'src', 'js', 'Cargo.toml', 'Cargo.lock', 'emulator']);
  const rebuilt = mtime(PKG_WASM) !== pkgBuiltMs;
  return {
    smoke,
    date: iso(Date.now()),
    cores: quiet('nproc', []) || String(os.availableParallelism()),
    chromium: quiet('/usr/bin/chromium', ['--version']) || `Chromium ${browserVersion}`,
    node: process.version,
    commit: `\`${head}\`${dirty ? ' (with uncommitted changes in src/, js/ or emulator/)' : ''}`,
    pkgBuilt: `${iso(pkgBuiltMs)}${rebuilt ? ` (**rebuilt by another process during the run, at ${iso(mtime(PKG_WASM))}**: figures may mix two builds)` : ''}`,
    seconds,
  };
}

export async function runBench({ smoke = false, only = SCENARIOS } = {}) {
  const b0 = Date.now();
  ensureBuilt();
  // The run's time starts after the build check: on a clean clone that step builds the package and the emulator
  // once (minutes), which is not the benchmark; it is reported apart.
  const t0 = Date.now();
  const buildS = Math.round((t0 - b0) / 1000);
  const pkgBuiltMs = mtime(PKG_WASM);
  const sizes = smoke ? SIZES.smoke : SIZES.full;
  // Imported after the build step: these need the installed packages.
  const { bundlePeers } = await import('./bundle.mjs');
  const { startArenas } = await import('./lib/server.mjs');
  const { launchBrowser } = await import('./lib/browser.mjs');
  const { render } = await import('./report.mjs');
  const { chart } = await import('./chart.mjs');

  say('bundling the peers with esbuild');
  await bundlePeers();
  const res = {};
  const stages = [];
  const stage = async (name, title, fn) => {
    if (!only.includes(name)) return;
    say(title);
    const s0 = Date.now();
    res[name] = await fn();
    stages.push(`${name} ${Math.round((Date.now() - s0) / 1000)} s`);
  };
  await stage('size', '1/5 size', async () => (await import('./size.mjs')).measureSize());
  const arenas = await startArenas();
  const browser = await launchBrowser();
  // One logged-in context per arena (every contender and the floor logged in once, by its own flow), made when a
  // scenario first needs it and shared by the scenarios that only read stored tokens; the burst logs in on its own.
  const { loggedInContext } = await import('./lib/browser.mjs');
  const { ARENAS } = await import('./lib/contenders.mjs');
  const homes = {};
  const home = (a) => (homes[a] ??= (async () => {
    await arenas[a].reset();
    return loggedInContext(browser, arenas[a], ['raw', ...ARENAS[a].ids]);
  })());
  const load = [os.loadavg()[0]];
  try {
    if (only.some((s) => ['overhead', 'memory', 'coldstart'].includes(s))) {
      const l0 = Date.now();
      await Promise.all(Object.keys(ARENAS).map(home));
      stages.push(`logins ${Math.round((Date.now() - l0) / 1000)} s`);
    }
    await stage('overhead', `2/5 overhead (stubbed fetch: N = ${sizes.stub.n}; network: N = ${sizes.net.n} per contender and arena)`, async () =>
      (await import('./overhead.mjs')).measureOverhead({ arenas, home, stub: sizes.stub, net: sizes.net }));
    await stage('memory', `3/5 memory (${sizes.memory} calls per contender)`, async () =>
      (await import('./memory.mjs')).measureMemory({ arenas, home, n: sizes.memory }));
    await stage('coldstart', `4/5 cold start (${sizes.coldstart} page loads per contender)`, async () =>
      (await import('./coldstart.mjs')).measureColdStart({ arenas, home, runs: sizes.coldstart }));
    // Last: the burst moves the servers' clocks and rotates every session.
    for (const c of Object.values(homes)) await (await c).close();
    await stage('burst', `5/5 refresh burst, both arenas (${sizes.burst.map((b) => `${b.tabs} × ${b.per}`).join(', ')})`, async () =>
      (await import('./burst.mjs')).measureBurst({ arenas, browser, shapes: sizes.burst }));
    load.push(os.loadavg()[0]);
    const version = browser.version();
    const seconds = `${Math.round((Date.now() - t0) / 1000)} s (${stages.join(', ')}; the rest: bundling, servers and browser start); before it, the build check took ${buildS} s`;
    const { PAGE_ERRORS } = await import('./lib/browser.mjs');
    const m = { ...meta({ browserVersion: version, smoke, seconds, pkgBuiltMs }), load, pageErrors: PAGE_ERRORS };
    return { results: res, markdown: render(res, m), svg: chart(res, m) };
  } finally {
    await browser.close();
    await arenas.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1] === path.join(BENCH, 'run.mjs')) {
  const smoke = flag('smoke');
  const only = opt('only')?.split(',');
  const { markdown, svg } = await runBench({ smoke, ...(only ? { only } : {}) });
  process.stdout.write(markdown);
  if (!flag('no-write')) {
    const out = opt('out') ? path.resolve(opt('out')) : path.join(ROOT, 'docs/benchmarks.md');
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, markdown);
    const svgOut = out.replace(/\.md$/, '') + '.svg';
    writeFileSync(svgOut, svg);
    say(`wrote ${path.relative(process.cwd(), out) || out} and ${path.relative(process.cwd(), svgOut) || svgOut}`);
  }
}
