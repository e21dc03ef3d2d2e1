// The demo page: plain ES module importing the package as built into /pkg/.
import init, { Session, SessionError } from '/pkg/oauth_spa_session.js';

const $ = (id) => document.getElementById(id);
const SETTINGS = 'demo-settings';
const settings = { storage: 'sessionStorage', persistence: false, refreshTokens: false, flow: 'pkce',
  ...JSON.parse(sessionStorage.getItem(SETTINGS) || '{}') };

// A stand-in for an app backend: the Cache Storage API is async, shared by tabs, and survives reloads.
const backend = {
  async load() { const r = await (await caches.open('demo-backend')).match('/tokens'); return r ? r.json() : null; },
  async save(t) { await (await caches.open('demo-backend')).put('/tokens', new Response(JSON.stringify(t))); },
  async clear() { await (await caches.open('demo-backend')).delete('/tokens'); },
};

function log(text, bad = false) {
  const li = document.createElement('li');
  li.textContent = `${new Date().toLocaleTimeString()}  ${text}`;
  if (bad) li.className = 'bad';
  $('log').prepend(li);
}

function describe(e) {
  return e instanceof SessionError
    ? `${e.code}${e.errorCode ? ` (${e.errorCode})` : ''}${e.retryable ? ' [retryable]' : ''}: ${e.description ?? ''}`
    : String(e);
}

let session;
function makeSession() {
  session = new Session({
    clientId: 'demo-spa',
    server: location.origin,
    redirectUri: location.origin + '/',
    flow: settings.flow,
    storage: settings.storage,
    persistence: settings.persistence ? backend : undefined,
    refreshTokens: settings.persistence || settings.refreshTokens,
  });
  for (const name of ['login', 'refresh', 'refreshError', 'expiring', 'expired', 'logout', 'rateLimit', 'storageFallback']) {
    session.on(name, (d) => log(`event ${name}${d instanceof SessionError ? ` — ${describe(d)}` : ''}`, d instanceof SessionError));
  }
  session.on('change', render);
  // Without a refresh token a `refresh` is a silent renewal: a hidden prompt=none login on the server's cookie.
  session.on('refresh', (i) => { if (!i.hasRefreshToken) log(`silent renewal (prompt=none): new access token, expires in ${secs(i.expiresAt)}`); });
  return session;
}

const secs = (ms) => {
  const s = Math.round((ms - Date.now()) / 1000);
  if (s <= 0) return 'expired';
  return s > 5400 ? `${(s / 86400).toFixed(1)} days` : `${Math.floor(s / 60)} min ${s % 60} s`;
};

function render() {
  const info = session.tokenInfo();
  const inn = session.isLoggedIn();
  $('status').textContent = inn ? 'logged in' : 'logged out';
  $('status').className = inn ? 'in' : 'out';
  $('owner').textContent = info?.ownerId ?? '–';
  $('expires').textContent = info ? secs(info.expiresAt) : '–';
  $('rexpires').textContent = info?.refreshExpiresAt ? secs(info.refreshExpiresAt) : (info ? 'no refresh token' : '–');
  $('storage').textContent = session.storage;
  $('scope').textContent = info?.scope ?? '–';
}

async function run(label, fn) {
  try { await fn(); } catch (e) { log(`${label} failed — ${describe(e)}`, true); }
  render();
}

function saveSettings() { sessionStorage.setItem(SETTINGS, JSON.stringify(settings)); }

async function main() {
  await init();
  $('opt-storage').value = settings.storage;
  $('opt-persistence').checked = settings.persistence;
  $('opt-refresh').checked = settings.refreshTokens;
  makeSession();
  await session.ready;
  await run('login callback', async () => { if (await session.handleRedirect()) log('callback handled: logged in'); });
  render();
  setInterval(render, 1000);

  $('login-pkce').onclick = () => { settings.flow = 'pkce'; saveSettings(); makeSession(); run('login', () => session.login()); };
  $('login-implicit').onclick = () => { settings.flow = 'implicit'; saveSettings(); makeSession(); run('login', () => session.login()); };
  // Opened synchronously inside the click (else the browser blocks the popup).
  $('login-popup').onclick = () => { settings.flow = 'pkce'; run('popup login', async () => { await session.loginPopup(); log('popup login: logged in'); }); };
  $('renew').onclick = () => run('renew', async () => { await session.renew(); log('renewed'); });
  $('call').onclick = () => run('API call', async () => {
    const r = await session.fetch('/restapi/v1.0/account/~/extension/~');
    const body = await r.text();
    $('api').textContent = `HTTP ${r.status}\n${(() => { try { return JSON.stringify(JSON.parse(body), null, 2); } catch { return body; } })()}`;
    log(`API call: HTTP ${r.status}`, !r.ok);
  });
  $('refresh').onclick = () => run('refresh', async () => { await session.refresh(); log('refreshed'); });
  $('logout').onclick = () => run('logout', () => session.logout());
  $('apply').onclick = async () => {
    settings.storage = $('opt-storage').value;
    settings.persistence = $('opt-persistence').checked;
    settings.refreshTokens = $('opt-refresh').checked;
    saveSettings();
    makeSession();
    await session.ready;
    log(`settings applied: storage=${settings.storage}, persistence=${settings.persistence}`);
    render();
  };

  // Server controls appear only when the emulator runs in test mode.
  const clock = await fetch('/_emulator/clock').catch(() => null);
  if (clock && clock.ok) {
    $('server-controls').hidden = false;
    for (const b of document.querySelectorAll('[data-advance]')) {
      b.onclick = () => run('clock', async () => {
        await fetch('/_emulator/clock/advance', { method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ seconds: Number(b.dataset.advance) }) });
        log(`server clock +${b.dataset.advance} s`);
      });
    }
    for (const b of document.querySelectorAll('[data-fault]')) {
      b.onclick = () => run('fault', async () => {
        await fetch('/_emulator/faults', { method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ kind: b.dataset.fault, count: 1 }) });
        log(`server: next token request → ${b.dataset.fault}`);
      });
    }
  }
}

main().catch((e) => log(`start failed — ${describe(e)}`, true));
