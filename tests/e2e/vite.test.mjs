// Bundler check: a minimal Vite app (tests/vite-app) imports the package by its bare name
// (`import init, { Session } from 'oauth-spa-session'`), is built with `vite build`, served by the emulator
// under /vite/, and logs in in Chromium. Proves package.json `exports` resolve and Vite ships the .wasm.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { startEmulator, launchBrowser } from './harness.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;
const APP = `${ROOT}tests/vite-app`;
const DIST = `${APP}/dist`;

function npm(args) {
  execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd: APP, stdio: ['ignore', 'inherit', 'inherit'] });
}

// Installs tests/vite-app's own dependencies when its package.json or lock changed since the last install
// (scripts/npm-ci.sh compares their content, not mtimes).
function ensureInstalled() {
  try {
    execFileSync('bash', [`${ROOT}scripts/npm-ci.sh`, 'tests/vite-app'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  } catch {
    // `npm ci` refuses when the lock is out of sync (e.g. the package's own devDependencies changed,
    // which the lock records for the `file:../..` link); `npm install` reconciles it.
    npm(['install']);
  }
}

let emu, browser;
before(async () => {
  ensureInstalled();
  execFileSync(`${APP}/node_modules/.bin/vite`, ['build', '--base', '/vite/', '--emptyOutDir', '--logLevel', 'warn'],
    { cwd: APP, stdio: ['ignore', 'inherit', 'inherit'] });
  emu = await startEmulator({ extraStatic: [`/vite=${DIST}`] });
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await emu?.stop(); });

test('vite build bundles the package and its .wasm', () => {
  const assets = readdirSync(`${DIST}/assets`);
  const wasm = assets.filter((f) => f.endsWith('.wasm'));
  assert.equal(wasm.length, 1, `one .wasm asset emitted: ${assets}`);
  const js = assets.filter((f) => f.endsWith('.js')).map((f) => readFileSync(`${DIST}/assets/${f}`, 'utf8')).join('\n');
  assert.ok(js.includes(`/vite/assets/${wasm[0]}`), 'the bundle points init() at the emitted .wasm under the base');
  assert.ok(!js.includes('/pkg/'), 'nothing is loaded from the emulator\'s own /pkg/ mount');
});

test('the Vite-built app logs in by clicking and session.fetch gets the extension (200)', async () => {
  const redirect = `${emu.base}/vite/index.html`;
  await emu.control('apps', {
    client_id: 'vite-app', client_secret: null, confidential: false, issue_refresh_tokens: false,
    allow_implicit: false, redirect_uris: [redirect],
  });
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const wasmResponses = [];
    page.on('response', (r) => { if (r.url().endsWith('.wasm')) wasmResponses.push(r); });

    await page.goto(redirect);
    await page.waitForFunction(() => document.getElementById('status').textContent !== 'loading', null, { timeout: 15000 });
    assert.equal(await page.textContent('#status'), 'logged out');
    assert.equal(wasmResponses.length, 1, 'the .wasm was fetched');
    assert.match(new URL(wasmResponses[0].url()).pathname, /^\/vite\/assets\/.+\.wasm$/);
    assert.equal(wasmResponses[0].status(), 200);

    // The authorize request itself: the server answers it with a 302 to its sign-in page.
    const [req] = await Promise.all([page.waitForRequest((r) => new URL(r.url()).pathname === '/restapi/oauth/authorize'), page.click('#login')]);
    await page.waitForSelector('#allow');
    const authorize = new URL(req.url());
    assert.equal(authorize.searchParams.get('client_id'), 'vite-app');
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(authorize.searchParams.get('redirect_uri'), redirect);
    await Promise.all([page.waitForURL((u) => u.pathname === '/vite/index.html'), page.click('button:has-text("Allow")')]);

    await page.waitForFunction(() => document.getElementById('api-status').textContent !== '-', null, { timeout: 15000 });
    assert.equal(await page.textContent('#status'), 'logged in');
    assert.equal(await page.textContent('#api-status'), '200');
    const ext = JSON.parse(await page.textContent('#api-body'));
    assert.equal(ext.extensionNumber, '101');
    assert.ok(ext.id, 'extension JSON has an id');
    assert.ok(!page.url().includes('code='), 'code removed from the URL');
    assert.deepEqual(pageErrors, []);

    const log = await emu.log();
    const codes = log.token_requests.filter((r) => r.grant_type === 'authorization_code');
    assert.equal(codes.length, 1);
    assert.equal(codes[0].params.client_id, 'vite-app');
    assert.ok(log.api_requests.some((a) => a.status === 200), 'the API call reached the emulator');
  } finally {
    await context.close();
  }
});
