// @ringcentral/sdk, as its README says: SDK({server, clientId, redirectUri}), "Top Frame with PKCE" login,
// platform.get (refreshes when the token is expired, and once on a 401). Tokens in localStorage (its default).
// On the standards server: the SDK's own `authorizeEndpoint` / `tokenEndpoint` / `revokeEndpoint` options.
import { A, CLIENT_ID, API, redirectUri } from './common.js';

export const label = '@ringcentral/sdk';
export const urls = ['/bench/dist/ringcentral.js'];

export const load = () => import('/bench/dist/ringcentral.js');
export const construct = ({ SDK }) => new SDK({
  server: new URL(A.server).origin, clientId: CLIENT_ID, redirectUri: redirectUri(),
  ...(A.id === 'rc' ? {} : {
    authorizeEndpoint: A.endpoints.authorize, tokenEndpoint: A.endpoints.token, revokeEndpoint: A.endpoints.revoke,
  }),
}).platform();
export async function open() { return construct(await load()); }
export const loggedIn = (p) => p.loggedIn();
export async function login(p) {
  const url = p.loginUrl({ usePKCE: true, ...(A.scope ? { scope: A.scope } : {}) });
  localStorage.setItem('codeVerifier', p.codeVerifier);
  location.assign(url);
}
export async function callback(p) {
  const options = p.parseLoginRedirect(location.hash || location.search);
  options.code_verifier = localStorage.getItem('codeVerifier');
  await p.login(options);
  return true;
}
export const get = (p, path = API) => p.get(path);
