// @badgateway/oauth2-client, as its README says: OAuth2Client with our endpoints, authorizationCode PKCE login,
// OAuth2Fetch with getStoredToken/storeToken in localStorage (refreshes when expired, and once on a 401).
import { CLIENT_ID, API, redirectUri } from './common.js';

const KEY = 'bench-badgateway-token';
export const label = '@badgateway/oauth2-client';

export async function open() {
  const { OAuth2Client, OAuth2Fetch, generateCodeVerifier } = await import('/bench/dist/badgateway.js');
  const client = new OAuth2Client({
    server: location.origin, clientId: CLIENT_ID,
    tokenEndpoint: '/restapi/oauth/token', authorizationEndpoint: '/restapi/oauth/authorize',
  });
  const wrapper = new OAuth2Fetch({
    client,
    getNewToken: () => null, // no interactive login from inside a call
    storeToken: (token) => localStorage.setItem(KEY, JSON.stringify(token)),
    getStoredToken: () => JSON.parse(localStorage.getItem(KEY) || 'null'),
  });
  return { client, wrapper, generateCodeVerifier };
}
export async function loggedIn(c) {
  try { await c.wrapper.getAccessToken(); return true; } catch { return false; }
}
export async function login(c) {
  const codeVerifier = await c.generateCodeVerifier();
  const state = crypto.randomUUID();
  sessionStorage.setItem('bench-badgateway-pkce', JSON.stringify({ codeVerifier, state }));
  location.assign(await c.client.authorizationCode.getAuthorizeUri({ redirectUri: redirectUri(), state, codeVerifier }));
}
export async function callback(c) {
  const { codeVerifier, state } = JSON.parse(sessionStorage.getItem('bench-badgateway-pkce'));
  const token = await c.client.authorizationCode.getTokenFromCodeRedirect(location.href, { redirectUri: redirectUri(), state, codeVerifier });
  localStorage.setItem(KEY, JSON.stringify(token));
  return true;
}
export const get = (c, path = API) => c.wrapper.fetch(path);
