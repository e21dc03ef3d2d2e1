// @ringcentral/sdk, as its README says: SDK({server, clientId, redirectUri}), "Top Frame with PKCE" login,
// platform.get (refreshes when the token is expired, and once on a 401). Tokens in localStorage (its default).
import { CLIENT_ID, API, redirectUri } from './common.js';

export const label = '@ringcentral/sdk';

export async function open() {
  const { SDK } = await import('/bench/dist/ringcentral.js');
  return new SDK({ server: location.origin, clientId: CLIENT_ID, redirectUri: redirectUri() }).platform();
}
export const loggedIn = (p) => p.loggedIn();
export async function login(p) {
  const url = p.loginUrl({ usePKCE: true });
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
