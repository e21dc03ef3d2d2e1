import type { Ref } from 'vue';
import type { LoginPopupOptions, Session, SessionConfig, SessionError, TokenInfo } from './oauth_spa_session.js';

/** `'loading'` until the session is usable (`'ready'`) or could not be made (`'failed'`, with `error`). */
export type SessionStatus = 'loading' | 'ready' | 'failed';

export interface SessionRefs {
  /** `'ready'`: the session exists, its stored tokens are restored and the callback (if any) is consumed.
   * `'failed'`: no session: `init()` failed (e.g. `csp_blocked`: the page's CSP lacks 'wasm-unsafe-eval') or the
   * constructor did (e.g. `invalid_config`); render `error`. */
  readonly status: Readonly<Ref<SessionStatus>>;
  /** `status === 'ready'`: the session is usable (false while loading and after a failed start). */
  readonly ready: Readonly<Ref<boolean>>;
  readonly isLoggedIn: Readonly<Ref<boolean>>;
  readonly tokenInfo: Readonly<Ref<TokenInfo | null>>;
  /** Why the start failed (`status` `'failed'`), or, with `status` `'ready'`, the failure of `handleRedirect()`
   * (e.g. `access_denied`) if the callback failed. */
  readonly error: Readonly<Ref<SessionError | Error | null>>;
  /** The session itself, null unless `ready` (and during server rendering). */
  readonly session: Readonly<Ref<Session | null>>;
  /** Each action rejects with SessionError `not_ready` while there is no session (loading, failed, server side). */
  login(): Promise<void>;
  /** `session.loginPopup(options)` (a click handler keeps the gesture: the window opens synchronously). */
  loginPopup(options?: LoginPopupOptions): Promise<void>;
  logout(): Promise<void>;
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
}

/** Call in a component's `setup()`: creates the session when the component mounts (never during server
 * rendering), consumes the OAuth callback, refreshes the refs on every `change`, disposes it on unmount. */
export function provideSession(config: SessionConfig): SessionRefs;

/** In a descendant's `setup()`: the refs and actions of the nearest provideSession(). */
export function useSession(): SessionRefs;
