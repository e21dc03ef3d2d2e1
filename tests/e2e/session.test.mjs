// End-to-end: the built package in real Chromium against the RingCentral-compatible emulator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useEmulatorAndBrowser, openAppWithClock, openApp, loginByClicking, waitApp, tokenRequests } from './harness.mjs';

const env = useEmulatorAndBrowser();

const call = (page, path, init) => page.evaluate(([p, i]) => window.app.call(p, i), [path, init]);
const events = (page, name) => page.evaluate((n) => window.app.count(n), name);
const grants = async (type) => (await tokenRequests(env.emu)).filter((r) => r.grant_type === type);

test('PKCE login by clicking, API call, server-side expiry, refresh on 401, old token never reused, logout revokes', async () => {
  const page = await openApp(env.context, env.emu.base, { refreshTokens: true });
  const r = await loginByClicking(page);
  assert.deepEqual(r, { handled: true, error: null });
  assert.ok(!page.url().includes('code='), 'code removed from the URL');
  assert.ok(!page.url().includes('state='), 'state removed from the URL');
  const code = await grants('authorization_code');
  assert.equal(code.length, 1);
  assert.ok(code[0].params.code_verifier.length >= 43, 'PKCE verifier sent');
  assert.equal(code[0].params.client_id, 'demo-spa');

  const first = await call(page);
  assert.equal(first.status, 200);
  assert.equal(JSON.parse(first.body).extensionNumber, '101');

  // Only the server's clock moves: the browser still believes its token fresh, so this is the 401 path.
  await env.emu.advance(3700);
  const second = await call(page);
  assert.equal(second.status, 200, 'the app never sees the 401');
  assert.equal((await grants('refresh_token')).length, 1);
  const api = (await env.emu.log()).api_requests;
  const oldToken = api[0].token;
  const rejected = api.filter((a) => a.token === oldToken && a.status === 401);
  assert.equal(rejected.length, 1, 'the old token was rejected once');
  const third = await call(page);
  assert.equal(third.status, 200);
  const after = (await env.emu.log()).api_requests;
  const lastUseOfOld = after.findLastIndex((a) => a.token === oldToken);
  assert.ok(after.slice(lastUseOfOld + 1).length >= 2, 'later calls use the new token');
  assert.ok(after.slice(lastUseOfOld + 1).every((a) => a.token !== oldToken && a.status === 200));

  await page.evaluate(() => window.app.session.logout());
  assert.equal(await page.evaluate(() => window.app.session.isLoggedIn()), false);
  const log = await env.emu.log();
  assert.equal(log.revocations.length, 1, 'the server saw the revoke');
  const afterLogout = await call(page);
  assert.equal(afterLogout.error.code, 'login_required');
  assert.equal(await events(page, 'logout'), 1);
});

test('implicit flow: token from the fragment, fragment removed, no refresh token', async () => {
  const page = await openApp(env.context, env.emu.base, { flow: 'implicit' });
  const r = await loginByClicking(page);
  assert.deepEqual(r, { handled: true, error: null });
  assert.ok(!page.url().includes('access_token'), 'token gone from the URL');
  assert.equal((await tokenRequests(env.emu)).length, 0, 'implicit needs no token request');
  const info = await page.evaluate(() => window.app.session.tokenInfo());
  assert.equal(info.hasRefreshToken, false);
  assert.equal(info.ownerId, '256440016');
  assert.equal((await call(page)).status, 200);
});

