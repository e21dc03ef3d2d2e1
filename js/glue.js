// Hand-written JS that Rust cannot express: a real `Error` subclass, and the Web Locks call whose callback must
// return the promise that holds the lock. Rust imports both; the package entry re-exports SessionError so
// `instanceof SessionError` works for apps.

export class SessionError extends Error {
  constructor(code, description, status, errorCode, retryable, retryAfter, serverCode) {
    const head = serverCode ? `${code} (${serverCode})` : code;
    super(description ? `${head}: ${description}` : head);
    this.name = 'SessionError';
    this.code = code;
    this.status = status ?? null;
    this.errorCode = errorCode ?? null;
    this.description = description ?? null;
    this.retryable = retryable;
    this.retryAfter = retryAfter ?? null;
    this.serverCode = serverCode ?? null;
  }
}

export function locksAvailable() {
  return typeof navigator !== 'undefined' && !!navigator.locks && typeof navigator.locks.request === 'function';
}

// Runs `work()` (a function returning a promise) while holding the exclusive lock `name`. Waiting for the lock is
// bounded by `timeoutMs`: on timeout the returned promise rejects with a DOMException named 'AbortError' and `work`
// never runs. A holder that crashes or closes its tab releases the lock (the browser guarantees it).
export function withLock(name, timeoutMs, work) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  return navigator.locks.request(name, { mode: 'exclusive', signal: ctl.signal }, () => {
    clearTimeout(timer);
    return work();
  }).finally(() => clearTimeout(timer));
}

// Raw I/O plumbing for src/web (the Rust side documents each); every decision stays in Rust.

// The session's own copy of the app's request (undefined for a null or undefined input). With `light` (no DPoP), a
// URL string without a body needs no Request object, the costliest part of a call: `{ url, init }`, the URL
// resolved against `base` and serialized by the URL parser, `init` the app's, untouched (a body-less request is
// its own copy for a retry). Otherwise a Request; a string that is already an absolute http(s) URL is not parsed
// twice (the Request parses it).
export function makeRequest(input, init, base, light) {
  if (input == null) return undefined;
  if (input instanceof Request) return new Request(input, init ?? {});
  const s = String(input);
  if (light && init?.body == null) {
    // The last URL parsed, kept: an app calls the same few endpoints over and over (the parse is deterministic).
    if (s !== lastUrl[0] || base !== lastUrl[1]) {
      const u = new URL(s, base);
      lastUrl = [s, base, u.href, u.origin];
    }
    return { url: lastUrl[2], origin: lastUrl[3], init };
  }
  return new Request(/^https?:\/\//i.test(s) ? s : new URL(s, base).href, init ?? {});
}

let lastUrl = [];

// The app's AbortSignal of a `session.fetch` (`init.signal`, or its Request's): when it fires, `hook(id, reason,
// false)`, so a call that waits for a refresh ends at once; the listener goes when the app's promise `p` settles.
export function watchAbort(input, init, hook, id, p) {
  const s = init?.signal ?? input?.signal;
  if (!s?.addEventListener) return;
  const f = () => hook(id, s.reason, false);
  if (s.aborted) return void queueMicrotask(f);
  const done = new AbortController();
  s.addEventListener('abort', f, { once: true, signal: done.signal });
  const end = () => done.abort();
  p.then(end, end);
}

// `fetch` of the session's copy as the app made it (a request that is not ours to authenticate).
export function sendPlain(req) {
  try {
    return Promise.resolve(req instanceof Request ? fetch(req) : fetch(req.url, req.init));
  } catch (e) {
    return Promise.reject(e);
  }
}

// The request's origin as the browser's URL parser serializes it (the one `fetch` obeys; "null" when opaque). An
// http(s) URL of a Request is already serialized (no credentials: the Request refuses them; the path starts with
// `/`), so its origin is the text before the path; anything else goes through `new URL`.
export function originOf(req) {
  if (req.origin) return req.origin; // a `{ url, origin, init }`: known from its parse
  const u = req.url;
  if (u.startsWith('https://') || u.startsWith('http://')) {
    const i = u.indexOf('/', u.indexOf(':') + 3);
    return i < 0 ? u : u.slice(0, i);
  }
  try { return new URL(u).origin; } catch { return 'null'; }
}

// A request that carries a token never follows a redirect: the browser would drop `Authorization` on a hop to
// another origin but send `DPoP` along, and a hop to a host outside `apiOrigins` must not see either. The app
// gets the redirect as its response (`type: 'opaqueredirect'`, status 0); a request the app sent with
// `redirect: 'error'` keeps it (it rejects). Same-origin hops are not followed either: the browser hides the
// target of a manual redirect, so nothing could check it against `apiOrigins`.
const noFollow = (req) => ({ redirect: req.redirect === 'error' ? 'error' : 'manual' });

// A Request is always the session's own (makeRequest copied the app's), so its headers are set in place: no second
// Request and Headers per call. `set` replaces, so a retry of the same request carries the new token. A `{ url, init }`
// goes with the app's init under new headers and redirect mode (own properties of an object whose prototype is the
// init: fetch reads every other member from the app's init as it would have).
export function sendWithToken(req, token) {
  try {
    if (req instanceof Request) {
      req.headers.set('Authorization', `Bearer ${token}`);
      return Promise.resolve(fetch(req, noFollow(req)));
    }
    const { init } = req;
    const headers = new Headers(init?.headers);
    headers.set('Authorization', `Bearer ${token}`);
    const own = init == null ? { headers, redirect: 'manual' }
      : Object.create(init, { headers: { value: headers, enumerable: true }, redirect: { value: noFollow(init).redirect, enumerable: true } });
    return Promise.resolve(fetch(req.url, own));
  } catch (e) {
    return Promise.reject(e);
  }
}

// DPoP (RFC 9449): the token under the DPoP scheme, next to its proof. On a copy of the request: a body-less
// request is its own retry copy, and a proof left on it would go along if the retry is sent as bearer (a server
// that downgraded the session on refresh).
export async function sendWithDpop(req, token, proof) {
  const headers = new Headers(req.headers);
  headers.set('Authorization', `DPoP ${token}`);
  headers.set('DPoP', proof);
  return fetch(new Request(req, { headers, ...noFollow(req) }));
}

// A body as text, read through its stream and given up past `max` bytes: the stream is cancelled there (the
// browser stops downloading) and the result is null. A 2 MB token answer used to be read whole, then refused.
export async function readCapped(res, max) {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const parts = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.byteLength;
    if (n > max) {
      reader.cancel().catch(() => {});
      return null;
    }
    parts.push(value);
  }
  const all = new Uint8Array(n);
  n = 0;
  for (const p of parts) { all.set(p, n); n += p.byteLength; }
  return new TextDecoder().decode(all);
}

