/** Where tokens are kept. `persistence` means the app's own adapter. Never localStorage. */
export type StorageName = 'sessionStorage' | 'cookie' | 'memory' | 'persistence';

/** The token set as handed to a persistence adapter: a versioned plain object; store it as it is. */
export interface StoredTokens {
  readonly v: number;
  readonly [field: string]: string | number | boolean | null;
}

/** An app adapter for tokens (then refresh tokens are used and rotated). Each method may return a promise.
 * Not a vault: `save` is given and `load()` returns the tokens, refresh token included, in page JavaScript, where
 * any script of the origin can read them. Use it with `dpop: true`: a DPoP-bound refresh token is useless without
 * this browser's non-extractable key. */
export interface PersistenceAdapter {
  load(): Promise<StoredTokens | null> | StoredTokens | null;
  save(tokens: StoredTokens): Promise<void> | void;
  clear(): Promise<void> | void;
}

/** Extra query parameters of the authorize request (empty strings are left out). */
export interface AuthorizeParams {
  /** RingCentral: the brand of the sign-in page, e.g. `'1210'` (a number is taken as its digits). */
  brand_id?: string | number;
  /** How the sign-in page is laid out. */
  display?: 'page' | 'popup' | 'touch' | 'mobile';
  /** OIDC `prompt`, e.g. `'login'` (ask again even with a login at the server) or `'consent'`. */
  prompt?: string;
  /** The sign-in page's language(s), e.g. `'en-US'`. */
  ui_locales?: string;
  /** Prefills the sign-in page's user name. */
  login_hint?: string;
  /** Space-separated scopes to ask for; default: the app's registered ones. */
  scope?: string;
}

/** The options of `new Session(config)`. A wrong value makes the constructor throw `invalid_config` naming the
 * option (e.g. `"apiOrigins: must be https …"`). */
