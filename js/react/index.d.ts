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

export interface UseSession {
  /** False until the session exists, its stored tokens are restored and the callback (if any) is consumed. */
  readonly ready: boolean;
  readonly isLoggedIn: boolean;
  readonly tokenInfo: TokenInfo | null;
  /** The failure of `init()`, the constructor (e.g. `invalid_config`) or `handleRedirect()`, if any. */
  readonly error: SessionError | Error | null;
  /** The session itself, null before `ready` (and during server rendering). */
  readonly session: Session | null;
  /** Each action rejects with SessionError `not_ready` before the session exists. */
  login(): Promise<void>;
  /** `session.loginPopup(options)` (a click handler keeps the gesture: the window opens synchronously). */
  loginPopup(options?: LoginPopupOptions): Promise<void>;
  logout(): Promise<void>;
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
}

/** The nearest SessionProvider's session; re-renders on every `change` event. */
export function useSession(): UseSession;