// A form POST to the token or revoke endpoint (src/web/http.rs reads the answer): `{ status, body, retryAfter,
// nonce }`, the body parsed (undefined when it is not JSON or longer than `max` bytes), `nonce` only when `dpop` (a
// proof) was sent; status 0 when the request or the body read failed, -1 when `timeoutMs` ran out first. Never rejects.
export async function postForm(url, form, timeoutMs, dpop, max) {
  const signal = AbortSignal.timeout(timeoutMs);
  const headers = { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' };
  if (dpop) headers.DPoP = dpop;
  try {
    // The body carries a code, a refresh token or a proof: a redirect (to anywhere) is a failure, never a resend.
    const res = await fetch(url, { method: 'POST', headers, body: form, signal, redirect: 'error' });
    const text = await readCapped(res, max);
    let body;
    try { if (text != null) body = JSON.parse(text); } catch {}
    const h = res.headers;
    return { status: res.status, body, retryAfter: h.get('Retry-After'), nonce: dpop ? h.get('DPoP-Nonce') : null };
  } catch {
    return { status: signal.aborted ? -1 : 0 };
  }
}

// A 401's body, from a copy (the app reads the response itself), capped like every body the session reads.
export const peekText = (res, max) => readCapped(res.clone(), max);

export const spareOf = (req) => (req.body ? req.clone() : req);

export class Emitter {
  list = [];
  on(name, f) {
    const entry = [name, f];
    this.list.push(entry);
    return () => {
      this.list = this.list.filter((e) => e !== entry);
    };
  }
  emit(name, detail) {
    for (const [n, f] of this.list.slice()) {
      if (n === name) {
        try {
          f.call(null, detail);
        } catch {}
      }
    }
  }
}

export const track = (p, call, f) => p.then((r) => f(call, r, true), (e) => f(call, e, false));

// The driver's other callbacks, all through its one hook (src/web/driver.rs): a listener, a lock's work, a timer.
export const bindHook = (hook, id, data) => (e) => hook(id, data ? e.data : undefined, true);
export const lockWork = (hook, id) => () => new Promise((release) => hook(id, release, true));
export const setTimer = (ms, hook, id) => setTimeout(hook, ms, id, undefined, true);
export const clearTimer = (h) => clearTimeout(h);

// The cookie seal's key: one AES-GCM key per storage name, generated non-extractable and kept in IndexedDB, so
// every tab of the origin opens what another sealed. Two tabs creating it at once: each generates a candidate,
// then a readwrite transaction (they run one at a time per store) keeps the first one stored and both use it.
const keys = new Map();
const req = (r) => new Promise((ok, no) => { r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });

async function withKeys(mode, f) {
  const open = indexedDB.open('oauth-spa-session', 1);
  open.onupgradeneeded = () => open.result.createObjectStore('keys');
  const db = await req(open);
  try {
    const tx = db.transaction('keys', mode);
    const v = await f(tx.objectStore('keys'));
    await new Promise((ok, no) => { tx.oncomplete = ok; tx.onabort = tx.onerror = () => no(tx.error); });
    return v;
  } finally {
    db.close();
  }
}

const aesKey = () => crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);

