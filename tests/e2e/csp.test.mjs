// The package under a Content-Security-Policy: with `script-src 'self' 'wasm-unsafe-eval'` (no 'unsafe-eval', no
// inline script) it logs in and fetches; with `script-src 'self'` the browser refuses to compile the wasm, and
// `init()` and the `oauth-spa-session/auto` entry reject with a SessionError that names the missing directive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useEmulatorAndBrowser } from './harness.mjs';

const env = useEmulatorAndBrowser();
const GOOD = "script-src 'self' 'wasm-unsafe-eval'";

// The CSP page is its own redirect URI (registered after each test's reset).
async function register() {
  const apps = await env.emu.control('apps');
  const spa = apps.find((a) => a.client_id === 'demo-spa');
  for (const host of ['127.0.0.1', 'localhost']) spa.redirect_uris.push(`http://${host}:${env.emu.port}/test/csp.html`);
  await env.emu.control('apps', spa);
}

async function open(page, entry) {
  await register();
  const res = await page.goto(`${env.emu.base}/test/${page.cspFile}?entry=${entry}`);
  await page.waitForFunction(() => window.app && window.app.done, null, { timeout: 15000 });
  return res;
}

for (const entry of ['main', 'auto']) {
  test(`${entry} entry under ${GOOD}: loads, logs in, fetches; nothing the policy refused`, async () => {
    const page = await env.context.newPage();
    page.cspFile = 'csp.html';
    const res = await open(page, entry);
    assert.match(res.headers()['content-security-policy'], /script-src 'self' 'wasm-unsafe-eval'/);
    assert.doesNotMatch(res.headers()['content-security-policy'], /\s'unsafe-eval'|unsafe-inline/);
    assert.equal(await page.evaluate(() => window.app.error), null);
    // The policy is in force: an inline script does not run.
    assert.equal(await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.inlineRan = true';
      document.body.append(s);
      return window.inlineRan === true;
    }), false);
    const violations = await page.evaluate(() => window.app.violations.filter((v) => v !== 'script-src-elem'));
    assert.deepEqual(violations, [], 'the package itself needed nothing the policy refused');

    await Promise.all([page.waitForURL(/\/restapi\/oauth\/authorize/), page.evaluate(() => { window.app.session.login(); })]);
    await page.click('button:has-text("Allow")');
    await page.waitForURL(/\/test\/csp\.html/);
    await page.waitForFunction(() => window.app && window.app.done, null, { timeout: 15000 });
    assert.deepEqual(await page.evaluate(() => ({ error: window.app.error, handled: window.app.handled, entry: window.app.entry })),
      { error: null, handled: true, entry });
    assert.equal((await page.evaluate(() => window.app.call())).status, 200);
    const api = (await env.emu.log()).api_requests;
    assert.ok(api.length >= 1 && api.at(-1).token, 'the API call carried the bearer token');
    assert.deepEqual(await page.evaluate(() => window.app.violations.filter((v) => v !== 'script-src-elem')), []);
  });

  test(`${entry} entry under script-src 'self' ⇒ SessionError csp_blocked naming 'wasm-unsafe-eval', not a CompileError`, async () => {
    const page = await env.context.newPage();
    page.cspFile = 'csp-strict.html';
    const res = await open(page, entry);
    assert.equal(res.headers()['content-security-policy'].includes('wasm-unsafe-eval'), false);
    const err = await page.evaluate(() => window.app.error);
    assert.equal(err.isSessionError, true, JSON.stringify(err));
    assert.equal(err.name, 'SessionError');
    assert.equal(err.code, 'csp_blocked');
    assert.match(err.message, /'wasm-unsafe-eval'/);
    assert.match(err.message, /script-src/);
    assert.ok((await page.evaluate(() => window.app.violations)).includes('script-src'), 'the browser did refuse the wasm');
  });
}
