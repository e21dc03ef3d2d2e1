// The Rust API example (examples/rust-app, built by scripts/build-example.sh): a Rust wasm app on
// `oauth_spa_session::native::Session`, served by the emulator as its site root under the emulator's other
// loopback name (http://localhost:PORT/, a redirect URI registered for the default app `demo-spa`), so the app
// and the OAuth/API server (http://127.0.0.1:PORT) are different origins, as in production. Logs in by
// clicking, calls the API, survives a server-side expiry (401 → refresh), logs out.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { spawnEmulator, ROOT } from '../../scripts/emulator.mjs';
import { launchBrowser } from './harness.mjs';

const APP = `${ROOT}/examples/rust-app`;
const API_PATH = '/restapi/v1.0/account/~/extension/~';

let emu, browser;
before(async () => {
  assert.ok(existsSync(`${APP}/pkg/rust_app_example_bg.wasm`), 'run bash scripts/build-example.sh first');
  emu = await spawnEmulator(['--www', APP]);
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await emu?.stop(); });

const text = (page, sel) => page.textContent(sel);
const status = (page) => text(page, '#status');
const events = (page) => page.$$eval('#events li', (lis) => lis.map((li) => li.dataset.event));

async function callApi(page) {
  const n = Number(await text(page, '#api-calls'));
  await page.click('#call');
  await page.waitForFunction((m) => Number(document.getElementById('api-calls').textContent) > m, n, { timeout: 15000 });
  return { status: await text(page, '#api-status'), body: await text(page, '#api-body') };
}

test('Rust API example: login by clicking, session.fetch with the bearer token, refresh on 401, logout', async () => {
  const appBase = `http://localhost:${emu.port}`;
  const appUrl = `${appBase}/`;
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const console = [];
    page.on('console', (m) => console.push(m.text()));
    page.on('pageerror', (e) => console.push(`[pageerror] ${e.message}`));
    const wasm = [];
    page.on('response', (r) => { if (r.url().endsWith('.wasm')) wasm.push(r); });

    await page.goto(`${appUrl}?server=${encodeURIComponent(emu.base)}`);
    await page.waitForFunction(() => document.getElementById('status').textContent !== 'loading', null, { timeout: 15000 });
    assert.equal(await status(page), 'logged out');
    assert.ok(await page.isVisible('#login'));
    assert.ok(!(await page.isVisible('#call')));
    assert.equal(wasm.length, 1, 'the example .wasm was fetched');
    assert.equal(wasm[0].status(), 200);
    assert.equal(wasm[0].headers()['content-type'], 'application/wasm');

    // Login: the emulator's authorize page, Allow, back to the example page.
    // The authorize request itself: the server answers it with a 302 to its sign-in page.
    const [req] = await Promise.all([page.waitForRequest((r) => new URL(r.url()).pathname === '/restapi/oauth/authorize'), page.click('#login')]);
    await page.waitForSelector('#allow');
    const authorize = new URL(req.url());
    assert.equal(authorize.origin, emu.base, 'the authorize page is on the server, not the app origin');
    assert.equal(authorize.searchParams.get('client_id'), 'demo-spa');
    assert.equal(authorize.searchParams.get('redirect_uri'), appUrl);
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    await Promise.all([page.waitForURL((u) => u.origin === appBase), page.click('button:has-text("Allow")')]);
    await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('logged in'), null, { timeout: 15000 });
    assert.equal(await status(page), 'logged in as 256440016');
    assert.ok(!page.url().includes('code='), 'code removed from the URL');
    assert.ok(!page.url().includes('state='), 'state removed from the URL');
    assert.ok((await events(page)).includes('login'), 'a login event was logged');
    const codes = (await emu.log()).token_requests.filter((r) => r.grant_type === 'authorization_code');
    assert.equal(codes.length, 1);
    assert.equal(codes[0].params.client_id, 'demo-spa');
    assert.ok(codes[0].params.code_verifier.length >= 43, 'PKCE verifier sent');
    assert.equal(codes[0].params.refresh_token_ttl, undefined, 'refresh tokens asked for (no refresh_token_ttl=0)');

    // Call API: 200 with the extension JSON, sent with the bearer token, cross-origin.
    const first = await callApi(page);
    assert.equal(first.status, '200');
    const ext = JSON.parse(first.body);
    assert.equal(ext.extensionNumber, '101');
    assert.equal(String(ext.id), '256440016');
    let api = (await emu.log()).api_requests.filter((a) => a.path === API_PATH);
    assert.equal(api.length, 1);
    assert.equal(api[0].status, 200);
    assert.ok(api[0].token, 'the request carried a bearer token');
    assert.equal(api[0].origin, appBase, 'a cross-origin call from the app page');
    const firstToken = api[0].token;

    // Only the server's clock moves past the access token's expiry: the 401 is refreshed away.
    await emu.advance(3700);
    const second = await callApi(page);
    assert.equal(second.status, '200', 'the app never sees the 401');
    assert.equal(JSON.parse(second.body).extensionNumber, '101');
    const log = await emu.log();
    assert.equal(log.token_requests.filter((r) => r.grant_type === 'refresh_token').length, 1, 'one refresh');
    api = log.api_requests.filter((a) => a.path === API_PATH);
    assert.deepEqual(api.map((a) => a.status), [200, 401, 200]);
    assert.equal(api[1].token, firstToken, 'the expired token was rejected once');
    assert.ok(api[2].token && api[2].token !== firstToken, 'the retry used the new token');
    assert.ok((await events(page)).includes('refresh'), 'a refresh event was logged');
    assert.equal(await status(page), 'logged in as 256440016');

    // Logout: revoked at the server, the page shows the Login button again.
    await page.click('#logout');
    await page.waitForFunction(() => document.getElementById('status').textContent === 'logged out', null, { timeout: 15000 });
    assert.ok(await page.isVisible('#login'));
    assert.ok(!(await page.isVisible('#call')));
    assert.ok(!(await page.isVisible('#logout')));
    assert.ok((await events(page)).includes('logout'), 'a logout event was logged');
    const final = await emu.log();
    assert.equal(final.revocations.length, 1, 'the server saw the revoke');

    // The event log reached the console, and no token, code or verifier ever did.
    assert.ok(console.some((l) => l.startsWith('[rust-app] login')), `events logged to the console: ${console}`);
    assert.ok(!console.some((l) => l.startsWith('[pageerror]')), `no page errors: ${console}`);
    const secrets = new Set([
      ...final.api_requests.map((a) => a.token),
      ...final.revocations.map((r) => r.token),
      ...final.token_requests.flatMap((r) => [r.params.code, r.params.code_verifier, r.params.refresh_token]),
    ].filter((s) => s && s.length >= 8));
    assert.ok(secrets.size >= 4, 'the access tokens, the refresh token, the code and the verifier');
    const all = console.join('\n');
    for (const s of secrets) assert.ok(!all.includes(s), 'no secret in the console output');
  } finally {
    await context.close();
  }
});
