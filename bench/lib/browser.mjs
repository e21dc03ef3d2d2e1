// Headless Chromium (Debian's) through playwright-core, plus the page helpers the scenarios share.
import { createRequire } from 'node:module';
import { ROOT } from './paths.mjs';

const { chromium } = createRequire(`${ROOT}/package.json`)('playwright-core');

export const CHROMIUM = '/usr/bin/chromium';

export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run',
      // Documents the bench fulfils itself (COOP/COEP headers added by page.route) have no address space of their
      // own, so Local Network Access would block their requests to the loopback servers.
      '--disable-features=LocalNetworkAccessChecks'],
  });
}

/** Waits for a bench page's `window.bench.done`, and throws what the page reported as its error. */
export async function benchReady(page, timeout = 30000) {
  await page.waitForFunction(() => window.bench && window.bench.done, null, { timeout });
  const state = await page.evaluate(() => ({ error: window.bench.error ?? null, ok: window.bench.ok ?? null }));
  if (state.error) throw new Error(`${page.url()}: ${state.error}`);
  return state;
}

/** A fresh browser context (its own cookies and storage) whose pages run in `arena` (`window.BENCH_ARENA`). */
export async function arenaContext(browser, arena) {
  const context = await browser.newContext();
  await context.addInitScript((cfg) => { window.BENCH_ARENA = cfg; }, arena.config);
  return context;
}

/** Every page error (uncaught exception or rejection) of the run, by page URL: the report counts them. */
export const PAGE_ERRORS = [];

/** Opens a page that reports its errors on the console of the bench (and in PAGE_ERRORS). */
export async function newPage(context) {
  const page = await context.newPage();
  page.on('pageerror', (e) => {
    PAGE_ERRORS.push(`${new URL(page.url()).pathname}: ${e.message}`);
    console.error(`[page] ${e.message}`);
  });
  return page;
}

/** A context of `arena` in which each of `ids` logged in once (its own login flow); the scenarios that only
 * read the stored tokens (overhead, memory, cold start) share it instead of logging in again. */
export async function loggedInContext(browser, arena, ids) {
  const context = await arenaContext(browser, arena);
  // Side by side, one tab each: their login state is per tab (sessionStorage), except @ringcentral/sdk's PKCE
  // verifier (localStorage), and it logs in once here.
  await Promise.all(ids.map((id) => login(context, arena.base, id)));
  return context;
}

/** Logs `contender` in, in `context`, through its own login method (top-frame redirect; the server's
 * consent is automatic); its tokens stay in the context's storage for the pages opened after. */
export async function login(context, base, contender) {
  const page = await newPage(context);
  await Promise.all([
    page.waitForURL(/[?&](code|error)=/, { timeout: 20000 }),
    page.goto(`${base}/bench/login.html?c=${contender}`),
  ]);
  await benchReady(page);
  const r = await page.evaluate(() => window.bench);
  if (!r.loggedIn) throw new Error(`${contender}: not logged in after its login flow`);
  await page.close();
}
