// @auth0/auth0-spa-js: the Auth0Client and the cache it restores from.
export { Auth0Client, LocalStorageCache, CacheKey } from '@auth0/auth0-spa-js';
