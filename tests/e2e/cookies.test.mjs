// Cookie tossing (issue 10, item 1): a sibling subdomain or an http:// sibling can set cookies for the parent
// domain, or for a narrower path, with the session's names. The defences, in real Chromium:
// - `__Host-` names wherever the browser takes them (https; Chromium also on http loopback): planted copies
//   with a Domain or a narrower Path are refused by the browser itself;
// - where it does not (plain http off loopback, here `app.example.test`, a secure context by switch so PKCE
//   works but without Secure cookies): a name listed twice is tampering (logged out, every copy removed,
//   `corrupt_storage`), and every value is AES-GCM sealed under the origin's non-extractable IndexedDB key, so
//   a value planted from another browser profile or edited does not open.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startEmulator, launchBrowser, openApp, loginByClicking } from './harness.mjs';
import { ROOT } from '../../scripts/emulator.mjs';

const env = {};
const COOKIE = { storage: 'cookie' };
before(async () => {
  env.emu = await startEmulator();
  // The OAuth server stays on loopback (a cleartext server elsewhere is refused: invalid_config); the app pages
  // live on app.example.test, which is where cookie names fall back to bare ones.
  COOKIE.server = env.emu.base;
  const port = env.emu.port;
  env.app = `http://app.example.test:${port}`;
  env.evil = `http://evil.example.test:${port}`;
  env.browser = await launchBrowser({ args: ['--host-resolver-rules=MAP *.example.test 127.0.0.1',
    `--unsafely-treat-insecure-origin-as-secure=${env.app}`] });
});
after(async () => { await env.browser?.close(); await env.emu?.stop(); });
beforeEach(async () => {
  await env.emu.reset();
  const apps = await env.emu.control('apps');
  const spa = apps.find((a) => a.client_id === 'demo-spa');
  spa.redirect_uris.push(`${env.app}/test/callback.html`);
  await env.emu.control('apps', spa);
  await env.context?.close();
  env.context = await env.browser.newContext();
});

const ours = (cookies) => cookies.filter((c) => /(^|-)oss\.[0-9a-f]{16}\./.test(c.name));
const jarNames = (page) => page.evaluate(() => document.cookie.split('; ').map((c) => c.split('=')[0]).filter((n) => n.includes('oss.')));
const events = (page, name) => page.evaluate((n) => window.app.events.filter((e) => e.name === n).map((e) => e.code), name);
async function reload(page) {
  await page.reload();
  await page.waitForFunction(() => window.app && window.app.done);
}
async function apiTokens() {
  return (await env.emu.log()).api_requests.map((a) => a.token).filter(Boolean);
}

/** The attacker's own session on the app, in their own browser profile: their cookie values and access token. */
async function attackerSession(base) {
  const ctx = await env.browser.newContext();
  const page = await openApp(ctx, base, COOKIE);
  await loginByClicking(page);
  assert.equal((await page.evaluate(() => window.app.call())).status, 200);
  const token = (await apiTokens()).at(-1);
  const cookies = ours(await ctx.cookies());
  await ctx.close();
  return { token, cookies };
}

/** From the attacker's sibling page: `document.cookie` lines with the session's names, as its Set-Cookie would. */
async function plant(lines) {
  const evil = await env.context.newPage();
  await evil.goto(`${env.evil}/`).catch(() => {}); // a 404 page is enough to run script on the sibling origin
  await evil.evaluate((ls) => { for (const l of ls) document.cookie = l; }, lines);
  await evil.close();
}

