// The README's promises as a new user reads them, and the attacks on them, against the built package in Chromium;
// the app on 127.0.0.1, the OAuth server (where a test says so) on localhost: two origins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useEmulatorAndBrowser, openApp, waitApp, loginByClicking, tokenRequests } from './harness.mjs';

const env = useEmulatorAndBrowser();

const loggedIn = (page) => page.evaluate(() => window.app.session.isLoggedIn());
const pendingState = async (page) => new URL(await page.evaluate(() => window.app.session.loginUrl())).searchParams.get('state');
// What the session keeps in this tab's sessionStorage (its keys start with `oss.`; `.tab` is the tab's id, no token).
const storedKeys = (page) => page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('oss.') && !k.endsWith('.tab')));

test('README first screen: the /auto entry needs no init(); ready and handleRedirect resolve false (booleans) on a plain page, ready true after the login', async () => {
  const page = await openApp(env.context, env.emu.base, {});
  const first = await page.evaluate(async () => {
    const { Session, SessionError } = await import('/pkg/auto.js');
    const session = new Session({ clientId: 'demo-spa', server: location.origin, redirectUri: location.origin + '/test/callback.html' });
    const ready = await session.ready;
    const handled = await session.handleRedirect();
    const same = SessionError === window.app.SessionError;
    session.dispose();
    return { ready, handled, same };
  });
  assert.deepEqual(first, { ready: false, handled: false, same: true });
  await loginByClicking(page);
  const again = await page.evaluate(async () => {
    const { Session } = await import('/pkg/auto.js');
    const session = new Session({ clientId: 'demo-spa', server: location.origin, redirectUri: location.origin + '/test/callback.html' });
    const r = { ready: await session.ready, handled: await session.handleRedirect(), info: session.tokenInfo() };
    session.dispose();
    return r;
  });
  assert.equal(again.ready, true, 'restored from sessionStorage');
  assert.equal(again.handled, false, 'not a callback');
  assert.deepEqual(Object.keys(again.info).sort(), ['expiresAt', 'hasRefreshToken', 'ownerId', 'scope', 'tokenType']);
  assert.equal(again.info.tokenType, 'Bearer');
});

test('config: a persistence that is not an adapter (a number, {}, localStorage, no clear) throws invalid_config naming it; a real adapter does not', async () => {
  const page = await openApp(env.context, env.emu.base, {});
  const made = await page.evaluate(() => {
    const S = window.app.session.constructor;
    const base = { clientId: 'c', server: location.origin, redirectUri: location.origin + '/test/callback.html' };
    const tryCfg = (c) => {
      try { new S({ ...base, ...c }).dispose(); return 'ok'; } catch (e) { return `${e instanceof window.app.SessionError} ${e.code} ${e.description}`; }
    };
    const adapter = { load() { return null; }, save() {}, clear() {} };
    return {
      number: tryCfg({ persistence: 5 }),
      empty: tryCfg({ persistence: {} }),
      local: tryCfg({ persistence: localStorage }),
      noClear: tryCfg({ persistence: { load() {}, save() {} } }),
      notFunctions: tryCfg({ persistence: { load: 1, save: 'x', clear: null } }),
      adapter: tryCfg({ persistence: adapter }),
      absent: tryCfg({ persistence: null }),
    };
  });
  for (const k of ['number', 'empty', 'local', 'noClear', 'notFunctions']) {
    assert.match(made[k], /^true invalid_config persistence: must be an adapter with load\(\), save\(tokens\) and clear\(\)/, k);
  }
  assert.equal(made.adapter, 'ok');
  assert.equal(made.absent, 'ok');
  assert.equal(await page.evaluate(() => Object.keys(localStorage).length), 0, 'nothing in localStorage');
});

