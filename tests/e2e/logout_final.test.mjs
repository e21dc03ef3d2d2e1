// A logout is final across tabs (issue 20, item 1): 4 tabs on cookie storage; at the moment tab A logs out, tab B
// is refreshing and tab C is renewing silently (a prompt=none login: a new code, a new server session that A's
// logout never saw). 100 rounds: after each, no tab is logged in, no session cookie is left, no tab announced a
// login or refresh after its logout, no token is used after the logout, and every session issued is revoked.
// The app runs on http://localhost, the server on http://127.0.0.1 (silent renewal needs the two sites, and the
// login cookie in the iframe is a third-party cookie: the profile allows them, as in silent.test.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, launchProfile, openApp, loginByClicking } from './harness.mjs';

const env = {};
before(async () => {
  env.emu = await startEmulator();
  env.profile = await launchProfile({ prefix: 'oss-logout-' });
  env.context = env.profile.context;
});
after(async () => {
  await env.profile?.close();
  await env.emu?.stop();
});

const ROUNDS = 100;
const ours = (cookies) => cookies.filter((c) => /(^|-)oss\.[0-9a-f]{16}\./.test(c.name));
const eventCount = (page) => page.evaluate(() => window.app.events.length);

test(`${ROUNDS} rounds: a logout while another tab refreshes and another renews silently ⇒ 0 revivals`, async () => {
  const cfg = { server: env.emu.base, storage: 'cookie', refreshTokens: true, silentRenew: true };
  // A logs out (and logs in again each round, silently); B refreshes; C has no refresh token (it asked for none),
  // so its renew() is a prompt=none renewal; D only follows.
  const a = await openApp(env.context, env.emu.altBase, cfg);
  const b = await openApp(env.context, env.emu.altBase, cfg);
  const c = await openApp(env.context, env.emu.altBase, { ...cfg, refreshTokens: false });
  const d = await openApp(env.context, env.emu.altBase, cfg);
  const tabs = [a, b, c, d];
  assert.deepEqual(await loginByClicking(a), { handled: true, error: null });
  const t0 = Date.now();
  let raced = 0;
  let lateRevoked = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const where = `round ${round}`;
    if (round > 0) {
      // Log in again without a page load: a silent login from logged out (the server's login cookie is alive).
      await a.evaluate(() => window.app.session.renew());
    }
    await Promise.all(tabs.map((p) => p.waitForFunction(() => window.app.session.isLoggedIn(), null, { timeout: 5000, polling: 10 })
      .catch(() => { throw new Error(`${where}: a tab did not follow the login`); })));
    const marks = await Promise.all(tabs.map(eventCount));
    const log0 = await env.emu.log();
    // The race: B's refresh and C's silent renewal start, and A logs out a varying moment later (0–40 ms), so
    // the logout lands before, during and after their token requests and frames.
    const delay = (round % 5) * 10;
    let settledSeq = null;
    const [rb, rc] = await Promise.all([
      b.evaluate(() => window.app.session.refresh().then(() => 'ok', (e) => e.code)),
      c.evaluate(() => window.app.session.renew().then(() => 'ok', (e) => e.code)),
      a.evaluate((ms) => new Promise((r) => setTimeout(r, ms)).then(() => window.app.session.logout()), delay)
        .then(async () => { const l = await env.emu.log(); settledSeq = Math.max(0, ...l.revocations.map((r) => r.seq)); }),
    ]);
    if (rb === 'ok' || rc === 'ok') raced++;
    // Let every late answer land (a refresh, a frame) and every tab hear the logout.
    await Promise.all(tabs.map((p) => p.waitForFunction(() => !window.app.session.isLoggedIn(), null, { timeout: 3000, polling: 10 })
      .catch(() => { throw new Error(`${where}: a tab is still logged in after the logout (refresh ${rb}, renew ${rc})`); })));
    await new Promise((r) => setTimeout(r, 50));
    // Storage: no session cookie came back.
    assert.deepEqual(ours(await env.context.cookies()).map((x) => x.name), [], `${where}: a session cookie is left`);
    const seen = await Promise.all(tabs.map((p, i) => p.evaluate(async (from) => ({
      loggedIn: window.app.session.isLoggedIn(),
      events: window.app.events.slice(from).map((e) => e.name),
      call: await window.app.call(),
    }), marks[i])));
    for (const [i, { loggedIn, events: ev, call }] of seen.entries()) {
      assert.equal(loggedIn, false, `${where}: tab ${i} logged in again`);
      // Events: nothing announced a login or refresh after this tab's session ended. (A tab whose read finds
      // the cleared cookie before the logout broadcast arrives ends with `expired`.)
      const out = Math.max(ev.lastIndexOf('logout'), ev.lastIndexOf('expired'));
      assert.ok(out >= 0, `${where}: tab ${i}'s session did not end: ${ev}`);
      const after = ev.slice(out + 1).filter((n) => n === 'login' || n === 'refresh');
      assert.deepEqual(after, [], `${where}: tab ${i} announced ${after} after its logout: ${ev}`);
      // A call after the logout is refused before it is sent.
      assert.equal(call.error?.code, 'login_required', `${where}: tab ${i}'s call after the logout: ${JSON.stringify(call)}`);
    }
    // The server: no token used after the logout settled — no API request (the tabs made none themselves: any
    // would be a revived session's), no refresh grant — and the logout's revoke (plus any late pair's) arrived.
    const log = await env.emu.log();
    const api = log.api_requests.slice(log0.api_requests.length);
    assert.deepEqual(api.map((x) => x.status), [], `${where}: tokens were used after the logout`);
    const revs = log.revocations.slice(log0.revocations.length);
    assert.ok(revs.length >= 1, `${where}: nothing was revoked`);
    const lateGrants = log.token_requests.filter((t) => t.seq > settledSeq && t.grant_type === 'refresh_token');
    assert.deepEqual(lateGrants.map((t) => t.status), [], `${where}: a refresh token was used after the logout settled`);
    lateRevoked += revs.length > 1 ? 1 : 0;
  }
  const secs = (Date.now() - t0) / 1000;
  console.log(`logout_final: ${ROUNDS} rounds in ${secs.toFixed(1)} s; ${raced} with a refresh or renewal that completed in the race, ${lateRevoked} with a late pair revoked`);
  assert.ok(raced > 0 || lateRevoked > 0, 'the race happened');
});
