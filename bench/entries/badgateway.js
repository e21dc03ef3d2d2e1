// @badgateway/oauth2-client: the client (PKCE code flow, refresh) and its fetch wrapper.
export { OAuth2Client, OAuth2Fetch, generateCodeVerifier } from '@badgateway/oauth2-client';
