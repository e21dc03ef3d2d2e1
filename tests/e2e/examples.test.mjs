// examples/react (React 19, StrictMode on, oauth-spa-session/react), examples/vue (Vue 3, oauth-spa-session/vue),
// both built with Vite (production builds checked, development builds driven: StrictMode double-mounts only
// there, and there the apps expose their root), and examples/vanilla (no bundler: an import map). Each is served
// by the emulator under /NAME/ on `localhost` with the OAuth server on `127.0.0.1`, logs in by clicking in
// Chromium, calls the API through the binding's fetch, and logs out. Both framework runs count what sessions leave
// behind: one live session (one `online`, one `visibilitychange` listener) after StrictMode's double mount, none
// after unmounting.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { startEmulator, launchBrowser } from './harness.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;

function ensureBuilt(name) {
  const dir = `${ROOT}examples/${name}`;
  const run = (args) => execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: ['ignore', 'inherit', 'inherit'] });
  // npm ci when package.json or the lock changed since the last install (scripts/npm-ci.sh compares content).
  try {
    execFileSync('bash', [`${ROOT}scripts/npm-ci.sh`, `examples/${name}`], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  } catch { run(['install']); }
  run(['run', 'build']);
  // StrictMode double-mounts only in React's development build, and development builds expose the app's root
  // for the unmount check: the React and Vue apps are driven in those.
  run(['run', 'build:dev']);
}

// The apps' pages again, under `/strict/NAME/` with a Content-Security-Policy that refuses WebAssembly (their
// scripts still load from /NAME/assets/: the builds use absolute URLs).
const STRICT = "default-src 'self'; script-src 'self'";
let emu, browser, strict;
before(async () => {
  ensureBuilt('react');
  ensureBuilt('vue');
  strict = mkdtempSync(`${tmpdir()}/oss-strict-`);
  for (const name of ['react', 'vue']) {
    mkdirSync(`${strict}/${name}`);
    copyFileSync(`${ROOT}examples/${name}/dist-dev/index.html`, `${strict}/${name}/index.html`);
    writeFileSync(`${strict}/${name}/index.html.csp`, STRICT);
  }
  emu = await startEmulator({ extraStatic: [
    `/react=${ROOT}examples/react/dist-dev`, `/vue=${ROOT}examples/vue/dist-dev`, `/vanilla=${ROOT}examples/vanilla`,
    `/strict=${strict}`]  });
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await emu?.stop(); if (strict) rmSync(strict, { recursive: true, force: true }); });

// Counts the listeners and channels the page's sessions hold: adds minus removes, per event type.
const countListeners = () => {
  const live = (window.__live = { online: 0, visibilitychange: 0, channels: 0 });
  const add = EventTarget.prototype.addEventListener;
  const remove = EventTarget.prototype.removeEventListener;
  EventTarget.prototype.addEventListener = function (t, ...a) { if (t in live) live[t]++; return add.call(this, t, ...a); };
  EventTarget.prototype.removeEventListener = function (t, ...a) { if (t in live) live[t]--; return remove.call(this, t, ...a); };
  const BC = window.BroadcastChannel;
  window.BroadcastChannel = class extends BC {
    constructor(...a) { super(...a); live.channels++; }
    close() { live.channels--; return super.close(); }
  };
};

