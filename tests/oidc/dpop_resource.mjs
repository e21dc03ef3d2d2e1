// A DPoP resource server (RFC 9449 §7) for the e2e tests, on its own loopback port, so its nonces belong to
// another origin than the authorization server's. It verifies each proof itself (ES256 signature by the embedded
// public key, `typ`, `htm`, `htu`, `iat`, a fresh `jti`, `ath` = SHA-256 of the token), demands its own nonce,
// and checks the binding against the authorization server: the access token's `jkt` (oidc-provider's
// AccessToken model) must be the thumbprint (RFC 7638) of the key that signed the proof.
//
//   const rs = await startDpopResource({ pageOrigin, provider: op.provider, nonces: 'once' | 'always' });
//   rs.url('/data'), rs.requests, rs.reset(), await rs.stop()
//
// `nonces: 'once'`: one nonce for the server's life; a proof without it gets 401 `use_dpop_nonce` with the
// nonce in `DPoP-Nonce`. `'always'`: every request is challenged with a new nonce (a server that never accepts).
import http from 'node:http';
import { once } from 'node:events';
import { createHash, randomBytes, webcrypto } from 'node:crypto';

const b64json = (s) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
const sha256 = (s) => createHash('sha256').update(s).digest('base64url');

/** The proof's claims, or throws with the reason. */
async function verifyProof(proof, method, htu, token, seen) {
  const [h, p, s, extra] = String(proof).split('.');
  if (!h || !p || !s || extra !== undefined) throw new Error('not a compact JWS');
  const header = b64json(h);
  const claims = b64json(p);
  if (header.typ !== 'dpop+jwt' || header.alg !== 'ES256') throw new Error('typ/alg');
  const { kty, crv, x, y, d } = header.jwk || {};
  if (kty !== 'EC' || crv !== 'P-256' || d !== undefined) throw new Error('jwk');
  const key = await webcrypto.subtle.importKey('jwk', { kty, crv, x, y }, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
  const ok = await webcrypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, Buffer.from(s, 'base64url'), Buffer.from(`${h}.${p}`));
  if (!ok) throw new Error('signature');
  if (claims.htm !== method) throw new Error('htm');
  if (claims.htu !== htu) throw new Error(`htu ${claims.htu} != ${htu}`);
  if (typeof claims.iat !== 'number' || Math.abs(Date.now() / 1000 - claims.iat) > 60) throw new Error('iat');
  if (typeof claims.jti !== 'string' || claims.jti.length < 22) throw new Error('jti shorter than 128 bits');
  if (seen.has(claims.jti)) throw new Error('jti replayed');
  seen.add(claims.jti);
  if (claims.ath !== sha256(token)) throw new Error('ath');
  return { claims, thumbprint: sha256(JSON.stringify({ crv, kty, x, y })) };
}

export async function startDpopResource({ pageOrigin, provider, nonces = 'once' }) {
  let nonce = randomBytes(16).toString('base64url');
  const seen = new Set();
  const requests = [];
  const server = http.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  const origin = `http://127.0.0.1:${port}`;

  server.on('request', async (req, res) => {
    const cors = { 'access-control-allow-origin': pageOrigin, 'access-control-expose-headers': 'DPoP-Nonce, WWW-Authenticate' };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        ...cors,
        'access-control-allow-methods': 'GET, POST',
        'access-control-allow-headers': req.headers['access-control-request-headers'] || '',
      });
      res.end();
      return;
    }
    const path = new URL(req.url, origin).pathname;
    const auth = String(req.headers.authorization || '');
    const [scheme, token] = auth.split(' ');
    const entry = { method: req.method, path, scheme: scheme || null, proof: !!req.headers.dpop, nonce: null, status: null, error: null };
    requests.push(entry);
    const answer = (status, body, headers = {}) => {
      entry.status = status;
      res.writeHead(status, { ...cors, 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
      res.end(JSON.stringify(body));
    };
    const deny = (error, description, headers = {}) => {
      entry.error = `${error}: ${description}`;
      answer(401, { error, error_description: description }, {
        'www-authenticate': `DPoP error="${error}", error_description="${description}", algs="ES256"`, ...headers,
      });
    };
    if (scheme !== 'DPoP' || !token) return deny('invalid_token', 'a DPoP-bound token is required');
    if (!req.headers.dpop) return deny('invalid_dpop_proof', 'no DPoP proof');
    let verified;
    try {
      verified = await verifyProof(req.headers.dpop, req.method, `${origin}${path}`, token, seen);
    } catch (e) {
      return deny('invalid_dpop_proof', e.message);
    }
    entry.nonce = verified.claims.nonce ?? null;
    if (nonces === 'always') nonce = randomBytes(16).toString('base64url');
    if (nonces === 'always' || verified.claims.nonce !== nonce) {
      return deny('use_dpop_nonce', 'Resource server requires nonce in DPoP proof', { 'dpop-nonce': nonce });
    }
    const at = await provider.AccessToken.find(token);
    if (!at || at.isExpired) return deny('invalid_token', 'unknown or expired token');
    if (at.jkt !== verified.thumbprint) return deny('invalid_token', 'the token is bound to another key');
    return answer(200, { sub: at.accountId, ok: true });
  });

  return {
    origin,
    url: (p) => `${origin}${p}`,
    requests,
    reset() { requests.length = 0; },
    async stop() {
      server.closeAllConnections?.();
      server.close();
      await once(server, 'close').catch(() => {});
    },
  };
}
