// DPoP (RFC 9449) end to end: the built package in real Chromium against oidc-provider with DPoP on and nonces
// required (tests/oidc/server.mjs `dpop`), plus a DPoP resource server of our own on another origin
// (tests/oidc/dpop_resource.mjs) that verifies every proof and demands its own nonce. The page is the e2e app
// served by the emulator (localhost), the servers are on 127.0.0.1: every request is cross-origin.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, webcrypto } from 'node:crypto';
import { startEmulator, launchBrowser, openApp, waitApp, sleep } from './harness.mjs';
import { startOidcProvider } from '../oidc/server.mjs';
import { startDpopResource } from '../oidc/dpop_resource.mjs';

const ACCESS_TTL = 5; // seconds

let emu, op, opBearer, rs, rsAlways, browser, context;
before(async () => {
  emu = await startEmulator();
  op = await startOidcProvider({ pageOrigin: emu.base, accessTokenTtl: ACCESS_TTL, dpop: { requireNonce: true } });
  // The same SPA against a server with DPoP off: it ignores the proof and issues bearer tokens.
  opBearer = await startOidcProvider({ pageOrigin: emu.base, accessTokenTtl: 60, dpop: { enabled: false } });
  rs = await startDpopResource({ pageOrigin: emu.base, provider: op.provider, nonces: 'once' });
  rsAlways = await startDpopResource({ pageOrigin: emu.base, provider: op.provider, nonces: 'always' });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  for (const s of [rsAlways, rs, opBearer, op, emu]) await s?.stop();
});
beforeEach(async () => {
  op.reset();
  op.demandNonce(false);
  opBearer.reset();
  rs.reset();
  rsAlways.reset();
  await context?.close();
  context = await browser.newContext();
});

const cfg = (server = op, extra = {}) => ({
  clientId: server.clientId,
  server: server.issuer,
  endpoints: server.endpoints,
  apiOrigins: [new URL(server.issuer).origin, rs.origin, rsAlways.origin],
  authorizeParams: { scope: 'openid offline_access' },
  refreshTokens: true,
  dpop: true,
  ...extra,
});

const call = (page, url) => page.evaluate((u) => window.app.call(u), url);
const count = (page, name) => page.evaluate((n) => window.app.count(n), name);
const tokenInfo = (page) => page.evaluate(() => window.app.session.tokenInfo());
const tokenPosts = (server = op) => server.requests.filter((r) => r.path === '/token' && r.method === 'POST');
const tokenCalls = (grantType, server = op) => tokenPosts(server).filter((r) => r.params?.grant_type === grantType);
const meCalls = (server = op) => server.requests.filter((r) => r.path === '/me' && r.method === 'GET');
const lastToken = (kind, server = op) => server.eventsNamed(`${kind}.saved`).at(-1)?.jti;
const providerErrors = (server = op) => server.events.filter((e) => /error$|^grant\.revoked$/.test(e.name)).map((e) => `${e.name} ${e.error ?? ''}`.trim());

/** Logs in at the provider: its interaction page (click Allow), or straight back when its login session is alive. */
async function loginAtProvider(page, server = op) {
  await Promise.all([
    page.waitForURL((u) => u.href.startsWith(`${server.issuer}/interaction/`) || /[?&]code=/.test(u.search), { timeout: 15000 }),
    page.evaluate(() => { window.app.session.login(); }),
  ]);
  if (page.url().startsWith(`${server.issuer}/interaction/`)) {
    await Promise.all([
      page.waitForURL((u) => u.href.startsWith(`${emu.base}/test/callback.html`), { timeout: 15000 }),
      page.click('button:has-text("Allow")'),
    ]);
  }
  return waitApp(page);
}

