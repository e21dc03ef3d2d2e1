// End-to-end: loginPopup() in real Chromium, the app on http://localhost and the OAuth server on
// http://127.0.0.1 (two sites). The popup is opened from a real click.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useEmulatorAndBrowser, openApp, tokenRequests, sleep } from './harness.mjs';

const env = useEmulatorAndBrowser();

/** The app page on localhost with a "Log in (popup)" button that records the promise's outcome. */
async function app(cfg = {}, opts) {
  const page = await openApp(env.context, env.emu.altBase, { server: env.emu.base, ...cfg }, opts);
  await page.evaluate(() => {
    const b = document.createElement('button');
    b.id = 'popup';
    b.textContent = 'Log in (popup)';
    b.onclick = () => {
      window.app.popup = { pending: true, t0: performance.now() };
      window.app.session.loginPopup().then(
        () => { window.app.popup = { ok: true, t: performance.now() - window.app.popup.t0 }; },
        (e) => { window.app.popup = { code: e.code, message: e.message, isSessionError: e instanceof window.app.SessionError, t: performance.now() - window.app.popup.t0 }; },
      );
    };
    document.body.append(b);
  });
  return page;
}

/** Clicks the button; returns the popup once it shows the server's sign-in page, with `authorizeUrl`: the
 * authorize request it made (the server answers it with a 302 to its sign-in page, so the popup's own URL is
 * that page's). */
async function openPopup(page) {
  const seen = [];
  const onRequest = (r) => { const u = new URL(r.url()); if (u.pathname === '/restapi/oauth/authorize') seen.push(u); };
  page.context().on('request', onRequest);
  const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('#popup')]);
  await popup.waitForURL(/\/restapi\/oauth\/authorize/);
  await popup.waitForSelector('#allow');
  page.context().off('request', onRequest);
  popup.authorizeUrl = seen.at(-1);
  return popup;
}

const outcome = (page) => page.waitForFunction(() => window.app.popup && !window.app.popup.pending && window.app.popup, null, { timeout: 15000 }).then((h) => h.jsonValue());
const codeGrants = async () => (await tokenRequests(env.emu)).filter((r) => r.grant_type === 'authorization_code');

test('login by clicking Allow in the popup: the opener is logged in, the popup closed, no URL carries the code', async () => {
  const page = await app();
  const before = page.url();
  const popup = await openPopup(page);
  const popupUrl = popup.authorizeUrl;
  assert.match(popupUrl.searchParams.get('state'), /^p\./, 'a popup login is marked in its state');
  assert.ok(popupUrl.searchParams.get('code_challenge'), 'PKCE');
  const closed = popup.waitForEvent('close');
  await popup.click('#allow');
  await closed;
  assert.deepEqual(await outcome(page).then((o) => o.ok), true);
  assert.equal(await page.evaluate(() => window.app.session.isLoggedIn()), true);
  assert.equal(page.url(), before, "the opener's URL never changed");
  assert.equal(await page.evaluate(() => window.app.count('login')), 1);
  const grants = await codeGrants();
  assert.equal(grants.length, 1);
  assert.ok(grants[0].params.code_verifier.length >= 43, 'the opener exchanged the code with its verifier');
  assert.equal(grants[0].origin, env.emu.altBase, 'from the app page');
  const r = await page.evaluate(() => window.app.call());
  assert.equal(r.status, 200);
  // The transaction was single use: nothing of it is left in the opener's sessionStorage.
  const left = await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.includes('.tx.')));
  assert.deepEqual(left, []);
});

test('the user closes the popup: popup_closed within 1 s, nothing exchanged', async () => {
  const page = await app();
  const popup = await openPopup(page);
  const t0 = await page.evaluate(() => performance.now());
  await popup.close();
  const o = await outcome(page);
  const t1 = await page.evaluate(() => performance.now());
  assert.equal(o.code, 'popup_closed');
  assert.equal(o.isSessionError, true);
  assert.ok(t1 - t0 < 1000, `reported ${Math.round(t1 - t0)} ms after the close`);
  assert.equal(await page.evaluate(() => window.app.session.isLoggedIn()), false);
  assert.equal((await codeGrants()).length, 0);
});

