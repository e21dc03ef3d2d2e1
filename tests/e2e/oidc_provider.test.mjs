// Conformance: the built package in real Chromium against a standards OAuth 2.0 / OIDC server
// (`oidc-provider` from npm, tests/oidc/server.mjs) on another loopback port. The SPA page is the e2e app
// served by the emulator (/test/callback.html); only its config points it at oidc-provider, so every token,
// refresh, userinfo and revocation request is a cross-origin CORS request to a server that knows nothing of
// RingCentral (no owner_id, no refresh_token_expires_in, no refresh_token_ttl, strict refresh-token reuse).
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, launchBrowser, openApp, waitApp, sleep } from './harness.mjs';
import { startOidcProvider } from '../oidc/server.mjs';

const ACCESS_TTL = 5; // seconds: the provider's AccessToken ttl, so the expiry path takes seconds

let emu, op, browser, context;
before(async () => {
  emu = await startEmulator();
  op = await startOidcProvider({ pageOrigin: emu.base, accessTokenTtl: ACCESS_TTL });
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await op?.stop(); await emu?.stop(); });
beforeEach(async () => {
  op.reset();
  await context?.close();
  context = await browser.newContext();
});

/** Session config for the e2e page: everything comes from the provider's discovery document. */
const cfg = (extra = {}) => ({
  clientId: op.clientId,
  server: op.issuer,
  endpoints: op.endpoints,
  apiOrigins: [new URL(op.issuer).origin],
  authorizeParams: { scope: 'openid offline_access' },
  ...extra,
});

const me = () => `${op.issuer}/me`;
const call = (page, url) => page.evaluate((u) => window.app.call(u), url);
const count = (page, name) => page.evaluate((n) => window.app.count(n), name);
const tokenInfo = (page) => page.evaluate(() => window.app.session.tokenInfo());
const tokenCalls = (grantType) => op.requests.filter((r) => r.path === '/token' && r.method === 'POST'
  && (!grantType || r.params?.grant_type === grantType));
const meCalls = () => op.requests.filter((r) => r.path === '/me' && r.method === 'GET');
const providerErrors = () => op.events.filter((e) => /error$|^grant\.revoked$/.test(e.name)).map((e) => `${e.name} ${e.error ?? ''}`.trim());
const noProviderErrors = () => assert.deepEqual(providerErrors(), [], 'the provider reported no error and revoked no grant');
/** The newest token of a kind as the provider issued it (opaque tokens: the jti is the token value). */
const lastToken = (kind) => op.eventsNamed(`${kind}.saved`).at(-1)?.jti;

/** Starts `session.login()`, clicks Allow on the provider's interaction page, waits for the callback. */
async function loginAtProvider(page) {
  let authorizeUrl = null;
  const onRequest = (r) => { if (r.url().startsWith(`${op.issuer}/auth?`)) authorizeUrl = new URL(r.url()); };
  page.on('request', onRequest);
  await Promise.all([
    page.waitForURL((u) => u.href.startsWith(`${op.issuer}/interaction/`), { timeout: 15000 }),
    page.evaluate(() => { window.app.session.login(); }),
  ]);
  await Promise.all([
    page.waitForURL((u) => u.href.startsWith(`${emu.base}/test/callback.html`), { timeout: 15000 }),
    page.click('button:has-text("Allow")'),
  ]);
  page.off('request', onRequest);
  return { ...(await waitApp(page)), authorizeUrl };
}

test('discovery: the provider serves the endpoints the session is pointed at', () => {
  assert.equal(op.discovery.issuer, op.issuer);
  assert.deepEqual(op.endpoints, { authorize: '/auth', token: '/token', revoke: '/token/revocation' });
  assert.equal(op.discovery.userinfo_endpoint, `${op.issuer}/me`);
  assert.ok(op.discovery.code_challenge_methods_supported.includes('S256'));
});