test('no persistence ⇒ refresh_token_ttl=0 on the wire, no refresh token, expiring then expired, login_required without a request', async () => {
  // Without silent renewal (on by default here: tests/e2e/silent.test.mjs covers it).
  const page = await openAppWithClock(env.context, env.emu.base, { silentRenew: false });
  const r = await loginByClicking(page);
  assert.equal(r.handled, true);
  const [req] = await grants('authorization_code');
  assert.equal(req.params.refresh_token_ttl, '0', 'explicit refresh_token_ttl=0 sent');
  const info = await page.evaluate(() => window.app.session.tokenInfo());
  assert.equal(info.hasRefreshToken, false);
  assert.equal((await call(page)).status, 200);

  await page.clock.fastForward('59:30'); // inside the 60 s margin
  await page.clock.runFor(2000);
  assert.equal(await events(page, 'expiring'), 1, 'expiring emitted once');
  assert.equal(await events(page, 'expired'), 0);
  await page.clock.fastForward('02:00');
  await page.clock.runFor(2000);
  assert.equal(await events(page, 'expired'), 1, 'expired emitted once');
  const before = (await env.emu.log()).api_requests.length;
  const res = await call(page);
  assert.equal(res.error.code, 'login_required');
  assert.equal(res.error.isSessionError, true);
  assert.equal(res.error.isError, true);
  assert.equal((await env.emu.log()).api_requests.length, before, 'no request was sent');
  assert.equal((await grants('refresh_token')).length, 0);
});

test('default mode (no refresh token): a token the server killed ⇒ the call rejects login_required with the server code, expired once', async () => {
  const page = await openApp(env.context, env.emu.base, {});
  await loginByClicking(page);
  assert.equal((await call(page)).status, 200);
  await env.emu.advance(3700); // the server clock only: the browser still thinks the token is fresh
  const r = await call(page);
  assert.equal(r.status, undefined, 'no 401 response reaches the app');
  assert.equal(r.error.code, 'login_required');
  assert.ok(r.error.errorCode, `the server's reason: ${JSON.stringify(r.error)}`);
  assert.equal(await events(page, 'expired'), 1);
  const again = await call(page);
  assert.equal(again.error.code, 'login_required');
  assert.match(again.error.description, /log in/);
});

test('proactive refresh by timer when the browser clock nears expiry (no API call needed)', async () => {
  const page = await openAppWithClock(env.context, env.emu.base, { refreshTokens: true });
  await loginByClicking(page);
  assert.equal((await grants('refresh_token')).length, 0);
  await env.emu.advance(3545);
  await page.clock.fastForward('59:05');
  await page.waitForFunction(() => window.app.count('refresh') === 1, null, { timeout: 5000 });
  assert.equal((await grants('refresh_token')).length, 1);
  assert.equal(await events(page, 'expired'), 0);
  assert.equal((await call(page)).status, 200);
});

test('cookie storage survives a reload; sessionStorage is not shared with a new tab', async () => {
  const page = await openApp(env.context, env.emu.base, { storage: 'cookie' });
  await loginByClicking(page);
  await page.reload();
  await page.waitForFunction(() => window.app && window.app.done);
  assert.equal(await page.evaluate(() => window.app.session.isLoggedIn()), true);
  assert.equal(await page.evaluate(() => window.app.session.storage), 'cookie');
  assert.equal((await call(page)).status, 200);
  const cookies = await env.context.cookies();
  const ours = cookies.filter((c) => c.name.startsWith('__Host-oss.'));
  assert.ok(ours.length >= 1);
  for (const c of ours) {
    assert.equal(c.sameSite, 'Strict');
    assert.equal(c.secure, true);
    assert.equal(c.path, '/');
    assert.ok(c.expires > Date.now() / 1000 && c.expires < Date.now() / 1000 + 3700, 'Max-Age bounded by the token');
  }

  // (By default the open tabs on sessionStorage join one session, tabs_join.test.mjs; `shareTabs: false` is the
  // per-tab session this checks.)
  const a = await openApp(env.context, env.emu.base, { shareTabs: false });
  await loginByClicking(a);
  assert.equal(await a.evaluate(() => window.app.session.isLoggedIn()), true);
  const b = await openApp(env.context, env.emu.base, { shareTabs: false });
  assert.equal(await b.evaluate(() => window.app.session.isLoggedIn()), false, 'a new tab has its own sessionStorage');
});

