// @auth0/auth0-spa-js: the Auth0Client (its fetcher comes from `createFetcher()`).
export { Auth0Client } from '@auth0/auth0-spa-js';
