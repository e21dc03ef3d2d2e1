// @auth0/auth0-spa-js: Auth0Client pointed at this server (domain = its origin), localStorage cache.
// It cannot log in here: it posts to `/oauth/token` (RingCentral's is `/restapi/oauth/token`) and requires an
// OIDC id_token in every token response. For the cold start only, its cache is seeded through its own
// LocalStorageCache/CacheKey classes with tokens from a hand-written PKCE login.
import { CLIENT_ID, redirectUri, pkceLogin, pkceCallback } from './common.js';

export const label = '@auth0/auth0-spa-js';
const SCOPE = 'openid profile email offline_access';

export async function open() {
  const { Auth0Client } = await import('/bench/dist/auth0.js');
  return new Auth0Client({
    domain: location.origin, clientId: CLIENT_ID, cacheLocation: 'localstorage', useRefreshTokens: true,
    authorizationParams: { redirect_uri: redirectUri() },
  });
}
export async function loggedIn(a) {
  return !!(await a.getTokenSilently({ cacheMode: 'cache-only' }));
}
export const login = () => pkceLogin();
export async function callback() {
  const t = await pkceCallback();
  const { LocalStorageCache, CacheKey } = await import('/bench/dist/auth0.js');
  const cache = new LocalStorageCache();
  const claims = { sub: t.owner_id, aud: CLIENT_ID, iss: `${location.origin}/`, __raw: 'seeded' };
  const decodedToken = { claims, user: { sub: t.owner_id } };
  const key = new CacheKey({ clientId: CLIENT_ID, audience: 'default', scope: SCOPE }).toKey();
  cache.set(key, {
    body: {
      access_token: t.access_token, refresh_token: t.refresh_token, expires_in: t.expires_in, token_type: 'Bearer',
      id_token: 'seeded', decodedToken, scope: SCOPE, audience: 'default', client_id: CLIENT_ID,
    },
    expiresAt: Math.floor(Date.now() / 1000) + t.expires_in,
  });
  cache.set(new CacheKey({ clientId: CLIENT_ID }, '@@auth0spajs@@', '@@user@@').toKey(), { id_token: 'seeded', decodedToken });
  return true;
}
