// `node examples/serve.mjs NAME [DIR]`: serves one example with the local RingCentral-compatible server on
// http://localhost:$PORT/NAME/ (PORT defaults to 8080) and registers its app `example-NAME`, whose redirect URI is
// the app's own page: an SPA's callback path must serve the app itself. Builds the server and the package if
// needed, and the example (`npm run build`) when it has a package.json.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const root = new URL('../', import.meta.url).pathname;
const [name, dir = `examples/${name}/dist`] = process.argv.slice(2);
if (!name) { console.error('usage: node examples/serve.mjs NAME [DIR]'); process.exit(2); }
const port = Number(process.env.PORT || 8080);
const bin = `${root}target/debug/rc-emulator`;
if (!existsSync(bin)) execFileSync('cargo', ['build', '-p', 'rc-emulator'], { cwd: root, stdio: 'inherit' });
if (!existsSync(`${root}pkg/oauth_spa_session.js`)) execFileSync('bash', ['scripts/build.sh'], { cwd: root, stdio: 'inherit' });
// A Vite example is built after the package (it bundles pkg/); the vanilla one is served as it is.
if (existsSync(`${root}examples/${name}/package.json`)) {
  execFileSync('npm', ['run', 'build'], { cwd: `${root}examples/${name}`, stdio: 'inherit' });
}

const server = spawn(bin, ['--port', String(port), '--test-mode', '--pkg', `${root}pkg`, '--extra-static', `/${name}=${root}${dir}`],
  { stdio: ['ignore', 'pipe', 'inherit'] });
server.stdout.once('data', async () => {
  const redirect_uris = ['localhost', '127.0.0.1'].map((h) => `http://${h}:${port}/${name}/`);
  const res = await fetch(`http://127.0.0.1:${port}/_emulator/apps`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: `example-${name}`, client_secret: null, confidential: false,
      issue_refresh_tokens: false, allow_implicit: false, redirect_uris }),
  });
  if (!res.ok) { console.error(`registering the app failed: ${res.status} ${await res.text()}`); process.exit(1); }
  console.log(`${name} example: open http://localhost:${port}/${name}/ (press Allow on its sign-in page; Ctrl-C stops)`);
});
server.on('exit', (c) => process.exit(c ?? 0));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.kill('SIGTERM'));
