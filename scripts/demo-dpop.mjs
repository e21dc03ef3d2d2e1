// The DPoP demo's authorization server: oidc-provider (tests/oidc/server.mjs) with DPoP on and nonces required,
// on port <demo port + 1>, for the page http://localhost:<demo port>/dpop.html. Started by `bash scripts/demo.sh dpop`.
import { startOidcProvider } from '../tests/oidc/server.mjs';

const demoPort = Number(process.argv[2] || 8080);
const op = await startOidcProvider({
  pageOrigin: `http://localhost:${demoPort}`,
  redirectPath: '/dpop.html',
  port: demoPort + 1,
  accessTokenTtl: 60,
  dpop: { requireNonce: true },
});
console.log(`DPoP demo server (oidc-provider) on ${op.issuer}`);
