import type { ReactNode, ReactElement } from 'react';
import type { LoginPopupOptions, Session, SessionConfig, SessionError, TokenInfo } from './oauth_spa_session.js';

export interface SessionProviderProps {
  /** One session per distinct config (compared by value); a new config disposes the old session. */
  config: SessionConfig;
  children?: ReactNode;
}

/** Creates the session on the client (in an effect; server rendering creates none), consumes the OAuth callback,
 * and disposes the session on unmount or hot reload. StrictMode's double mount creates one session. */
export function SessionProvider(props: SessionProviderProps): ReactElement;

/** `'loading'` until the session is usable (`'ready'`) or could not be made (`'failed'`, with `error`). */
export type SessionStatus = 'loading' | 'ready' | 'failed';

/** The provider's state, narrowed by `status` (or `ready`): `session` is a Session exactly when `ready`. */
export type SessionState =
  | { readonly status: 'loading'; readonly ready: false; readonly session: null; readonly error: null }
  /** Usable. `error`: the failure of `handleRedirect()` (e.g. `access_denied`), if the callback failed. */
  | { readonly status: 'ready'; readonly ready: true; readonly session: Session; readonly error: SessionError | null }
  /** No session: `init()` failed (e.g. `csp_blocked`: the page's CSP lacks 'wasm-unsafe-eval') or the
   * constructor did (e.g. `invalid_config`). Render `error`; the actions reject with `not_ready`. */
  | { readonly status: 'failed'; readonly ready: false; readonly session: null; readonly error: SessionError | Error };

export type UseSession = SessionState & {
  /** True only while `ready`: logged in with tokens. */
  readonly isLoggedIn: boolean;
  readonly tokenInfo: TokenInfo | null;
  /** Each action rejects with SessionError `not_ready` while there is no session (loading, failed, server side). */
  login(): Promise<void>;
  /** `session.loginPopup(options)` (a click handler keeps the gesture: the window opens synchronously). */
  loginPopup(options?: LoginPopupOptions): Promise<void>;
  logout(): Promise<void>;
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
};

/** The nearest SessionProvider's session; re-renders on every `change` event. */
export function useSession(): UseSession;
