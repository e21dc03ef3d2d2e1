// Shared by the end-to-end tests: starts the RingCentral-compatible emulator (test mode) on a free loopback
// port, launches Debian's Chromium through playwright-core, and talks to the emulator's control API.
import { before, after, beforeEach } from 'node:test';
import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnEmulator, ROOT } from '../../scripts/emulator.mjs';

/** `extraStatic`: more `PREFIX=DIR` mounts for `--extra-static`, e.g. `['/vite=/abs/dist']`. */
export async function startEmulator({ extraStatic = [] } = {}) {
  const emu = await spawnEmulator(['--www', `${ROOT}/www`, '--pkg', `${ROOT}/pkg`, '--extra-static', `/test=${ROOT}/tests/pages`,
    ...extraStatic.flatMap((s) => ['--extra-static', s])]);
  return {
    ...emu,
    // The same server under its other loopback name: a different origin (and cookie jar) for cross-origin tests.
    altBase: `http://localhost:${emu.port}`,
    reset: () => emu.control('reset', {}),
    config: (c) => emu.control('config', c),
    fault: (f) => emu.control('faults', f),
  };
}

/** `args`: more Chromium switches (e.g. host-resolver rules for a test that needs more host names). */
export async function launchBrowser({ args = [] } = {}) {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', ...args],
  });
}

/** A Chromium profile of its own on disk (a persistent context: what silent renewal's iframe and shared cookies
 * need). `thirdPartyCookies`: allow them (the emulator's login cookie in a cross-site frame). Returns the context
 * and `close()`, which also removes the profile. */
export async function launchProfile({ thirdPartyCookies = true, prefix = 'oss-profile-' } = {}) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (thirdPartyCookies) {
    mkdirSync(join(dir, 'Default'));
    writeFileSync(join(dir, 'Default', 'Preferences'), JSON.stringify({ profile: { cookie_controls_mode: 0 } }));
  }
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium',
    args: ['--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
  });
  return { context, close: async () => { await context.close(); rmSync(dir, { recursive: true, force: true }); } };
}

/** Hooks for a test file: one emulator and one browser for the file, a reset server and a fresh browser
 * context (one profile: shared cookies and locks) per test. Read `env.emu`, `env.browser`, `env.context`. */
export function useEmulatorAndBrowser() {
  const env = {};
  before(async () => { env.emu = await startEmulator(); env.browser = await launchBrowser(); });
  after(async () => { await env.browser?.close(); await env.emu?.stop(); });
  beforeEach(async () => {
    await env.emu.reset();
    await env.context?.close();
    env.context = await env.browser.newContext();
  });
  return env;
}

/** Opens the test app page with a session config (`?cfg=<json>`) and waits for it to be ready. `clock`:
 * install Playwright's fake clock first (the test moves the browser's time); `initScript`: run before the page. */
export async function openApp(context, base, cfg = {}, { clock = false, initScript } = {}) {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('[pageerror]', e.message));
  if (clock) await page.clock.install();
  if (initScript) await page.addInitScript(initScript);
  await page.goto(`${base}/test/callback.html?cfg=${encodeURIComponent(JSON.stringify(cfg))}`);
  await page.waitForFunction(() => window.app && window.app.done);
  return page;
}

export const openAppWithClock = (context, base, cfg = {}) => openApp(context, base, cfg, { clock: true });

/** Waits for the app page to come back from a redirect and finish `handleRedirect`. */
export async function waitApp(page) {
  await page.waitForFunction(() => window.app && window.app.done, null, { timeout: 15000 });
  return page.evaluate(() => ({ handled: window.app.handled, error: window.app.error }));
}

/** Logs in through the emulator's authorize page, clicking `button` when the page is shown (a second login in
 * the same browser skips it: the emulator keeps a login session cookie, as RingCentral does). */
export async function loginByClicking(page, button = 'Allow') {
  await Promise.all([
    page.waitForURL((u) => !u.pathname.startsWith('/test/') || /[?#&](code|error|access_token)=/.test(u.href)),
    page.evaluate(() => { window.app.session.login(); }),
  ]);
  if (new URL(page.url()).pathname.startsWith('/restapi/oauth/authorize')) {
    await page.click(`button:has-text("${button}")`);
    await page.waitForURL(/\/test\/callback\.html/);
  }
  return waitApp(page);
}

export const tokenRequests = async (emu) => (await emu.log()).token_requests;
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