/** What the page's IndexedDB holds under the session's store: key names, and for DPoP keys what the page can do. */
const keyStore = (page) => page.evaluate(async () => {
  const db = await new Promise((ok, no) => {
    const r = indexedDB.open('oauth-spa-session', 1);
    r.onupgradeneeded = () => r.result.createObjectStore('keys');
    r.onsuccess = () => ok(r.result);
    r.onerror = () => no(r.error);
  });
  const all = await new Promise((ok, no) => {
    const tx = db.transaction('keys', 'readonly');
    const s = tx.objectStore('keys');
    const out = [];
    const c = s.openCursor();
    c.onsuccess = () => { const cur = c.result; if (!cur) return ok(out); out.push([cur.key, cur.value]); cur.continue(); };
    c.onerror = () => no(c.error);
  });
  db.close();
  const dpop = [];
  for (const [name, v] of all.filter(([n]) => n.endsWith('.dpop'))) {
    const tries = {};
    for (const fmt of ['jwk', 'pkcs8']) {
      try { await crypto.subtle.exportKey(fmt, v.privateKey); tries[fmt] = 'exported'; } catch (e) { tries[fmt] = e.name; }
    }
    dpop.push({
      name, extractable: v.privateKey.extractable, algorithm: v.privateKey.algorithm, usages: v.privateKey.usages,
      exportPrivate: tries, publicJwk: await crypto.subtle.exportKey('jwk', v.publicKey),
    });
  }
  return { names: all.map(([n]) => n), dpop };
});

