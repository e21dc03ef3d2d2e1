// End-to-end: silent renewal (prompt=none in a hidden iframe) in real Chromium, the app on http://localhost and
// the OAuth server on http://127.0.0.1 (two sites: the login cookie is a third-party cookie in the iframe, sent
// because it is SameSite=None; Secure). Both clocks move: the emulator's control API and Playwright's clock.
import { test, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, launchProfile, openApp, loginByClicking, tokenRequests } from './harness.mjs';

// Chromium 156 blocks third-party cookies by default (as Safari and Firefox do), and the login cookie is one in
// the iframe. So each test gets its own profile whose user allowed them (Settings → Third-party cookies → Allow:
// the `cookie_controls_mode` preference); the last test keeps the default and checks the clean fallback.
const env = {};
before(async () => { env.emu = await startEmulator(); });
after(async () => { await env.emu?.stop(); });
async function profile({ thirdPartyCookies }) {
  await env.profile?.close();
  env.profile = await launchProfile({ thirdPartyCookies, prefix: 'oss-silent-' });
  env.context = env.profile.context;
}
beforeEach(async () => {
  await env.emu.reset();
  await profile({ thirdPartyCookies: true });
});
afterEach(async () => {
  await env.profile?.close();
  env.profile = env.context = null;
});

const count = (page, name) => page.evaluate((n) => window.app.count(n), name);
const names = (page) => page.evaluate(() => window.app.events.map((e) => e.name));

/** Every prompt=none authorize request any page or frame of the context sends. */
function watchSilent(context) {
  const seen = [];
  context.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname === '/restapi/oauth/authorize' && u.searchParams.get('prompt') === 'none') seen.push(u);
  });
  return seen;
}

async function loggedInApp(cfg = {}) {
  const page = await openApp(env.context, env.emu.altBase, { server: env.emu.base, ...cfg }, { clock: true });
  const r = await loginByClicking(page);
  assert.deepEqual(r, { handled: true, error: null });
  return page;
}

/** Moves both clocks by `s` seconds (59:10 puts a fresh token 50 s inside the 60 s margin). Playwright's clock
 * belongs to the context: moving it from one page moves every tab. */
async function advance(pages, s) {
  await env.emu.advance(s);
  await pages[0].clock.fastForward(s * 1000);
}

const calls = (page, n) => page.evaluate((k) => Promise.all(Array.from({ length: k }, () => window.app.call())), n);

test('near expiry: one prompt=none request, new tokens, a refresh event, and no failed call meanwhile', async () => {
  const silent = watchSilent(env.context);
  const page = await loggedInApp();
  assert.equal((await page.evaluate(() => window.app.session.tokenInfo())).hasRefreshToken, false);
  const before = await page.evaluate(() => window.app.session.tokenInfo().expiresAt);
  await advance([page], 3550);
  const during = await calls(page, 10); // the renewal is on its way: the still-valid token serves these
  await page.waitForFunction(() => window.app.count('refresh') === 1, null, { timeout: 10000 });
  const after = await calls(page, 10);
  for (const r of [...during, ...after]) assert.equal(r.status, 200, JSON.stringify(r));
  assert.equal(silent.length, 1, 'exactly one prompt=none request');
  assert.match(silent[0].searchParams.get('state'), /^f\./);
  assert.ok(silent[0].searchParams.get('code_challenge'), 'PKCE');
  const info = await page.evaluate(() => window.app.session.tokenInfo());
  assert.ok(info.expiresAt > before + 3000 * 1000, 'a new hour');
  assert.equal(info.hasRefreshToken, false);
  const grants = await tokenRequests(env.emu);
  assert.deepEqual(grants.map((g) => g.grant_type), ['authorization_code', 'authorization_code']);
  assert.ok(grants.every((g) => g.params.refresh_token_ttl === '0' && g.params.code_verifier));
  const tokens = (await env.emu.log()).api_requests.map((a) => a.token);
  assert.equal(new Set(tokens).size, 2, 'the calls after the renewal use the new token');
  assert.deepEqual(await names(page), ['login', 'refresh']);
  assert.equal(await page.evaluate(() => document.querySelectorAll('iframe').length), 0, 'the iframe is gone');
  assert.ok(!page.url().includes('code='));
});

