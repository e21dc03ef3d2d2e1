// Starts the RingCentral-compatible emulator (test mode) on a free loopback port, serving the bench pages at
// /bench/, the peer bundles at /bench/dist/ and our package at /pkg/, and wraps its control API.
import { ROOT } from './paths.mjs';
import { spawnEmulator } from '../../scripts/emulator.mjs';

export const CLIENT_ID = 'bench-spa';

export async function startServer() {
  const emu = await spawnEmulator([
    '--pkg', `${ROOT}/pkg`,
    '--extra-static', `/bench=${ROOT}/bench/pages`,
    '--extra-static', `/bench/dist=${ROOT}/bench/dist`,
  ]);
  const { base, control } = emu;
  const server = {
    ...emu,
    /** Back to a clean server: start-up state, the bench app, the Allow page skipped, no session cap. */
    async reset() {
      await control('reset', {});
      await control('config', { consent: 'auto', max_sessions_per_user: 0 });
      await control('apps', {
        client_id: CLIENT_ID, client_secret: null, confidential: false, issue_refresh_tokens: true,
        allow_implicit: false, redirect_uris: [`${base}/bench/login.html`],
      });
    },
  };
  await server.reset();
  return server;
}
