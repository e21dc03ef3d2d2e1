// oidc-client-ts: the UserManager (redirect sign-in, stored user) and its storage.
export { UserManager, WebStorageStateStore } from 'oidc-client-ts';