test('config: apiOrigins tricks (userinfo, //host, relative, non-ASCII host) throw invalid_config; case, default port and path are normalised', async () => {
  const page = await openApp(env.context, env.emu.base, {});
  const made = await page.evaluate(() => {
    const S = window.app.session.constructor;
    const base = { clientId: 'c', server: 'https://api.example.com', redirectUri: location.origin + '/test/callback.html' };
    const tryCfg = (apiOrigins) => {
      try { new S({ ...base, apiOrigins }).dispose(); return 'ok'; } catch (e) { return `${e.code} ${e.description}`; }
    };
    return Object.fromEntries([
      'https://api.example.com@evil.com', 'https://user:pw@api.example.com', '//evil.com', '/api', 'api.example.com',
      'https://exämple.com', 'javascript://api.example.com', 'https://api.example.com:99999', ' https://api.example.com',
      'HTTPS://API.EXAMPLE.COM:443/v1', 'https://xn--exmple-cua.com',
    ].map((o) => [o, tryCfg([o])]));
  });
  for (const [o, r] of Object.entries(made)) {
    if (o.startsWith('HTTPS://') || o.includes('xn--')) assert.equal(r, 'ok', o);
    else assert.match(r, /^invalid_config apiOrigins: /, o);
  }
});

test('session.fetch is a drop-in fetch: URL objects, Headers, the app\'s Authorization replaced, an aborted signal rejects AbortError before anything is sent', async () => {
  const page = await openApp(env.context, env.emu.base, {});
  await loginByClicking(page);
  const seen = [];
  page.on('request', (q) => { if (q.url().includes('/_emulator/echo')) seen.push(q.headers().authorization ?? null); });
  const r = await page.evaluate(async () => {
    const s = window.app.session;
    const echo = async (input, init) => {
      const res = await s.fetch(input, init);
      return { status: res.status, auth: JSON.parse(await res.text()).headers.authorization ?? null };
    };
    const url = new URL('/_emulator/echo', location.origin);
    const ac = new AbortController();
    ac.abort();
    let aborted;
    try { await s.fetch(url.href, { signal: ac.signal }); aborted = 'resolved'; } catch (e) { aborted = `${e.name} ${e instanceof DOMException}`; }
    return {
      urlObject: await echo(url),
      headersObject: await echo(url.href, { headers: new Headers({ 'x-app': '1', authorization: 'Bearer APP-OWN' }) }),
      aborted,
    };
  });
  assert.equal(r.urlObject.status, 200);
  assert.match(r.urlObject.auth, /^Bearer /);
  assert.equal(r.headersObject.status, 200);
  assert.match(r.headersObject.auth, /^Bearer /);
  assert.notEqual(r.headersObject.auth, 'Bearer APP-OWN', 'the session\'s token, not the app\'s');
  assert.equal(r.aborted, 'AbortError true');
  assert.equal(seen.length, 2, 'the aborted call never reached the wire');
});

test('attacker URLs in session.fetch: another host by userinfo, backslash, //host, Request object or case never gets the token; the API origin in any spelling does', async () => {
  const page = await openApp(env.context, env.emu.base, {});
  await loginByClicking(page);
  const port = new URL(env.emu.base).port;
  const sent = [];
  page.on('request', (q) => { if (q.url().includes('/_emulator/echo')) sent.push({ origin: new URL(q.url()).origin, auth: q.headers().authorization ?? null }); });
  const results = await page.evaluate(async (port) => {
    const s = window.app.session;
    const out = {};
    const go = async (name, input) => {
      try { const res = await s.fetch(input); out[name] = res.status; } catch (e) { out[name] = `${e.name}`; }
    };
    await go('otherHost', `http://localhost:${port}/_emulator/echo`);
    await go('protocolRelative', `//localhost:${port}/_emulator/echo`);
    await go('userinfoToOther', `http://127.0.0.1:${port}@localhost:${port}/_emulator/echo`);
    await go('userinfoToOurs', `http://user@127.0.0.1:${port}/_emulator/echo`);
    await go('backslash', `http://localhost:${port}\\@127.0.0.1:${port}/_emulator/echo`);
    await go('requestOther', new Request(`http://localhost:${port}/_emulator/echo`));
    await go('urlOther', new URL(`http://localhost:${port}/_emulator/echo`));
    await go('upperCase', `HTTP://127.0.0.1:${port}/_emulator/echo`);
    await go('trailingDotIp', `http://127.0.0.1.:${port}/_emulator/echo`);
    return out;
  }, port);
  // A URL with credentials is refused by the browser's fetch itself (a TypeError, as plain fetch does).
  assert.equal(results.userinfoToOther, 'TypeError');
  assert.equal(results.userinfoToOurs, 'TypeError');
  for (const k of ['otherHost', 'protocolRelative', 'requestOther', 'urlOther', 'upperCase', 'trailingDotIp']) assert.equal(results[k], 200, k);
  const other = sent.filter((s) => s.origin !== env.emu.base);
  assert.ok(other.length >= 4, JSON.stringify(sent));
  for (const s of other) assert.equal(s.auth, null, `no token to ${s.origin}`);
  const ours = sent.filter((s) => s.origin === env.emu.base);
  assert.equal(ours.length, 2, 'upper case and the trailing-dot IP are the API origin');
  for (const s of ours) assert.match(s.auth, /^Bearer /);
});

