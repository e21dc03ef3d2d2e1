// Shared by the contender adapters: the arena the page runs in (set by the bench before any page script, as
// `window.BENCH_ARENA`: server, client, endpoints, API URL, scope), and a hand-written PKCE login for the
// raw-fetch floor. Every adapter exports the same steps: `load()` (import the library; our wasm included),
// `construct(lib)`, `loggedIn(client)` (restore from storage; no network), `open()` (the three),
// `login`/`callback` (its own documented login), `get(client)` (one authenticated API call), `urls` (files it loads).
export const A = window.BENCH_ARENA || {
  id: 'rc', server: location.origin, clientId: 'bench-spa', issuer: location.origin,
  endpoints: { authorize: '/restapi/oauth/authorize', token: '/restapi/oauth/token', revoke: '/restapi/oauth/revoke' },
  api: '/restapi/v1.0/account/~/extension/~', scope: null,
};
export const CLIENT_ID = A.clientId;
export const API = A.api;
export const redirectUri = () => `${location.origin}/bench/login.html`;
/** The fetch the page had before a stub replaced it (bench/pages/stub.html), for loading files. */
export const realFetch = (...a) => (window.BENCH_REAL_FETCH || fetch)(...a);
export const abs = (p) => new URL(p, A.server).href;

const b64url = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** Sends the page to the authorize endpoint (code + S256 PKCE); `pkceCallback` finishes on return. */
export async function pkceLogin() {
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = b64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = b64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  sessionStorage.setItem('bench-pkce', JSON.stringify({ verifier, state }));
  const q = new URLSearchParams({
    response_type: 'code', client_id: CLIENT_ID, redirect_uri: redirectUri(), state,
    code_challenge: challenge, code_challenge_method: 'S256', ...(A.scope ? { scope: A.scope } : {}),
  });
  location.assign(`${abs(A.endpoints.authorize)}?${q}`);
}

/** Exchanges the code in the URL; returns the server's token response (JSON). */
export async function pkceCallback() {
  const { verifier, state } = JSON.parse(sessionStorage.getItem('bench-pkce'));
  const q = new URLSearchParams(location.search);
  if (q.get('state') !== state) throw new Error('state mismatch');
  const res = await fetch(abs(A.endpoints.token), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code: q.get('code'), redirect_uri: redirectUri(),
      client_id: CLIENT_ID, code_verifier: verifier,
    }),
  });
  if (!res.ok) throw new Error(`token: ${res.status} ${await res.text()}`);
  return res.json();
}
