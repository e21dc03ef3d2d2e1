// Scenario 4, cold start, split: a fresh page load per run, timed in the page: load (the library's `import()`;
// for us also the wasm), construct, restore (stored tokens usable; no network: the run fails if any token
// request is made); downloads from Resource Timing. Ours twice: `init()` as shipped (instantiateStreaming) and
// step by step (fetch → ArrayBuffer, WebAssembly.compile, instantiate the Module). In the home arena, where every
// contender logged in for real. Runs are interleaved (one tab each, each with its own logged-in storage).
import { newPage, benchReady } from './lib/browser.mjs';
import { ARENAS, HOME } from './lib/contenders.mjs';
import { median, p95, iqr } from './lib/stats.mjs';

export const RESTORE = {
  ours: '`init()` (wasm) + `new Session` + `await session.ready` (cookies)',
  ringcentral: '`new SDK` + `await platform.loggedIn()` (localStorage)',
  badgateway: '`new OAuth2Client` + `new OAuth2Fetch` + `await getAccessToken()` (localStorage)',
  oidc: '`new UserManager` + `await getUser()` (localStorage)',
  auth0: '`new Auth0Client` + `await getTokenSilently({cacheMode: "cache-only"})` (localStorage)',
};
export const VARIANTS = [
  { key: 'ours', id: 'ours', query: 'c=ours&wasm=streaming', label: 'streaming' },
  { key: 'ours-split', id: 'ours', query: 'c=ours&wasm=split', label: 'ArrayBuffer' },
  ...ARENAS[HOME].ids.filter((id) => id !== 'ours').map((id) => ({ key: id, id, query: `c=${id}` })),
];
const PHASES = ['ms', 'load', 'construct', 'restore', 'download', 'js', 'wasmStreaming', 'compile', 'instantiate'];

export async function measureColdStart({ arenas, home, runs }) {
  const arena = arenas[HOME];
  const pages = {};
  const samples = Object.fromEntries(VARIANTS.map((v) => [v.key, Object.fromEntries(PHASES.map((p) => [p, []]))]));
  const restored = Object.fromEntries(VARIANTS.map((v) => [v.key, 0]));
  let contentType = null;
  try {
    const context = await home(HOME);
    for (const v of VARIANTS) pages[v.key] = await newPage(context);
    const wasm = await fetch(`${arena.base}/pkg/oauth_spa_session_bg.wasm`, { method: 'HEAD' });
    contentType = wasm.headers.get('content-type');
    const tokenRequests = (await arena.log()).token_requests.length;
    for (let r = 0; r < runs + 1; r++) {
      for (let k = 0; k < VARIANTS.length; k++) {
        const v = VARIANTS[(k + r) % VARIANTS.length];
        await pages[v.key].goto(`${arena.base}/bench/coldstart.html?${v.query}`);
        const { ok } = await benchReady(pages[v.key]);
        if (r === 0) continue; // the first load of each warms the browser's own caches, not the page's
        const b = await pages[v.key].evaluate(() => ({ ms: window.bench.ms, ...window.bench.split }));
        for (const p of PHASES) if (typeof b[p] === 'number') samples[v.key][p].push(b[p]);
        if (b.contentType) contentType = b.contentType;
        if (ok) restored[v.key] += 1;
      }
    }
    const refreshes = (await arena.log()).token_requests.length - tokenRequests;
    if (refreshes) throw new Error(`cold start made ${refreshes} token requests; it must only restore`);
    const stat = (xs) => (xs.length ? { median: median(xs), p95: p95(xs), iqr: iqr(xs) } : null);
    return {
      runs, arena: HOME, contentType,
      rows: VARIANTS.map((v) => ({
        key: v.key, id: v.id, variant: v.label, restored: restored[v.key], runs,
        medianMs: median(samples[v.key].ms), p95Ms: p95(samples[v.key].ms),
        phases: Object.fromEntries(PHASES.map((p) => [p, stat(samples[v.key][p])])),
      })),
    };
  } finally {
    for (const p of Object.values(pages)) await p.close();
  }
}