async function loginCallLogout(name) {
  const app = `${emu.altBase}/${name}/`;
  await emu.control('apps', {
    client_id: `example-${name}`, client_secret: null, confidential: false, issue_refresh_tokens: false,
    allow_implicit: false, redirect_uris: [app],
  });
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.addInitScript(countListeners);
  try {
    await page.goto(app);
    await page.waitForSelector('#status:text("logged out")', { timeout: 15000 });
    // The authorize request itself: the server answers it with a 302 to its sign-in page.
    const [req] = await Promise.all([page.waitForRequest((r) => new URL(r.url()).pathname === '/restapi/oauth/authorize'), page.click('#login')]);
    await page.waitForSelector('#allow');
    assert.match(req.url(), /^http:\/\/127\.0\.0\.1:\d+\/restapi\/oauth\/authorize\?/);
    assert.equal(new URL(req.url()).searchParams.get('client_id'), `example-${name}`);
    await Promise.all([page.waitForURL((u) => u.href.startsWith(app)), page.click('button:has-text("Allow")')]);
    await page.waitForSelector('#status:text("logged in")', { timeout: 15000 });
    assert.ok(!page.url().includes('code='), 'the callback parameters are removed from the URL');
    const afterLogin = await page.evaluate(() => ({ ...window.__live }));

    await page.click('#api');
    await page.waitForSelector('#api-result[data-status]', { timeout: 15000 });
    assert.equal(await page.getAttribute('#api-result', 'data-status'), '200');
    assert.equal(JSON.parse(await page.textContent('#api-result')).extensionNumber, '101');

    await page.click('#logout');
    await page.waitForSelector('#status:text("logged out")', { timeout: 15000 });
    assert.deepEqual(errors, []);
    const log = await emu.log();
    const mine = (r) => r.client_id === `example-${name}` || r.params?.client_id === `example-${name}`;
    assert.equal(log.token_requests.filter((r) => r.grant_type === 'authorization_code' && mine(r)).length, 1, 'one code exchange');
    assert.ok(log.api_requests.some((a) => a.status === 200), 'the API call reached the server with the token');
    const afterLogout = await page.evaluate(() => ({ ...window.__live }));
    // The development builds expose their root: unmounting disposes the session, which lets go of everything.
    const afterUnmount = await page.evaluate(() => {
      if (!window.exampleRoot) return null;
      window.exampleRoot.unmount();
      return { ...window.__live };
    });
    return { afterLogin, afterLogout, afterUnmount };
  } finally {
    await context.close();
  }
}

test('React (StrictMode): log in by clicking, useSession().fetch the extension, log out; one session left', async () => {
  const { afterLogin, afterLogout, afterUnmount } = await loginCallLogout('react');
  // One live session: its two window/document listeners; the StrictMode first mount made none (or disposed it).
  assert.deepEqual({ online: afterLogin.online, visibilitychange: afterLogin.visibilitychange }, { online: 1, visibilitychange: 1 });
  assert.ok(afterLogin.channels <= 1, `at most one BroadcastChannel open: ${afterLogin.channels}`);
  assert.deepEqual(afterLogout, afterLogin, 'logging out neither adds nor leaks listeners');
  assert.deepEqual(afterUnmount, { online: 0, visibilitychange: 0, channels: 0 }, 'unmount disposes the session');
});

test('Vue 3: log in by clicking, useSession().fetch the extension, log out; one session', async () => {
  const { afterLogin, afterUnmount } = await loginCallLogout('vue');
  assert.deepEqual({ online: afterLogin.online, visibilitychange: afterLogin.visibilitychange }, { online: 1, visibilitychange: 1 });
  assert.deepEqual(afterUnmount, { online: 0, visibilitychange: 0, channels: 0 }, 'unmount disposes the session');
});

for (const name of ['react', 'vue']) {
  test(`${name}: under a CSP without 'wasm-unsafe-eval' the binding's status is 'failed' with csp_blocked (not ready, no Log in)`, async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      const res = await page.goto(`${emu.altBase}/strict/${name}/`);
      assert.equal(res.headers()['content-security-policy'], STRICT);
      // The example renders `status` and, when it is 'failed', `error.message`.
      await page.waitForSelector('#status:text("failed")', { timeout: 15000 });
      assert.match(await page.textContent('#error'), /^csp_blocked: .*'wasm-unsafe-eval'/);
      assert.equal(await page.locator('#login').count(), 0, 'no Log in button for a session that does not exist');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
}

test('no bundler (import map): log in by clicking, session.fetch the extension, log out', async () => {
  await loginCallLogout('vanilla');
});

test('debug.wasm swaps in for the production .wasm: a Session made on it restores and builds a login URL', async () => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const wasm = [];
    page.on('response', (r) => { if (r.url().endsWith('.wasm')) wasm.push(new URL(r.url()).pathname); });
    await page.goto(`${emu.altBase}/vanilla/config.js`);
    const url = await page.evaluate(async (server) => {
      const m = await import('/pkg/oauth_spa_session.js');
      await m.default({ module_or_path: '/pkg/oauth_spa_session_bg.debug.wasm' });
      const s = new m.Session({ clientId: 'demo-spa', server, redirectUri: `${location.origin}/callback` });
      await s.ready;
      return s.loginUrl();
    }, emu.base);
    assert.equal(new URL(url).searchParams.get('client_id'), 'demo-spa');
    assert.deepEqual(wasm, ['/pkg/oauth_spa_session_bg.debug.wasm'], 'only the debug build was loaded');
  } finally {
    await context.close();
  }
});

