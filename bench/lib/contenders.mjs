// Who takes part, under which name, and what a contender cannot do here (and why). The ids name the adapter
// modules in pages/contenders/ and the bundles in dist/.
export const CONTENDERS = [
  { id: 'ours', label: 'oauth-spa-session (ours)' },
  { id: 'ringcentral', label: '@ringcentral/sdk', pkg: '@ringcentral/sdk' },
  { id: 'badgateway', label: '@badgateway/oauth2-client', pkg: '@badgateway/oauth2-client' },
  { id: 'oidc', label: 'oidc-client-ts', pkg: 'oidc-client-ts' },
  { id: 'auth0', label: '@auth0/auth0-spa-js', pkg: '@auth0/auth0-spa-js' },
];
export const FLOOR = { id: 'raw', label: 'raw fetch + hand-set header (floor)' };
export const label = (id) => (id === FLOOR.id ? FLOOR : CONTENDERS.find((c) => c.id === id)).label;

const AUTH0_NO_SESSION = 'cannot: gets no session from a RingCentral server — its token requests go to '
  + '`<domain>/oauth/token` (RC: `/restapi/oauth/token`) and every token response must carry an OIDC `id_token`, '
  + 'which RC does not issue ("ID token is required but missing")';

export const CANNOT = {
  overhead: {
    oidc: 'cannot: no fetch wrapper — the app reads `user.access_token` and calls `fetch` itself',
    auth0: AUTH0_NO_SESSION,
  },
  burst: {
    oidc: 'cannot: no call path that refreshes on demand (no fetch wrapper); renewal is a timer '
      + '(`automaticSilentRenew`) or an app-called `signinSilent()`',
    auth0: AUTH0_NO_SESSION,
  },
  coldstart: {},
};
