// @badgateway/oauth2-client, as its README says: OAuth2Client with the server's endpoints, authorizationCode PKCE
// login, OAuth2Fetch with getStoredToken/storeToken in localStorage (refreshes when expired, and once on a 401).
import { A, CLIENT_ID, API, redirectUri } from './common.js';

const KEY = 'bench-badgateway-token';
export const label = '@badgateway/oauth2-client';
export const urls = ['/bench/dist/badgateway.js'];

export const load = () => import('/bench/dist/badgateway.js');
export function construct({ OAuth2Client, OAuth2Fetch, generateCodeVerifier }) {
  const client = new OAuth2Client({
    server: new URL(A.server).origin, clientId: CLIENT_ID,
    tokenEndpoint: A.endpoints.token, authorizationEndpoint: A.endpoints.authorize,
  });
  const wrapper = new OAuth2Fetch({
    client,
    getNewToken: () => null, // no interactive login from inside a call
    storeToken: (token) => localStorage.setItem(KEY, JSON.stringify(token)),
    getStoredToken: () => JSON.parse(localStorage.getItem(KEY) || 'null'),
  });
  return { client, wrapper, generateCodeVerifier };
}
export async function open() { return construct(await load()); }
export async function loggedIn(c) {
  try { await c.wrapper.getAccessToken(); return true; } catch { return false; }
}
export async function login(c) {
  const codeVerifier = await c.generateCodeVerifier();
  const state = crypto.randomUUID();
  sessionStorage.setItem('bench-badgateway-pkce', JSON.stringify({ codeVerifier, state }));
  location.assign(await c.client.authorizationCode.getAuthorizeUri({
    redirectUri: redirectUri(), state, codeVerifier, ...(A.scope ? { scope: A.scope.split(' ') } : {}),
  }));
}
export async function callback(c) {
  const { codeVerifier, state } = JSON.parse(sessionStorage.getItem('bench-badgateway-pkce'));
  const token = await c.client.authorizationCode.getTokenFromCodeRedirect(location.href, { redirectUri: redirectUri(), state, codeVerifier });
  localStorage.setItem(KEY, JSON.stringify(token));
  return true;
}
export const get = (c, path = API) => c.wrapper.fetch(path);
