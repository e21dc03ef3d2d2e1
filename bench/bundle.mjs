// Bundles each peer for the browser with esbuild (--bundle --minify --format=esm, browser platform) into
// dist/<peer>.js. The same bundle is what the size table measures and what the benchmark pages run.
import * as esbuild from 'esbuild';
import path from 'node:path';
import { BENCH, DIST } from './lib/paths.mjs';

/** id → entry file, package name (for its version), and what else the browser build needs. */
export const PEERS = {
  ringcentral: {
    pkg: '@ringcentral/sdk',
    // RC imports Node's `events` and `crypto`; esbuild has no Node polyfills: `events` is the npm polyfill
    // bundlers used to inject, `crypto` a 2 KB shim for its PKCE helper (see entries/shims/node-crypto.js).
    alias: { crypto: path.join(BENCH, 'entries/shims/node-crypto.js') },
  },
  oidc: { pkg: 'oidc-client-ts' },
  auth0: { pkg: '@auth0/auth0-spa-js' },
  badgateway: { pkg: '@badgateway/oauth2-client' },
};

export async function bundlePeers() {
  const out = {};
  for (const [id, peer] of Object.entries(PEERS)) {
    const outfile = path.join(DIST, `${id}.js`);
    await esbuild.build({
      entryPoints: [path.join(BENCH, 'entries', `${id}.js`)],
      outfile,
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      alias: peer.alias,
      // RC reads `process.env` nowhere on its browser path, but a few deps test for `global`.
      define: { global: 'globalThis' },
      logLevel: 'warning',
      absWorkingDir: BENCH,
    });
    out[id] = outfile;
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await bundlePeers());
}
