// A standards OAuth 2.0 / OpenID Connect server for conformance tests: `oidc-provider` (npm) on a free
// loopback port, configured for a public SPA client (PKCE required, no client secret), rotating refresh
// tokens, CORS for the page origin, revocation and userinfo on, and a tiny interaction page (an "Allow"
// button) instead of the provider's dev interactions, so a headless browser can log in by clicking.
//
//   const op = await startOidcProvider({ pageOrigin: 'http://127.0.0.1:1234' });
//   op.issuer, op.clientId, op.redirectUri, op.discovery, op.events, op.requests, await op.stop()
//
// `op.events` records the provider's own events (token issue/consume/revoke, grant errors) and
// `op.requests` every HTTP request with its status and, for the token/revocation endpoints, the form
// parameters minus secrets, so tests assert on what the server saw rather than on what the library says.
import http from 'node:http';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';

const ACCOUNT = 'alice';

const page = (title, body) => `<!doctype html><meta charset="utf-8"><title>${title}</title>${body}`;

/**
 * @param {object} o
 * @param {string} o.pageOrigin       origin of the SPA page (allowed by CORS, base of the redirect URI)
 * @param {string} [o.redirectPath]   path of the redirect URI on the page origin
 * @param {number} [o.accessTokenTtl] seconds (default 5)
 * @param {object} [o.routes]         oidc-provider `routes` overrides (e.g. auth0-style `/authorize`, `/oauth/token`)
 * @param {boolean} [o.trailingSlash] the issuer ends in `/` (`http://127.0.0.1:<port>/`), as auth0-spa-js expects
 *                                    of a `domain`'s `iss`
 * @param {object} [o.ttl]            oidc-provider `ttl` overrides (seconds), over the defaults below
 * @param {boolean} [o.autoConsent]   the interaction page finishes the login at once (no Allow button to click)
 * @param {string} [o.defaultScope]   scope of an authorization request that has none (RFC 6749 §3.3: "a
 *                                    pre-defined default value"); without it such a request is denied
 * @param {boolean} [o.corsCredentials] answer the page origin with `Access-Control-Allow-Credentials: true`
 *                                    (credentialed CORS, for clients that send `credentials: 'include'`)
 * @param {object} [o.dpop]           RFC 9449: `{ requireNonce }` turns server nonces on (`DPoP-Nonce`, and with
 *                                    `requireNonce` every proof must carry one); `{ enabled: false }` turns DPoP
 *                                    off (a proof is ignored and bearer tokens are issued). Without it: the
 *                                    provider's default (DPoP on, no nonces). `op.demandNonce(true)` then makes
 *                                    the token endpoint answer every POST with `use_dpop_nonce` and a new nonce.
 * @param {number} [o.port]           a fixed port (default: a free one)
 */