async function makeKey(name, generate = aesKey) {
  const found = await withKeys('readonly', (s) => req(s.get(name)));
  if (found) return found;
  const fresh = await generate();
  return withKeys('readwrite', async (s) => {
    const first = await req(s.get(name));
    if (first) return first;
    s.put(fresh, name);
    return fresh;
  });
}

function keyFor(name) {
  let k = keys.get(name);
  if (!k) {
    k = makeKey(name);
    keys.set(name, k);
    k.catch(() => keys.delete(name));
  }
  return k;
}

const utf8 = (s) => new TextEncoder().encode(s);

// Rejects when no key can be had (no IndexedDB or WebCrypto): the caller says storage_unavailable.
export async function sealText(name, text) {
  const key = await keyFor(name);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: utf8(name) }, key, utf8(text)));
  const all = new Uint8Array(12 + ct.length);
  all.set(iv);
  all.set(ct, 12);
  return b64u(all);
}

// base64url without padding.
function b64u(bytes) {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// The text, or null when `body` (base64url of iv ‖ ciphertext) does not open under the key and `name`; rejects
// only when no key can be had.
export async function openText(name, body) {
  const key = await keyFor(name);
  try {
    const bin = atob(body.replace(/-/g, '+').replace(/_/g, '/'));
    const all = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    const pt = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: all.subarray(0, 12), additionalData: utf8(name) }, key, all.subarray(12));
    return new TextDecoder('utf-8', { fatal: true }).decode(pt);
  } catch {
    return null;
  }
}

// DPoP's key: an ECDSA P-256 pair whose private half is non-extractable, kept (as the CryptoKeyPair) in the same
// IndexedDB store as the cookie seal's key, under its own name, so the tabs of the origin share it; with
// `persist` false (storage: 'memory', or IndexedDB refused) only in this page's memory. Resolves to the private
// key and the public coordinates (a public key is always exportable). The key material never reaches Rust.
const dpopKeys = new Map();
const memoryOnly = new Set(); // names whose key lives in this page only (storage: 'memory', or IndexedDB refused)
const ecKey = () => crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);

const usable = async (pair) => {
  const { x, y } = await crypto.subtle.exportKey('jwk', pair.publicKey);
  return { key: pair.privateKey, x, y };
};
// Keys a logout deleted, kept in memory for the one revoke that follows (`last`).
const retired = new Map();

export function dpopKey(name, persist, last) {
  const old = last && retired.get(name);
  if (old) {
    retired.delete(name);
    // No key was stored (none ever made): a throwaway one, never stored.
    return old.then((k) => k || ecKey().then(usable));
  }
  let k = dpopKeys.get(name);
  if (!k) {
    k = (async () => {
      if (!persist) memoryOnly.add(name);
      return usable(persist ? await makeKey(name, ecKey).catch(() => { memoryOnly.add(name); return ecKey(); }) : await ecKey());
    })();
    dpopKeys.set(name, k);
    k.catch(() => dpopKeys.delete(name));
  }
  return k;
}