test('an unregistered redirectUri: the server shows its 400 page in the popup; closing it says the login did not come back', async () => {
  const redirectUri = `${env.emu.altBase}/test/not-registered.html`;
  const page = await app({ redirectUri });
  const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('#popup')]);
  await popup.waitForSelector('h1:text("400 Bad Request")');
  assert.match(await popup.textContent('#error'), /redirect_uri does not match a registered URI/);
  await sleep(1000); // the opener polls the popup a few times while it shows the server's page
  await popup.close();
  const o = await outcome(page);
  assert.equal(o.code, 'popup_closed');
  assert.equal(o.message, `popup_closed: the login popup was closed and the login did not come back to ${redirectUri}; if the server showed an error, check that this redirectUri is registered`);
  assert.equal((await codeGrants()).length, 0);
});

test('a popup that reached the redirectUri, whose page handed nothing back, says so when closed', async () => {
  // A page of the app's origin that does not load the package (no session, no hand-over).
  const redirectUri = `${env.emu.altBase}/test/no-session.html`;
  const apps = await env.emu.control('apps');
  const spa = apps.find((a) => a.client_id === 'demo-spa');
  spa.redirect_uris.push(redirectUri);
  await env.emu.control('apps', spa);
  const page = await app({ redirectUri });
  const popup = await openPopup(page);
  await Promise.all([popup.waitForURL((u) => u.href.startsWith(redirectUri)), popup.click('#allow')]);
  await sleep(1000);
  await popup.close();
  const o = await outcome(page);
  assert.equal(o.code, 'popup_closed');
  assert.match(o.message, new RegExp(`it reached ${redirectUri.replace(/[.]/g, '\\.')}, which handed nothing back`));
});

test('Deny in the popup: access_denied', async () => {
  const page = await app();
  const popup = await openPopup(page);
  await popup.click('#deny');
  const o = await outcome(page);
  assert.equal(o.code, 'access_denied');
  assert.equal(await page.evaluate(() => window.app.session.isLoggedIn()), false);
  assert.equal((await codeGrants()).length, 0);
});

test('a hand-over from another origin, or from a window of ours that is not the popup, is ignored', async () => {
  const page = await app();
  const popup = await openPopup(page);
  const state = popup.authorizeUrl.searchParams.get('state');
  const forged = `${env.emu.altBase}/test/callback.html?code=forged&state=${encodeURIComponent(state)}`;
  // Two frames in the app page post a well-formed hand-over with the right state and a forged code: one from the
  // server's origin (127.0.0.1, aimed at '*'), one from the app's own origin (not the popup).
  await page.evaluate(async ([foreign, own, url]) => {
    const load = (src) => new Promise((ok) => { const f = document.createElement('iframe'); f.onload = () => ok(f); f.src = src; document.body.append(f); });
    const a = await load(foreign);
    const b = await load(own);
    window.__frames = [a, b];
  }, [`${env.emu.base}/test/lifecycle.html`, `${env.emu.altBase}/test/lifecycle.html`]);
  for (const f of page.frames().filter((f) => f !== page.mainFrame())) {
    await f.evaluate((u) => { window.parent.postMessage({ oss: 'oauth-spa-session:callback', url: u }, '*'); }, forged);
  }
  // And the opener's own window (not the popup) posts to itself.
  await page.evaluate((u) => window.postMessage({ oss: 'oauth-spa-session:callback', url: u }, location.origin), forged);
  await sleep(300);
  assert.equal((await codeGrants()).length, 0, 'the forged code was never exchanged');
  assert.equal(await page.evaluate(() => window.app.popup.pending), true, 'still waiting for the popup');
  await popup.click('#allow');
  assert.equal((await outcome(page)).ok, true);
  const grants = await codeGrants();
  assert.equal(grants.length, 1);
  assert.notEqual(grants[0].params.code, 'forged');
});

test('window.open refused: popup_blocked at once', async () => {
  const page = await app({}, { initScript: () => { window.open = () => null; } });
  await page.click('#popup');
  const o = await outcome(page);
  assert.equal(o.code, 'popup_blocked');
});