test('no bundler, the head links of the README: the entry and the .wasm are each fetched once (the entry\'s fetch takes the preload), before app.js runs', async () => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const fetched = [];
    const logged = [];
    page.on('request', (r) => { if (new URL(r.url()).pathname.startsWith('/pkg/')) fetched.push(new URL(r.url()).pathname); });
    page.on('console', (m) => logged.push(`${m.type()}: ${m.text()}`));
    await page.goto(`${emu.altBase}/vanilla/`);
    await page.waitForSelector('#status:text("logged out")', { timeout: 15000 });
    assert.deepEqual(fetched.sort(), ['/pkg/oauth_spa_session.js', '/pkg/oauth_spa_session_bg.wasm']);
    const t = await page.evaluate(() => {
      const at = (f) => performance.getEntriesByType('resource').find((e) => e.name.endsWith(f));
      return { wasm: at('/pkg/oauth_spa_session_bg.wasm').startTime, app: at('/vanilla/app.js').responseEnd };
    });
    assert.ok(t.wasm < t.app, `the .wasm's request (${t.wasm} ms) starts before app.js has arrived (${t.app} ms)`);
    assert.deepEqual(logged.filter((m) => /preload|application\/wasm/i.test(m)), [], 'no preload or MIME warning');
  } finally {
    await context.close();
  }
});

test('init() called late takes the compilation the entry started on its own: one .wasm request, made before init()', async () => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const wasm = [];
    page.on('request', (r) => { if (r.url().endsWith('.wasm')) wasm.push(new URL(r.url()).pathname); });
    await page.goto(`${emu.altBase}/vanilla/config.js`);
    const r = await page.evaluate(async (server) => {
      const asked = [];
      const realFetch = window.fetch;
      window.fetch = (...a) => { asked.push(String(a[0])); return realFetch(...a); };
      const m = await import('/pkg/oauth_spa_session.js');
      await new Promise((ok) => setTimeout(ok, 50)); // an app's first render, before an effect calls init()
      const before = asked.filter((u) => u.endsWith('.wasm')).length;
      await m.default();
      const s = new m.Session({ clientId: 'demo-spa', server, redirectUri: `${location.origin}/callback` });
      await s.ready;
      return { before, client: new URL(await s.loginUrl()).searchParams.get('client_id') };
    }, emu.base);
    assert.deepEqual(r, { before: 1, client: 'demo-spa' });
    assert.deepEqual(wasm, ['/pkg/oauth_spa_session_bg.wasm']);
  } finally {
    await context.close();
  }
});

test('a server sending the .wasm without application/wasm: init() compiles it without streaming, with a warning', async () => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const warnings = [];
    page.on('console', (m) => { if (m.type() === 'warning') warnings.push(m.text()); });
    await page.route('**/pkg/oauth_spa_session_bg.wasm', async (route) => {
      const res = await route.fetch();
      await route.fulfill({ status: 200, body: await res.body(), contentType: 'application/octet-stream' });
    });
    await page.goto(`${emu.altBase}/vanilla/config.js`);
    const client = await page.evaluate(async (server) => {
      const m = await import('/pkg/oauth_spa_session.js');
      await m.default();
      const s = new m.Session({ clientId: 'demo-spa', server, redirectUri: `${location.origin}/callback` });
      await s.ready;
      return new URL(await s.loginUrl()).searchParams.get('client_id');
    }, emu.base);
    assert.equal(client, 'demo-spa');
    assert.equal(warnings.filter((w) => w.includes('application/wasm')).length, 1, warnings.join('\n'));
  } finally {
    await context.close();
  }
});
