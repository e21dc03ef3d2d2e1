// Bundles each peer for the browser with esbuild (--bundle --minify --format=esm, browser platform) from its
// entry in entries/ into dist/<id>.js. The same bundle is what the size table measures and what the pages run.
// Ours too (entries/ours.js → dist/ours.js), for the size table only: its JS as an app's bundler ships it.
import * as esbuild from 'esbuild';
import path from 'node:path';
import { BENCH, DIST } from './lib/paths.mjs';
import { CONTENDERS } from './lib/contenders.mjs';

// RC imports Node's `events` and `crypto`, and esbuild injects no Node polyfills: `events` resolves to the npm
// polyfill bundlers used to inject (a dev dependency here), `crypto` to a small shim for its PKCE helper.
const ALIAS = {
  ringcentral: { crypto: path.join(BENCH, 'entries/shims/node-crypto.js') },
};

export async function bundlePeers() {
  const out = {};
  for (const { id } of CONTENDERS) {
    out[id] = path.join(DIST, `${id}.js`);
    await esbuild.build({
      entryPoints: [path.join(BENCH, 'entries', `${id}.js`)],
      outfile: out[id],
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      alias: ALIAS[id],
      logLevel: 'warning',
      absWorkingDir: BENCH,
    });
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await bundlePeers());
}