test('1000 concurrent session.fetch calls on a server-expired token cause exactly one refresh', async () => {
  const page = await openApp(env.context, env.emu.base, { refreshTokens: true });
  await loginByClicking(page);
  await env.emu.advance(3700);
  const results = await page.evaluate(async () => {
    const rs = await Promise.all(Array.from({ length: 1000 }, () => window.app.call()));
    return rs.map((r) => r.status ?? r.error.code);
  });
  assert.equal(results.filter((s) => s === 200).length, 1000);
  assert.equal((await grants('refresh_token')).length, 1);
});

test('1000 concurrent calls on a browser-expired token: one refresh, sent before any API request', async () => {
  const page = await openAppWithClock(env.context, env.emu.base, { refreshTokens: true });
  await loginByClicking(page);
  await env.emu.advance(3700);
  await page.clock.setSystemTime(Date.now() + 3700 * 1000);
  const before = (await env.emu.log()).api_requests.length;
  const results = await page.evaluate(async () => {
    const rs = await Promise.all(Array.from({ length: 1000 }, () => window.app.call()));
    return rs.map((r) => r.status ?? r.error.code);
  });
  assert.equal(results.filter((s) => s === 200).length, 1000);
  assert.equal((await grants('refresh_token')).length, 1);
  const api = (await env.emu.log()).api_requests.slice(before);
  assert.equal(api.filter((a) => a.status === 401).length, 0, 'no expired token was sent');
});

test('lost refresh response (dropped after commit) ⇒ replayed, same pair, session recovered, no expired', async () => {
  const page = await openApp(env.context, env.emu.base, { refreshTokens: true });
  await loginByClicking(page);
  await env.emu.fault({ kind: 'drop_after_commit', count: 1 });
  await env.emu.advance(3700);
  const r = await call(page);
  assert.equal(r.status, 200);
  const refreshes = await grants('refresh_token');
  assert.equal(refreshes.length, 2, 'one lost, one replayed');
  assert.equal(refreshes[0].fault, 'drop_after_commit');
  assert.equal(refreshes[0].params.refresh_token, refreshes[1].params.refresh_token, 'the same refresh token replayed');
  assert.equal(await events(page, 'expired'), 0);
  assert.equal(await events(page, 'refresh'), 1);
});

test('transient 503 with Retry-After is retried with the same refresh token', async () => {
  const page = await openApp(env.context, env.emu.base, { refreshTokens: true });
  await loginByClicking(page);
  await env.emu.fault({ kind: 'status_503', count: 1, retry_after: 1 });
  await env.emu.advance(3700);
  const t0 = Date.now();
  const r = await call(page);
  assert.equal(r.status, 200);
  assert.ok(Date.now() - t0 >= 900, 'waited for Retry-After');
  assert.equal((await grants('refresh_token')).length, 2);
  assert.equal(await events(page, 'expired'), 0);
});

test('three transient failures ⇒ retryable SessionError, tokens kept, no loop', async () => {
  const page = await openApp(env.context, env.emu.base, { refreshTokens: true });
  await loginByClicking(page);
  await env.emu.fault({ kind: 'status_500_html', count: 5 });
  await env.emu.advance(3700);
  const r = await call(page);
  assert.equal(r.error.code, 'server_error');
  assert.equal(r.error.retryable, true);
  assert.equal((await grants('refresh_token')).length, 3, 'at most 3 tries');
  assert.equal(await page.evaluate(() => window.app.session.tokenInfo() !== null), true, 'tokens kept');
  assert.equal(await events(page, 'expired'), 0);
});

