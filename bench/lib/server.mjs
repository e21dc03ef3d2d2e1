// Starts the RingCentral-compatible emulator (test mode) on a free loopback port, serving the bench pages at
// /bench/, the peer bundles at /bench/dist/ and our package at /pkg/, and wraps its control API.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { ROOT } from './paths.mjs';

export const CLIENT_ID = 'bench-spa';

export async function startServer() {
  const proc = spawn(`${ROOT}/target/debug/rc-emulator`, [
    '--port', '0', '--test-mode', '--pkg', `${ROOT}/pkg`,
    '--extra-static', `/bench=${ROOT}/bench/pages`,
    '--extra-static', `/bench/dist=${ROOT}/bench/dist`,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let buf = '';
  let err = '';
  proc.stderr.on('data', (d) => { err = (err + d).slice(-4000); });
  const port = await new Promise((resolve, reject) => {
    proc.on('exit', (c) => reject(new Error(`rc-emulator exited with ${c}: ${err}`)));
    proc.stdout.on('data', (d) => {
      buf += d;
      const m = buf.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      if (m) resolve(Number(m[1]));
    });
  });
  const base = `http://127.0.0.1:${port}`;
  const control = async (path, body) => {
    const res = await fetch(`${base}/_emulator/${path}`, body === undefined ? {} : {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`control ${path}: ${res.status} ${await res.text()}`);
    const text = await res.text();
    return text ? JSON.parse(text) : null;
  };
  const server = {
    base,
    control,
    advance: (seconds) => control('clock/advance', { seconds }),
    log: () => control('log'),
    /** Back to a clean server: start-up state, the bench app, the Allow page skipped, no session cap. */
    async reset() {
      await control('reset', {});
      await control('config', { consent: 'auto', max_sessions_per_user: 0 });
      await control('apps', {
        client_id: CLIENT_ID, client_secret: null, confidential: false, issue_refresh_tokens: true,
        allow_implicit: false, redirect_uris: [`${base}/bench/login.html`],
      });
    },
    async stop() { proc.kill('SIGTERM'); await once(proc, 'exit').catch(() => {}); },
  };
  await server.reset();
  return server;
}