test('PKCE login through the interaction page, then session.fetch(/me) is 200 with sub', async () => {
  const page = await openApp(context, emu.base, cfg({ refreshTokens: true }));
  const r = await loginAtProvider(page);
  assert.equal(r.error, null);
  assert.equal(r.handled, true);
  assert.equal(await page.evaluate(() => window.app.session.isLoggedIn()), true);
  assert.ok(!page.url().includes('code='), 'code removed from the URL');
  assert.ok(!page.url().includes('state='), 'state removed from the URL');
  assert.ok(!page.url().includes('iss='), 'the RFC 9207 iss parameter is removed too');

  const q = r.authorizeUrl.searchParams;
  assert.equal(q.get('response_type'), 'code');
  assert.equal(q.get('client_id'), 'spa');
  assert.equal(q.get('code_challenge_method'), 'S256');
  assert.match(q.get('code_challenge'), /^[A-Za-z0-9_-]{43}$/);
  assert.equal(q.get('redirect_uri'), op.redirectUri);
  assert.ok(q.get('state').length >= 43);

  const [code] = tokenCalls('authorization_code');
  assert.equal(code.status, 200);
  assert.equal(code.origin, emu.base, 'a CORS request from the page origin');
  assert.equal(code.params.client_id, 'spa');
  assert.equal(code.params.code_verifier, '[present]', 'PKCE verifier sent (the provider requires and checked it)');
  assert.equal(code.params.client_secret, undefined, 'a public client sends no secret');
  assert.equal(code.params.refresh_token_ttl, undefined, 'refreshTokens: true sends no refresh_token_ttl');

  const info = await tokenInfo(page);
  assert.equal(info.hasRefreshToken, true);
  assert.ok(info.expiresAt > Date.now() && info.expiresAt <= Date.now() + ACCESS_TTL * 1000 + 1000,
    'expiry taken from expires_in');

  const res = await call(page, me());
  assert.equal(res.status, 200, JSON.stringify(res));
  const claims = JSON.parse(res.body);
  assert.equal(claims.sub, op.account);
  assert.equal(meCalls().at(-1).authorization, 'Bearer [present]');
  assert.equal(await count(page, 'login'), 1);
  noProviderErrors();
});

test('forced refresh rotates the refresh token; a second refresh uses the rotated one', async () => {
  const page = await openApp(context, emu.base, cfg({ refreshTokens: true, refreshMarginSeconds: 0 }));
  await loginAtProvider(page);
  const rt0 = lastToken('refresh_token');
  const at0 = lastToken('access_token');

  await page.evaluate(() => window.app.session.refresh());
  const rt1 = lastToken('refresh_token');
  const at1 = lastToken('access_token');
  assert.notEqual(rt1, rt0, 'the provider issued a new refresh token');
  assert.notEqual(at1, at0, 'and a new access token');

  // oidc-provider revokes the whole grant if a consumed refresh token is presented again: so a second
  // refresh that succeeds proves the session stored and sent the rotated token.
  await page.evaluate(() => window.app.session.refresh());
  const refreshes = tokenCalls('refresh_token');
  assert.equal(refreshes.length, 2);
  assert.deepEqual(refreshes.map((x) => x.status), [200, 200]);
  assert.equal(op.eventsNamed('refresh_token.consumed').length, 2);
  assert.deepEqual(op.eventsNamed('refresh_token.consumed').map((e) => e.jti), [rt0, rt1],
    'each refresh consumed the then-current refresh token');
  assert.equal(await count(page, 'refresh'), 2);
  assert.equal(await count(page, 'expired'), 0);
  noProviderErrors();

  const res = await call(page, me());
  assert.equal(res.status, 200);
  assert.equal(JSON.parse(res.body).sub, op.account);
});

test('access token expiry after the tab slept: session.fetch refreshes before sending, never sends the dead token', async () => {
  const page = await context.newPage();
  await page.clock.install();
  await page.goto(`${emu.base}/test/callback.html?cfg=${encodeURIComponent(JSON.stringify(cfg({ refreshTokens: true })))}`);
  await page.waitForFunction(() => window.app && window.app.done);
  await loginAtProvider(page);
  assert.equal((await call(page, me())).status, 200);
  // The tab "sleeps": no timer runs (so no proactive refresh) while the token expires at the provider...
  await page.clock.pauseAt(Date.now() + 200);
  const refreshes0 = tokenCalls('refresh_token').length; // 0 unless a slow machine let the timer fire already
  const at = lastToken('access_token');
  await sleep(ACCESS_TTL * 1000 + 1500);
  assert.equal(tokenCalls('refresh_token').length, refreshes0, 'no timer ran while paused');
  assert.equal((await fetch(me(), { headers: { authorization: `Bearer ${at}` } })).status, 401, 'expired at the provider');
  const me0 = meCalls().length;
  // ...and wakes up: the wall clock jumped past expiry, no timer has fired yet.
  await page.clock.setSystemTime(Date.now());
  const res = await call(page, me());
  assert.equal(res.status, 200, JSON.stringify(res));
  const refreshes = tokenCalls('refresh_token').slice(refreshes0);
  assert.deepEqual(refreshes.map((x) => x.status), [200], 'exactly one refresh, on the call');
  assert.deepEqual(meCalls().slice(me0).map((x) => x.status), [200], 'no 401: the expired token was never sent');
  assert.equal(await count(page, 'expired'), 0);
  assert.deepEqual(providerErrors(), ['userinfo.error invalid_token: invalid token provided'], 'only our own probe was refused');
});