// One proof (src/web/dpop_signer.rs): the key, the SHA-256 of `token` when the proof is bound to one (`ath`), the
// signing input from Rust's `build` (the header and claims are protocol::dpop_proof's), then the ES256 signature
// appended: WebCrypto's ECDSA signature is already the raw r ‖ s that JWS wants. Rejects when no key can be had.
export async function dpopProve(name, persist, last, token, build, method, url, nonce) {
  const k = await dpopKey(name, persist, last);
  const ath = token == null ? undefined : new Uint8Array(await crypto.subtle.digest('SHA-256', utf8(token)));
  const input = build(k.x, k.y, ath, method, url, nonce);
  return `${input}.${b64u(new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, k.key, utf8(input))))}`;
}

// Drops the key from this page's memory (a memory-only key is its only copy: kept unless `del`); with `del`, from
// IndexedDB too, at once (a logout: before its revoke is sent, so a tab closed meanwhile leaves no key behind).
// The logout's revoke still signs with it: it waits in `retired` (read first from IndexedDB if this page never
// loaded it).
export async function dpopForget(name, del, persist) {
  if (!del && memoryOnly.has(name)) return;
  const held = dpopKeys.get(name);
  dpopKeys.delete(name);
  memoryOnly.delete(name);
  if (!del) return;
  const kept = held ?? (persist ? withKeys('readonly', (s) => req(s.get(name))).then((p) => p && usable(p)) : null);
  if (kept) {
    retired.set(name, kept);
    kept.catch(() => {});
  }
  if (persist) {
    await kept?.catch(() => {});
    await withKeys('readwrite', (s) => { s.delete(name); });
  }
}

// `window`, or undefined outside one (a worker): what `web_sys::window()` finds, without js-sys's four-way search
// for the global object.
export function theWindow() {
  return typeof Window == 'function' && globalThis instanceof Window ? globalThis : undefined;
}

// The package entry's `init` passes its failure through here: a WebAssembly compilation the page's
// Content-Security-Policy refused becomes a SessionError naming the directive; anything else is unchanged.
export function initFailed(e) {
  const m = String(e && e.message);
  if ((e instanceof WebAssembly.CompileError || e instanceof EvalError) && /Content.Security|CSP|unsafe-eval|Refused/i.test(m)) {
    throw new SessionError('csp_blocked', "the page's Content-Security-Policy does not allow WebAssembly: add 'wasm-unsafe-eval' to script-src", null, null, false);
  }
  throw e;
}

// Tabs that join (per-tab storage, src/web/join.rs). The presence mark: a shared Web Lock `name` held while this
// tab holds the session, where an asking tab looks. Lets `mark` go, and with `on` takes a new one.
export function present(mark, name, on) {
  mark?.release();
  if (!on) return null;
  let r;
  // Released before the browser granted it (a dispose() or logout right after): nothing to let go yet, and the
  // grant that comes later is given back at once, so no gone session stays counted as a holder.
  const m = { release: () => { m.gone = 1; m.held = 0; r?.(); } };
  navigator.locks.request(name, { mode: 'shared' }, () => { m.held = !m.gone; return m.gone ? null : new Promise((ok) => (r = ok)); }).catch(() => {});
  return m;
}

// Asks the tabs holding the mark `name` (not counting this tab's own) on `channel` for their pairs; each answers on
// a channel named by a fresh random id only this call listens on. Resolves once every such tab answered or after
// `ms`, at once when none holds it (a lone tab waits for nothing), to [how many did not answer, ...the answers].
export async function askTabs(channel, name, mark, ms) {
  const { held } = await navigator.locks.query();
  let n = held.filter((l) => l.name === name).length - (mark?.held ? 1 : 0);
  const got = [];
  if (n > 0) {
    const back = new BroadcastChannel(`${name}#${crypto.randomUUID()}`);
    await new Promise((done) => {
      setTimeout(done, ms);
      back.onmessage = (e) => got.push(e.data) < n || done();
      channel.postMessage(`ask:${back.name}`);
    });
    back.close();
  }
  got.unshift(Math.max(0, n - got.length));
  return got;
}

export function answerTab(id, pair) {
  const c = new BroadcastChannel(id);
  c.postMessage(pair);
  c.close();
}