test('terminal refresh error (refresh token expired, OAU-210) ⇒ expired once (invalid_grant), the call rejects login_required with OAU-210, then login_required without requests', async () => {
  const page = await openApp(env.context, env.emu.base, { refreshTokens: true });
  await loginByClicking(page);
  await env.emu.advance(8 * 86400);
  const r = await call(page);
  // One code for "log in again", whichever way the end was seen; the server's reason travels along.
  assert.equal(r.error.code, 'login_required');
  assert.equal(r.error.errorCode, 'OAU-210');
  assert.match(r.error.description, /invalid_grant/);
  assert.equal(r.error.retryable, false);
  assert.equal(await events(page, 'expired'), 1);
  const ev = await page.evaluate(() => window.app.events.find((e) => e.name === 'expired').detail);
  assert.equal(ev.code, 'invalid_grant', 'the expired event carries the raw refresh error');
  const n = (await tokenRequests(env.emu)).length;
  const again = await call(page);
  assert.equal(again.error.code, 'login_required');
  assert.equal((await tokenRequests(env.emu)).length, n);
  assert.equal(await events(page, 'expired'), 1, 'still once');
});

test('a foreign-origin session.fetch carries no Authorization header and triggers no refresh', async () => {
  const page = await openApp(env.context, env.emu.base, { refreshTokens: true });
  await loginByClicking(page);
  const foreign = await call(page, `${env.emu.altBase}/_emulator/echo`);
  assert.equal(foreign.status, 200);
  assert.equal(JSON.parse(foreign.body).headers.authorization, undefined);
  const own = await call(page, `${env.emu.base}/_emulator/echo`);
  assert.match(JSON.parse(own.body).headers.authorization, /^Bearer /);
  await env.emu.advance(3700);
  await call(page, `${env.emu.altBase}/_emulator/echo`);
  assert.equal((await grants('refresh_token')).length, 0);
});

test('a fetch that goes without the token while logged in (origin not in apiOrigins) warns once per origin on the console', async () => {
  const page = await openApp(env.context, env.emu.base, {});
  const warnings = [];
  page.on('console', (m) => { if (m.type() === 'warning') warnings.push(m.text()); });
  // Logged out: a foreign origin is nothing to warn about.
  assert.equal((await call(page, `${env.emu.altBase}/_emulator/echo`)).status, 200);
  await loginByClicking(page);
  // The classic mix-up: the app calls localhost while `server` (so the default apiOrigins) is 127.0.0.1.
  for (let i = 0; i < 2; i++) {
    const r = await call(page, `${env.emu.altBase}/_emulator/echo`);
    assert.equal(JSON.parse(r.body).headers.authorization, undefined, 'sent without the token');
  }
  assert.match((await call(page, `${env.emu.base}/_emulator/echo`)).body, /Bearer /, 'the API origin still gets it');
  await page.evaluate(() => new Promise((r) => setTimeout(r, 50)));
  const ours = warnings.filter((w) => w.includes('oauth-spa-session'));
  assert.equal(ours.length, 1, JSON.stringify(warnings));
  assert.ok(ours[0].includes(`request to ${env.emu.altBase} without the access token`), ours[0]);
  assert.match(ours[0], /not in the apiOrigins option/);
  assert.ok(ours[0].includes(`(${env.emu.base})`), 'names the apiOrigins in force');
  for (const a of (await env.emu.log()).api_requests) if (a.token) assert.ok(!ours[0].includes(a.token), 'no token in the warning');
});

test('a request body survives the 401 retry', async () => {
  const page = await openApp(env.context, env.emu.base, { refreshTokens: true });
  await loginByClicking(page);
  await env.emu.advance(3700);
  const r = await call(page, '/_emulator/echo', { method: 'POST', body: 'hello body', headers: { 'x-test': '1' } });
  assert.equal(r.status, 200);
  const echoed = JSON.parse(r.body);
  assert.equal(echoed.method, 'POST');
  assert.equal(echoed.headers['x-test'], '1');
  // The echo authenticates a presented token: the first send got a 401, the retry went after one refresh.
  assert.equal((await grants('refresh_token')).length, 1);
});

