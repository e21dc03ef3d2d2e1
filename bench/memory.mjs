// Scenario 5, memory: for each contender alone in a fresh tab of the home arena (pages/stub.html?c=<id>: the same
// in-process fetch stub), n calls (10,000 in a full run), then a forced GC (CDP HeapProfiler.collectGarbage) and
// the JS heap in use (CDP Runtime.getHeapUsage), before and after the calls; plus our wasm linear memory
// (`memory.buffer.byteLength` of the init output). One tab at a time, closed before the next opens, so no two
// contenders share a V8 heap. The floor's tab (no library) is the baseline.
import { newPage, benchReady } from './lib/browser.mjs';
import { ARENAS, HOME, FLOOR } from './lib/contenders.mjs';

async function heap(page) {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('HeapProfiler.enable');
    for (let i = 0; i < 2; i++) await cdp.send('HeapProfiler.collectGarbage');
    const { usedSize } = await cdp.send('Runtime.getHeapUsage');
    return usedSize;
  } finally {
    await cdp.detach();
  }
}

export async function measureMemory({ arenas, home, n }) {
  const arena = arenas[HOME];
  const ids = [FLOOR.id, ...ARENAS[HOME].ids];
  const context = await home(HOME); // every contender logged in there once
  const rows = [];
  {
    for (const id of ids) {
      const page = await newPage(context);
      await page.goto(`${arena.base}/bench/stub.html?c=${id}`);
      await benchReady(page);
      const before = await heap(page);
      const wasmBefore = await page.evaluate(() => window.bench.wasmMemory());
      const fetches = await page.evaluate((k) => window.bench.calls(k[0], k[1]), [id, n]);
      const after = await heap(page);
      const wasm = await page.evaluate(() => window.bench.wasmMemory());
      rows.push({ id, n, fetches, heapBefore: before, heapAfter: after, wasmBefore, wasm });
      await page.close();
    }
  }
  const base = rows.find((r) => r.id === FLOOR.id);
  for (const r of rows) r.heapOverFloor = r.heapAfter - base.heapAfter;
  return { rows, n, arena: HOME };
}
