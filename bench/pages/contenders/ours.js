// oauth-spa-session (this project): pkg/ as shipped; tokens in cookies, shared by the tabs of the site.
import { CLIENT_ID, API, redirectUri } from './common.js';

export const label = 'oauth-spa-session';

export async function open() {
  const { default: init, Session } = await import('/pkg/oauth_spa_session.js');
  await init();
  const session = new Session({
    clientId: CLIENT_ID, server: location.origin, redirectUri: redirectUri(), refreshTokens: true, storage: 'cookie',
  });
  await session.ready;
  return session;
}
export const loggedIn = async (s) => s.isLoggedIn();
export const login = (s) => s.login();
export const callback = (s) => s.handleRedirect();
export const get = (s, path = API) => s.fetch(path);
