// Compiled with `tsc --noEmit` by the test suite under every tests/types/tsconfig*.json: the published .d.ts types the config, events and errors
// exactly. Lines marked @ts-expect-error must fail to type-check, or tsc reports them as unused.
import init, { Session, SessionError, type SessionConfig, type TokenInfo, type SessionErrorCode } from 'oauth-spa-session';

await init();
const config: SessionConfig = {
  clientId: 'abc',
  server: 'https://platform.ringcentral.com',
  redirectUri: 'https://app.example/callback',
  flow: 'pkce',
  storage: 'cookie',
  refreshMarginSeconds: 60,
  apiOrigins: ['https://platform.ringcentral.com'],
  endpoints: { token: '/restapi/oauth/token' },
  authorizeParams: { display: 'popup', brand_id: '1210' },
  issuer: 'https://platform.ringcentral.com',
  persistence: { load: async () => null, save: async () => {}, clear: () => {} },
};
const session = new Session(config);
const loggedIn: boolean = await session.ready;
const res: Response = await session.fetch('/restapi/v1.0/account/~/extension/~', { method: 'GET' });
const info: TokenInfo | null = session.tokenInfo();
const off: () => void = session.on('refresh', (t) => { const at: number = t.expiresAt; void at; });
session.on('refreshError', (e) => { const c: SessionErrorCode = e.code; const r: boolean = e.retryable; void c; void r; });
session.on('expired', (e) => { if (e) { const s: number | null = e.status; void s; } });
off();
try { await session.refresh(); } catch (e) {
  if (e instanceof SessionError) { const code: string = e.code; const oau: string | null = e.errorCode; void code; void oau; }
}
void loggedIn; void res; void info;

// @ts-expect-error: localStorage is not a storage option
const bad: SessionConfig = { clientId: 'a', server: 's', redirectUri: 'r', storage: 'localStorage' };
// @ts-expect-error: unknown event names are rejected
session.on('loginSuccess', () => {});
// @ts-expect-error: refresh listeners get TokenInfo, which has no token strings
session.on('refresh', (t) => t.accessToken);
void bad;
const mixUp: SessionErrorCode = 'issuer_mismatch';
// @ts-expect-error: issuer is a URL string
const badIssuer: SessionConfig = { clientId: 'a', server: 's', redirectUri: 'r', issuer: true };
void mixUp; void badIssuer;
// SessionErrorCode is exact: a misspelled code does not compile; a server's own code arrives in `serverCode`.
try { await session.renew(); } catch (e) {
  if (e instanceof SessionError) {
    // @ts-expect-error: 'login_requierd' is not a SessionErrorCode
    if (e.code === 'login_requierd') void e;
    if (e.code === 'oauth_error') { const server: string | null = e.serverCode; void server; }
    const known: SessionErrorCode = 'csp_blocked';
    void known;
  }
}
// @ts-expect-error: an arbitrary string is not a SessionErrorCode
const typo: SessionErrorCode = 'unauthorized_client';
void typo;
// DPoP: a boolean option, the token kind in TokenInfo, and the downgrade event.
const dpopConfig: SessionConfig = { clientId: 'a', server: 's', redirectUri: 'r', dpop: true };
session.on('dpopDowngrade', (t) => { const k: 'Bearer' | 'DPoP' = t.tokenType; void k; });
if (info) { const kind: 'Bearer' | 'DPoP' = info.tokenType; void kind; }
const preferDpop: SessionConfig = { clientId: 'a', server: 's', redirectUri: 'r', dpop: 'prefer' };
// @ts-expect-error: dpop is a boolean or 'prefer'
const badDpop: SessionConfig = { clientId: 'a', server: 's', redirectUri: 'r', dpop: 'yes' };
void dpopConfig; void badDpop; void preferDpop;

// Popup login and silent renewal.
const silent: SessionConfig = { clientId: 'a', server: 's', redirectUri: 'r', silentRenew: true, silentTimeoutSeconds: 10, popupTimeoutSeconds: 300 };
const popupDone: Promise<void> = session.loginPopup({ windowFeatures: 'popup,width=480,height=640', timeoutSeconds: 120 });
const renewed: Promise<void> = session.renew();
await session.loginPopup();
const blocked: SessionErrorCode = 'popup_blocked';
const closed: SessionErrorCode = 'popup_closed';
// @ts-expect-error: silentRenew is a boolean
const badSilent: SessionConfig = { clientId: 'a', server: 's', redirectUri: 'r', silentRenew: 'yes' };
// @ts-expect-error: loginPopup takes options, not a URL
session.loginPopup('https://evil.example');
void silent; void popupDone; void renewed; void blocked; void closed; void badSilent;