test('a POST Request object with a body, after a server-side expiry: one refresh, the retry carries the body and the new token', async () => {
  const page = await openApp(env.context, env.emu.base, { refreshTokens: true });
  await loginByClicking(page);
  await env.emu.advance(3700);
  const r = await page.evaluate(async () => {
    const req = new Request('/_emulator/echo', { method: 'POST', body: 'x'.repeat(1234), headers: { 'content-type': 'text/plain' } });
    const res = await window.app.session.fetch(req);
    return { status: res.status, echo: JSON.parse(await res.text()), used: req.bodyUsed };
  });
  assert.equal(r.status, 200);
  assert.equal(r.echo.method, 'POST');
  assert.equal(r.echo.headers['content-length'], '1234', 'the body went again with the retry');
  assert.match(r.echo.headers.authorization, /^Bearer /);
  assert.equal((await tokenRequests(env.emu)).filter((q) => q.grant_type === 'refresh_token').length, 1);
});

// A hostile token endpoint (on another origin than the app): every answer that is not a usable token set rejects
// `handleRedirect()` with a SessionError of a documented code; nothing is stored, the URL is clean.
const HOSTILE = [
  ['200 with an OAuth error body', 200, '{"error":"invalid_grant","error_description":"Code expired"}', 'invalid_response'],
  ['200 with HTML', 200, '<html>maintenance</html>', 'invalid_response'],
  ['a token_type that is not bearer', 200, '{"access_token":"AT","token_type":"mac","expires_in":3600}', 'invalid_response'],
  ['a negative expires_in', 200, '{"access_token":"AT","token_type":"bearer","expires_in":-1}', 'invalid_response'],
  ['expires_in NaN (a string)', 200, '{"access_token":"AT","token_type":"bearer","expires_in":"NaN"}', 'invalid_response'],
  ['an access token with a line break', 200, '{"access_token":"A\\r\\nX-Evil: 1","token_type":"bearer","expires_in":3600}', 'invalid_response'],
  ['an access token with a space', 200, '{"access_token":"A T","token_type":"bearer","expires_in":3600}', 'invalid_response'],
  ['a JSON array', 200, '[1,2]', 'invalid_response'],
  ['400 with an error this library has no code for', 400, '{"error":"unauthorized_client"}', 'oauth_error'],
  ['500 with a JSON error body', 500, '{"error":"invalid_grant"}', 'server_error'],
];

