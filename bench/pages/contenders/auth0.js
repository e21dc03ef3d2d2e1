// @auth0/auth0-spa-js, as its docs say: Auth0Client({domain, clientId, authorizationParams}), refresh tokens,
// localStorage cache, loginWithRedirect / handleRedirectCallback, and its fetch wrapper
// `createFetcher().fetchWithAuth(url)` (getTokenSilently per call, then fetch with the bearer).
// Runs on the standards server only: it posts to `<domain>/oauth/token`, authorizes at `<domain>/authorize`,
// and requires an OIDC id_token (iss `<domain>/`) in every token response.
import { A, CLIENT_ID, API, redirectUri } from './common.js';

export const label = '@auth0/auth0-spa-js';
export const urls = ['/bench/dist/auth0.js'];

export const load = () => import('/bench/dist/auth0.js');
export function construct({ Auth0Client }) {
  const client = new Auth0Client({
    domain: new URL(A.server).origin, clientId: CLIENT_ID, cacheLocation: 'localstorage', useRefreshTokens: true,
    authorizationParams: { redirect_uri: redirectUri(), ...(A.scope ? { scope: A.scope } : {}) },
  });
  return { client, fetcher: client.createFetcher() };
}
export async function open() { return construct(await load()); }
export async function loggedIn({ client }) {
  try { return !!(await client.getTokenSilently({ cacheMode: 'cache-only' })); } catch { return false; }
}
export const login = ({ client }) => client.loginWithRedirect();
export async function callback({ client }) { await client.handleRedirectCallback(); return true; }
export const get = ({ fetcher }, path = API) => fetcher.fetchWithAuth(path);
