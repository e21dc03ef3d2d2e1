import type { Ref } from 'vue';
import type { LoginPopupOptions, Session, SessionConfig, SessionError, TokenInfo } from './oauth_spa_session.js';

export interface SessionRefs {
  /** False until the session exists, its stored tokens are restored and the callback (if any) is consumed. */
  readonly ready: Readonly<Ref<boolean>>;
  readonly isLoggedIn: Readonly<Ref<boolean>>;
  readonly tokenInfo: Readonly<Ref<TokenInfo | null>>;
  /** The failure of `init()`, the constructor (e.g. `invalid_config`) or `handleRedirect()`, if any. */
  readonly error: Readonly<Ref<SessionError | Error | null>>;
  /** The session itself, null before `ready` (and during server rendering). */
  readonly session: Readonly<Ref<Session | null>>;
  /** Each action rejects with SessionError `not_ready` before the session exists. */
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