/** An ES256 proof from a key that is not the session's (the attacker's), as Node builds one. */
async function foreignProof(method, htu, token, nonce) {
  const pair = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const { kty, crv, x, y } = await webcrypto.subtle.exportKey('jwk', pair.publicKey);
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${b64({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty, crv, x, y } })}.${b64({
    jti: webcrypto.randomUUID(), htm: method, htu, iat: Math.floor(Date.now() / 1000), nonce,
    ath: createHash('sha256').update(token).digest('base64url'),
  })}`;
  const sig = await webcrypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pair.privateKey, Buffer.from(input));
  return `${input}.${Buffer.from(sig).toString('base64url')}`;
}

test('login with a nonce challenge at the token endpoint, session.fetch(/me) verified, refresh twice, logout', async () => {
  const page = await openApp(context, emu.base, cfg());
  const r = await loginAtProvider(page);
  assert.deepEqual({ handled: r.handled, error: r.error }, { handled: true, error: null });
  // The first exchange had no nonce: 400 use_dpop_nonce with DPoP-Nonce; exactly one retry with it succeeded.
  const codes = tokenCalls('authorization_code');
  assert.deepEqual(codes.map((c) => [c.status, c.dpop]), [[400, true], [200, true]]);
  const info = await tokenInfo(page);
  assert.equal(info.tokenType, 'DPoP');
  assert.equal(info.hasRefreshToken, true);

  const res = await call(page, `${op.issuer}/me`);
  assert.equal(res.status, 200, JSON.stringify(res));
  assert.equal(JSON.parse(res.body).sub, op.account);
  assert.deepEqual(meCalls().map((m) => [m.status, m.authorization, m.dpop]), [[200, 'DPoP [present]', true]],
    'oidc-provider verified the proof (and its ath) at once: the token endpoint\'s nonce serves its own origin');

  await page.evaluate(() => window.app.session.refresh());
  await page.evaluate(() => window.app.session.refresh());
  assert.deepEqual(tokenCalls('refresh_token').map((c) => [c.status, c.dpop]), [[200, true], [200, true]],
    'both refreshes carried a proof (the refresh token is bound to the key) and the known nonce');
  assert.equal((await tokenInfo(page)).tokenType, 'DPoP');
  assert.equal((await call(page, `${op.issuer}/me`)).status, 200);
  assert.deepEqual(providerErrors(), ['grant.error use_dpop_nonce: nonce is required in the DPoP proof'],
    'no error beyond the one nonce challenge, no revocation');

  const before = await keyStore(page);
  assert.equal(before.dpop.length, 1, 'one key');
  await page.evaluate(() => window.app.session.logout());
  const rev = op.requests.filter((x) => x.path === '/token/revocation' && x.method === 'POST');
  assert.deepEqual(rev.map((x) => [x.status, x.dpop]), [[200, true]]);
  assert.equal(op.eventsNamed('grant.revoked').length, 1);
  await page.waitForFunction(async () => {
    const names = await new Promise((ok) => {
      const o = indexedDB.open('oauth-spa-session', 1);
      o.onsuccess = () => { const g = o.result.transaction('keys').objectStore('keys').getAllKeys(); g.onsuccess = () => { o.result.close(); ok(g.result); }; };
    });
    return !names.some((n) => n.endsWith('.dpop'));
  }, null, { timeout: 5000 });
  assert.equal((await call(page, `${op.issuer}/me`)).error?.code, 'login_required');

  // Nothing the app can see carries a token, a proof or key material.
  const seen = await page.evaluate(() => JSON.stringify({ events: window.app.events, info: window.app.session.tokenInfo() }));
  for (const t of [lastToken('access_token'), lastToken('refresh_token')]) assert.ok(t && !seen.includes(t));
  assert.ok(!/eyJ|"d":|privateKey/.test(seen), seen);

  // The next login makes a new key.
  await loginAtProvider(page);
  const again = await keyStore(page);
  assert.equal(again.dpop.length, 1);
  assert.notEqual(again.dpop[0].publicJwk.x, before.dpop[0].publicJwk.x, 'a new key after logout');
  assert.equal((await call(page, `${op.issuer}/me`)).status, 200);
});

test('the binding is real: the token replayed from Node without a proof, as bearer, or with another key, is rejected', async () => {
  const page = await openApp(context, emu.base, cfg());
  await loginAtProvider(page);
  assert.equal((await call(page, `${op.issuer}/me`)).status, 200);
  const at = lastToken('access_token');
  const rt = lastToken('refresh_token');
  const me = `${op.issuer}/me`;

  // Refused, each one (oidc-provider answers 400 invalid_request or 401 invalid_token, by case).
  const refused = async (res, what) => {
    assert.ok([400, 401].includes(res.status), `${what}: ${res.status}`);
    assert.match(`${res.headers.get('www-authenticate')} ${await res.text()}`, /invalid_(token|request|dpop_proof)/, what);
  };
  await refused(await fetch(me, { headers: { authorization: `DPoP ${at}` } }), 'without a proof');
  await refused(await fetch(me, { headers: { authorization: `Bearer ${at}` } }), 'as a bearer token');
  // Another key, with a valid nonce (got from a first challenge) and the right ath: the key is not the token's.
  const probe = await fetch(me, { headers: { authorization: `DPoP ${at}`, dpop: await foreignProof('GET', me, at) } });
  const nonce = probe.headers.get('dpop-nonce');
  assert.ok(nonce, 'the provider handed out a nonce');
  await refused(await fetch(me, { headers: { authorization: `DPoP ${at}`, dpop: await foreignProof('GET', me, at, nonce) } }), 'another key');
  // At our resource server too (it checks the token's jkt against the proof's key).
  const rsOther = await fetch(rs.url('/data'), { headers: { authorization: `DPoP ${at}`, dpop: await foreignProof('GET', rs.url('/data'), at) } });
  assert.equal(rsOther.status, 401);
  // The refresh token is bound as well: without a proof, and with another key's proof, the provider refuses it.
  const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: rt, client_id: 'spa' });
  const tokenUrl = `${op.issuer}/token`;
  const rtBare = await fetch(tokenUrl, { method: 'POST', body: form });
  assert.equal(rtBare.status, 400);
  const rtOther = await fetch(tokenUrl, { method: 'POST', body: form, headers: { dpop: await foreignProof('POST', tokenUrl, 'x', nonce) } });
  assert.equal(rtOther.status, 400);
  assert.match((await rtOther.json()).error, /invalid_grant|invalid_dpop_proof/);

  // The page, with the key, still works (control).
  assert.equal((await call(page, me)).status, 200);
});

test('nonce challenge at a resource server of another origin: one retry with its nonce, then success; the nonce is remembered', async () => {
  const page = await openApp(context, emu.base, cfg());
  await loginAtProvider(page);
  const res = await call(page, rs.url('/data'));
  assert.equal(res.status, 200, JSON.stringify(res));
  assert.equal(JSON.parse(res.body).sub, op.account);
  assert.deepEqual(rs.requests.map((x) => [x.status, x.scheme, x.proof, x.error?.split(':')[0] ?? null]), [
    [401, 'DPoP', true, 'use_dpop_nonce'],
    [200, 'DPoP', true, null],
  ], 'the first proof carried no nonce (or the authorization server\'s): challenged once, then accepted');
  assert.equal(rs.requests[0].nonce, null, 'origins do not share nonces');
  // A POST with a body survives the retry (the body was kept before the first send).
  rs.reset();
  const posted = await page.evaluate((u) => window.app.call(u, { method: 'POST', body: 'x=1' }), rs.url('/data'));
  assert.equal(posted.status, 200);
  assert.equal(rs.requests.length, 1, 'the remembered nonce is used at once: no second challenge');
});

test('servers that keep demanding a new nonce do not cause a loop (resource and token endpoint)', async () => {
  const page = await openApp(context, emu.base, cfg());
  await loginAtProvider(page);
  const res = await call(page, rsAlways.url('/data'));
  assert.equal(res.status, 401, 'the app gets the second challenge as the 401 it is');
  assert.equal(rsAlways.requests.length, 2, 'one retry, no more');
  await sleep(300);
  assert.equal(rsAlways.requests.length, 2);

  op.demandNonce(true);
  const n0 = tokenPosts().length;
  const err = await page.evaluate(() => window.app.session.refresh().then(() => null, (e) => ({ code: e.code, description: e.description })));
  assert.ok(err, 'the refresh fails');
  await sleep(300);
  assert.equal(tokenPosts().length - n0, 2, 'one refresh request and one retry with the nonce, no loop');
  assert.match(err.description ?? '', /use_dpop_nonce/);
});

test('sessionStorage: each tab signs with its own key; one tab\'s logout leaves the other tab\'s key, and its calls work (also after a reload)', async () => {
  const a = await openApp(context, emu.base, cfg());
  await loginAtProvider(a);
  // B signs in afresh (a login session of its own at the provider, so a grant of its own: A's logout ends A's).
  await context.clearCookies();
  const b = await openApp(context, emu.base, cfg());
  await loginAtProvider(b);
  for (const p of [a, b]) assert.equal((await call(p, `${op.issuer}/me`)).status, 200);
  const both = await keyStore(a);
  assert.equal(both.dpop.length, 2, 'one key per tab');
  assert.notEqual(both.dpop[0].publicJwk.x, both.dpop[1].publicJwk.x);

  await a.evaluate(() => window.app.session.logout());
  assert.equal((await call(a, `${op.issuer}/me`)).error?.code, 'login_required');
  await a.waitForFunction(async () => {
    const names = await new Promise((ok) => {
      const o = indexedDB.open('oauth-spa-session', 1);
      o.onsuccess = () => { const g = o.result.transaction('keys').objectStore('keys').getAllKeys(); g.onsuccess = () => { o.result.close(); ok(g.result); }; };
    });
    return names.filter((n) => n.endsWith('.dpop')).length === 1;
  }, null, { timeout: 5000 });
  // The resource server checks the binding itself (the token's jkt against the proof's key) and says why not.
  const rsErrors = () => JSON.stringify(rs.requests.filter((x) => x.error && !/use_dpop_nonce/.test(x.error)).map((x) => x.error));
  assert.equal((await call(b, rs.url('/data'))).status, 200, `B signs with its own key ${rsErrors()}`);
  // B reloads: its tokens come back from sessionStorage and its key from IndexedDB (one shared key was deleted
  // by A's logout here, and B's proofs no longer matched its tokens).
  await b.reload();
  await b.waitForFunction(() => window.app && window.app.done);
  assert.equal(await b.evaluate(() => window.app.session.isLoggedIn()), true);
  assert.equal((await call(b, rs.url('/data'))).status, 200, `after a reload too ${rsErrors()}`);
  assert.equal((await call(b, `${op.issuer}/me`)).status, 200);
  await b.evaluate(() => window.app.session.refresh());
  assert.equal((await call(b, `${op.issuer}/me`)).status, 200, 'and after a refresh (the refresh token is bound to the key too)');
  const left = await keyStore(b);
  assert.equal(left.dpop.length, 1);
  assert.equal(left.dpop[0].publicJwk.x, both.dpop.find((k) => k.name === left.dpop[0].name)?.publicJwk.x, "B's own key");
});

test('the private key cannot be exported from the page; the public key is an ES256 JWK', async () => {
  const page = await openApp(context, emu.base, cfg());
  await loginAtProvider(page);
  const { dpop } = await keyStore(page);
  assert.equal(dpop.length, 1);
  const [k] = dpop;
  assert.equal(k.extractable, false);
  assert.deepEqual(k.algorithm, { name: 'ECDSA', namedCurve: 'P-256' });
  assert.deepEqual(k.usages, ['sign']);
  assert.deepEqual(k.exportPrivate, { jwk: 'InvalidAccessError', pkcs8: 'InvalidAccessError' });
  assert.equal(k.publicJwk.kty, 'EC');
  assert.equal(k.publicJwk.d, undefined);
});

test('four tabs with cookie storage: one key, one refresh per expiry, every call succeeds (three expiries)', async () => {
  const c = cfg(op, { storage: 'cookie', refreshMarginSeconds: 0 });
  const first = await openApp(context, emu.base, c);
  await loginAtProvider(first);
  const tabs = [first];
  for (let i = 0; i < 3; i++) tabs.push(await openApp(context, emu.base, c));
  for (const t of tabs) assert.equal(await t.evaluate(() => window.app.session.isLoggedIn()), true);
  const before = (await Promise.all(tabs.map((t) => call(t, `${op.issuer}/me`)))).map((x) => x.status);
  assert.deepEqual(before, [200, 200, 200, 200], 'every tab signs with the shared key');
  // Each round: past the current token's expiry (every tab's timer fires then, the four race for the refresh),
  // short of the next one; then every tab calls both servers.
  for (let round = 1; round <= 3; round++) {
    const { expiresAt } = await tokenInfo(first);
    await sleep(Math.max(0, expiresAt + 1500 - Date.now()));
    const after = await Promise.all(tabs.flatMap((t) => [call(t, `${op.issuer}/me`), call(t, rs.url('/data'))]));
    assert.deepEqual(after.map((x) => x.status), Array(8).fill(200), `round ${round}: ${JSON.stringify(after)}`);
    assert.deepEqual(tokenCalls('refresh_token').map((x) => x.status), Array(round).fill(200), `round ${round}: one refresh for the four tabs`);
  }
  const { dpop } = await keyStore(first);
  assert.equal(dpop.length, 1, 'one key');
  // Nonces are per tab: each tab that had not met the provider yet was challenged once, on its first call.
  const errors = providerErrors();
  assert.ok(errors.every((e) => /use_dpop_nonce/.test(e)), JSON.stringify(errors));
  assert.ok(errors.filter((e) => e.startsWith('userinfo')).length <= 3, JSON.stringify(errors));
});

test('cookie storage outlives the access token: a tab whose timer runs late still refreshes (refresh token of unknown life)', async () => {
  // oidc-provider sends no refresh_token_expires_in. The cookie once got the access token's 5 s, so a late timer
  // (a loaded machine, a background tab) found it gone: `expired` with no error, no refresh, session lost.
  const page = await openApp(context, emu.base, cfg(op, { storage: 'cookie', refreshMarginSeconds: 0 }));
  await loginAtProvider(page);
  const info = await tokenInfo(page);
  assert.equal(info.refreshExpiresAt, undefined, 'the server did not say how long the refresh token lives');
  const ours = (await context.cookies()).filter((k) => k.name.startsWith('__Host-oss.'));
  assert.ok(ours.length >= 2, JSON.stringify(ours.map((k) => k.name)));
  assert.ok(ours.every((k) => k.expires === -1), 'session cookies, not the access token\'s lifetime');
  // Block the page past the access token's expiry: its timer fires 1.5 s late.
  await page.evaluate((until) => { while (Date.now() < until); }, info.expiresAt + 1500);
  assert.equal((await call(page, `${op.issuer}/me`)).status, 200);
  assert.deepEqual(await page.evaluate(() => window.app.events.map((e) => e.name)), ['login', 'refresh']);
  assert.deepEqual(tokenCalls('refresh_token').map((x) => x.status), [200]);
});

test("storage: 'memory' keeps the key in the page's memory only", async () => {
  const page = await openApp(context, emu.base, cfg(op, { storage: 'memory' }));
  await loginAtProvider(page);
  assert.equal((await tokenInfo(page)).tokenType, 'DPoP');
  assert.equal((await call(page, `${op.issuer}/me`)).status, 200);
  await page.evaluate(() => window.app.session.refresh());
  assert.equal((await call(page, rs.url('/data'))).status, 200);
  assert.deepEqual((await keyStore(page)).dpop, [], 'no key in IndexedDB');
});

test("dpop: 'prefer' and a server that issues a bearer token although DPoP was asked for: bearer is used, tokenType and dpopDowngrade say so", async () => {
  const page = await openApp(context, emu.base, cfg(opBearer, { dpop: 'prefer' }));
  await loginAtProvider(page, opBearer);
  // The login's own event fired while the callback page loaded; listen from here on.
  await page.evaluate(() => { window.app.downgrades = []; window.app.session.on('dpopDowngrade', (i) => window.app.downgrades.push(i.tokenType)); });
  assert.equal((await tokenInfo(page)).tokenType, 'Bearer');
  assert.equal(tokenCalls('authorization_code', opBearer)[0].dpop, true, 'a proof was offered');
  const res = await call(page, `${opBearer.issuer}/me`);
  assert.equal(res.status, 200);
  assert.deepEqual(meCalls(opBearer).map((m) => [m.authorization, m.dpop]), [['Bearer [present]', false]], 'no proof for a bearer token');
  await page.evaluate(() => window.app.session.refresh());
  assert.deepEqual(await page.evaluate(() => window.app.downgrades), ['Bearer'], 'the refresh announced it again');
});

test('dpop: true fails closed: a server that answers the proof with a bearer token ⇒ handleRedirect rejects dpop_downgrade, nothing stored, no API call', async () => {
  const page = await openApp(context, emu.base, cfg(opBearer));
  const r = await loginAtProvider(page, opBearer);
  assert.equal(r.handled, null, 'handleRedirect rejected');
  assert.deepEqual(r.error, { code: 'dpop_downgrade', isSessionError: true, message: r.error?.message });
  assert.match(r.error.message, /^dpop_downgrade: /);
  assert.equal(tokenCalls('authorization_code', opBearer)[0].dpop, true, 'a proof was offered');
  assert.equal(await page.evaluate(() => window.app.session.isLoggedIn()), false);
  assert.equal(await tokenInfo(page), null);
  const stored = await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.includes('oss.')).map((k) => [k, sessionStorage.getItem(k)]));
  const at = lastToken('access_token', opBearer);
  assert.ok(at && !JSON.stringify(stored).includes(at), 'the bearer token was not stored');
  assert.equal((await call(page, `${opBearer.issuer}/me`)).error?.code, 'login_required');
  assert.deepEqual(meCalls(opBearer), [], 'the bearer token was never sent');
  assert.deepEqual(await page.evaluate(() => window.app.events.map((e) => e.name)), [], 'no login event');
});

test('dpop off: no IndexedDB access, no DPoP header, tokenType Bearer', async () => {
  const page = await openApp(context, emu.base, cfg(op, { dpop: undefined }), {
    initScript: () => {
      window.__idb = 0;
      const open = IDBFactory.prototype.open;
      IDBFactory.prototype.open = function (...a) { window.__idb += 1; return open.apply(this, a); };
    },
  });
  await loginAtProvider(page);
  assert.equal((await tokenInfo(page)).tokenType, 'Bearer');
  assert.equal((await call(page, `${op.issuer}/me`)).status, 200);
  await page.evaluate(() => window.app.session.refresh());
  await page.evaluate(() => window.app.session.logout());
  assert.equal(await page.evaluate(() => window.__idb), 0, 'IndexedDB never opened');
  assert.ok(op.requests.length >= 4);
  assert.deepEqual(op.requests.filter((x) => x.dpop), [], 'no request carried a DPoP header');
  assert.deepEqual(meCalls().map((m) => m.authorization), ['Bearer [present]']);
});
