// The init-free entry (`oauth-spa-session/auto`) and `session.dispose()`: five mount/unmount cycles leave no
// window listener, BroadcastChannel or timer of the session's behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useEmulatorAndBrowser, openApp, loginByClicking } from './harness.mjs';

const env = useEmulatorAndBrowser();

async function lifecycle(page) {
  await page.goto(`${env.emu.base}/test/lifecycle.html`);
  await page.waitForFunction(() => window.result && window.result.done);
  return page.evaluate(() => window.result);
}

test('auto entry needs no init(); dispose() removes listeners, channels and timers (logged out)', async () => {
  const page = await env.context.newPage();
  const r = await lifecycle(page);
  assert.equal(r.error, null);
  assert.equal(r.readyValue, false);
  assert.deepEqual(r.whileMounted, { listeners: 2, channels: 1 });
  assert.deepEqual(r.after, { listeners: 0, channels: 0, timers: 0 });
  assert.equal(r.isSessionError, true);
});

test('dispose() also clears the refresh timer of a logged-in session', async () => {
  const app = await openApp(env.context, env.emu.base, { storage: 'cookie', refreshTokens: true });
  await loginByClicking(app);
  const page = await env.context.newPage();
  const r = await lifecycle(page);
  assert.equal(r.error, null);
  assert.equal(r.readyValue, true, 'restored from the shared cookie');
  assert.deepEqual(r.after, { listeners: 0, channels: 0, timers: 0 });
});
