// DPoP demo: the package with `dpop: true` against oidc-provider. The key is made on the first login, kept in
// IndexedDB (non-extractable: the "export" line below shows the page cannot read it out), deleted on logout.
import init, { Session, SessionError } from '/pkg/oauth_spa_session.js';

const $ = (id) => document.getElementById(id);
const issuer = new URLSearchParams(location.search).get('op') || `http://127.0.0.1:${Number(location.port || 80) + 1}`;
const log = (t, bad = false) => { const li = document.createElement('li'); li.textContent = `${new Date().toLocaleTimeString()}  ${t}`; if (bad) li.className = 'bad'; $('log').prepend(li); };
const describe = (e) => (e instanceof SessionError ? `${e.code}: ${e.description ?? ''}` : String(e));

async function keyReport() {
  const db = await new Promise((ok, no) => { const r = indexedDB.open('oauth-spa-session', 1); r.onupgradeneeded = () => r.result.createObjectStore('keys'); r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
  const entries = await new Promise((ok) => { const out = []; const c = db.transaction('keys').objectStore('keys').openCursor(); c.onsuccess = () => { if (!c.result) return ok(out); out.push([c.result.key, c.result.value]); c.result.continue(); }; });
  db.close();
  const k = entries.find(([n]) => n.endsWith('.dpop'));
  if (!k) return 'none (made at the next login)';
  const exported = await crypto.subtle.exportKey('jwk', k[1].privateKey).then(() => 'EXPORTED?!', (e) => `export refused (${e.name})`);
  return `${k[0]}: ECDSA P-256, extractable=${k[1].privateKey.extractable}, ${exported}`;
}

await init();
const session = new Session({
  clientId: 'spa', server: issuer, redirectUri: `${location.origin}/dpop.html`,
  endpoints: { authorize: '/auth', token: '/token', revoke: '/token/revocation' },
  authorizeParams: { scope: 'openid offline_access' }, refreshTokens: true, dpop: true,
});
for (const name of ['login', 'refresh', 'refreshError', 'expired', 'logout', 'dpopDowngrade']) {
  session.on(name, (d) => log(`event ${name}${d instanceof SessionError ? ` — ${describe(d)}` : d?.tokenType ? ` (${d.tokenType})` : ''}`, name === 'dpopDowngrade'));
}
async function render() {
  const info = session.tokenInfo();
  $('status').textContent = session.isLoggedIn() ? 'logged in' : 'logged out';
  $('type').textContent = info?.tokenType ?? '–';
  $('expires').textContent = info ? `${Math.max(0, Math.round((info.expiresAt - Date.now()) / 1000))} s` : '–';
  $('key').textContent = await keyReport().catch((e) => String(e));
}
const run = (label, f) => async () => { try { await f(); } catch (e) { log(`${label} failed — ${describe(e)}`, true); } render(); };
await session.ready;
await run('callback', async () => { if (await session.handleRedirect()) log('logged in'); })();
$('login').onclick = run('login', () => session.login());
$('call').onclick = run('GET /me', async () => {
  const r = await session.fetch(`${issuer}/me`);
  $('api').textContent = `HTTP ${r.status}\n${await r.text()}`;
  log(`GET /me: HTTP ${r.status}`, !r.ok);
});
$('refresh').onclick = run('refresh', () => session.refresh());
$('logout').onclick = run('logout', () => session.logout());
setInterval(render, 1000);
