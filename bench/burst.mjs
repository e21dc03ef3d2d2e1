// Scenario 3, refresh under burst, in both arenas: the access token expires, then 1000 concurrent calls in one tab,
// and 4 tabs × 250 sharing the context's storage (cookies / localStorage). Counts the token requests the server
// saw, the calls that failed, the 401s the API gave, and the wall time until every call has settled.
//
// Expiry, two ways: "both clocks" = server clock +3700 s and the tabs' clocks +3700 s (the tab slept an hour:
// each library sees the expiry itself and takes its proactive refresh path); "server only" = server clock only
// (the token was revoked or expired early: the 401 path). Both servers issue 3600 s access tokens.
import { login, newPage, benchReady, arenaContext } from './lib/browser.mjs';
import { ARENAS } from './lib/contenders.mjs';

export const EXPIRY = { both: 'both clocks +1 h', server: 'server clock only (401 path)' };
const EXPIRE_S = 3700; // just past the access token's 3600 s

async function one({ arena, browser, id, tabs, per, expiry }) {
  await arena.reset();
  const context = await arenaContext(browser, arena);
  try {
    await login(context, arena.base, id);
    // Playwright's clock belongs to the context: installed once, before the tabs load side by side.
    await context.clock.install();
    const pages = await Promise.all(Array.from({ length: tabs }, async (_, t) => {
      const page = await newPage(context);
      await page.goto(`${arena.base}/bench/burst.html?c=${id}`);
      const { ok } = await benchReady(page);
      if (!ok) throw new Error(`${id}: tab ${t} not logged in`);
      return page;
    }));
    await arena.advance(EXPIRE_S);
    if (expiry === 'both') await context.clock.setSystemTime(Date.now() + EXPIRE_S * 1000);
    const before = await arena.log();
    const t0 = performance.now();
    const tallies = await Promise.all(pages.map((p) => p.evaluate((k) => window.bench.burst(k), per)));
    const ms = performance.now() - t0;
    const after = await arena.log();
    const outcomes = {};
    for (const t of tallies) for (const [k, v] of Object.entries(t)) outcomes[k] = (outcomes[k] || 0) + v;
    const api = after.api_requests.slice(before.api_requests.length);
    return {
      arena: arena.id, id, tabs, per, expiry,
      tokenRequests: after.token_requests.length - before.token_requests.length,
      failed: tabs * per - (outcomes['200'] || 0),
      unauthorized: api.filter((a) => a.status === 401).length,
      ms, outcomes,
    };
  } finally {
    await context.close();
  }
}

export async function measureBurst({ arenas, browser, shapes }) {
  const rows = [];
  for (const a of Object.keys(ARENAS)) {
    for (const { tabs, per } of shapes) {
      for (const expiry of Object.keys(EXPIRY)) {
        for (const id of ARENAS[a].ids) rows.push(await one({ arena: arenas[a], browser, id, tabs, per, expiry }));
      }
    }
  }
  return { rows };
}
