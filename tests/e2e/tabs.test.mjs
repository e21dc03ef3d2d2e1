// One session across tabs: shared cookie storage, a single refresh under a Web Lock, and login/logout/refresh
// propagated through a BroadcastChannel. One browser env.context = one profile, so the tabs share cookies and locks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useEmulatorAndBrowser, openApp, openAppWithClock, loginByClicking, tokenRequests, sleep } from './harness.mjs';

const env = useEmulatorAndBrowser();

const SHARED = { storage: 'cookie', refreshTokens: true };
const refreshes = async () => (await tokenRequests(env.emu)).filter((r) => r.grant_type === 'refresh_token');
const count = (page, name) => page.evaluate((n) => window.app.count(n), name);
const loggedIn = (page) => page.evaluate(() => window.app.session.isLoggedIn());

/** Logs in in the first tab, then opens `n - 1` more tabs that restore the same session from the cookie. */
async function tabs(n, cfg = SHARED) {
  const first = await openApp(env.context, env.emu.base, cfg);
  await loginByClicking(first);
  const all = [first];
  for (let i = 1; i < n; i++) all.push(await openApp(env.context, env.emu.base, cfg));
  for (const p of all) assert.equal(await loggedIn(p), true);
  return all;
}

const burst = (page, n) => page.evaluate(async (k) => {
  const t0 = performance.now();
  const rs = await Promise.all(Array.from({ length: k }, () => window.app.call()));
  return { statuses: rs.map((r) => r.status ?? r.error.code), ms: performance.now() - t0 };
}, n);

test('4 tabs × 250 concurrent calls on server-expired shared tokens ⇒ exactly 1 refresh, 1000 successes, no expired', async () => {
  const pages = await tabs(4);
  await env.emu.advance(3700);
  const results = await Promise.all(pages.map((p) => burst(p, 250)));
  const statuses = results.flatMap((r) => r.statuses);
  assert.equal(statuses.length, 1000);
  assert.equal(statuses.filter((s) => s === 200).length, 1000, `failures: ${statuses.filter((s) => s !== 200).slice(0, 5)}`);
  assert.equal((await refreshes()).length, 1, 'one refresh for all tabs');
  for (const p of pages) assert.equal(await count(p, 'expired'), 0);
});

test('4 tabs × 250 calls after both clocks passed expiry ⇒ 1 refresh before sending, no stale token sent, no failures', async () => {
  const first = await openAppWithClock(env.context, env.emu.base, SHARED);
  await loginByClicking(first);
  const pages = [first];
  for (let i = 1; i < 4; i++) pages.push(await openAppWithClock(env.context, env.emu.base, SHARED));
  await env.emu.advance(3700);
  const later = Date.now() + 3700 * 1000;
  await Promise.all(pages.map((p) => p.clock.setSystemTime(later)));
  const before = (await env.emu.log()).api_requests.length;
  const results = await Promise.all(pages.map((p) => burst(p, 250)));
  const statuses = results.flatMap((r) => r.statuses);
  assert.equal(statuses.filter((s) => s === 200).length, 1000, `failures: ${statuses.filter((s) => s !== 200).slice(0, 5)}`);
  assert.equal((await refreshes()).length, 1, 'the tabs that waited for the lock used the winner\'s tokens');
  const api = (await env.emu.log()).api_requests.slice(before);
  assert.equal(api.filter((a) => a.status === 401).length, 0, 'no expired or superseded token was sent');
});

test('the same burst with the winning refresh response dropped after commit ⇒ replayed, recovered, no expired', async () => {
  const pages = await tabs(4);
  await env.emu.fault({ kind: 'drop_after_commit', count: 1 });
  await env.emu.advance(3700);
  const results = await Promise.all(pages.map((p) => burst(p, 250)));
  const statuses = results.flatMap((r) => r.statuses);
  assert.equal(statuses.filter((s) => s === 200).length, 1000);
  const rs = await refreshes();
  assert.equal(rs.length, 2, 'the lost one and its replay, nothing more');
  assert.equal(rs[0].fault, 'drop_after_commit');
  assert.equal(rs[0].params.refresh_token, rs[1].params.refresh_token);
  for (const p of pages) assert.equal(await count(p, 'expired'), 0);
});

test('logout in tab 1 ⇒ tabs 2–4 logged out within 1 s, and their next fetch rejects login_required', async () => {
  const pages = await tabs(4);
  const t0 = Date.now();
  await pages[0].evaluate(() => window.app.session.logout());
  await Promise.all(pages.slice(1).map((p) => p.waitForFunction(() => !window.app.session.isLoggedIn(), null, { timeout: 1000, polling: 20 })));
  assert.ok(Date.now() - t0 < 1500);
  const before = (await env.emu.log()).api_requests.length;
  for (const p of pages.slice(1)) {
    assert.equal(await count(p, 'logout'), 1);
    const r = await p.evaluate(() => window.app.call());
    assert.equal(r.error.code, 'login_required');
  }
  assert.equal((await env.emu.log()).api_requests.length, before, 'nothing was sent');
  assert.equal((await env.emu.log()).revocations.length, 1);
});