test('access token expiry with timers running: proactive refreshes keep session.fetch at 200', async () => {
  const page = await openApp(context, emu.base, cfg({ refreshTokens: true }));
  await loginAtProvider(page);
  await sleep(ACCESS_TTL * 1000 + 1500); // longer than the token's life: only refreshes keep it alive
  assert.ok(tokenCalls('refresh_token').length >= 1, 'the timer refreshed before expiry');
  assert.ok(tokenCalls('refresh_token').every((x) => x.status === 200));
  const res = await call(page, me());
  assert.equal(res.status, 200, JSON.stringify(res));
  assert.deepEqual(meCalls().map((x) => x.status), [200]);
  assert.equal(await count(page, 'expired'), 0);
  noProviderErrors();
});

test('access token expiry only on the server (browser clock frozen): 401 → one refresh → retried 200', async () => {
  const page = await openApp(context, emu.base, cfg({ refreshTokens: true }));
  await loginAtProvider(page);
  // The browser's Date stops; timers keep running. The session thus believes its token fresh, and the only
  // way to learn it expired is the provider's 401 (WWW-Authenticate: Bearer error="invalid_token").
  await page.clock.setFixedTime(Date.now());
  const refreshes0 = tokenCalls('refresh_token').length; // 0 unless a slow machine let the timer fire already
  assert.equal((await call(page, me())).status, 200);
  const atBefore = lastToken('access_token');
  await sleep(ACCESS_TTL * 1000 + 1500);
  assert.equal(tokenCalls('refresh_token').length, refreshes0, 'timers saw a fresh token and did not refresh');
  const res = await call(page, me());
  assert.equal(res.status, 200, JSON.stringify(res));
  const statuses = meCalls().map((x) => x.status);
  assert.deepEqual(statuses, [200, 401, 200], 'the provider rejected the expired token once, then accepted the new one');
  assert.deepEqual(tokenCalls('refresh_token').slice(refreshes0).map((x) => x.status), [200], 'one refresh');
  assert.notEqual(lastToken('access_token'), atBefore);
  assert.equal(await count(page, 'expired'), 0);
  assert.deepEqual(providerErrors(), ['userinfo.error invalid_token: invalid token provided'], 'only the one 401');
});