test('http loopback: __Host- names, Secure, Path=/, host-only; Chromium refuses planted copies; the user stays the user', async () => {
  const page = await openApp(env.context, env.emu.base, COOKIE);
  await loginByClicking(page);
  const mine = ours(await env.context.cookies());
  assert.ok(mine.length >= 2);
  for (const c of mine) {
    assert.ok(c.name.startsWith('__Host-oss.'), c.name);
    assert.equal(c.secure, true);
    assert.equal(c.path, '/');
    assert.equal(c.domain, '127.0.0.1', 'no Domain attribute');
    assert.match(c.value, /^v2\.|^\d+$/, 'AES-GCM sealed (or the chunk count)');
  }
  const attacker = await attackerSession(env.emu.base);
  // Planting with a Domain or a narrower Path, or without Secure: refused for a __Host- name.
  for (const c of attacker.cookies) {
    for (const bad of [{ domain: '.127.0.0.1', path: '/', secure: true }, { domain: '127.0.0.1', path: '/test', secure: true },
      { domain: '127.0.0.1', path: '/', secure: false }]) {
      await assert.rejects(env.context.addCookies([{ name: c.name, value: c.value, ...bad }]), JSON.stringify(bad));
    }
  }
  await page.evaluate((cs) => { for (const c of cs) document.cookie = `${c.name}=${c.value}; Path=/test; Secure`; }, attacker.cookies);
  const names = await jarNames(page);
  assert.equal(new Set(names).size, names.length, 'no name twice in document.cookie');
  await reload(page);
  assert.equal(await page.evaluate(() => window.app.session.isLoggedIn()), true);
  assert.equal((await page.evaluate(() => window.app.call())).status, 200);
  assert.notEqual((await apiTokens()).at(-1), attacker.token, 'the user\'s token, not the attacker\'s');
});

test('sibling subdomain plants its own session cookies (Domain=parent) into a logged-out browser ⇒ not logged in as the attacker, planted copies removed', async () => {
  const attacker = await attackerSession(env.app);
  assert.ok(attacker.cookies.every((c) => c.name.startsWith('oss.')), 'plain names where __Host- is refused');
  await plant(attacker.cookies.map((c) => `${c.name}=${c.value}; Path=/; Domain=example.test`));
  assert.equal(ours(await env.context.cookies()).filter((c) => c.domain === '.example.test').length, attacker.cookies.length, 'planted');
  const before = (await apiTokens()).length;
  const page = await openApp(env.context, env.app, COOKIE);
  assert.equal(await page.evaluate(() => window.app.error), null, 'init did not throw');
  assert.equal(await page.evaluate(() => window.app.session.isLoggedIn()), false, 'the planted value does not open here');
  const r = await page.evaluate(() => window.app.call());
  assert.equal(r.error.code, 'login_required');
  assert.ok(!(await apiTokens()).slice(before).includes(attacker.token), 'no attacker token sent');
  assert.deepEqual(ours(await env.context.cookies()), [], 'the planted copies are removed');
});

test('planted copies next to the user\'s own (parent Domain, narrower Path) ⇒ tampering: logged out, every copy removed, no attacker token', async () => {
  const attacker = await attackerSession(env.app);
  const page = await openApp(env.context, env.app, COOKIE);
  await loginByClicking(page);
  const user = (await page.evaluate(() => window.app.call()));
  assert.equal(user.status, 200);
  await plant([
    ...attacker.cookies.map((c) => `${c.name}=${c.value}; Path=/; Domain=example.test`),
    ...attacker.cookies.map((c) => `${c.name}=${c.value}; Path=/test; Domain=example.test`),
  ]);
  const names = await jarNames(page);
  assert.ok(names.length > new Set(names).size, `the names now appear twice: ${names}`);
  const before = (await apiTokens()).length;
  await reload(page);
  assert.equal(await page.evaluate(() => window.app.error), null);
  assert.equal(await page.evaluate(() => window.app.session.isLoggedIn()), false);
  assert.equal((await page.evaluate(() => window.app.call())).error.code, 'login_required');
  assert.ok(!(await apiTokens()).slice(before).includes(attacker.token), 'no attacker token sent');
  assert.deepEqual(ours(await env.context.cookies()), [], 'every copy removed: host-only, Domain=example.test, Path=/test');
});

test('tampering reaches the app as an `expired` event with corrupt_storage', async () => {
  const attacker = await attackerSession(env.app);
  const page = await openApp(env.context, env.app, COOKIE);
  await loginByClicking(page);
  await plant(attacker.cookies.map((c) => `${c.name}=${c.value}; Path=/; Domain=example.test`));
  await reload(page);
  assert.deepEqual(await events(page, 'expired'), ['corrupt_storage']);
  assert.deepEqual(await events(page, 'storageFallback'), [], 'cookies are still the storage');
  assert.equal(await page.evaluate(() => window.app.session.storage), 'cookie');
});