export interface SessionConfig {
  /** The app's client ID, as registered with the OAuth server. Required. */
  clientId: string;
  /** The OAuth server, e.g. `https://platform.ringcentral.com`; https (http only for localhost, 127.0.0.0/8, [::1]).
   * Relative `session.fetch` URLs resolve under its path, with or without a leading `/`: with
   * `server: 'https://host/rc'`, `'/restapi/v1.0/x'` and `'restapi/v1.0/x'` both fetch `https://host/rc/restapi/v1.0/x`. */
  server: string;
  /** Where the server sends the login back: an absolute URL of this app (https, or http on a loopback host).
   * Required. It must equal one of the app's registered redirect URIs exactly, character for character (scheme,
   * host, port, path, trailing slash, query): `http://localhost:5173/` and `http://127.0.0.1:5173/` are different
   * URIs, and an unregistered one makes the server show an error page instead of coming back. The page there must
   * create the session and call `handleRedirect()` (a popup login too: there it hands the answer to the opener). */
  redirectUri: string;
  /** `'pkce'` (default): Authorization Code with PKCE S256. `'implicit'`: the legacy implicit grant (the token in
   * the URL fragment; no refresh token, no DPoP); only for a server that cannot do PKCE for this app. */
  flow?: 'pkce' | 'implicit';
  /** Default `'sessionStorage'` (per tab). `'cookie'` is shared by the tabs of the site. */
  storage?: 'sessionStorage' | 'cookie' | 'memory';
  /** The app's own backend for the tokens (`load`, `save`, `clear`); replaces `storage`. With it, refresh
   * tokens are asked for by default (`refreshTokens`). Never give it localStorage. */
  persistence?: PersistenceAdapter;
  /** Default: true when `persistence` is given, else false (then every token request sends `refresh_token_ttl=0`). */
  refreshTokens?: boolean;
  /** Seconds the access token should live, sent as `access_token_ttl` with every token request. Default: the
   * server's (RingCentral: 1 hour). */
  accessTokenTtl?: number;
  /** Seconds the refresh token should live, sent as `refresh_token_ttl` when `refreshTokens` is on. Default: the
   * server's (RingCentral: 1 week). */
  refreshTokenTtl?: number;
  /** Seconds before expiry to refresh, or to emit `expiring`. Default 60; clamped to half a token's life. */
  refreshMarginSeconds?: number;
  /** Origins that may receive the bearer token (https, or loopback http). Default: the origin of `server`.
   * `session.fetch` to any other origin goes out without the token; when that happens while logged in, the
   * console gets one warning per origin naming it and this option (e.g. `http://localhost:8080` is not
   * `http://127.0.0.1:8080`). The warning never contains a token. */
  apiOrigins?: string[];
  /** Paths (relative to `server`) or absolute https (loopback http) URLs; default RingCentral's `/restapi/oauth/…`. */
  endpoints?: { authorize?: string; token?: string; revoke?: string };
  /** Extra parameters of the authorize request (`brand_id`, `display`, `prompt`, `ui_locales`, `login_hint`,
   * `scope`). */
  authorizeParams?: AuthorizeParams;
  /** RFC 9207: the authorization server's issuer identifier. When set, every authorization response must carry
   * an `iss` equal to it byte for byte, else `handleRedirect()` rejects with `issuer_mismatch`. When not set,
   * `iss` is ignored (and removed from the URL with the other response parameters). */
  issuer?: string;
  /** RFC 9449: bind tokens to a non-extractable ECDSA P-256 key of this browser and send a DPoP proof with every
   * token request and every `session.fetch` to `apiOrigins`. Default false (no key, no IndexedDB, no proof). Needs
   * `flow: 'pkce'`. `true` fails closed: a server that answers the proof with bearer tokens is refused
   * (`dpop_downgrade`, nothing stored); `'prefer'` uses them (`dpopDowngrade` says so). */
  dpop?: boolean | 'prefer';
  /** Renew silently (a hidden `prompt=none` authorize request, answered from the server's login cookie)
   * `refreshMarginSeconds` before the access token expires, when there is no refresh token. Default: true when
   * refresh tokens are off (the default), else false. Fails (then `expiring`, `expired`) where the browser
   * blocks third-party cookies. */
  silentRenew?: boolean;
  /** Seconds a silent renewal may take before it counts as failed. Default 10. */
  silentTimeoutSeconds?: number;
  /** Seconds `loginPopup()` waits for the login to finish. Default 300. */
  popupTimeoutSeconds?: number;
  /** With `storage: 'sessionStorage'` (per tab), the tabs of this app (same `clientId` and `server`) form one
   * session: a new tab asks a logged-in tab for the current tokens over a BroadcastChannel (only when one holds
   * the session, seen through Web Locks, so a lone tab's `ready` is not delayed), then refreshes, logs out and
   * follows another user's login together with it. Nothing is written anywhere that outlives the tabs.
   * Default true; `false`: each tab keeps its own session. Needs Web Locks and BroadcastChannel; not with
   * `dpop` (keys are per tab). Cookie and `persistence` storage share anyway. */
  shareTabs?: boolean;
}

export interface LoginPopupOptions {
  /** The third argument of `window.open`. Default `'popup,width=500,height=650'`. */
  windowFeatures?: string;
  /** Overrides `popupTimeoutSeconds` for this login. */
  timeoutSeconds?: number;
}

/** What the app may know about the tokens; never the token strings. Times are epoch milliseconds. */
export interface TokenInfo {
  expiresAt: number;
  refreshExpiresAt?: number;
  scope: string | null;
  ownerId: string | null;
  hasRefreshToken: boolean;
  /** `'DPoP'`: bound to this browser's key (sent with a proof); `'Bearer'`: usable by whoever holds it. */
  tokenType: 'Bearer' | 'DPoP';
}

