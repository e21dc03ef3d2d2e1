// Scenario 2, session.fetch overhead: in one headless Chromium tab, N sequential authenticated GETs per contender
// (raw fetch with a hand-set header = the floor, ours, RC platform.get, badgateway OAuth2Fetch.fetch),
// interleaved in rounds of `block` calls whose order rotates, so machine drift hits all alike.
import { login, newPage, benchReady } from './lib/browser.mjs';
import { median, p95 } from './lib/stats.mjs';

export const OVERHEAD_IDS = ['raw', 'ours', 'ringcentral', 'badgateway'];

export async function measureOverhead({ server, browser, n, block, warmup }) {
  await server.reset();
  const context = await browser.newContext();
  try {
    for (const id of OVERHEAD_IDS) await login(context, server.base, id);
    const page = await newPage(context);
    // COOP/COEP on the page's document only (the route is gone before any measured request): a cross-origin
    // isolated page gets a 5 µs performance.now() instead of 100 µs.
    const url = `${server.base}/bench/overhead.html?c=${OVERHEAD_IDS.join(',')}`;
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
    const { isolated, resolution } = await page.evaluate(async () => ({
      isolated: window.bench.isolated, resolution: window.bench.resolution(),
    }));
    const samples = await page.evaluate((o) => window.bench.run(o), { n, block, warmup });
    const floor = median(samples.raw);
    const rows = OVERHEAD_IDS.map((id) => {
      const med = median(samples[id]);
      return {
        id, calls: samples[id].length, medianMs: med, p95Ms: p95(samples[id]),
        overheadUs: id === 'raw' ? 0 : (med - floor) * 1000, ratio: med / floor,
      };
    });
    return { rows, isolated, resolutionUs: resolution * 1000, n, block, warmup };
  } finally {
    await context.close();
  }
}
