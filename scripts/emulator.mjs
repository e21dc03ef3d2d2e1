// Starts the RingCentral-compatible emulator (target/debug/rc-emulator) in test mode on a free loopback port
// and wraps its control API. Shared by the end-to-end tests and the benchmarks; `args` adds static mounts.
import { spawn } from 'node:child_process';
import { once } from 'node:events';

export const ROOT = new URL('../', import.meta.url).pathname.replace(/\/$/, '');

export async function spawnEmulator(args = []) {
  const proc = spawn(`${ROOT}/target/debug/rc-emulator`, ['--port', '0', '--test-mode', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] });
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
  return {
    port,
    base,
    control,
    advance: (seconds) => control('clock/advance', { seconds }),
    // Whole tokens: the control API gives them to a test runner only (never to a page).
    log: () => control('log?full=1'),
    async stop() { proc.kill('SIGTERM'); await once(proc, 'exit').catch(() => {}); },
  };
}