test('the app\'s own Request never gets the token; a GET retried after a 401 carries the new one', async () => {
  const page = await openApp(env.context, env.emu.base, { refreshTokens: true });
  await loginByClicking(page);
  for (let round = 0; round < 3; round++) {
    await env.emu.advance(3700);
    const r = await page.evaluate(async (url) => {
      const req = new Request(url, { headers: { 'x-app': 'mine' } });
      const res = await window.app.session.fetch(req);
      return { status: res.status, body: await res.text(), appAuth: req.headers.get('authorization'), appX: req.headers.get('x-app') };
    }, `${env.emu.base}/_emulator/echo`);
    assert.equal(r.status, 200, `round ${round}`);
    assert.equal(r.appAuth, null, 'the session wrote into the app\'s Request');
    assert.equal(r.appX, 'mine');
    const sent = JSON.parse(r.body).headers;
    assert.match(sent.authorization, /^Bearer /);
    assert.equal(sent['x-app'], 'mine');
  }
  // Each round: the echo answered the old token 401 (it authenticates like the API), one refresh, and the
  // retry carried the new token (the echo accepted it).
  assert.equal((await grants('refresh_token')).length, 3);
});

test('state mismatch ⇒ state_mismatch, no token request, URL cleaned', async () => {
  const page = await openApp(env.context, env.emu.base, {});
  await page.goto(`${env.emu.base}/test/callback.html?keep=1&code=forged&state=forged`);
  const r = await waitApp(page);
  assert.equal(r.error.code, 'state_mismatch');
  assert.equal(r.error.isSessionError, true);
  assert.equal((await tokenRequests(env.emu)).length, 0);
  assert.equal(new URL(page.url()).search, '?keep=1');
});

// A real pending login: its state, as the authorize URL carries it (the transaction is in sessionStorage).
const pendingState = async (page) => new URL(await page.evaluate(() => window.app.session.loginUrl())).searchParams.get('state');
const loggedIn = (page) => page.evaluate(() => window.app.session.isLoggedIn());

test('flow confusion: a PKCE session refuses implicit tokens in the fragment, even with the real state', async () => {
  const page = await openApp(env.context, env.emu.base, {});
  const state = await pendingState(page);
  await page.goto(`${env.emu.base}/test/callback.html?keep=1#access_token=injected&token_type=bearer&expires_in=3600&owner_id=1&state=${state}`);
  const r = await waitApp(page);
  assert.equal(r.handled, null);
  assert.equal(r.error.code, 'state_mismatch');
  assert.match(r.error.message, /implicit-flow tokens, but this login used PKCE/);
  assert.equal(await loggedIn(page), false, 'the injected token was not stored');
  assert.equal(await page.evaluate(() => window.app.count('login')), 0);
  assert.equal((await tokenRequests(env.emu)).length, 0);
  assert.equal(new URL(page.url()).hash, '', 'fragment removed');
  assert.equal(new URL(page.url()).search, '?keep=1');
});

test('flow confusion: an implicit session refuses a ?code=, even with the real state, and sends no token request', async () => {
  const page = await openApp(env.context, env.emu.base, { flow: 'implicit' });
  const state = await pendingState(page);
  await page.goto(`${env.emu.base}/test/callback.html?code=injected&state=${state}&keep=1`);
  const r = await waitApp(page);
  assert.equal(r.error.code, 'state_mismatch');
  assert.match(r.error.message, /carries a code, but this login used the implicit flow/);
  assert.equal((await tokenRequests(env.emu)).length, 0, 'nothing was exchanged');
  assert.equal(await loggedIn(page), false);
  assert.equal(new URL(page.url()).search, '?keep=1', 'code and state removed');
});