test('hostile token endpoint: 200 with an error body, HTML, token_type mismatch, bad expires_in, unsendable tokens ⇒ a typed error, nothing stored', async () => {
  const page = await openApp(env.context, env.emu.base, { server: env.emu.altBase });
  let answer;
  await page.route(`${env.emu.altBase}/restapi/oauth/token`, (route) => route.fulfill({
    status: answer[1], body: answer[2], contentType: answer[2].startsWith('<') ? 'text/html' : 'application/json',
    headers: { 'Access-Control-Allow-Origin': env.emu.base },
  }));
  for (const a of HOSTILE) {
    answer = a;
    const r = await loginByClicking(page);
    assert.equal(r.handled, null, a[0]);
    assert.equal(r.error.isSessionError, true, a[0]);
    assert.equal(r.error.code, a[3], `${a[0]}: ${r.error.message}`);
    if (a[3] === 'oauth_error') assert.match(r.error.message, /^oauth_error \(unauthorized_client\)/, 'the server\'s code in serverCode');
    assert.ok(!r.error.message.includes('AT') && !r.error.message.includes('X-Evil'), `${a[0]}: no token text in the message`);
    assert.equal(await loggedIn(page), false, a[0]);
    assert.deepEqual(await storedKeys(page), [], `${a[0]}: nothing stored`);
    assert.ok(!/[?&#](code|state)=/.test(page.url()), `${a[0]}: URL cleaned`);
  }
});

test('hostile token endpoint: an enormous expires_in (5 years) is believed for 24 h at most', async () => {
  const page = await openApp(env.context, env.emu.base, { server: env.emu.altBase });
  await page.route(`${env.emu.altBase}/restapi/oauth/token`, (route) => route.fulfill({
    status: 200, contentType: 'application/json', headers: { 'Access-Control-Allow-Origin': env.emu.base },
    body: JSON.stringify({ access_token: 'AT', token_type: 'bearer', expires_in: 5 * 365 * 86400, owner_id: '1' }),
  }));
  const r = await loginByClicking(page);
  assert.deepEqual(r, { handled: true, error: null });
  const { info, now } = await page.evaluate(() => ({ info: window.app.session.tokenInfo(), now: Date.now() }));
  assert.ok(info.expiresAt <= now + 24 * 3600 * 1000, `${(info.expiresAt - now) / 3600000} h`);
  assert.ok(info.expiresAt > now + 23 * 3600 * 1000);
});

test('crafted callbacks: code and error together with the real state ⇒ the error, nothing exchanged; a duplicated state ⇒ refused; a replayed callback exchanges nothing twice', async () => {
  const page = await openApp(env.context, env.emu.base, {});
  const state = await pendingState(page);
  await page.goto(`${env.emu.base}/test/callback.html?code=stolen&error=access_denied&state=${state}&keep=1`);
  let r = await waitApp(page);
  assert.equal(r.error.code, 'access_denied');
  assert.equal((await tokenRequests(env.emu)).length, 0, 'nothing exchanged');
  assert.equal(new URL(page.url()).search, '?keep=1');
  assert.equal(await loggedIn(page), false);

  const s2 = await pendingState(page);
  await page.goto(`${env.emu.base}/test/callback.html?code=stolen&state=${s2}&state=${s2}`);
  r = await waitApp(page);
  assert.equal(r.handled, null);
  assert.equal(r.error.isSessionError, true);
  assert.equal((await tokenRequests(env.emu)).length, 0, 'a duplicated parameter is not a callback to exchange');
  assert.equal(await loggedIn(page), false);

  // A real login, then the same callback URL again (history, a shared link): the transaction was spent.
  await page.goto(`${env.emu.base}/test/callback.html`);
  await waitApp(page);
  let callbackUrl;
  page.on('framenavigated', (f) => { if (f === page.mainFrame() && /[?&]code=/.test(f.url())) callbackUrl = f.url(); });
  assert.deepEqual(await loginByClicking(page), { handled: true, error: null });
  assert.ok(callbackUrl, 'saw the callback URL');
  await page.evaluate(() => sessionStorage.clear());
  await page.goto(callbackUrl);
  r = await waitApp(page);
  assert.notEqual(r.handled, true);
  assert.equal((await tokenRequests(env.emu)).filter((q) => q.grant_type === 'authorization_code').length, 1, 'one exchange only');
  assert.equal(await loggedIn(page), false);
});

test('implicit flow, a hostile fragment with the real state (DPoP type, a line break in the token, a negative or NaN expires_in) ⇒ invalid_response, nothing stored, no token left in the URL', async () => {
  const page = await openApp(env.context, env.emu.base, { flow: 'implicit' });
  const fragments = ['token_type=DPoP&expires_in=3600', 'token_type=bearer&expires_in=-5', 'token_type=bearer&expires_in=NaN', 'token_type=mac']
    .map((f) => `access_token=T0K&${f}`)
    .concat(['access_token=T0K%0D%0AX-Evil%3A1&token_type=bearer&expires_in=60', 'access_token=A%20B&token_type=bearer']);
  for (const [i, frag] of fragments.entries()) {
    const state = await pendingState(page);
    // (Another query each time: a change of the fragment alone would not load the page again.)
    await page.goto(`${env.emu.base}/test/callback.html?keep=${i}#${frag}&state=${state}`);
    const r = await waitApp(page);
    assert.equal(r.error?.code, 'invalid_response', `${frag}: ${JSON.stringify(r)}`);
    assert.equal(await loggedIn(page), false, frag);
    assert.deepEqual(await storedKeys(page), [], `${frag}: nothing stored, the transaction spent`);
    assert.equal(new URL(page.url()).hash, '', 'fragment removed');
    assert.equal(new URL(page.url()).search, `?keep=${i}`);
  }
});

test('the callback page framed or opened by another origin hands the code to nobody there', async () => {
  const page = await openApp(env.context, env.emu.altBase, {});
  const got = await page.evaluate(async (base) => {
    const heard = [];
    addEventListener('message', (e) => heard.push(String(e.origin)));
    const f = document.createElement('iframe');
    f.src = `${base}/test/callback.html?code=C&state=f.forged`;
    document.body.append(f);
    const w = window.open(`${base}/test/callback.html?code=C&state=p.forged`, '_blank');
    await new Promise((r) => setTimeout(r, 1500));
    try { w?.close(); } catch {}
    return heard;
  }, env.emu.base);
  assert.deepEqual(got, [], 'no hand-over message reached the other origin');
  assert.equal((await tokenRequests(env.emu)).length, 0);
});

test('events: on() returns off(); change carries TokenInfo on refresh and null on logout; an unknown event name is a SessionError', async () => {
  const page = await openApp(env.context, env.emu.base, { refreshTokens: true });
  await loginByClicking(page);
  const r = await page.evaluate(async () => {
    const s = window.app.session;
    const changes = [];
    const refreshes = [];
    const off = s.on('change', (d) => changes.push(d));
    const offR = s.on('refresh', (d) => refreshes.push(d));
    await s.refresh();
    offR();
    await s.refresh();
    await s.logout();
    off();
    let unknown;
    try { s.on('logged-in', () => {}); unknown = 'accepted'; } catch (e) { unknown = `${e instanceof window.app.SessionError} ${e.code}`; }
    return { changes: JSON.parse(JSON.stringify(changes)), refreshes: refreshes.length, off: typeof off, unknown };
  });
  assert.equal(r.off, 'function');
  assert.equal(r.refreshes, 1, 'off() unsubscribed');
  assert.equal(r.changes.length, 3, JSON.stringify(r.changes));
  for (const c of r.changes.slice(0, 2)) {
    assert.equal(typeof c.expiresAt, 'number');
    assert.equal(c.hasRefreshToken, true);
    assert.equal(c.tokenType, 'Bearer');
    assert.equal(c.ownerId, '256440016');
  }
  assert.equal(r.changes[2], null);
  assert.equal(r.unknown, 'true invalid_config');
});

test('a hostile same-origin script posting junk on the tabs\' channels: the session ignores it, stays logged in and keeps working', async () => {
  for (const storage of ['sessionStorage', 'cookie']) {
    const page = await openApp(env.context, env.emu.base, { storage });
    await loginByClicking(page);
    const server = env.emu.base;
    const r = await page.evaluate(async ({ server, storage }) => {
      const names = storage === 'cookie' ? [`oauth-spa-session:demo-spa@${server}`] : [`oss-tabs:demo-spa@${server}`];
      for (const name of names) {
        const ch = new BroadcastChannel(name);
        // Junk, and notices naming logins that are not this one (a bare `logout`, or one whose list is unreadable,
        // is final by design: a script of the origin can end the session anyway).
        for (const junk of [{}, null, 42, ['logout'], 'x'.repeat(100000), 'expired:x', 'expired:99999999999999999999999',
          'logout:1', 'logout:1,2', 'expired:1', 'ask:', 'ask:' + 'y'.repeat(5000), 'LOGOUT', 'refresh\u0000', { access_token: 'planted', v: 1 }]) ch.postMessage(junk);
        ch.close();
      }
      await new Promise((ok) => setTimeout(ok, 300));
      const res = await window.app.session.fetch('/restapi/v1.0/account/~/extension/~');
      return { loggedIn: window.app.session.isLoggedIn(), status: res.status, expired: window.app.count('expired'), logout: window.app.count('logout') };
    }, { server, storage });
    assert.deepEqual(r, { loggedIn: true, status: 200, expired: 0, logout: 0 }, storage);
    await page.evaluate(() => window.app.session.logout());
    await page.close();
  }
});

test('dispose() right after a logged-in ready (tabs that join) never throws, and a disposed session holds no presence lock', async () => {
  const page = await openApp(env.context, env.emu.base, {});
  await loginByClicking(page);
  const r = await page.evaluate(async () => {
    const S = window.app.session.constructor;
    const cfg = { clientId: 'demo-spa', server: location.origin, redirectUri: location.origin + '/test/callback.html' };
    const errors = [];
    for (let i = 0; i < 20; i++) {
      const s = new S(cfg);
      if (!(await s.ready)) errors.push(`round ${i}: not restored`);
      try { s.dispose(); } catch (e) { errors.push(`round ${i}: ${e}`); }
    }
    await new Promise((ok) => setTimeout(ok, 200));
    const held = (await navigator.locks.query()).held.filter((l) => l.name.startsWith('oss-tabs:')).length;
    return { errors, held };
  });
  assert.deepEqual(r.errors, []);
  assert.equal(r.held, 1, 'only the page\'s own live session holds the mark');
});

test('popupTimeoutSeconds past what a browser timer holds (35 days) waits, not a timeout as the popup opens; closing the popup still says popup_closed', async () => {
  const page = await openApp(env.context, env.emu.base, { popupTimeoutSeconds: 3000000 });
  const [popup] = await Promise.all([
    env.context.waitForEvent('page'),
    page.evaluate(() => { window.popupOutcome = window.app.session.loginPopup().then(() => 'resolved', (e) => e.code); }),
  ]);
  const early = await page.evaluate(() => Promise.race([window.popupOutcome, new Promise((ok) => setTimeout(() => ok('waiting'), 1000))]));
  assert.equal(early, 'waiting');
  await popup.close();
  assert.equal(await page.evaluate(() => window.popupOutcome), 'popup_closed');
});

test('a hostile persistence.load() (throws, rejects, junk, planted "valid until 9999", an unsendable token): init never throws, ready never rejects', async () => {
  const page = await openApp(env.context, env.emu.base, {});
  const r = await page.evaluate(async () => {
    const S = window.app.session.constructor;
    const cfg = { clientId: 'demo-spa', server: location.origin, redirectUri: location.origin + '/test/callback.html' };
    const far = { v: 1, access_token: 'planted', token_type: 'bearer', issued_at_ms: Date.now(), expires_at_ms: 253402300799000, refresh_token: 'r', refresh_expires_at_ms: 253402300799000 };
    const out = {};
    for (const [name, load] of Object.entries({
      throws: () => { throw new Error('down'); },
      rejects: () => Promise.reject(new Error('down')),
      junk: () => 'junk',
      array: () => [far],
      newline: () => ({ ...far, access_token: 'a\nb' }),
      nan: () => ({ ...far, expires_at_ms: NaN }),
      far: async () => far,
    })) {
      const events = [];
      let cleared = 0;
      const s = new S({ ...cfg, persistence: { load, save() {}, clear() { cleared++; } } });
      for (const n of ['expired', 'storageFallback']) s.on(n, (d) => events.push(`${n}:${d?.code}`));
      const ready = await Promise.race([s.ready.catch((e) => `rejected ${e}`), new Promise((ok) => setTimeout(() => ok('hang'), 3000))]);
      const info = s.tokenInfo();
      out[name] = {
        ready, events, cleared, storage: s.storage,
        hours: info && Math.round((info.expiresAt - Date.now()) / 3600000),
        days: info && Math.round((info.refreshExpiresAt - Date.now()) / 86400000),
      };
      s.dispose();
    }
    return out;
  });
  for (const k of ['throws', 'rejects']) {
    assert.deepEqual(r[k], { ready: false, events: ['storageFallback:storage_unavailable'], cleared: 0, storage: 'memory', hours: null, days: null }, k);
  }
  for (const k of ['junk', 'array', 'newline', 'nan']) {
    assert.deepEqual(r[k], { ready: false, events: ['expired:corrupt_storage'], cleared: 1, storage: 'persistence', hours: null, days: null }, k);
  }
  assert.deepEqual(r.far, { ready: true, events: [], cleared: 0, storage: 'persistence', hours: 24, days: 400 }, 'believed for 24 h and 400 days at most');
});

test('an AbortSignal that fires while session.fetch waits for a refresh rejects it at once with the signal\'s AbortError; that call is never sent, the others go on', async () => {
  const page = await openApp(env.context, env.emu.base, { refreshTokens: true }, { clock: true });
  await loginByClicking(page);
  await env.emu.fault({ kind: 'delay', delay_ms: 2500 });
  await page.clock.fastForward('01:01:00'); // the browser's clock is past expiry: calls wait for the refresh
  const apiBefore = (await env.emu.log()).api_requests.length;
  await page.evaluate(() => {
    window.ac = new AbortController();
    const url = '/restapi/v1.0/account/~/extension/~';
    window.aborted = window.app.session.fetch(url, { signal: window.ac.signal }).then((r) => `resolved ${r.status}`, (e) => `${e.name} ${e === window.ac.signal.reason}`);
    window.other = window.app.session.fetch(url).then((r) => r.status, (e) => e.code);
  });
  await new Promise((ok) => setTimeout(ok, 300));
  const t0 = Date.now();
  await page.evaluate(() => window.ac.abort());
  assert.equal(await page.evaluate(() => window.aborted), 'AbortError true');
  assert.ok(Date.now() - t0 < 1000, `rejected ${Date.now() - t0} ms after the abort, not when the refresh landed`);
  assert.equal(await page.evaluate(() => window.other), 200, 'the call that still waited went after the refresh');
  const api = (await env.emu.log()).api_requests.slice(apiBefore);
  assert.equal(api.length, 1, 'the aborted call was never sent');
});

test('loginUrl(): state of 256 bits, PKCE S256 only, redirect_uri exactly the config\'s; authorizeParams cannot smuggle parameters', async () => {
  const page = await openApp(env.context, env.emu.base, {
    authorizeParams: { login_hint: 'a@b.example&redirect_uri=https://evil.example/', redirect_uri: 'https://evil.example/', scope: 'ReadAccounts CallControl', prompt: 'login' },
  });
  const urls = await page.evaluate(async () => [await window.app.session.loginUrl(), await window.app.session.loginUrl()]);
  const [a, b] = urls.map((u) => new URL(u));
  for (const u of [a, b]) {
    const q = u.searchParams;
    assert.equal(q.getAll('redirect_uri').length, 1);
    assert.equal(q.get('redirect_uri'), `${env.emu.base}/test/callback.html`);
    assert.equal(q.get('response_type'), 'code');
    assert.equal(q.get('code_challenge_method'), 'S256');
    assert.match(q.get('code_challenge'), /^[A-Za-z0-9_-]{43}$/);
    assert.match(q.get('state'), /^[A-Za-z0-9_-]{43,}$/, '≥ 256 bits of base64url');
    assert.equal(q.get('login_hint'), 'a@b.example&redirect_uri=https://evil.example/', 'encoded as one value');
    assert.equal(q.get('scope'), 'ReadAccounts CallControl');
    assert.equal(q.get('client_id'), 'demo-spa');
  }
  assert.notEqual(a.searchParams.get('state'), b.searchParams.get('state'), 'a fresh state per login');
  assert.notEqual(a.searchParams.get('code_challenge'), b.searchParams.get('code_challenge'), 'a fresh verifier per login');
});

test('after a login with each storage, no token is in localStorage, the URL, or a readable cookie', async () => {
  for (const storage of ['sessionStorage', 'cookie', 'memory']) {
    const page = await openApp(env.context, env.emu.base, { storage, refreshTokens: true });
    await loginByClicking(page);
    const tokens = (await (await fetch(`${env.emu.base}/_emulator/log?full=1`)).json()).token_requests.length;
    const seen = await page.evaluate(() => ({ local: Object.keys(localStorage).length, url: location.href, cookie: document.cookie }));
    assert.equal(seen.local, 0, storage);
    assert.ok(!/[?&#](code|state|access_token)=/.test(seen.url), `${storage}: ${seen.url}`);
    const log = await (await fetch(`${env.emu.base}/_emulator/log?full=1`)).json();
    const issued = log.api_requests.map((r) => r.token).concat(log.token_requests.map((r) => r.params.code)).filter(Boolean);
    assert.ok(tokens > 0);
    for (const t of issued) {
      assert.ok(!seen.url.includes(t) && !seen.cookie.includes(t), `${storage}: a token or code in clear`);
    }
    await page.evaluate(() => window.app.session.logout());
    await page.close();
  }
});
