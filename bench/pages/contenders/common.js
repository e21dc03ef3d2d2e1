// Shared by the contender adapters: the bench app registered on the local server, and a hand-written PKCE
// login (for the raw-fetch floor and for seeding auth0's cache, which cannot log in against this server).
export const CLIENT_ID = 'bench-spa';
export const API = '/restapi/v1.0/account/~/extension/~';
export const redirectUri = () => `${location.origin}/bench/login.html`;

const b64url = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** Sends the page to the authorize endpoint (code + S256 PKCE); `pkceCallback` finishes on return. */
export async function pkceLogin() {
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = b64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = b64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  sessionStorage.setItem('bench-pkce', JSON.stringify({ verifier, state }));
  const q = new URLSearchParams({
    response_type: 'code', client_id: CLIENT_ID, redirect_uri: redirectUri(), state,
    code_challenge: challenge, code_challenge_method: 'S256',
  });
  location.assign(`/restapi/oauth/authorize?${q}`);
}

/** Exchanges the code in the URL; returns the server's token response (JSON). */
export async function pkceCallback() {
  const { verifier, state } = JSON.parse(sessionStorage.getItem('bench-pkce'));
  const q = new URLSearchParams(location.search);
  if (q.get('state') !== state) throw new Error('state mismatch');
  const res = await fetch('/restapi/oauth/token', {
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
