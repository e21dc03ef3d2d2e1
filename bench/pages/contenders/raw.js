// The floor: plain `fetch` with a hand-set Authorization header (token from a hand-written PKCE login).
import { API, pkceLogin, pkceCallback } from './common.js';

const KEY = 'bench-raw-token';
export const label = 'raw fetch (floor)';
export const urls = [];

export const load = async () => null;
export const construct = () => ({ token: JSON.parse(localStorage.getItem(KEY) || 'null') });
export const open = async () => construct();
export const loggedIn = async (c) => !!c.token;
export const login = () => pkceLogin();
export async function callback(c) {
  c.token = await pkceCallback();
  localStorage.setItem(KEY, JSON.stringify(c.token));
  return true;
}
export const get = (c, path = API) => fetch(path, { headers: { authorization: `Bearer ${c.token.access_token}` } });
