// The two arenas. Both serve the same pages from the same origin: the RingCentral-compatible emulator (test mode)
// on a free loopback port serves the bench pages at /bench/, the peer bundles at /bench/dist/ and our package at
// /pkg/, and is the RC arena's OAuth + API server; the standards arena's OAuth + API server is oidc-provider
// (lib/oidc-arena.mjs) on another port, reached cross-origin (CORS), as a real SPA reaches its IdP.
// Each arena: `config` (what the pages read as `window.BENCH_ARENA`), `reset()`, `advance(s)` (the server's
// clock), `log()` ({token_requests, api_requests}).
import { ROOT } from './paths.mjs';
import { spawnEmulator } from '../../scripts/emulator.mjs';
import { startOidcArena, OIDC_CLIENT_ID } from './oidc-arena.mjs';

export const CLIENT_ID = 'bench-spa';

export async function startServer() {
  const emu = await spawnEmulator([
    // Connections are reused, as by a production server (and oidc-provider): without it each of the burst's
    // thousands of calls pays a TCP set-up in the browser's six-per-host pool. No bench scenario injects the
    // connection-drop fault that is the reason the tests run without it.
    '--keep-alive',
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

/** The RC arena over an emulator (which also serves the pages). */
function rcArena(emu) {
  return {
    id: 'rc', base: emu.base, server: emu,
    config: {
      id: 'rc', server: emu.base, issuer: emu.base, clientId: CLIENT_ID, scope: null,
      endpoints: { authorize: '/restapi/oauth/authorize', token: '/restapi/oauth/token', revoke: '/restapi/oauth/revoke' },
      api: `${emu.base}/restapi/v1.0/account/~/extension/~`,
    },
    reset: () => emu.reset(), advance: (s) => emu.advance(s), log: () => emu.log(), stop: () => emu.stop(),
  };
}

/** The OIDC arena over an oidc-provider process; its pages come from `pageBase` (an emulator). */
function oidcArena(op, pageBase) {
  return {
    id: 'oidc', base: pageBase, server: op,
    config: {
      id: 'oidc', server: op.origin, issuer: op.issuer, clientId: OIDC_CLIENT_ID, scope: 'openid offline_access',
      endpoints: op.endpoints, api: `${op.origin}/me`,
    },
    reset: () => op.reset(), advance: (s) => op.advance(s), log: () => op.log(), stop: () => op.stop(),
  };
}

export async function startArenas() {
  const emu = await startServer();
  let op;
  try {
    op = await startOidcArena(emu.base);
  } catch (e) {
    await emu.stop();
    throw e;
  }
  return {
    base: emu.base, emu, rc: rcArena(emu), oidc: oidcArena(op, emu.base),
    /** One more server of arena `id`, for a contender's burst run side by side with the others': the same
     * configuration, its own clock and log (RC: an emulator that serves the pages too; OIDC: an oidc-provider). */
    async spare(id) {
      return id === 'rc' ? rcArena(await startServer()) : oidcArena(await startOidcArena(emu.base), emu.base);
    },
    async stop() { await op.stop(); await emu.stop(); },
  };
}
