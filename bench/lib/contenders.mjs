// Who takes part, under which name, in which arena, and what a contender cannot do there (and why). The ids name
// the adapter modules in pages/contenders/ and the bundles in dist/.
export const CONTENDERS = [
  { id: 'ours', label: 'oauth-spa-session (ours)' },
  { id: 'ringcentral', label: '@ringcentral/sdk', pkg: '@ringcentral/sdk' },
  { id: 'badgateway', label: '@badgateway/oauth2-client', pkg: '@badgateway/oauth2-client' },
  { id: 'oidc', label: 'oidc-client-ts', pkg: 'oidc-client-ts' },
  { id: 'auth0', label: '@auth0/auth0-spa-js', pkg: '@auth0/auth0-spa-js' },
];
export const IDS = CONTENDERS.map((c) => c.id);
export const FLOOR = { id: 'raw', label: 'raw fetch + hand-set header (floor)' };
export const label = (id) => (id === FLOOR.id ? FLOOR : CONTENDERS.find((c) => c.id === id)).label;

/** How each contender makes an authenticated call (what the overhead and burst scenarios time). */
export const CALL = {
  raw: '`fetch(url, {headers: {authorization: "Bearer …"}})`',
  ours: '`session.fetch(url)`',
  ringcentral: '`platform.get(url)`',
  badgateway: '`OAuth2Fetch.fetch(url)`',
  oidc: 'no fetch wrapper; its documented usage: `await mgr.getUser()` (+ `signinSilent()` when expired), then `fetch` with the bearer',
  auth0: '`createFetcher().fetchWithAuth(url)` (its fetch wrapper)',
};

export const ARENAS = {
  rc: {
    title: 'RingCentral-compatible server (rc-emulator)',
    short: 'RC server',
    ids: ['ours', 'ringcentral', 'badgateway', 'oidc'],
    cannot: {
      auth0: 'cannot: @auth0/auth0-spa-js is an OpenID Connect client: it requires an `id_token` in every token '
        + 'response, login and refresh alike ("ID token is required but missing"), and a RingCentral token endpoint '
        + 'answers the authorization-code and refresh grants without one; its endpoint paths are also fixed '
        + '(`<domain>/authorize`, `<domain>/oauth/token`; RC: `/restapi/oauth/…`)',
    },
  },
  oidc: {
    title: 'standards server (oidc-provider)',
    short: 'OIDC server',
    ids: ['ours', 'ringcentral', 'badgateway', 'oidc', 'auth0'],
    cannot: {},
  },
};
/** Where the network-free scenarios (stubbed overhead, memory, cold start) run: the arena every contender logs in to. */
export const HOME = 'oidc';
