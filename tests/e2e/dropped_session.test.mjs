// A session the app drops without `dispose()` (its JS object freed with `free()`, or garbage-collected) must not
// leave a destroyed wasm closure behind: a later `online` / `visibilitychange` event (a page navigating away fires
// one) or a response still on the wire used to call it, and wasm-bindgen threw "closure invoked recursively or
// after being dropped" (seen on every bench page load). Each test fails on that message, in the console or thrown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useEmulatorAndBrowser, openApp, loginByClicking } from './harness.mjs';

const env = useEmulatorAndBrowser();
const DROPPED = /closure invoked recursively or after being dropped/;
const CFG = { storage: 'cookie', refreshTokens: true };

/** Every page error and console message of `page` from now on. */
function listen(page) {
  const seen = [];
  page.on('pageerror', (e) => seen.push(`pageerror: ${e.message}`));
  page.on('console', (m) => seen.push(`console.${m.type()}: ${m.text()}`));
  return seen;
}

const fireWakeups = () => {
  window.dispatchEvent(new Event('online'));
  document.dispatchEvent(new Event('visibilitychange'));
};

test('free() without dispose(): later wake-up events find no destroyed closure', async () => {
  for (let run = 0; run < 5; run++) {
    const page = await openApp(env.context, env.emu.base, CFG);
    const seen = listen(page);
    await page.evaluate(async (cfg) => {
      const { Session } = await import('/pkg/oauth_spa_session.js');
      for (let i = 0; i < 3; i++) {
        const s = new Session({ ...cfg, clientId: 'demo-spa', server: location.origin, redirectUri: `${location.origin}/test/callback.html` });
        await s.ready;
        s.free();
      }
    }, CFG);
    await page.evaluate(fireWakeups);
    await page.evaluate(() => new Promise((r) => setTimeout(r, 50)));
    // Navigating away hides the document: the page's own visibilitychange, as on every bench page load.
    await page.goto('about:blank');
    assert.deepEqual(seen.filter((s) => DROPPED.test(s)), [], `run ${run}`);
    await page.close();
  }
});

test('a session garbage-collected without dispose(): no destroyed closure on wake-ups or navigation', async () => {
  const page = await openApp(env.context, env.emu.base, CFG);
  const seen = listen(page);
  await page.evaluate(async () => {
    const { Session } = await import('/pkg/oauth_spa_session.js');
    for (let i = 0; i < 5; i++) {
      const s = new Session({ clientId: 'demo-spa', server: location.origin, redirectUri: `${location.origin}/test/callback.html`, storage: 'cookie' });
      await s.ready; // then unreachable
    }
  });
  const cdp = await env.context.newCDPSession(page);
  await cdp.send('HeapProfiler.enable');
  for (let i = 0; i < 3; i++) {
    await cdp.send('HeapProfiler.collectGarbage');
    await page.evaluate(() => new Promise((r) => setTimeout(r, 20))); // FinalizationRegistry callbacks run
  }
  await cdp.detach();
  await page.evaluate(fireWakeups);
  await page.evaluate(() => new Promise((r) => setTimeout(r, 50)));
  await page.goto('about:blank');
  assert.deepEqual(seen.filter((s) => DROPPED.test(s)), []);
});

test('free() while a fetch is on the wire: the response still reaches the app, no destroyed closure', async () => {
  const app = await openApp(env.context, env.emu.base, CFG);
  await loginByClicking(app);
  const seen = listen(app);
  const results = await app.evaluate(async () => {
    const { Session } = await import('/pkg/oauth_spa_session.js');
    const out = [];
    for (let i = 0; i < 10; i++) {
      const s = new Session({ clientId: 'demo-spa', server: location.origin, redirectUri: `${location.origin}/test/callback.html`, storage: 'cookie', refreshTokens: true });
      if (!(await s.ready)) { out.push('not logged in'); continue; }
      const p = s.fetch('/restapi/v1.0/account/~/extension/~');
      s.free();
      out.push(await p.then((r) => r.status, (e) => `rejected: ${e && e.message}`));
    }
    return out;
  });
  assert.deepEqual(results, Array(10).fill(200));
  assert.deepEqual(seen.filter((s) => DROPPED.test(s)), []);
});