test('an error callback without the pending login\'s state is not ours: resolves false, no attacker text, login still works', async () => {
  const page = await openApp(env.context, env.emu.base, {});
  const state = await pendingState(page);
  const text = 'Your account is locked. Call 555-0100';
  for (const extra of ['', '&state=forged', `&state=${state}x`]) {
    const url = `${env.emu.base}/test/callback.html?error=access_denied&error_description=${encodeURIComponent(text)}${extra}`;
    await page.goto(url);
    const r = await waitApp(page);
    assert.deepEqual(r, { handled: false, error: null }, extra);
    assert.equal(page.url(), url, 'not ours: the URL is left alone');
    assert.equal(await loggedIn(page), false);
  }
  // The real login is not disturbed by the forged errors.
  await page.goto(`${env.emu.base}/test/callback.html`);
  await waitApp(page);
  const r = await loginByClicking(page);
  assert.deepEqual(r, { handled: true, error: null });
  // With the pending login's state, the server's error and its text are reported.
  await page.evaluate(() => window.app.session.logout());
  const s2 = await pendingState(page);
  await page.goto(`${env.emu.base}/test/callback.html?error=access_denied&error_description=The+user+said+no&state=${s2}`);
  const denied = await waitApp(page);
  assert.equal(denied.error.code, 'access_denied');
  assert.match(denied.error.message, /The user said no/);
  assert.ok(!page.url().includes('error='));
});

test('RFC 9207 iss: checked when issuer is configured, ignored (and removed) when not', async () => {
  await env.emu.config({ authorization_response_iss: env.emu.base });
  // issuer configured and equal: logged in.
  let page = await openApp(env.context, env.emu.base, { issuer: env.emu.base });
  assert.deepEqual(await loginByClicking(page), { handled: true, error: null });
  assert.ok(!page.url().includes('iss='));
  assert.equal((await grants('authorization_code')).length, 1);
  // Another issuer configured (a mixed-up server): issuer_mismatch, nothing exchanged.
  await page.close(); // (an open logged-in tab would log the next one in: tabs_join.test.mjs)
  page = await openApp(env.context, env.emu.base, { issuer: env.emu.altBase });
  let r = await loginByClicking(page);
  assert.equal(r.error.code, 'issuer_mismatch');
  assert.equal(await loggedIn(page), false);
  assert.equal((await grants('authorization_code')).length, 1, 'no second exchange');
  assert.ok(!page.url().includes('code='), 'URL cleaned');
  // No issuer configured: iss ignored and removed from the URL.
  await page.close();
  page = await openApp(env.context, env.emu.base, {});
  assert.deepEqual(await loginByClicking(page), { handled: true, error: null });
  assert.ok(!page.url().includes('iss='));
  // issuer configured, server sends no iss: refused.
  await env.emu.config({ authorization_response_iss: null });
  await page.close();
  page = await openApp(env.context, env.emu.base, { issuer: env.emu.base });
  r = await loginByClicking(page);
  assert.equal(r.error.code, 'issuer_mismatch');
  assert.match(r.error.message, /iss missing/);
  assert.equal((await grants('authorization_code')).length, 2);
});

test('cleartext config is refused (invalid_config naming the field), loopback http is not', async () => {
  const page = await openApp(env.context, env.emu.base, {});
  const made = await page.evaluate(() => {
    const S = window.app.session.constructor;
    const base = { clientId: 'c', redirectUri: location.origin + '/test/callback.html' };
    const tryCfg = (c) => { try { new S({ ...base, ...c }).dispose(); return 'ok'; } catch (e) { return `${e.code} ${e.description}`; } };
    return {
      server: tryCfg({ server: 'http://platform.example.com' }),
      apiOrigins: tryCfg({ server: location.origin, apiOrigins: ['http://api.example.com'] }),
      token: tryCfg({ server: location.origin, endpoints: { token: 'http://id.example.com/token' } }),
      loopback: tryCfg({ server: 'http://localhost:9', apiOrigins: ['http://127.0.0.1:9', 'http://[::1]:9'] }),
    };
  });
  assert.match(made.server, /^invalid_config server: must be https/);
  assert.match(made.apiOrigins, /^invalid_config apiOrigins: must be https/);
  assert.match(made.token, /^invalid_config endpoints\.token: must be https/);
  assert.equal(made.loopback, 'ok');
});

