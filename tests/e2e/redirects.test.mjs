// A request that carries a token never follows a redirect (issue 20, item 3). An API inside `apiOrigins` answers
// 307 to a host outside it (and to itself); the other host records every request it gets. Bearer tokens from the
// emulator, DPoP-bound ones from oidc-provider: neither `Authorization` nor `DPoP` ever reaches the other origin,
// and the app gets the redirect itself as its response (type 'opaqueredirect').
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import { startEmulator, launchBrowser, openApp, loginByClicking, waitApp } from './harness.mjs';
import { startOidcProvider } from '../oidc/server.mjs';

/** A loopback server answering CORS for `pageOrigin`: `route(req, res, origin)` answers the rest. */
async function serve(pageOrigin, route) {
  const requests = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method, path: req.url, authorization: req.headers.authorization ?? null, dpop: req.headers.dpop ?? null });
    const cors = { 'access-control-allow-origin': pageOrigin };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...cors, 'access-control-allow-methods': 'GET, POST', 'access-control-allow-headers': req.headers['access-control-request-headers'] || '' });
      return res.end();
    }
    route(req, res, cors);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${server.address().port}`;
  return { origin, requests, reset: () => { requests.length = 0; }, stop: () => new Promise((ok) => server.close(ok)) };
}

let emu, op, api, other, browser, context;
before(async () => {
  emu = await startEmulator();
  op = await startOidcProvider({ pageOrigin: emu.base, accessTokenTtl: 60, dpop: {} });
  other = await serve(emu.base, (req, res, cors) => { res.writeHead(200, { ...cors, 'content-type': 'text/plain' }); res.end('landed'); });
  api = await serve(emu.base, (req, res, cors) => {
    const to = req.url.startsWith('/away') ? `${other.origin}/land` : req.url.startsWith('/here') ? '/ok' : null;
    if (to) { res.writeHead(307, { ...cors, location: to }); return res.end(); }
    res.writeHead(200, { ...cors, 'content-type': 'text/plain' });
    res.end('ok');
  });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  for (const s of [api, other, op, emu]) await s?.stop();
});
beforeEach(async () => {
  await emu.reset();
  op.reset();
  api.reset();
  other.reset();
  await context?.close();
  context = await browser.newContext();
});

/** session.fetch(url, init) in the page: what the app sees. */
const fetchIn = (page, url, init) => page.evaluate(async ([u, i]) => {
  try {
    const r = await window.app.session.fetch(u, i);
    return { type: r.type, status: r.status, redirected: r.redirected };
  } catch (e) {
    return { error: e.name, code: e.code ?? null };
  }
}, [url, init]);

async function check(page, scheme) {
  // Off-origin: the app gets the redirect, the other origin gets nothing at all.
  for (const init of [undefined, { redirect: 'follow' }, { method: 'POST', body: 'x' }]) {
    assert.deepEqual(await fetchIn(page, `${api.origin}/away`, init), { type: 'opaqueredirect', status: 0, redirected: false }, JSON.stringify(init));
  }
  // Same origin: not followed either (the browser hides a manual redirect's target, so it cannot be checked).
  assert.deepEqual(await fetchIn(page, `${api.origin}/here`), { type: 'opaqueredirect', status: 0, redirected: false });
  // An app that asks for redirect: 'error' gets the network error it asked for.
  assert.deepEqual(await fetchIn(page, `${api.origin}/away`, { redirect: 'error' }), { error: 'TypeError', code: null });
  assert.deepEqual(other.requests, [], 'the other origin never heard from the session');
  const sent = api.requests.filter((r) => r.method !== 'OPTIONS');
  assert.equal(sent.length, 5);
  assert.ok(sent.every((r) => r.authorization?.startsWith(`${scheme} `)), 'the API in apiOrigins got the token');
  assert.ok(sent.every((r) => (scheme === 'DPoP') === !!r.dpop), 'and a proof with DPoP');
  // Untouched requests (outside apiOrigins) still follow redirects, and carry nothing.
  const plain = await fetchIn(page, `${other.origin}/land`);
  assert.deepEqual(plain, { type: 'cors', status: 200, redirected: false });
  assert.deepEqual(other.requests.map((r) => [r.authorization, r.dpop]), [[null, null]]);
}

test('bearer: a 307 from an apiOrigins host to another origin reaches the app as an opaqueredirect; the other origin never sees the token', async () => {
  const page = await openApp(context, emu.base, { apiOrigins: [emu.base, api.origin] });
  await loginByClicking(page);
  assert.equal(await page.evaluate(() => window.app.session.isLoggedIn()), true);
  await check(page, 'Bearer');
});

test('DPoP: neither Authorization nor the DPoP proof follows a redirect off-origin', async () => {
  const page = await openApp(context, emu.base, {
    clientId: op.clientId, server: op.issuer, endpoints: op.endpoints, apiOrigins: [new URL(op.issuer).origin, api.origin],
    authorizeParams: { scope: 'openid offline_access' }, refreshTokens: true, dpop: true,
  });
  await Promise.all([
    page.waitForURL((u) => u.href.startsWith(`${op.issuer}/interaction/`), { timeout: 15000 }),
    page.evaluate(() => { window.app.session.login(); }),
  ]);
  await Promise.all([
    page.waitForURL((u) => u.href.startsWith(`${emu.base}/test/callback.html`), { timeout: 15000 }),
    page.click('button:has-text("Allow")'),
  ]);
  assert.deepEqual(await waitApp(page), { handled: true, error: null });
  assert.equal((await page.evaluate(() => window.app.session.tokenInfo())).tokenType, 'DPoP');
  await check(page, 'DPoP');
});