export type SessionErrorCode =
  | 'login_required' | 'state_mismatch' | 'access_denied' | 'invalid_grant' | 'invalid_client'
  | 'invalid_request' | 'network' | 'timeout' | 'rate_limited' | 'server_error' | 'invalid_response'
  | 'storage_unavailable' | 'corrupt_storage' | 'invalid_config' | 'lock_timeout' | 'issuer_mismatch'
  /** `expired`'s detail when new tokens (a silent renewal, another tab's, `persistence.load()`) belong to another
   * user (`ownerId`) than the session's: that session ended, and the new user's is announced as `login`. */
  | 'owner_changed'
  /** `init()` only: the page's Content-Security-Policy refused to compile the wasm (add 'wasm-unsafe-eval'). */
  | 'csp_blocked'
  /** `loginPopup()`: the browser refused to open the window (call it from a click handler). */
  | 'popup_blocked'
  /** `loginPopup()`: the user closed the popup before the login finished. */
  | 'popup_closed'
  /** `dpop: true` and the server issued bearer tokens: refused, nothing stored (`dpop: 'prefer'` accepts them). */
  | 'dpop_downgrade'
  /** From the server on a silent renewal (`renew()`): the user must interact. */
  | 'interaction_required' | 'consent_required'
  /** Under Node (server rendering): the package imports, but `init()` and `new Session()` fail with this. */
  | 'unsupported_environment'
  /** `oauth-spa-session/react` and `/vue` actions called before the session exists (server side, or before `ready`). */
  | 'not_ready'
  /** DPoP or PKCE: the browser's WebCrypto refused to work (e.g. not a secure context). */
  | 'crypto_unavailable'
  /** The server answered with an OAuth `error` this library has no code for: that string is in `serverCode`. */
  | 'oauth_error';

/** Every error the session rejects with or emits. */
export class SessionError extends Error {
  readonly name: 'SessionError';
  /** Stable machine-readable code, always one of SessionErrorCode's names. */
  readonly code: SessionErrorCode;
  /** With `code` `'oauth_error'`: the server's own OAuth `error` value (e.g. `'unauthorized_client'`); else null. */
  readonly serverCode: string | null;
  readonly status: number | null;
  /** RingCentral's code when present, e.g. `OAU-210`, `CMN-301`. */
  readonly errorCode: string | null;
  readonly description: string | null;
  /** True for network errors, timeouts, 5xx and 429: the tokens were kept. */
  readonly retryable: boolean;
  /** Seconds, from `Retry-After`, when the server sent one. */
  readonly retryAfter: number | null;
}

export interface SessionEvents {
  login: TokenInfo;
  /** New tokens for the session: a refresh, a silent (`prompt=none`) renewal, or another tab's; always of the
   * same user (another user's tokens end the session and are a `login`). */
  refresh: TokenInfo;
  refreshError: SessionError;
  /** The access token is about to expire and cannot be refreshed: offer the user to log in again. */
  expiring: TokenInfo;
  /** The session ended without a logout (expired, a terminal refresh error, or `owner_changed`: new tokens of
   * another user, which follow as `login`). */
  expired: SessionError | null;
  logout: null;
  rateLimit: SessionError;
  /** The chosen storage refused to work; tokens are kept in memory from now on. */
  storageFallback: SessionError;
  /** Tokens changed for any reason (login, refresh, another tab, logout). */
  change: TokenInfo | null;
  /** `dpop: 'prefer'`, but the server issued a bearer token (`tokenType: 'Bearer'`); the session uses it as such. */
  dpopDowngrade: TokenInfo;
}

export interface Session {
  /** Logs in in a popup; resolves once this page's session is logged in. Call it from a click handler (the window
   * is opened synchronously). Rejects with `popup_blocked`, `popup_closed`, `timeout`, `access_denied`,
   * `state_mismatch` … */
  loginPopup(options?: LoginPopupOptions): Promise<void>;
  /** New tokens now without interaction: a refresh when there is a refresh token, else a silent (`prompt=none`)
   * renewal; also logs a logged-out session in while the server's login lives. Rejects with the reason
   * (`login_required`, `interaction_required`, `timeout` …). */
  renew(): Promise<void>;
  /** Subscribes; returns the function that unsubscribes. */
  on<K extends keyof SessionEvents>(name: K, listener: (detail: SessionEvents[K]) => void): () => void;
}