test('60 rounds: login in tab 1 → logout in tab 1 → tabs 2–4 logged out within 1 s, every round, and none revives', async () => {
  const pages = await tabs(4);
  await pages[0].evaluate(() => window.app.session.logout());
  for (let round = 0; round < 60; round++) {
    await loginByClicking(pages[0]);
    await Promise.all(pages.slice(1).map((p) => p.waitForFunction(() => window.app.session.isLoggedIn(), null, { timeout: 2000, polling: 10 })));
    const t0 = Date.now();
    await pages[0].evaluate(() => window.app.session.logout());
    await Promise.all(pages.slice(1).map((p) => p.waitForFunction(() => !window.app.session.isLoggedIn(), null, { timeout: 1000, polling: 10 })
      .catch(() => { throw new Error(`round ${round}: a tab was still logged in ${Date.now() - t0} ms after the logout`); })));
  }
  // After the last round no tab came back from a stale cookie read, and none sent a revoked token.
  await new Promise((r) => setTimeout(r, 300));
  for (const p of pages) assert.equal(await loggedIn(p), false);
  const log = await env.emu.log();
  assert.equal(log.api_requests.filter((a) => a.status === 401).length, 0, 'no revoked token was sent');
});

test('login in tab 1 ⇒ an open tab 2 becomes logged in without a reload', async () => {
  const one = await openApp(env.context, env.emu.base, SHARED);
  const two = await openApp(env.context, env.emu.base, SHARED);
  assert.equal(await loggedIn(two), false);
  await loginByClicking(one);
  await two.waitForFunction(() => window.app.session.isLoggedIn(), null, { timeout: 2000, polling: 20 });
  assert.equal(await count(two, 'login'), 1);
  assert.equal((await two.evaluate(() => window.app.call())).status, 200);
});

test('a tab closed while holding the lock mid-refresh ⇒ the other tabs proceed', async () => {
  const [one, two, three] = await tabs(3);
  await env.emu.advance(3700);
  await env.emu.fault({ kind: 'delay', delay_ms: 1500, count: 1 });
  // Tab 1 takes the lock and sends a refresh that the server holds for 1.5 s.
  await one.evaluate(() => { window.app.session.refresh().catch(() => {}); });
  await sleep(300);
  const waiting = [two, three].map((p) => p.evaluate(() => window.app.call()));
  await sleep(200);
  await one.close();
  const results = await Promise.all(waiting);
  for (const r of results) assert.equal(r.status, 200, JSON.stringify(r));
  for (const p of [two, three]) assert.equal(await count(p, 'expired'), 0);
  assert.ok((await refreshes()).length <= 2, 'at most the abandoned refresh and one more');
});

test('without Web Locks or BroadcastChannel, a terminal refresh error adopts the newer tokens another tab stored', async () => {
  const one = await openApp(env.context, env.emu.base, SHARED);
  await loginByClicking(one);
  const two = await openApp(env.context, env.emu.base, SHARED, {
    initScript: () => { delete Navigator.prototype.locks; delete window.BroadcastChannel; },
  });
  assert.equal(await loggedIn(two), true);
  // Tab 2 reads the cookie and sends its refresh, which the server holds for 1.5 s before processing it.
  await env.emu.fault({ kind: 'delay', delay_ms: 1500, count: 1 });
  await two.evaluate(() => { window.pending = window.app.session.refresh().then(() => 'ok', (e) => e.code); });
  await sleep(200);
  // Meanwhile tab 1 refreshes and uses the new token; 11 s later the old refresh token is past its grace window.
  await one.evaluate(() => window.app.session.refresh());
  assert.equal((await one.evaluate(() => window.app.call())).status, 200);
  await env.emu.advance(11);
  // Tab 2's held request now spends a dead refresh token: a terminal invalid_grant…
  assert.equal(await two.evaluate(() => window.pending), 'ok');
  const rs = await refreshes();
  assert.equal(rs.length, 2);
  const spent = rs.find((r) => r.status === 400);
  assert.ok(spent, 'the server refused the spent refresh token');
  // …and it adopts tab 1's tokens from the cookie instead of logging everyone out.
  assert.equal(await loggedIn(two), true);
  assert.equal(await count(two, 'expired'), 0);
  assert.equal((await two.evaluate(() => window.app.call())).status, 200);
  assert.equal(await loggedIn(one), true);
});

test('a lock held forever elsewhere ⇒ a retryable lock_timeout after the bounded wait, never a hang', async () => {
  const page = await openAppWithClock(env.context, env.emu.base, SHARED);
  await loginByClicking(page);
  const name = `oauth-spa-session:demo-spa@${env.emu.base}`;
  await page.evaluate((n) => {
    // Another holder (a hung tab, say) that never lets go.
    navigator.locks.request(n, () => new Promise(() => {}));
    window.pending = window.app.session.refresh().then(() => 'resolved', (e) => ({ code: e.code, retryable: e.retryable }));
  }, name);
  await page.clock.runFor(31_000);
  assert.deepEqual(await page.evaluate(() => window.pending), { code: 'lock_timeout', retryable: true });
  assert.equal((await refreshes()).length, 0, 'nothing was sent without the lock');
  assert.equal(await loggedIn(page), true, 'tokens kept');
});
