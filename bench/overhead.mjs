// Scenario 2, per-call overhead of each wrapper, two ways, in one headless Chromium tab (cross-origin isolated,
// so performance.now() steps 5 µs, not 100 µs):
//  - without the network (pages/stub.html): `fetch` replaced, before any library loads, by a stub that resolves
//    at once to a 200 `{}`; n calls per contender (≥ 10,000 in a full run), in the home arena where every
//    contender is logged in. What is left is the wrapper's own cost: token lookup, header, request object, its
//    promise chain, the response handling.
//  - over the network (pages/overhead.html): real GETs to each arena's API (`/restapi/v1.0/…` on the emulator,
//    `/me` on oidc-provider, cross-origin), fewer calls; the connection set-up dominates and the noise is large.
// Both interleave rounds of `block` calls whose order rotates every round, so machine drift hits all alike.
import { newPage, benchReady } from './lib/browser.mjs';
import { ARENAS, HOME, FLOOR } from './lib/contenders.mjs';
import { median, p99, mean, iqr } from './lib/stats.mjs';

async function isolatedPage(context, url) {
  const page = await newPage(context);
  // COOP/COEP on the page's document only (the route is gone before any measured request).
  await page.route(url, async (route) => {
    const res = await route.fetch();
    await route.fulfill({
      response: res,
      headers: { ...res.headers(), 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' },
    });
  });
  await page.goto(url);
  await benchReady(page);
  await page.unrouteAll({ behavior: 'wait' });
  return page;
}

function rows(ids, samples, rounds) {
  const floor = median(samples[FLOOR.id]);
  const floorMean = mean(rounds[FLOOR.id]);
  return ids.map((id) => {
    const s = samples[id];
    const med = median(s);
    const [q1, q3] = iqr(s);
    const m = mean(rounds[id]);
    return {
      id, calls: s.length, medianMs: med, q1Ms: q1, q3Ms: q3, p99Ms: p99(s), meanMs: m,
      roundSpreadMs: iqr(rounds[id]), overheadUs: (med - floor) * 1000, ratio: med / floor, meanRatio: m / floorMean,
    };
  });
}

async function measure({ home, arena, ids, page: pageName, n, block, warmup }) {
  // The arena's shared context, where every contender (and the floor) logged in once.
  const context = await home(arena.id);
  let page;
  try {
    page = await isolatedPage(context, `${arena.base}/bench/${pageName}?c=${ids.join(',')}`);
    const isolated = await page.evaluate(() => window.bench.isolated);
    const out = await page.evaluate((o) => window.bench.run(o), { n, block, warmup })
      .catch((e) => { throw new Error(`${arena.id} ${pageName}: ${e.message}`); });
    const res = { rows: rows(ids, out.samples, out.rounds), isolated, n, block, warmup };
    if (out.stubCalls !== undefined) {
      res.stubCalls = out.stubCalls;
      if (out.stubCalls !== n * ids.length) throw new Error(`stubbed overhead: ${out.stubCalls} fetches for ${n * ids.length} calls (a contender fetched more than once per call)`);
    }
    return res;
  } finally {
    await page?.close();
  }
}

export async function measureOverhead({ arenas, home, stub, net }) {
  const out = { stub: null, net: {} };
  out.stub = await measure({ home, arena: arenas[HOME], ids: [FLOOR.id, ...ARENAS[HOME].ids], page: 'stub.html', ...stub });
  out.stub.arena = HOME;
  for (const a of Object.keys(ARENAS)) {
    out.net[a] = await measure({ home, arena: arenas[a], ids: [FLOOR.id, ...ARENAS[a].ids], page: 'overhead.html', ...net });
  }
  return out;
}