test('relative session.fetch URLs resolve under the server path, with or without a leading slash', async () => {
  const server = `${env.emu.base}/restapi`;
  const page = await openApp(env.context, env.emu.base, {
    server, endpoints: { authorize: 'oauth/authorize', token: '/oauth/token', revoke: '/oauth/revoke' },
  });
  await loginByClicking(page);
  const sent = [];
  page.on('request', (q) => sent.push(q.url()));
  for (const path of ['/v1.0/account/~/extension/~', 'v1.0/account/~/extension/~']) {
    const r = await call(page, path);
    assert.equal(r.status, 200, path);
    assert.equal(JSON.parse(r.body).extensionNumber, '101');
  }
  const want = `${server}/v1.0/account/~/extension/~`;
  assert.deepEqual(sent.filter((u) => u.includes('/v1.0/')), [want, want]);
  // Absolute URLs are untouched.
  const own = await call(page, `${env.emu.base}/_emulator/echo`);
  assert.equal(own.status, 200);
});

test('Deny on the authorize page ⇒ access_denied', async () => {
  const page = await openApp(env.context, env.emu.base, {});
  const r = await loginByClicking(page, 'Deny');
  assert.equal(r.error.code, 'access_denied');
  assert.ok(!page.url().includes('error='));
});

test('persistence adapter: refresh tokens used, save completes before refresh resolves, survives reload', async () => {
  const page = await openApp(env.context, env.emu.base, { persistence: 'cache' });
  await loginByClicking(page);
  const [login] = await grants('authorization_code');
  assert.equal(login.params.refresh_token_ttl, undefined, 'refresh tokens wanted');
  const before = await page.evaluate(() => window.app.backend.load());
  assert.ok(before.refresh_token, 'the backend got the refresh token');
  const saved = await page.evaluate(async () => {
    const n = window.app.backend.saves;
    await window.app.session.refresh();
    return { n, after: window.app.backend.saves, stored: await window.app.backend.load() };
  });
  assert.equal(saved.after, saved.n + 1, 'save had completed when refresh resolved');
  assert.notEqual(saved.stored.access_token, before.access_token);
  await page.reload();
  await page.waitForFunction(() => window.app && window.app.done);
  assert.equal(await page.evaluate(() => window.app.session.isLoggedIn()), true);
  assert.equal((await call(page)).status, 200);
});

test('corrupt stored data ⇒ logged out, key removed, no throw', async () => {
  const page = await openApp(env.context, env.emu.base, { storage: 'cookie' });
  await loginByClicking(page);
  const names = (await env.context.cookies()).filter((c) => c.name.startsWith('__Host-oss.')).map((c) => c.name);
  // A __Host- cookie can only be written by the page itself (Secure, Path=/, no Domain).
  await page.evaluate((n) => { document.cookie = `${n}=v1.00000000.tampered; Path=/; Secure; SameSite=Strict`; },
    names.find((n) => n.endsWith('.0')));
  await page.reload();
  await page.waitForFunction(() => window.app && window.app.done);
  assert.equal(await page.evaluate(() => window.app.error), null, 'init did not throw');
  assert.equal(await page.evaluate(() => window.app.session.isLoggedIn()), false);
  const left = (await env.context.cookies()).filter((c) => c.name.includes('oss.'));
  assert.equal(left.length, 0, 'bad keys removed');
});

test('a storage that throws ⇒ memory fallback with a storageFallback event; login says storage_unavailable', async () => {
  const page = await openApp(env.context, env.emu.base, {}, {
    initScript: () => {
      Object.defineProperty(window, 'sessionStorage', { get() { throw new DOMException('denied', 'SecurityError'); } });
    },
  });
  assert.equal(await page.evaluate(() => window.app.error), null, 'init did not throw');
  assert.equal(await page.evaluate(() => window.app.session.storage), 'memory');
  assert.equal(await events(page, 'storageFallback'), 1);
  const ev = await page.evaluate(() => window.app.events.find((e) => e.name === 'storageFallback').detail);
  assert.equal(ev.code, 'storage_unavailable');
  // The PKCE verifier must survive a full-page redirect: without sessionStorage, login refuses clearly.
  const err = await page.evaluate(() => window.app.session.loginUrl().then(() => null, (e) => e.code));
  assert.equal(err, 'storage_unavailable');
});

