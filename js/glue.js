// Hand-written JS that Rust cannot express: a real `Error` subclass, and the Web Locks call whose callback must
// return the promise that holds the lock. Rust imports both; the package entry re-exports SessionError so
// `instanceof SessionError` works for apps.

export class SessionError extends Error {
  constructor(code, description, status, errorCode, retryable, retryAfter) {
    super(description ? `${code}: ${description}` : code);
    this.name = 'SessionError';
    this.code = code;
    this.status = status ?? null;
    this.errorCode = errorCode ?? null;
    this.description = description ?? null;
    this.retryable = retryable;
    this.retryAfter = retryAfter ?? null;
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

export async function sendWithToken(req, token) {
  const headers = new Headers(req.headers);
  headers.set('Authorization', `Bearer ${token}`);
  return fetch(new Request(req, { headers }));
}

export const peekText = async (res) => res.clone().text();

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