test("the server's login session ended: expiring, then expired, after exactly one silent attempt", async () => {
  await env.emu.config({ login_session_ttl_s: 600 });
  const silent = watchSilent(env.context);
  const page = await loggedInApp();
  await advance([page], 3550); // the login cookie's session is over at the server
  await page.waitForFunction(() => window.app.count('expiring') === 1, null, { timeout: 10000 });
  assert.equal(silent.length, 1);
  assert.equal((await calls(page, 3)).filter((r) => r.status === 200).length, 3, 'the token still serves until expiry');
  await page.clock.runFor(30_000);
  assert.equal(silent.length, 1, 'no retry');
  await advance([page], 120);
  await page.clock.runFor(2000);
  await page.waitForFunction(() => window.app.count('expired') === 1, null, { timeout: 10000 });
  assert.deepEqual(await names(page), ['login', 'expiring', 'expired']);
  assert.equal(silent.length, 1, 'exactly one silent attempt');
  assert.equal((await tokenRequests(env.emu)).length, 1, 'nothing exchanged after the login');
  const r = await page.evaluate(() => window.app.call());
  assert.equal(r.error.code, 'login_required');
  // The app may ask again: renew() rejects with the server's reason.
  const again = await page.evaluate(() => window.app.session.renew().then(() => 'ok', (e) => e.code));
  assert.equal(again, 'login_required');
  assert.equal(silent.length, 2);
});

test('4 tabs on cookie storage: one silent renewal in total per expiry, every tab on the new token (3 rounds)', async () => {
  const silent = watchSilent(env.context);
  const first = await loggedInApp({ storage: 'cookie' });
  const pages = [first];
  for (let i = 0; i < 3; i++) pages.push(await openApp(env.context, env.emu.altBase, { server: env.emu.base, storage: 'cookie' }, { clock: true }));
  for (const p of pages) assert.equal(await p.evaluate(() => window.app.session.isLoggedIn()), true);
  for (let round = 1; round <= 3; round++) {
    await advance(pages, 3550); // every tab's timer fires: they race for the lock
    for (const p of pages) await p.waitForFunction((n) => window.app.count('refresh') >= n, round, { timeout: 15000 });
    assert.equal(silent.length, round, `round ${round}: one prompt=none request for the 4 tabs`);
    assert.equal((await tokenRequests(env.emu)).length, round + 1, 'the login and one renewal per round');
    const before = (await env.emu.log()).api_requests.length;
    for (const p of pages) {
      assert.equal((await p.evaluate(() => window.app.call())).status, 200);
      assert.equal(await count(p, 'expiring'), 0);
    }
    const tokens = (await env.emu.log()).api_requests.slice(before).map((a) => a.token);
    assert.equal(new Set(tokens).size, 1, 'all four tabs call with the renewed token');
  }
});

test('a day of use: 8 hours, renewed silently each hour, no refresh token ever issued, no page navigation', async () => {
  const silent = watchSilent(env.context);
  const page = await loggedInApp();
  const navigations = [];
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations.push(f.url()); });
  for (let hour = 1; hour <= 8; hour++) {
    await advance([page], 3550);
    await page.waitForFunction((h) => window.app.count('refresh') === h, hour, { timeout: 10000 });
    assert.equal((await page.evaluate(() => window.app.call())).status, 200, `hour ${hour}`);
  }
  assert.equal(await page.evaluate(() => window.app.session.isLoggedIn()), true);
  assert.equal(silent.length, 8);
  assert.deepEqual(navigations, [], 'no full-page navigation');
  const grants = await tokenRequests(env.emu);
  assert.equal(grants.length, 9);
  assert.ok(grants.every((g) => g.grant_type === 'authorization_code' && g.params.refresh_token_ttl === '0'));
  assert.equal(await count(page, 'expiring') + await count(page, 'expired'), 0);
});

test('third-party cookies blocked (the browser default here, Safari, Firefox): a clean login_required, then expiring and expired', async () => {
  await profile({ thirdPartyCookies: false });
  const silent = watchSilent(env.context);
  const page = await loggedInApp();
  await advance([page], 3550);
  await page.waitForFunction(() => window.app.count('expiring') === 1, null, { timeout: 10000 });
  assert.equal(silent.length, 1, 'tried once');
  assert.equal(await page.evaluate(() => document.querySelectorAll('iframe').length), 0);
  // loginPopup() is the fallback: the popup is first-party, so the server's login cookie works there.
  const [popup] = await Promise.all([
    env.context.waitForEvent('page'),
    page.evaluate(() => { window.app.pp = window.app.session.loginPopup().then(() => 'ok', (e) => e.code); }),
  ]);
  await popup.waitForEvent('close');
  assert.equal(await page.evaluate(() => window.app.pp), 'ok');
  assert.deepEqual(await names(page), ['login', 'expiring', 'login']);
  assert.equal((await page.evaluate(() => window.app.call())).status, 200);
});
