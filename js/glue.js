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
