// Scenario 4, cold start: a fresh page load per run; time from importing the library (our wasm instantiation
// included) to stored tokens restored and usable — `session.ready` for us, construct + restore for the peers.
// Runs are interleaved across contenders (one tab each, each with its own logged-in storage).
import { login, newPage, benchReady } from './lib/browser.mjs';
import { CONTENDERS } from './lib/contenders.mjs';
import { median, p95 } from './lib/stats.mjs';

export const RESTORE = {
  ours: 'import + `init()` (wasm) + `new Session` + `await session.ready` (cookies)',
  ringcentral: 'import + `new SDK` + `await platform.loggedIn()` (localStorage)',
  badgateway: 'import + `new OAuth2Client` + `new OAuth2Fetch` + `await getAccessToken()` (localStorage)',
  oidc: 'import + `new UserManager` + `await getUser()` (localStorage)',
  auth0: 'import + `new Auth0Client` + `await getTokenSilently({cacheMode: "cache-only"})` (localStorage cache, seeded)',
};

export async function measureColdStart({ server, browser, runs }) {
  await server.reset();
  const ids = CONTENDERS.map((c) => c.id);
  const contexts = [];
  const pages = {};
  const times = Object.fromEntries(ids.map((id) => [id, []]));
  const restored = Object.fromEntries(ids.map((id) => [id, 0]));
  try {
    for (const id of ids) {
      const context = await browser.newContext();
      contexts.push(context);
      await login(context, server.base, id);
      pages[id] = await newPage(context);
    }
    const tokenRequests = (await server.log()).token_requests.length;
    for (let r = 0; r < runs + 1; r++) {
      for (let k = 0; k < ids.length; k++) {
        const id = ids[(k + r) % ids.length];
        await pages[id].goto(`${server.base}/bench/coldstart.html?c=${id}`);
        const { ok } = await benchReady(pages[id]);
        if (r === 0) continue; // the first load of each warms the browser's own caches, not the page's
        times[id].push(await pages[id].evaluate(() => window.bench.ms));
        if (ok) restored[id] += 1;
      }
    }
    const refreshes = (await server.log()).token_requests.length - tokenRequests;
    if (refreshes) throw new Error(`cold start made ${refreshes} token requests; it must only restore`);
    return {
      runs,
      rows: ids.map((id) => ({ id, medianMs: median(times[id]), p95Ms: p95(times[id]), restored: restored[id], runs })),
    };
  } finally {
    for (const c of contexts) await c.close();
  }
}