test('one flipped character in the sealed cookie ⇒ does not open: logged out, removed, init does not throw', async () => {
  const page = await openApp(env.context, env.emu.base, COOKIE);
  await loginByClicking(page);
  const c = ours(await env.context.cookies()).find((x) => x.value.startsWith('v2.'));
  const i = c.value.length - 6;
  const flipped = c.value.slice(0, i) + (c.value[i] === 'A' ? 'B' : 'A') + c.value.slice(i + 1);
  await page.evaluate(([n, v]) => { document.cookie = `${n}=${v}; Path=/; Secure; SameSite=Strict`; }, [c.name, flipped]);
  assert.ok((await page.evaluate(() => document.cookie)).includes(flipped));
  await reload(page);
  assert.equal(await page.evaluate(() => window.app.error), null);
  assert.equal(await page.evaluate(() => window.app.session.isLoggedIn()), false);
  assert.deepEqual(ours(await env.context.cookies()), []);
});

test('the sealing key is one non-extractable AES-GCM key in IndexedDB, shared by tabs that race to create it', async () => {
  const page = await openApp(env.context, env.emu.base, COOKIE);
  await loginByClicking(page);
  const key = await page.evaluate(async () => {
    const db = await new Promise((ok, no) => { const r = indexedDB.open('oauth-spa-session'); r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
    const all = await new Promise((ok) => { const r = db.transaction('keys').objectStore('keys').getAll(); r.onsuccess = () => ok(r.result); });
    const k = all[0];
    const exports = await Promise.all(['raw', 'jwk'].map((f) => crypto.subtle.exportKey(f, k).then(() => 'exported', (e) => e.name)));
    return { count: all.length, isKey: k instanceof CryptoKey, extractable: k.extractable, alg: k.algorithm, usages: k.usages, exports };
  });
  assert.deepEqual(key, { count: 1, isKey: true, extractable: false, alg: { name: 'AES-GCM', length: 256 }, usages: ['encrypt', 'decrypt'], exports: ['InvalidAccessError', 'InvalidAccessError'] });

  // Two tabs create keys for fresh names at the same moment; each opens what the other sealed.
  // js/glue.js's sealText/openText (the entry has them merged in, not exported), loaded in the page as a module of
  // their own: the same code, and the same IndexedDB store the session uses.
  const glueSrc = readFileSync(`${ROOT}/js/glue.js`, 'utf8');
  const tabs = [await openApp(env.context, env.emu.base, COOKIE), await openApp(env.context, env.emu.base, COOKIE)];
  const names = Array.from({ length: 8 }, (_, i) => `race-${i}`);
  const sealed = await Promise.all(tabs.map((t, ti) => t.evaluate(async ([g, ns, ti]) => {
    const { sealText } = await import(URL.createObjectURL(new Blob([g], { type: 'text/javascript' })));
    return Promise.all(ns.map((n) => sealText(n, `from tab ${ti}`)));
  }, [glueSrc, names, ti])));
  const opened = await Promise.all(tabs.map((t, ti) => t.evaluate(async ([g, ns, other]) => {
    const { openText } = await import(URL.createObjectURL(new Blob([g], { type: 'text/javascript' })));
    return Promise.all(ns.map((n, i) => openText(n, other[i])));
  }, [glueSrc, names, sealed[1 - ti]])));
  assert.deepEqual(opened[0], names.map(() => 'from tab 1'));
  assert.deepEqual(opened[1], names.map(() => 'from tab 0'));
  // The session itself: a tab opened now restores the session from the cookie with the same key.
  const third = await openApp(env.context, env.emu.base, COOKIE);
  assert.equal(await third.evaluate(() => window.app.session.isLoggedIn()), true);
});

test('no IndexedDB ⇒ cookies are not used unsealed: storageFallback storage_unavailable, login works in memory, no cookie written', async () => {
  const page = await openApp(env.context, env.emu.base, COOKIE, {
    initScript: () => { Object.defineProperty(window, 'indexedDB', { get() { throw new DOMException('denied', 'SecurityError'); } }); },
  });
  await loginByClicking(page);
  assert.equal(await page.evaluate(() => window.app.session.isLoggedIn()), true);
  assert.equal(await page.evaluate(() => window.app.session.storage), 'memory');
  assert.deepEqual(await events(page, 'storageFallback'), ['storage_unavailable']);
  assert.deepEqual(ours(await env.context.cookies()), []);
  assert.equal((await page.evaluate(() => window.app.call())).status, 200);
});
