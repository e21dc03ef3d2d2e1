// oauth-spa-session (this project): pkg/ as shipped; tokens in cookies, shared by the tabs of the site.
// `load({ wasm })`: 'streaming' (default: `init()` as the README says, i.e. the compilation the entry started with
// WebAssembly.compileStreaming when it was evaluated; on a page whose fetch is stubbed, the real fetch's response
// given to `init`), or a WebAssembly.Module / ArrayBuffer the page compiled or downloaded itself (the split cold
// start).
import { A, CLIENT_ID, API, redirectUri, realFetch } from './common.js';

export const label = 'oauth-spa-session';
export const JS_URL = '/pkg/oauth_spa_session.js';
export const WASM_URL = '/pkg/oauth_spa_session_bg.wasm';
export const urls = [JS_URL, WASM_URL];
let memory = null;
/** The phases of the last `load()` / `loadSplit()`, in ms. */
export let phases = {};

export async function load({ wasm = 'streaming' } = {}) {
  const t0 = performance.now();
  const lib = await import(JS_URL);
  const t1 = performance.now();
  const stubbed = !!window.BENCH_REAL_FETCH;
  const out = await lib.default(wasm !== 'streaming' ? { module_or_path: wasm } : stubbed ? { module_or_path: realFetch(WASM_URL) } : undefined);
  memory = out.memory;
  phases = { js: t1 - t0, wasmStreaming: performance.now() - t1 };
  return lib;
}
/** The same, step by step: the JS module, then the wasm fetched into an ArrayBuffer, `WebAssembly.compile`d, and
 * instantiated from the Module (wasm-bindgen's `init({module_or_path: module})`). */
export async function loadSplit() {
  const t0 = performance.now();
  const lib = await import(JS_URL);
  const t1 = performance.now();
  const res = await realFetch(WASM_URL);
  const buf = await res.arrayBuffer();
  const t2 = performance.now();
  const module = await WebAssembly.compile(buf);
  const t3 = performance.now();
  const out = await lib.default({ module_or_path: module });
  memory = out.memory;
  phases = { js: t1 - t0, download: t2 - t1, compile: t3 - t2, instantiate: performance.now() - t3, contentType: res.headers.get('content-type') };
  return lib;
}
export const construct = (lib) => new lib.Session({
  clientId: CLIENT_ID, server: new URL(A.server).origin, redirectUri: redirectUri(), refreshTokens: true, storage: 'cookie',
  ...(A.id === 'rc' ? {} : {
    endpoints: A.endpoints, apiOrigins: [new URL(A.server).origin], authorizeParams: { scope: A.scope },
  }),
});
export async function open(opts) { return construct(await load(opts)); }
export async function loggedIn(s) { await s.ready; return s.isLoggedIn(); }
export const login = (s) => s.login();
export const callback = (s) => s.handleRedirect();
export const get = (s, path = API) => s.fetch(path);
/** Bytes of our wasm linear memory (from the init output). */
export const wasmMemory = () => memory?.buffer.byteLength ?? null;
