// The demo page (www/) driven as a person would: every control is pressed and the timeline must show what the
// session did (marks), the hints must say what really happens, and settings must reach every tab. A screenshot
// of the page is written to test-results/ (git-ignored) as evidence: demo.png after the faults, demo-expired.png
// after the browser clock ran out.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { startEmulator, launchBrowser } from './harness.mjs';
import { ROOT } from '../../scripts/emulator.mjs';

let emu, browser;
before(async () => { emu = await startEmulator(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await emu?.stop(); });

/** Presses a clock or fault control and waits until the page has told the server. */
async function press(page, selector) {
  const before = await page.locator('#log li').count();
  await page.click(selector);
  await page.waitForFunction((n) => document.querySelectorAll('#log li').length > n, before);
}
const text = (page, sel) => page.locator(sel).textContent();
const marks = (page, kind) => page.locator(`#marks li[data-mark="${kind}"]`).count();
async function waitMark(page, kind, atLeast = 1) {
  await page.waitForFunction(([k, n]) => document.querySelectorAll(`#marks li[data-mark="${k}"]`).length >= n,
    [kind, atLeast], { timeout: 20000 }).catch(async (e) => {
    // What the page did show, to read the failure by.
    console.log(`no ${atLeast}× ${kind}; marks:\n${await text(page, '#marks')}\nlog:\n${await text(page, '#log')}`,
      JSON.stringify((await emu.log()).api_requests.map((a) => [a.seq, a.status, a.error_code])));
    throw e;
  });
  assert.ok(await page.locator(`#timeline [data-mark="${kind}"]`).count() >= 1, `${kind} on the timeline`);
}
async function openDemo(context) {
  const page = await context.newPage();
  const missing = [];
  page.on('response', (r) => { if (r.status() === 404) missing.push(r.url()); });
  page.on('pageerror', (e) => console.error('[pageerror]', e.message));
  await page.goto(`${emu.base}/`);
  await page.waitForFunction(() => document.querySelector('#status').textContent !== 'starting…');
  await page.waitForSelector('#server-controls:not([hidden])');
  return { page, missing };
}
async function logIn(page, button = '#login-pkce') {
  await Promise.all([page.waitForURL((u) => u.pathname !== '/' || u.search.includes('code=')), page.click(button)]);
  if (new URL(page.url()).pathname.startsWith('/restapi/oauth/authorize')) {
    await Promise.all([page.waitForURL((u) => u.pathname === '/'), page.click('#allow')]);
  }
  await page.waitForFunction(() => document.querySelector('#status').textContent === 'logged in');
}

test('the demo shows each control\'s effect on the timeline and shares cookie storage with a new tab', async () => {
  await emu.reset();
  const context = await browser.newContext();
  const { page, missing } = await openDemo(context);

  // Default settings: no refresh token, so the hint must say the session ends, not that it refreshes.
  await logIn(page);
  await waitMark(page, 'login');
  assert.equal(await text(page, '#flow'), 'authorization code + PKCE');
  assert.match(await text(page, '#clock-hint'), /session ends/);
  assert.doesNotMatch(await text(page, '#clock-hint'), /refreshes once/);
  await page.click('#call');
  await page.waitForFunction(() => document.querySelector('#api').textContent.startsWith('HTTP 200'));
  await press(page, '[data-advance="3700"]');
  await page.click('#call');
  await waitMark(page, '401');
  await waitMark(page, 'expired');
  // The API panel does not keep the earlier 200 after the failure.
  await page.waitForFunction(() => document.querySelector('#api').textContent.startsWith('failed — login_required'));
  assert.equal(await text(page, '#status'), 'logged out');

  // Cookie storage with refresh tokens: a new tab is logged in too, and sees cookie storage.
  await page.selectOption('#opt-storage', 'cookie');
  await page.check('#opt-refresh');
  await page.click('#apply');
  await logIn(page);
  assert.match(await text(page, '#clock-hint'), /refreshes once and retries/);
  const { page: tab2 } = await openDemo(context);
  assert.equal(await text(tab2, '#storage'), 'cookie');
  assert.equal(await text(tab2, '#status'), 'logged in');

  // Server clock only: the next call gets a 401, one refresh, one retry; the other tab hears of it.
  await press(page, '[data-advance="3700"]');
  await page.click('#call');
  await waitMark(page, '401');   // the login reloaded the page: its marks start again
  await waitMark(page, 'refresh');
  await waitMark(page, 'retry');
  await page.waitForFunction(() => document.querySelector('#api').textContent.startsWith('HTTP 200'));
  await waitMark(tab2, 'broadcast');

  // Each fault, then a refresh: each shows as a mark, and the session recovers.
  for (const [fault, kind] of [['drop_after_commit', 'lost'], ['status_503', '503'], ['status_429', 'rate-limit'],
    ['malformed_json', 'malformed']]) {
    const refreshes = await marks(page, 'refresh');
    await press(page, `[data-fault="${fault}"]`);
    await page.click('#refresh');
    await waitMark(page, kind);
    await waitMark(page, 'refresh', refreshes + 1);
  }
  assert.equal(await text(page, '#status'), 'logged in');
  mkdirSync(`${ROOT}/test-results`, { recursive: true });
  await page.screenshot({ path: `${ROOT}/test-results/demo.png`, fullPage: true });

  // Both clocks, no refresh token: with silent renewal (the default) the last minute renews the token through a
  // hidden prompt=none login; without it, "expiring" in the last minute, then the end, with no request sent.
  await page.uncheck('#opt-refresh');
  await page.selectOption('#opt-storage', 'sessionStorage');
  await page.click('#apply');
  await logIn(page);
  await page.check('#opt-browser-clock');
  assert.match(await text(page, '#clock-hint'), /Both clocks move.*renews silently/);
  const renewed = await marks(page, 'refresh');
  await press(page, '[data-advance="3540"]');
  await waitMark(page, 'refresh', renewed + 1);
  await page.uncheck('#opt-silent');
  await page.click('#apply');
  await page.waitForFunction(() => document.querySelector('#status').textContent === 'logged in');
  assert.match(await text(page, '#clock-hint'), /Both clocks move.*expiring/);
  await press(page, '[data-advance="3540"]');
  await waitMark(page, 'expiring');
  const expired = await marks(page, 'expired');
  await press(page, '[data-advance="300"]');
  await waitMark(page, 'expired', expired + 1);

  await page.screenshot({ path: `${ROOT}/test-results/demo-expired.png`, fullPage: true });
  assert.deepEqual(missing, [], 'no 404 (favicon included)');
  await context.close();
});

/** What the browser gets for the page's icon: `<link rel=icon>`'s href, else `/favicon.ico` (what a browser with
 * a tab strip asks for; headless Chromium asks for none, so the test fetches it as the browser would). */
const iconStatus = (page) => page.evaluate(async () => {
  const href = document.querySelector('link[rel~="icon"]')?.href ?? new URL('/favicon.ico', location.href).href;
  return href.startsWith('data:') ? 'inline' : (await fetch(href)).status;
});

test('Log out and the session\'s end clear the API panel; the demo and the sign-in page load without a 404', async () => {
  await emu.reset();
  const context = await browser.newContext();
  const { page, missing } = await openDemo(context);
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(`${page.url()}: ${m.text()}`); });
  assert.equal(await iconStatus(page), 'inline', 'the demo page names its icon');

  // The sign-in page: its icon is there, and nothing it loads is missing.
  await Promise.all([page.waitForURL((u) => u.pathname.startsWith('/restapi/oauth/authorize/login')), page.click('#login-pkce')]);
  assert.equal(await iconStatus(page), 'inline', 'the sign-in page names its icon');
  // Without one, /favicon.ico is what the browser asks for: never a 404.
  assert.equal(await page.evaluate(async () => (await fetch('/favicon.ico')).status), 204);
  await Promise.all([page.waitForURL((u) => u.pathname === '/'), page.click('#allow')]);
  await page.waitForFunction(() => document.querySelector('#status').textContent === 'logged in');

  // Log out: the user's data leaves the screen.
  await page.click('#call');
  await page.waitForFunction(() => document.querySelector('#api').textContent.startsWith('HTTP 200'));
  assert.match(await text(page, '#api'), /"extensionNumber"|"id"/);
  await page.click('#logout');
  await page.waitForFunction(() => document.querySelector('#status').textContent === 'logged out');
  await waitMark(page, 'logout');
  assert.equal(await text(page, '#api'), '–', 'the API panel is empty after Log out');

  // The session's end (both clocks past the token's end, no call): the same.
  await logIn(page);
  await page.click('#call');
  await page.waitForFunction(() => document.querySelector('#api').textContent.startsWith('HTTP 200'));
  await page.check('#opt-browser-clock');
  const expired = await marks(page, 'expired');
  await press(page, '[data-advance="3700"]');
  await waitMark(page, 'expired', expired + 1);
  assert.equal(await text(page, '#status'), 'logged out');
  assert.equal(await text(page, '#api'), '–', 'the API panel is empty after the session ended');

  assert.deepEqual(missing, [], 'no 404');
  assert.deepEqual(consoleErrors.filter((e) => /404/.test(e)), [], 'no 404 in the console');
  await context.close();
});
