// End-to-end: the user never changes underfoot (issue 20, item 2). The emulator has two users; the server-side
// user changes under a silent renewal (the control API switches the user of the browser's login session), and
// under another tab's login (cookie storage shared: tab B signs in as the second user on the sign-in page). A tab
// that held the first user's session ends it (`expired`, code `owner_changed`) and then announces the second
// user's as `login`; it never takes the second user's tokens as a `refresh`.
import { test, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, launchProfile, openApp, loginByClicking, waitApp } from './harness.mjs';

const USER1 = '256440016';
const USER2 = '256440029';

// The silent renewal's login cookie is a third-party cookie in the iframe: a profile that allows them (as in
// silent.test.mjs).
const env = {};
before(async () => { env.emu = await startEmulator(); });
after(async () => { await env.emu?.stop(); });
beforeEach(async () => {
  await env.emu.reset();
  env.profile = await launchProfile({ prefix: 'oss-owner-' });
  env.context = env.profile.context;
});
afterEach(async () => {
  await env.profile?.close();
  env.profile = env.context = null;
});

const events = (page) => page.evaluate(() => window.app.events.map((e) => ({ name: e.name, code: e.code ?? null })));
const owner = (page) => page.evaluate(() => window.app.session.tokenInfo()?.ownerId ?? null);
const me = async (page) => {
  const r = await page.evaluate(() => window.app.call());
  assert.equal(r.status, 200, JSON.stringify(r));
  return JSON.parse(r.body);
};

/** What a tab that held user 1's session must have seen once user 2's pair reached it: no `refresh` at all, and
 * the session's end (`owner_changed`) right before user 2's `login`. */
async function endedThenLoggedInAsUser2(page, label) {
  const told = () => window.app.events.some((e) => e.name === 'expired' || e.name === 'refresh');
  await page.waitForFunction(told, null, { timeout: 20000 });
  const early = await events(page);
  assert.equal(early.filter((e) => e.name === 'refresh').length, 0, `${label}: never a refresh: ${JSON.stringify(early)}`);
  await page.waitForFunction(() => window.app.events.at(-1)?.name === 'login', null, { timeout: 20000 });
  const ev = await events(page);
  assert.equal(ev.filter((e) => e.name === 'refresh').length, 0, `${label}: never a refresh: ${JSON.stringify(ev)}`);
  const i = ev.findIndex((e) => e.name === 'expired');
  assert.deepEqual(ev.slice(i), [{ name: 'expired', code: 'owner_changed' }, { name: 'login', code: null }], label);
  assert.equal(await owner(page), USER2, label);
  assert.equal((await me(page)).name, 'Second User', label);
}

test('the user of the server login changes: the silent renewal ends the session (owner_changed) and logs in as the new user, in both tabs', async () => {
  const cfg = { server: env.emu.base, storage: 'cookie' };
  const a = await openApp(env.context, env.emu.altBase, cfg, { clock: true });
  assert.deepEqual(await loginByClicking(a), { handled: true, error: null });
  const b = await openApp(env.context, env.emu.altBase, cfg, { clock: true });
  for (const p of [a, b]) {
    assert.equal(await owner(p), USER1);
    assert.equal((await me(p)).name, 'Demo User');
  }
  // Someone else signs in at the server in this browser (or a login CSRF does it for them).
  const r = await env.emu.control('login-user', { owner_id: USER2 });
  assert.equal(r.switched, 1);
  // 59:10 later both tabs are inside the 60 s margin: one renews silently under the lock, the other adopts.
  await env.emu.advance(3550);
  await a.clock.fastForward(3550 * 1000);
  await endedThenLoggedInAsUser2(a, 'tab A');
  await endedThenLoggedInAsUser2(b, 'tab B');
});

test('cookie storage: tab B signs in as user 2; tab A ends user 1\'s session and announces user 2 as a login, never a refresh', async () => {
  const cfg = { server: env.emu.base, storage: 'cookie' };
  const a = await openApp(env.context, env.emu.altBase, cfg);
  assert.deepEqual(await loginByClicking(a), { handled: true, error: null });
  assert.equal(await owner(a), USER1);
  assert.equal((await me(a)).name, 'Demo User');
  const user1 = (await env.emu.log()).api_requests.at(-1).token;
  // Tab B: the sign-in page is shown again (prompt=login, as on a shared computer) and user 2 is chosen.
  const b = await openApp(env.context, env.emu.altBase, { ...cfg, authorizeParams: { prompt: 'login' } });
  assert.equal(await owner(b), USER1, 'B restored user 1 from the shared cookie');
  await Promise.all([
    b.waitForURL((u) => u.pathname.startsWith('/restapi/oauth/authorize')),
    b.evaluate(() => { window.app.session.login(); }),
  ]);
  assert.equal(await b.isChecked(`#user-${USER1}`), true, 'the signed-in user is offered first');
  await b.check(`#user-${USER2}`);
  await b.click('button:has-text("Allow")');
  await b.waitForURL(/\/test\/callback\.html/);
  assert.deepEqual(await waitApp(b), { handled: true, error: null });
  assert.equal(await owner(b), USER2);
  assert.equal((await me(b)).name, 'Second User');
  await endedThenLoggedInAsUser2(a, 'tab A');
  // User 1's token is not sent by either tab again.
  const log = (await env.emu.log()).api_requests;
  assert.equal(log.filter((x) => x.token === user1).length, 1, 'only the call made as user 1');
});
