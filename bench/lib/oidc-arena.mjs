// The standards arena: oidc-provider (tests/oidc/server.mjs) in a child process of its own, so that its clock can
// be moved (Date.now + offset, which is all oidc-provider reads) without moving the bench's. Configured once,
// identically for every contender:
//   issuer `http://127.0.0.1:<port>/` (trailing slash: the `iss` auth0-spa-js expects of a `domain`),
//   routes `/authorize`, `/oauth/token` (auth0-spa-js's fixed paths), `/token/revocation`, `/me` (the API),
//   discovery at `/.well-known/openid-configuration` (what oidc-client-ts reads), one public PKCE client `spa`
//   with the bench's redirect URI, rotating refresh tokens, an id_token on every grant (scope `openid`),
//   access token 3600 s, refresh token 14 d, the login finished without a click, and `openid offline_access` as
//   the default scope of an authorization request that names none (RFC 6749 §3.3; @ringcentral/sdk's `loginUrl`
//   has no scope option), and credentialed CORS for the page origin (@ringcentral/sdk sends every request with
//   `credentials: "include"`).
// `startOidcArena(pageOrigin)` spawns it and wraps its control API (the same shape as the emulator's).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

export const OIDC_ROUTES = { authorization: '/authorize', token: '/oauth/token' };
export const OIDC_CLIENT_ID = 'spa';
export const ACCESS_TTL = 3600;

async function child(pageOrigin) {
  const realNow = Date.now;
  let offset = 0;
  Date.now = () => realNow() + offset;
  const { startOidcProvider } = await import('../../tests/oidc/server.mjs');
  const op = await startOidcProvider({
    pageOrigin, redirectPath: '/bench/login.html', routes: OIDC_ROUTES, trailingSlash: true, autoConsent: true,
    defaultScope: 'openid offline_access', corsCredentials: true,
    accessTokenTtl: ACCESS_TTL, ttl: { RefreshToken: 14 * 86400, Grant: 14 * 86400, Session: 14 * 86400 },
  });
  const control = http.createServer(async (req, res) => {
    let body = '';
    for await (const d of req) body += d;
    const json = body ? JSON.parse(body) : {};
    const send = (o) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify(o ?? {})); };
    if (req.url === '/reset') { offset = 0; op.reset(); return send(); }
    if (req.url === '/advance') { offset += json.seconds * 1000; return send({ offset }); }
    if (req.url === '/log') {
      const done = op.requests.filter((r) => r.status !== null);
      return send({
        token_requests: done.filter((r) => r.path === OIDC_ROUTES.token && r.method === 'POST')
          .map((r) => ({ grant_type: r.params?.grant_type, status: r.status })),
        api_requests: done.filter((r) => r.path === '/me' && r.method === 'GET').map((r) => ({ status: r.status })),
      });
    }
    res.writeHead(404).end();
  });
  control.listen(0, '127.0.0.1');
  await once(control, 'listening');
  process.stdout.write(`${JSON.stringify({ issuer: op.issuer, endpoints: op.endpoints, control: `http://127.0.0.1:${control.address().port}` })}\n`);
}

export async function startOidcArena(pageOrigin) {
  const proc = spawn(process.execPath, ['--no-warnings', fileURLToPath(import.meta.url), pageOrigin], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (d) => { err = (err + d).slice(-4000); });
  const info = await new Promise((resolve, reject) => {
    let buf = '';
    proc.on('exit', (c) => reject(new Error(`oidc arena exited with ${c}: ${err}`)));
    proc.stdout.on('data', (d) => {
      buf += d;
      const line = buf.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line));
    });
  });
  const control = async (path, body) => {
    const res = await fetch(`${info.control}${path}`, { method: 'POST', body: JSON.stringify(body ?? {}) });
    if (!res.ok) throw new Error(`oidc arena ${path}: ${res.status}`);
    return res.json();
  };
  return {
    ...info,
    origin: new URL(info.issuer).origin,
    reset: () => control('/reset'),
    advance: (seconds) => control('/advance', { seconds }),
    log: () => control('/log'),
    async stop() { proc.kill('SIGTERM'); await once(proc, 'exit').catch(() => {}); },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // oidc-provider's start-up warnings (development keys, in-memory adapter) go to stderr, kept for errors only.
  await child(process.argv[2]);
}
