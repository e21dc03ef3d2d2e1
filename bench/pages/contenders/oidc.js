// oidc-client-ts, as its docs say: UserManager, signinRedirect / signinRedirectCallback, the user kept in
// localStorage. On the standards server it reads the discovery document (`authority` only); on the RingCentral
// server (no discovery document) the endpoints are given as `metadata`. No fetch wrapper: a call is the usage its
// README shows — `getUser()`, renew with `signinSilent()` (refresh token) when the user is expired, then `fetch`
// with `Authorization: Bearer <user.access_token>`. It has no 401 handling.
import { A, CLIENT_ID, API, redirectUri, abs } from './common.js';

export const label = 'oidc-client-ts';
export const urls = ['/bench/dist/oidc.js'];

export const load = () => import('/bench/dist/oidc.js');
export function construct({ UserManager, WebStorageStateStore }) {
  return new UserManager({
    authority: A.issuer, client_id: CLIENT_ID, redirect_uri: redirectUri(), response_type: 'code', scope: A.scope || 'openid',
    ...(A.id === 'rc' ? {
      metadata: {
        issuer: A.issuer, authorization_endpoint: abs(A.endpoints.authorize), token_endpoint: abs(A.endpoints.token),
        revocation_endpoint: abs(A.endpoints.revoke),
      },
    } : {}),
    userStore: new WebStorageStateStore({ store: localStorage }),
  });
}
export async function open() { return construct(await load()); }
export async function loggedIn(m) {
  const user = await m.getUser();
  return !!user && !user.expired;
}
export const login = (m) => m.signinRedirect();
export async function callback(m) { await m.signinRedirectCallback(); return true; }
export async function get(m, path = API) {
  let user = await m.getUser();
  if (!user || user.expired) user = await m.signinSilent();
  return fetch(path, { headers: { authorization: `Bearer ${user.access_token}` } });
}