test('429 on refresh ⇒ rateLimit event, Retry-After honored, then success', async () => {
  const page = await openApp(env.context, env.emu.base, { refreshTokens: true });
  await loginByClicking(page);
  await env.emu.fault({ kind: 'status_429', count: 1, retry_after: 1 });
  await env.emu.advance(3700);
  const r = await call(page);
  assert.equal(r.status, 200);
  assert.equal(await events(page, 'rateLimit'), 1);
  const ev = await page.evaluate(() => window.app.events.find((e) => e.name === 'rateLimit').detail);
  assert.equal(ev.code, 'rate_limited');
  assert.equal(ev.retryAfter, 1);
});

test('tokens never appear in console output, events, errors or tokenInfo()', async () => {
  const page = await openApp(env.context, env.emu.base, { refreshTokens: true, storage: 'cookie' });
  const consoleText = [];
  page.on('console', (m) => consoleText.push(m.text()));
  await loginByClicking(page);
  await call(page);
  await env.emu.advance(3700);
  await call(page);
  await env.emu.advance(8 * 86400);
  const failed = await call(page);
  assert.equal(failed.error.code, 'login_required');
  assert.equal(failed.error.errorCode, 'OAU-210');
  const log = await env.emu.log();
  const secrets = new Set();
  for (const a of log.api_requests) if (a.token) secrets.add(a.token);
  for (const t of log.token_requests) {
    if (t.params.refresh_token) secrets.add(t.params.refresh_token);
    if (t.params.code) secrets.add(t.params.code);
    if (t.params.code_verifier) secrets.add(t.params.code_verifier);
  }
  assert.ok(secrets.size >= 4);
  const seen = JSON.stringify({
    events: await page.evaluate(() => window.app.events),
    info: await page.evaluate(() => window.app.session.tokenInfo()),
    failed, consoleText,
  });
  for (const s of secrets) assert.ok(!seen.includes(s), 'a token leaked into app-visible output');
  assert.equal(await page.evaluate(() => localStorage.length), 0, 'nothing in localStorage, ever');
});

test('memory stays flat over a long session (no allocator growth after warm-up)', async () => {
  const page = await openApp(env.context, env.emu.base, { refreshTokens: true });
  await loginByClicking(page);
  const size = () => page.evaluate(() => window.app.wasm.memory.buffer.byteLength);
  const work = (calls, infos) => page.evaluate(async ([c, n]) => {
    for (let i = 0; i < n; i++) window.app.session.tokenInfo();
    for (let i = 0; i < c; i += 50) await Promise.all(Array.from({ length: 50 }, () => window.app.call()));
  }, [calls, infos]);
  await work(200, 20000);
  const warm = await size();
  await work(1000, 200000);
  const after = await size();
  assert.ok(after - warm <= 64 * 1024, `wasm memory grew from ${warm} to ${after} bytes`);
});

test('a tab that slept refreshes on visibilitychange/online, before any API call', async () => {
  const page = await openAppWithClock(env.context, env.emu.base, { refreshTokens: true });
  await loginByClicking(page);
  await page.clock.pauseAt(Date.now() + 1000);
  // The machine slept for an hour: the wall clock jumped, no timer fired.
  await env.emu.advance(3700);
  await page.clock.setSystemTime(Date.now() + 3700 * 1000);
  assert.equal((await grants('refresh_token')).length, 0);
  await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
  await page.waitForFunction(() => window.app.count('refresh') === 1, null, { timeout: 5000, polling: 50 });
  assert.equal((await grants('refresh_token')).length, 1);
  await page.evaluate(() => window.dispatchEvent(new Event('online')));
  assert.equal((await call(page)).status, 200);
  assert.equal((await grants('refresh_token')).length, 1, 'online with fresh tokens sends nothing');
});