export async function startOidcProvider({
  pageOrigin, redirectPath = '/test/callback.html', accessTokenTtl = 5, routes = {}, trailingSlash = false, ttl = {},
  autoConsent = false, defaultScope = null, corsCredentials = false, dpop = null, port: fixedPort = 0,
} = {}) {
  if (!pageOrigin) throw new Error('startOidcProvider: pageOrigin is required');
  const server = http.createServer();
  server.listen(fixedPort, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}${trailingSlash ? '/' : ''}`;
  const redirectUri = `${pageOrigin}${redirectPath}`;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'spa',
        token_endpoint_auth_method: 'none',
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
      {
        // The same SPA without the refresh_token grant: a server that can never issue a refresh token.
        client_id: 'spa-no-refresh',
        token_endpoint_auth_method: 'none',
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    clientBasedCORS: (ctx, origin) => origin === pageOrigin,
    pkce: { required: () => true },
    rotateRefreshToken: () => true,
    routes,
    issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
    ttl: {
      AccessToken: accessTokenTtl,
      AuthorizationCode: 60,
      RefreshToken: 3600,
      Grant: 3600,
      Interaction: 600,
      Session: 3600,
      IdToken: 3600,
      ...ttl,
    },
    clockTolerance: 0,
    cookies: { keys: ['oidc-conformance-test-key'] },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      ...(dpop ? {
        dPoP: dpop.enabled === false ? { enabled: false } : {
          enabled: true, nonceSecret: randomBytes(32), requireNonce: () => !!dpop.requireNonce,
        },
      } : {}),
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    // Consent is implied: create the grant for whatever was asked, so no consent prompt appears.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      let grant = grantId && await ctx.oidc.provider.Grant.find(grantId);
      if (!grant) {
        grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      }
      grant.addOIDCScope(ctx.oidc.requestParamScopes ? [...ctx.oidc.requestParamScopes].join(' ') : 'openid');
      await grant.save();
      return grant;
    },
    async findAccount(ctx, sub) {
      return { accountId: sub, async claims() { return { sub, name: 'Alice Example' }; } };
    },
  });

  const events = [];
  const record = (name) => (...args) => {
    const model = args.find((a) => a && typeof a === 'object' && 'jti' in a);
    const err = args.find((a) => a instanceof Error);
    events.push({
      name,
      t: Date.now(),
      // For opaque tokens the jti IS the token value: tests use it to replay an old token from outside.
      jti: model?.jti,
      grantId: model?.grantId ?? (typeof args[1] === 'string' ? args[1] : undefined),
      error: err ? `${err.error || err.name}: ${err.error_description || err.message}` : undefined,
    });
  };
  for (const name of [
    'access_token.issued', 'access_token.saved', 'access_token.destroyed',
    'refresh_token.saved', 'refresh_token.consumed', 'refresh_token.destroyed',
    'authorization_code.consumed', 'grant.success', 'grant.error', 'grant.revoked',
    'revocation.success', 'revocation.error', 'userinfo.error', 'authorization.success', 'authorization.error',
    'interaction.started', 'interaction.ended', 'server_error',
  ]) provider.on(name, record(name));

  const requests = [];
  provider.use(async (ctx, next) => {
    const entry = { method: ctx.method, path: ctx.path, origin: ctx.get('origin') || null, status: null };
    requests.push(entry);
    await next();
    if (corsCredentials && entry.origin === pageOrigin) ctx.set('Access-Control-Allow-Credentials', 'true');
    entry.status = ctx.status;
    const body = ctx.oidc?.body;
    if (body && (ctx.path === (routes.token || '/token') || ctx.path === (routes.revocation || '/token/revocation'))) {
      const params = { ...body };
      for (const k of ['code', 'code_verifier', 'refresh_token', 'token']) if (k in params) params[k] = params[k] ? '[present]' : '';
      entry.params = params;
    }
    if (ctx.path === '/me') entry.authorization = ctx.get('authorization') ? `${ctx.get('authorization').split(' ')[0]} [present]` : null;
    entry.dpop = !!ctx.get('dpop');
  });

  // A server that never accepts a nonce: every token POST is `use_dpop_nonce` with a new one.
  let demanding = false;
  provider.use(async (ctx, next) => {
    if (!demanding || ctx.method !== 'POST' || ctx.path !== (routes.token || '/token')) return next();
    ctx.status = 400;
    ctx.set('Access-Control-Allow-Origin', pageOrigin);
    ctx.set('Access-Control-Expose-Headers', 'DPoP-Nonce');
    ctx.set('DPoP-Nonce', randomBytes(16).toString('base64url'));
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { error: 'use_dpop_nonce', error_description: 'a fresh nonce is required' };
    return undefined;
  });

  const callback = provider.callback();
  server.on('request', async (req, res) => {
    const url = new URL(req.url, issuer);
    if (defaultScope && url.pathname === (routes.authorization || '/auth') && !url.searchParams.has('scope')) {
      url.searchParams.set('scope', defaultScope);
      req.url = `${url.pathname}${url.search}`;
    }
    const m = url.pathname.match(/^\/interaction\/([^/]+)(\/allow)?$/);
    if (!m) return callback(req, res);
    requests.push({ method: req.method, path: url.pathname, status: null });
    try {
      const details = await provider.interactionDetails(req, res);
      if (autoConsent && req.method === 'GET' && !m[2]) {
        return await provider.interactionFinished(req, res, { login: { accountId: ACCOUNT } }, { mergeWithLastSubmission: false });
      }
      if (req.method === 'GET' && !m[2]) {
        const html = page('Sign in', `<h1>Sign in to ${details.params.client_id}</h1>
<p>Scopes: <code>${String(details.params.scope || '').replace(/[<>&"]/g, '')}</code></p>
<form method="post" action="/interaction/${details.uid}/allow"><button type="submit">Allow</button></form>`);
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        res.end(html);
        return undefined;
      }
      if (req.method === 'POST' && m[2]) {
        return await provider.interactionFinished(req, res, { login: { accountId: ACCOUNT } }, { mergeWithLastSubmission: false });
      }
      res.writeHead(405).end();
    } catch (e) {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(`interaction error: ${e.message}`);
    }
    return undefined;
  });

  const discovery = await (await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`)).json();

  return {
    provider, issuer, port, discovery, redirectUri, events, requests,
    account: ACCOUNT,
    clientId: 'spa',
    /** Endpoint paths for `Session({ endpoints })`, read from discovery. */
    endpoints: {
      authorize: new URL(discovery.authorization_endpoint).pathname,
      token: new URL(discovery.token_endpoint).pathname,
      revoke: new URL(discovery.revocation_endpoint).pathname,
    },
    eventsNamed: (name) => events.filter((e) => e.name === name),
    demandNonce(on) { demanding = on; },
    reset() { events.length = 0; requests.length = 0; },
    async stop() {
      server.closeAllConnections?.();
      server.close();
      await once(server, 'close').catch(() => {});
    },
  };
}

// `node tests/oidc/server.mjs [pageOrigin]`: run it by hand and print the discovery endpoints.
if (import.meta.url === `file://${process.argv[1]}`) {
  const op = await startOidcProvider({ pageOrigin: process.argv[2] || 'http://127.0.0.1:8080' });
  console.log(`oidc-provider listening on ${op.issuer}`, op.endpoints, 'redirect_uri', op.redirectUri);
}
