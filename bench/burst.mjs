// Scenario 3, refresh under burst, in both arenas: the access token expires, then 1000 concurrent calls in one tab,
// and 4 tabs × 250 sharing the context's storage (cookies / localStorage). Counts the token requests the server
// saw, the calls that failed, the 401s the API gave, and the wall time until every call has settled.
//
// Expiry, two ways: "both clocks" = server clock +3700 s and the tabs' clocks +3700 s (the tab slept an hour:
// each library sees the expiry itself and takes its proactive refresh path); "server only" = server clock only
// (the token was revoked or expired early: the 401 path). Both servers issue 3600 s access tokens.
//
// One login per contender and arena: the server is reset, the contender logs in once in a fresh context (Playwright
// clock installed), and its four runs follow in that context with the clocks moving on: 1 × 1000 (both, then server
// only) in one tab, then 4 × 250 (both, then server only) in that tab plus three more opened on the storage it left.
// The tabs stay loaded between runs (a library's state carries over as in an app that keeps running). A run that
// leaves the contender logged out (some peers drop their session on a failed refresh) is followed by a fresh login
// before its next run. All nine contender × arena sequences run side by side, each on a server of its own (same
// configuration), so their times carry each other's load alike; the counts are each contender's own.
import { login, newPage, benchReady, arenaContext } from './lib/browser.mjs';
import { ARENAS } from './lib/contenders.mjs';

export const EXPIRY = { both: 'both clocks +1 h', server: 'server clock only (401 path)' };
const EXPIRE_S = 3700; // just past the access token's 3600 s

/** A contender's burst rig in one arena: a logged-in context (its clock installed) and its open tabs. */
async function rig({ arena, browser, id }) {
  const r = { context: null, pages: [], tabMs: 0, logins: 0 };
  r.start = async () => {
    await r.context?.close();
    r.context = await arenaContext(browser, arena);
    r.pages = [];
    // The tabs' clock starts level with the server's (an id_token's iat must not lie in the tab's future).
    await r.context.clock.install({ time: Date.now() + r.tabMs });
    await login(r.context, arena.base, id);
    r.logins += 1;
  };
  r.tabs = async (n) => {
    while (r.pages.length < n) {
      const page = await newPage(r.context);
      await page.goto(`${arena.base}/bench/burst.html?c=${id}`);
      const { ok } = await benchReady(page);
      if (!ok) throw new Error(`${id}: tab ${r.pages.length} not logged in`);
      r.pages.push(page);
    }
    return r.pages.slice(0, n);
  };
  r.loggedIn = async (n) => (await Promise.all(r.pages.slice(0, n).map((p) => p.evaluate(() => window.bench.check())))).every(Boolean);
  return r;
}

async function run({ arena, r, id, tabs, per, expiry, serverMs }) {
  if (!r.context || !(await r.loggedIn(tabs))) {
    r.tabMs = serverMs.value;
    await r.start();
  }
  const pages = await r.tabs(tabs);
  await arena.advance(EXPIRE_S);
  serverMs.value += EXPIRE_S * 1000;
  if (expiry === 'both') {
    r.tabMs = serverMs.value;
    await r.context.clock.setSystemTime(Date.now() + r.tabMs);
  }
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
}

/** One contender's four runs in `arena`: a reset server, one login, then the runs in order. */
async function contenderRuns({ arena, browser, shapes, id }) {
  await arena.reset();
  const serverMs = { value: 0 };
  const r = await rig({ arena, browser, id });
  const rows = [];
  try {
    for (const { tabs, per } of shapes) {
      for (const expiry of Object.keys(EXPIRY)) rows.push(await run({ arena, r, id, tabs, per, expiry, serverMs }));
    }
  } finally {
    await r.context?.close();
  }
  return { rows, logins: r.logins };
}

/** Every contender of every arena side by side, each on a server of its own (`arenas.spare`): the same
 * configuration, its own clock and log, so the counts stay each contender's own. */
export async function measureBurst({ arenas, browser, shapes }) {
  const jobs = Object.keys(ARENAS).flatMap((a) => ARENAS[a].ids.map((id) => ({ a, id })));
  const results = await Promise.all(jobs.map(async ({ a, id }) => {
    const arena = await arenas.spare(a);
    try {
      return { a, ...(await contenderRuns({ arena, browser, shapes, id })) };
    } finally {
      await arena.stop();
    }
  }));
  const all = results.flatMap((x) => x.rows);
  const rows = [];
  // In the table's order: arena, shape, expiry, contender.
  for (const a of Object.keys(ARENAS)) {
    for (const { tabs, per } of shapes) {
      for (const expiry of Object.keys(EXPIRY)) {
        for (const id of ARENAS[a].ids) rows.push(all.find((x) => x.arena === a && x.id === id && x.tabs === tabs && x.per === per && x.expiry === expiry));
      }
    }
  }
  const logins = Object.fromEntries(Object.keys(ARENAS).map((a) => [a, results.filter((x) => x.a === a).reduce((n, x) => n + x.logins, 0)]));
  return { rows, logins, sideBySide: jobs.length };
}