test('logout calls the revocation endpoint; the provider revokes the grant and the old tokens stop working', async () => {
  const page = await openApp(context, emu.base, cfg({ refreshTokens: true }));
  await loginAtProvider(page);
  assert.equal((await call(page, me())).status, 200);
  const at = lastToken('access_token');
  const rt = lastToken('refresh_token');
  // The old access token works from outside the browser too (a control: the jti is the token).
  assert.equal((await fetch(me(), { headers: { authorization: `Bearer ${at}` } })).status, 200);

  await page.evaluate(() => window.app.session.logout());
  assert.equal(await page.evaluate(() => window.app.session.isLoggedIn()), false);
  const rev = op.requests.filter((r) => r.path === '/token/revocation' && r.method === 'POST');
  assert.equal(rev.length, 1, 'one revocation request');
  assert.equal(rev[0].status, 200);
  assert.equal(rev[0].params.client_id, 'spa');
  assert.equal(rev[0].params.token, '[present]');
  assert.deepEqual(op.eventsNamed('refresh_token.destroyed').map((e) => e.jti), [rt], 'the refresh token was revoked');
  assert.equal(op.eventsNamed('grant.revoked').length, 1, 'revoking the refresh token revoked the grant');

  const old = await fetch(me(), { headers: { authorization: `Bearer ${at}` } });
  assert.equal(old.status, 401, 'the old access token is dead');
  const refresh = await fetch(`${op.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: rt, client_id: 'spa' }),
  });
  assert.equal(refresh.status, 400);
  assert.equal((await refresh.json()).error, 'invalid_grant', 'the old refresh token is dead');

  const after = await call(page, me());
  assert.equal(after.error?.code, 'login_required');
  assert.equal(await count(page, 'logout'), 1);
});

test('default mode (refreshTokens unset) sends refresh_token_ttl=0; the standards server tolerates it', async () => {
  // The client without the refresh_token grant: the provider can only issue an access token.
  const page = await openApp(context, emu.base, cfg({ clientId: 'spa-no-refresh', authorizeParams: { scope: 'openid' } }));
  const r = await loginAtProvider(page);
  assert.deepEqual({ handled: r.handled, error: r.error }, { handled: true, error: null });
  const [code] = tokenCalls('authorization_code');
  assert.equal(code.status, 200, 'the unknown refresh_token_ttl parameter is ignored, not an error');
  assert.equal(code.params.refresh_token_ttl, '0', 'explicit refresh_token_ttl=0 on the wire');
  assert.equal((await tokenInfo(page)).hasRefreshToken, false);
  const res = await call(page, me());
  assert.equal(res.status, 200);
  assert.equal(JSON.parse(res.body).sub, op.account);
  noProviderErrors();
});

test('default mode against a server that ignores refresh_token_ttl=0 (issues a refresh token anyway): login works', async () => {
  const page = await openApp(context, emu.base, cfg());
  const r = await loginAtProvider(page);
  assert.deepEqual({ handled: r.handled, error: r.error }, { handled: true, error: null });
  const [code] = tokenCalls('authorization_code');
  assert.equal(code.status, 200);
  assert.equal(code.params.refresh_token_ttl, '0');
  assert.equal(op.eventsNamed('refresh_token.saved').length, 1, 'the provider did issue a refresh token');
  assert.equal((await call(page, me())).status, 200);
  noProviderErrors();
});

// With `refreshTokens` unset the app asked for no refresh token, but `refresh_token_ttl=0` is RingCentral-only:
// a standards server ignores it and issues one anyway. The session must drop it: never stored, never used.
test('default mode: an unrequested refresh token is neither stored nor used', async () => {
  const page = await openApp(context, emu.base, cfg());
  await loginAtProvider(page);
  const rt = lastToken('refresh_token');
  assert.ok(rt, 'the provider issued a refresh token');
  const stored = await page.evaluate(() => JSON.stringify(Object.values(sessionStorage)));
  const info = await tokenInfo(page);
  await sleep((ACCESS_TTL / 2) * 1000 + 1000); // past the refresh margin (half the token's life)
  const refreshes = tokenCalls('refresh_token').length;
  assert.deepEqual(
    { hasRefreshToken: info.hasRefreshToken, storedInSessionStorage: stored.includes(rt), refreshRequests: refreshes },
    { hasRefreshToken: false, storedInSessionStorage: false, refreshRequests: 0 },
  );
});

test('a grant revoked at the provider: 401, refresh gets invalid_grant, the call rejects login_required, the session ends once', async () => {
  const page = await openApp(context, emu.base, cfg({ refreshTokens: true }));
  await loginAtProvider(page);
  assert.equal((await call(page, me())).status, 200);
  // Revoke from outside (another device / an admin): RFC 7009 with the refresh token, which also revokes
  // the grant and so the access token the page holds.
  const rev = await fetch(`${op.issuer}/token/revocation`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: lastToken('refresh_token'), client_id: 'spa' }),
  });
  assert.equal(rev.status, 200);
  assert.equal(op.eventsNamed('grant.revoked').length, 1);
  const refreshes0 = tokenCalls('refresh_token').length;

  const res = await call(page, me());
  assert.equal(res.error?.code, 'login_required', JSON.stringify(res));
  assert.match(res.error.description, /invalid_grant/);
  assert.equal(res.error.retryable, false);
  assert.equal(res.error.isSessionError, true);
  assert.deepEqual(tokenCalls('refresh_token').slice(refreshes0).map((x) => x.status), [400], 'one refresh, no retry loop');
  assert.equal(meCalls().at(-1).status, 401);
  assert.equal(await count(page, 'expired'), 1);
  assert.equal(await page.evaluate(() => window.app.session.isLoggedIn()), false);

  const n = op.requests.length;
  const again = await call(page, me());
  assert.equal(again.error?.code, 'login_required');
  assert.equal(op.requests.length, n, 'no request after the session ended');
  assert.equal(await count(page, 'expired'), 1, 'still once');
});
