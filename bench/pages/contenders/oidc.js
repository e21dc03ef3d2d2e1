// oidc-client-ts, as its docs say: UserManager with the server's endpoints given as `metadata` (no discovery
// document here), signinRedirect / signinRedirectCallback, the user kept in localStorage. No fetch wrapper.
import { CLIENT_ID, redirectUri } from './common.js';

export const label = 'oidc-client-ts';

export async function open() {
  const { UserManager, WebStorageStateStore } = await import('/bench/dist/oidc.js');
  const o = location.origin;
  return new UserManager({
    authority: o, client_id: CLIENT_ID, redirect_uri: redirectUri(), response_type: 'code', scope: 'openid',
    metadata: {
      issuer: o, authorization_endpoint: `${o}/restapi/oauth/authorize`, token_endpoint: `${o}/restapi/oauth/token`,
      revocation_endpoint: `${o}/restapi/oauth/revoke`,
    },
    userStore: new WebStorageStateStore({ store: localStorage }),
  });
}
export async function loggedIn(m) {
  const user = await m.getUser();
  return !!user && !user.expired;
}
export const login = (m) => m.signinRedirect();
export async function callback(m) { await m.signinRedirectCallback(); return true; }
