// The published package: `npm pack --dry-run` lists exactly the files an app needs (entries, wasm, .d.ts, the
// README, LICENSE, CHANGELOG, package.json), every `exports` target is in it, and
// `npm publish --dry-run` succeeds. Both run with --ignore-scripts (pkg/ is built by the test command already;
// `prepack` runs scripts/build.sh for a real pack) and against an unreachable registry (127.0.0.1:9): a dry run
// never uploads, and nothing may leave the machine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

const ROOT = new URL('../../', import.meta.url).pathname;
// --fetch-retries 0: publish --dry-run asks the registry about the version, and npm would retry the refused
// connection with backoff for a minute.
const npm = (args) => execFileSync('npm', [...args, '--ignore-scripts', '--registry', 'http://127.0.0.1:9', '--fetch-retries', '0', '--loglevel=error'],
  { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8'));

const packed = JSON.parse(npm(['pack', '--dry-run', '--json']))[0];
const files = packed.files.map((f) => f.path).sort();

test('the tarball holds exactly the entries, wasm, .d.ts, README, LICENSE, CHANGELOG', () => {
  assert.deepEqual(files, [
    'CHANGELOG.md', 'LICENSE', 'README.md', 'package.json',
    'pkg/auto.d.ts', 'pkg/auto.js', 'pkg/node.js',
    'pkg/oauth_spa_session.d.ts', 'pkg/oauth_spa_session.js',
    'pkg/oauth_spa_session_bg.debug.wasm', 'pkg/oauth_spa_session_bg.wasm',
    'pkg/react.d.ts', 'pkg/react.js', 'pkg/vue.d.ts', 'pkg/vue.js',
  ]);
  assert.equal(packed.name, 'oauth-spa-session');
  assert.equal(packed.version, pkg.version);
});

test('every exports/imports target is in the tarball', () => {
  const targets = [];
  const walk = (v) => (typeof v === 'string' ? targets.push(v) : Object.values(v).forEach(walk));
  walk(pkg.exports);
  walk(pkg.imports);
  assert.ok(targets.length > 10);
  const inTar = new Set(packed.files.map((f) => f.path));
  for (const t of targets) assert.ok(inTar.has(t.replace(/^\.\//, '')), `${t} is packed`);
  assert.ok(inTar.has(pkg.types.replace(/^\.\//, '')) && inTar.has(pkg.main.replace(/^\.\//, '')));
});

test('sideEffects: the entries that act on import are listed (bundlers drop the rest when unused)', () => {
  // `"sideEffects": false` let Vite and webpack drop auto.js's `await init()` (tests/e2e/bundlers.test.mjs
  // builds and runs it): every packed module with a top-level statement that acts must be listed, and only those.
  assert.ok(Array.isArray(pkg.sideEffects), 'a list, not false (auto.js acts on import) nor absent (the rest is pure)');
  const acts = packed.files.map((f) => f.path).filter((f) => f.endsWith('.js'))
    .filter((f) => /^(await |init\()/m.test(readFileSync(`${ROOT}${f}`, 'utf8')));
  assert.deepEqual(acts, ['pkg/auto.js']);
  assert.deepEqual(pkg.sideEffects, acts.map((f) => `./${f}`));
});

test('metadata for the registry: license file matches, repository, homepage, keywords, optional peers', () => {
  assert.equal(pkg.license, 'MIT');
  assert.match(readFileSync(`${ROOT}LICENSE`, 'utf8'), /^MIT License/);
  assert.match(readFileSync(`${ROOT}CHANGELOG.md`, 'utf8'), new RegExp(`## ${pkg.version.replace(/\./g, '\\.')}`));
  assert.ok(pkg.repository.url && pkg.homepage && pkg.keywords.length >= 5);
  assert.equal(pkg.scripts.prepack, 'bash scripts/build.sh');
  assert.deepEqual(Object.keys(pkg.peerDependencies).sort(), ['react', 'vue']);
  assert.ok(pkg.peerDependenciesMeta.react.optional && pkg.peerDependenciesMeta.vue.optional);
  assert.equal(pkg.dependencies, undefined, 'no runtime dependencies');
});

test('npm publish --dry-run exits 0 and reports the same tarball', () => {
  // It exits 0 though the registry is unreachable (it only warns that a real publish needs a login there);
  // `--json` puts the tarball it would upload on stdout.
  const out = JSON.parse(npm(['publish', '--dry-run', '--json', '--tag', 'dry-run']));
  const report = out['oauth-spa-session'] ?? out;
  assert.equal(report.name, 'oauth-spa-session');
  assert.equal(report.version, pkg.version);
  assert.equal(report.files.length, packed.files.length);
});

test('debug.wasm: the same module as the production .wasm plus a name section (a stack shows Rust names)', async () => {
  const load = async (f) => WebAssembly.compile(readFileSync(`${ROOT}pkg/${f}`));
  const [prod, debug] = await Promise.all([load('oauth_spa_session_bg.wasm'), load('oauth_spa_session_bg.debug.wasm')]);
  const shape = (m) => JSON.stringify([WebAssembly.Module.imports(m), WebAssembly.Module.exports(m)]);
  assert.equal(shape(debug), shape(prod), 'same imports and exports: init({ module_or_path }) swaps it in');
  assert.equal(WebAssembly.Module.customSections(prod, 'name').length, 0, 'production ships no names');
  const [names] = WebAssembly.Module.customSections(debug, 'name');
  assert.ok(names && names.byteLength > 10000, 'debug build keeps the name section');
  assert.ok(Buffer.from(names).toString('latin1').includes('oauth_spa_session'), 'names are the Rust paths');
  assert.equal(pkg.exports['./debug.wasm'], './pkg/oauth_spa_session_bg.debug.wasm');
  // Every other section is byte for byte the production one: a production frame's function index names the
  // same function in the debug build.
  const sections = (f) => {
    const b = readFileSync(`${ROOT}pkg/${f}`);
    const out = [];
    for (let i = 8; i < b.length;) {
      const id = b[i++];
      let n = 0, shift = 0, x;
      do { x = b[i++]; n |= (x & 127) << shift; shift += 7; } while (x & 128);
      const body = b.subarray(i, i + n);
      i += n;
      if (!(id === 0 && body.subarray(1, 5).toString() === 'name')) out.push(`${id}:${body.toString('base64')}`);
    }
    return out;
  };
  const [p, d] = [sections('oauth_spa_session_bg.wasm'), sections('oauth_spa_session_bg.debug.wasm')];
  assert.ok(p.length > 5);
  assert.ok(p.length === d.length && p.every((x, i) => x === d[i]), 'same sections but the name section');
});

test('the packed tarball, installed into an app (offline), imports under Node through its node condition', () => {
  const app = mkdtempSync(`${tmpdir()}/oss-tarball-`);
  try {
    execFileSync('npm', ['pack', ROOT, '--ignore-scripts', '--pack-destination', app, '--loglevel=error'], { cwd: app, stdio: 'ignore' });
    writeFileSync(`${app}/package.json`, JSON.stringify({ name: 'app', private: true, type: 'module' }));
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', `./oauth-spa-session-${pkg.version}.tgz`],
      { cwd: app, stdio: 'ignore' });
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', `
      const m = await import('oauth-spa-session');
      const a = await import('oauth-spa-session/auto');
      let code;
      try { new m.Session({}); } catch (e) { code = e instanceof m.SessionError && e instanceof Error ? e.code : 'wrong class'; }
      console.log(JSON.stringify({ code, same: a.Session === m.Session, entry: import.meta.resolve('oauth-spa-session') }));
    `], { cwd: app, encoding: 'utf8' });
    const r = JSON.parse(out);
    assert.equal(r.code, 'unsupported_environment');
    assert.ok(r.same);
    assert.match(r.entry, /\/node_modules\/oauth-spa-session\/pkg\/node\.js$/);
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
});

test('the entry is one module (glue merged in): no import, no duplicate key in the wasm import object (bundlers warn on one)', async () => {
  const js = readFileSync(`${ROOT}pkg/oauth_spa_session.js`, 'utf8');
  assert.deepEqual(js.match(/^import .*/gm), null, 'the entry imports nothing (a second module is a second fetch in sequence)');
  const keys = [...js.matchAll(/^\s*"(\.\/[^"]+)": [\w$]+,$/gm)].map((m) => m[1]);
  assert.ok(keys.length >= 1, 'the import object names the glue module');
  assert.deepEqual(keys, [...new Set(keys)], 'a duplicate key in the import object');
  assert.match(js, /^export \{ __oss_initSync as initSync, SessionError \};$/m, 'SessionError is the entry\'s own class');
  // And a real bundler agrees, when the bench's esbuild is installed (scripts/setup.sh installs it).
  const esbuild = `${ROOT}bench/node_modules/esbuild/lib/main.js`;
  let build;
  try { ({ build } = await import(esbuild)); } catch { return; }
  const r = await build({ stdin: { contents: "export * from './pkg/oauth_spa_session.js';", resolveDir: ROOT },
    bundle: true, write: false, format: 'esm', platform: 'browser', logLevel: 'silent' });
  assert.deepEqual(r.warnings.map((w) => w.text), []);
});
