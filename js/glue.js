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

export const makeRequest = (input, init, base) =>
  input instanceof Request ? new Request(input, init ?? {}) : new Request(new URL(String(input), base).href, init ?? {});

// A request that carries a token never follows a redirect: the browser would drop `Authorization` on a hop to
// another origin but send `DPoP` along, and a hop to a host outside `apiOrigins` must not see either. The app
// gets the redirect as its response (`type: 'opaqueredirect'`, status 0); a request the app sent with
// `redirect: 'error'` keeps it (it rejects). Same-origin hops are not followed either: the browser hides the
// target of a manual redirect, so nothing could check it against `apiOrigins`.
const noFollow = (req) => ({ redirect: req.redirect === 'error' ? 'error' : 'manual' });

// `req` is always the session's own Request (makeRequest copied the app's), so its headers are set in place:
// no second Request and Headers per call. `set` replaces, so a retry of the same request carries the new token.
export async function sendWithToken(req, token) {
  req.headers.set('Authorization', `Bearer ${token}`);
  return fetch(req, noFollow(req));
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
  let bin = '';
  for (const b of iv) bin += String.fromCharCode(b);
  for (const b of ct) bin += String.fromCharCode(b);
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

// ES256: WebCrypto's ECDSA signature is already the raw r ‖ s that JWS wants.
export const dpopSign = async (key, text) =>
  new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, utf8(text)));

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
  const m = { release: () => { m.gone = 1; m.held = 0; r(); } };
  navigator.locks.request(name, { mode: 'shared' }, () => { m.held = !m.gone; return new Promise((ok) => (r = ok)); }).catch(() => {});
  return m;
}

// Asks the tabs holding the mark `name` (not counting this tab's own) on `channel` for their pairs; each answers on
// a channel named by a fresh random id only this call listens on. Resolves to the answers once every such tab
// answered or after `ms`; at once to [] when none holds it (a lone tab waits for nothing).
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
  return got;
}

export function answerTab(id, pair) {
  const c = new BroadcastChannel(id);
  c.postMessage(pair);
  c.close();
}