test('demo page: "Log in (popup)", then "Renew silently" shows the silent renewal in the event log', async () => {
  const page = await env.context.newPage();
  await page.goto(`${env.emu.base}/`);
  await page.waitForSelector('#status.out');
  const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('#login-popup')]);
  await popup.waitForSelector('#allow');
  await popup.click('#allow');
  await page.waitForSelector('#status.in');
  await page.click('#renew');
  await page.waitForFunction(() => document.querySelector('#log').textContent.includes('silent renewal (prompt=none)'));
  const log = await page.textContent('#log');
  assert.match(log, /popup login: logged in/);
  assert.ok(!page.url().includes('code='));
});

test('no window.opener on the way back (as after a Cross-Origin-Opener-Policy page): the BroadcastChannel of the transaction carries it', async () => {
  // In the popup's callback page only, `opener` reads null.
  await env.context.addInitScript(() => {
    if (/[?&]state=p\./.test(location.search)) Object.defineProperty(window, 'opener', { get: () => null });
  });
  const page = await app();
  const popup = await openPopup(page);
  // The sign-in page (reached by the server's 302, its URL has no state) keeps its opener; only the callback loses it.
  assert.notEqual(await popup.evaluate(() => window.opener), null, 'the override is limited to the callback page');
  const closed = popup.waitForEvent('close');
  await popup.click('#allow');
  await closed;
  assert.equal((await outcome(page)).ok, true);
  assert.equal(await page.evaluate(() => window.app.session.isLoggedIn()), true);
  assert.equal((await codeGrants()).length, 1);
});

test('no answer within popupTimeoutSeconds: timeout, and the popup is closed', async () => {
  const page = await app({ popupTimeoutSeconds: 1 });
  const popup = await openPopup(page);
  const closed = popup.waitForEvent('close');
  const o = await outcome(page);
  assert.equal(o.code, 'timeout');
  assert.ok(o.t >= 1000 && o.t < 3000, `${Math.round(o.t)} ms`);
  await closed;
  assert.equal(await page.evaluate(() => window.app.session.isLoggedIn()), false);
  const left = await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.includes('.tx.')));
  assert.deepEqual(left, [], 'the transaction is gone');
});

test('a Cross-Origin-Opener-Policy page severs the popup: popup_closed at once, and the later hand-over still logs the session in', async () => {
  // What COOP does, imitated: once the popup leaves for the server, the opener's handle reads `closed` and is no
  // longer the message source, and the callback page has no `opener`; only the BroadcastChannel connects them.
  await env.context.addInitScript(() => {
    if (/[?&]state=p\./.test(location.search)) Object.defineProperty(window, 'opener', { get: () => null });
    const open = window.open;
    window.open = (...a) => {
      const w = open.apply(window, a);
      if (!w) return w;
      return new Proxy(w, {
        get(t, k) {
          let severed;
          try { severed = t.location.host !== location.host; } catch { severed = true; }
          if (k === 'closed') return severed;
          if (k === 'close' && severed) return () => {}; // a severed handle closes nothing
          const v = Reflect.get(t, k);
          return typeof v === 'function' ? v.bind(t) : v;
        },
      });
    };
  });
  const page = await app();
  const popup = await openPopup(page);
  assert.equal((await outcome(page)).code, 'popup_closed');
  assert.equal(await page.evaluate(() => window.app.session.isLoggedIn()), false);
  const closed = popup.waitForEvent('close');
  await popup.click('#allow');
  await closed;
  await page.waitForFunction(() => window.app.count('login') === 1, null, { timeout: 10000 });
  assert.equal(await page.evaluate(() => window.app.session.isLoggedIn()), true);
  assert.equal((await codeGrants()).length, 1);
});

test("a callback whose state is not the popup's: state_mismatch, nothing exchanged", async () => {
  // The way back is tampered with: the code arrives with another (popup-shaped) state.
  await env.context.route(/\/restapi\/oauth\/authorize\/decision/, async (route) => {
    const res = await route.fetch({ maxRedirects: 0 });
    const u = new URL(res.headers().location);
    u.searchParams.set('state', 'p.tampered');
    await route.fulfill({ response: res, headers: { ...res.headers(), location: u.href } });
  });
  const page = await app();
  const popup = await openPopup(page);
  await popup.click('#allow');
  const o = await outcome(page);
  assert.equal(o.code, 'state_mismatch');
  assert.equal(await page.evaluate(() => window.app.session.isLoggedIn()), false);
  assert.equal((await codeGrants()).length, 0);
});
