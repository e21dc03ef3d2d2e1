// The demo page: plain ES module importing the package as built into /pkg/. It sees the session only through
// its public API (events, tokenInfo(), fetch results) and the emulator's request log.
import { advanceBrowserClock } from './clock.js';   // first: the session must read the demo's clock
import init, { Session, SessionError } from '/pkg/oauth_spa_session.js';
import { draw, fmtLeft, MARK_LABELS } from './timeline.js';

const $ = (id) => document.getElementById(id);

// Settings live in a cookie, so every tab of the site (and the page after the login redirect) sees them.
const SETTINGS = 'demo-settings';
const readCookie = (name) => {
  const m = document.cookie.match(new RegExp(`(?:^|; )${name}=([^;]*)`));
  try { return m ? JSON.parse(decodeURIComponent(m[1])) : {}; } catch { return {}; }
};
const settings = { storage: 'sessionStorage', persistence: false, refreshTokens: false, flow: 'pkce',
  browserClock: false, silentRenew: true, ...readCookie(SETTINGS) };
const saveSettings = () => {
  document.cookie = `${SETTINGS}=${encodeURIComponent(JSON.stringify(settings))}; Path=/; SameSite=Strict; Max-Age=31536000`;
};

// A stand-in for an app backend: the Cache Storage API is async, shared by tabs, and survives reloads.
const backend = {
  async load() { const r = await (await caches.open('demo-backend')).match('/tokens'); return r ? r.json() : null; },
  async save(t) { await (await caches.open('demo-backend')).put('/tokens', new Response(JSON.stringify(t))); },
  async clear() { await (await caches.open('demo-backend')).delete('/tokens'); },
};

function log(text, bad = false) {
  const li = document.createElement('li');
  li.textContent = `${new Date(Date.now()).toLocaleTimeString()}  ${text}`;
  if (bad) li.className = 'bad';
  $('log').prepend(li);
}

function describe(e) {
  return e instanceof SessionError
    ? `${e.code}${e.errorCode ? ` (${e.errorCode})` : ''}${e.retryable ? ' [retryable]' : ''}: ${e.description ?? ''}`
    : String(e);
}

// ---- the timeline's data: token spans and marks --------------------------------------------------------------
const marks = [];
const spans = { access: null, refresh: null };
let serverNow;
function mark(kind, text) {
  marks.push({ at: Date.now(), kind, text });
  const li = document.createElement('li');
  li.dataset.mark = kind;
  li.className = `mark ${kind}`;
  li.textContent = `${new Date(Date.now()).toLocaleTimeString()}  ${MARK_LABELS[kind] ?? kind}: ${text}`;
  $('marks').prepend(li);
  drawTimeline();
}
function trackSpans(info) {
  if (!info) { spans.access = spans.refresh = null; return; }
  if (spans.access?.to !== info.expiresAt) spans.access = { from: Date.now(), to: info.expiresAt };
  if (!info.refreshExpiresAt) spans.refresh = null;
  else if (spans.refresh?.to !== info.refreshExpiresAt) spans.refresh = { from: Date.now(), to: info.refreshExpiresAt };
}
const drawTimeline = () => draw($('timeline'), { now: Date.now(), serverNow, ...spans, marks });

// ---- tab broadcasts: another tab's change reaching this one ---------------------------------------------------
// The tabs of this demo tell each other what their session emitted (a channel of the demo's own). A login,
// refresh, logout or end in this tab that follows the same event of another tab, while this tab did nothing
// itself, came through the session's own broadcast.
const TAB = Math.random().toString(36).slice(2, 8);
const demoChannel = 'BroadcastChannel' in self ? new BroadcastChannel('demo-timeline') : null;
const peer = {}, own = {};
let lastOwnAction = 0;
const SHARED_EVENTS = ['login', 'refresh', 'logout', 'expired'];
const recent = (t) => t && performance.now() - t < 3000;
function maybeBroadcast(name) {
  if (recent(peer[name]) && recent(own[name]) && !recent(lastOwnAction)) {
    own[name] = 0;   // one mark per change
    mark('broadcast', `another tab's ${name} reached this tab`);
  }
}
demoChannel?.addEventListener('message', (m) => {
  if (m.data?.tab === TAB) return;
  peer[m.data.name] = performance.now();
  maybeBroadcast(m.data.name);
});

// The API panel shows what the logged-in user's call returned; a logout (here or in another tab) or the session's
// end takes that off the screen. A failure message stays: it says what happened to the call, and holds no data.
let apiShowsData = false;
function showApi(text, data) { $('api').textContent = text; apiShowsData = data; }
function clearApiData() { if (apiShowsData) showApi('–', false); }

let session;
function makeSession() {
  session?.dispose();
  session = new Session({
    clientId: 'demo-spa',
    server: location.origin,
    redirectUri: location.origin + '/',
    flow: settings.flow,
    storage: settings.storage,
    persistence: settings.persistence ? backend : undefined,
    refreshTokens: settings.persistence || settings.refreshTokens,
    silentRenew: settings.silentRenew && !(settings.persistence || settings.refreshTokens),
  });
  for (const name of ['login', 'refresh', 'refreshError', 'expiring', 'expired', 'logout', 'rateLimit', 'storageFallback']) {
    session.on(name, (d) => {
      const err = d instanceof SessionError;
      log(`event ${name}${err ? ` — ${describe(d)}` : ''}`, err);
      mark(name === 'rateLimit' ? 'rate-limit' : name, err ? describe(d) : `session event ${name}`);
      if (name === 'logout' || name === 'expired') clearApiData();
      if (SHARED_EVENTS.includes(name)) {
        own[name] = performance.now();
        demoChannel?.postMessage({ tab: TAB, name });
        maybeBroadcast(name);
      }
    });
  }
  session.on('change', render);
  // Without a refresh token a `refresh` is a silent renewal: a hidden prompt=none login on the server's cookie.
  session.on('refresh', (i) => { if (!i.hasRefreshToken) log(`silent renewal (prompt=none): new access token, expires in ${left(i.expiresAt)}`); });
  return session;
}

const left = (ms) => (ms - Date.now() <= 0 ? 'expired' : fmtLeft(ms - Date.now()));

function render() {
  const info = session.tokenInfo();
  const inn = session.isLoggedIn();
  trackSpans(info);
  $('status').textContent = inn ? 'logged in' : 'logged out';
  $('status').className = inn ? 'in' : 'out';
  $('flow').textContent = inn ? (settings.flow === 'implicit' ? 'implicit (legacy, no refresh token)' : 'authorization code + PKCE') : '–';
  $('owner').textContent = info?.ownerId ?? '–';
  $('expires').textContent = info ? left(info.expiresAt) : '–';
  $('rexpires').textContent = info?.refreshExpiresAt ? left(info.refreshExpiresAt) : (info ? 'no refresh token' : '–');
  $('storage').textContent = session.storage;
  $('scope').textContent = info?.scope ?? '–';
  $('clock-hint').textContent = clockHint(info);
  drawTimeline();
}

/** What "Clock +…" will do with the settings in force: said, then shown on the timeline. */
function clockHint(info) {
  if (!info) return 'Log in first: the clocks then move past the token lifetimes.';
  const rt = info.hasRefreshToken;
  const silent = !rt && settings.silentRenew && !settings.refreshTokens && !settings.persistence;
  const tail = rt ? ' "+8 days" also outlives the refresh token (7 days): the refresh is refused (OAU-210) and the session ends.'
    : ' There is no refresh token (the default without a backend; turn one on under Settings to see refreshes).';
  if (!settings.browserClock) {
    return (rt
      ? 'Only the server clock moves: the browser still thinks its token is fresh, so the next API call gets a 401 (OAU-128); the session refreshes once and retries that call.'
      : 'Only the server clock moves: the next API call gets a 401 (OAU-128) and, with no refresh token, the session ends: the call rejects login_required and "expired" fires.') + tail;
  }
  if (silent) {
    return 'Both clocks move: in the token\'s last minute ("+59 min") the session renews silently (a hidden prompt=none login on the server\'s login cookie: a "refresh" mark, no refresh token); past its end ("+1 h") it is too late: the session ends ("expired"). Turn silent renewal off under Settings to see "expiring".' + tail;
  }
  return (rt
    ? 'Both clocks move: the session sees its token expired (or in its last minute) and refreshes before sending anything: no 401.'
    : 'Both clocks move: "+59 min" puts the token in its last minute ("expiring"); past its end the session ends ("expired") without sending a request.') + tail;
}

/** `own`: a press of this tab's controls (a change that follows it is this tab's doing, not a broadcast). */
async function run(label, fn, own = true) {
  if (own) lastOwnAction = performance.now();
  try { await fn(); } catch (e) { log(`${label} failed — ${describe(e)}`, true); if (label === 'API call') throw e; }
  finally { render(); }
}

// ---- the server's view: its request log, polled (test mode only) ---------------------------------------------
let lastSeq = -1;
async function pollServer() {
  const [clock, logRes] = await Promise.all([fetch('/_emulator/clock'), fetch('/_emulator/log')]).catch(() => []);
  if (!clock?.ok || !logRes?.ok) return;
  serverNow = (await clock.json()).now_ms;
  const { token_requests: tokens, api_requests: apis } = await logRes.json();
  const entries = [...tokens.map((t) => ({ ...t, kind: 'token' })), ...apis.map((a) => ({ ...a, kind: 'api' }))]
    .sort((a, b) => a.seq - b.seq);
  if (lastSeq < 0) { lastSeq = entries.at(-1)?.seq ?? 0; return; }   // history before this page is not news
  for (const e of entries.filter((x) => x.seq > lastSeq)) {
    if (e.kind === 'token') {
      const what = `token request (${e.grant_type ?? '?'}) → ${e.status}`;
      if (e.fault === 'drop_after_commit') { mark('lost', `${e.grant_type}: the server rotated, the answer never arrived`); log(`server: ${what}, response dropped after commit`, true); }
      else if (e.fault === 'malformed_json') { mark('malformed', `${e.grant_type}: 200 with half a body`); log(`server: ${what} with a malformed body`, true); }
      else if (e.status === 503) { mark('503', `${e.grant_type}: Service Unavailable`); log(`server: ${what}`, true); }
      else if (e.status === 429) { mark('rate-limit', `${e.grant_type}: 429 from the server`); log(`server: ${what}`, true); }
      else log(`server: ${what}`, e.status >= 400);
    } else {
      const prev = apis.filter((a) => a.seq < e.seq).at(-1);
      if (e.status === 401) mark('401', `${e.path}: ${e.error_code ?? 'unauthorized'}`);
      else if (prev?.status === 401 && e.status < 400 && e.time_ms - prev.time_ms < 30000) mark('retry', `${e.path}: ${e.status} with the new token`);
      log(`server: API ${e.method} ${e.path} → ${e.status}${e.error_code ? ` (${e.error_code})` : ''}`, e.status >= 400);
    }
    lastSeq = e.seq;
  }
  drawTimeline();
}

async function main() {
  await init();
  $('opt-storage').value = settings.storage;
  $('opt-persistence').checked = settings.persistence;
  $('opt-refresh').checked = settings.refreshTokens;
  $('opt-browser-clock').checked = settings.browserClock;
  $('opt-silent').checked = settings.silentRenew;
  makeSession();
  await session.ready;
  await run('login callback', async () => { if (await session.handleRedirect()) log('callback handled: logged in'); }, false);
  setInterval(render, 1000);

  for (const b of document.querySelectorAll('[data-login]')) {
    b.onclick = () => { settings.flow = b.dataset.login; saveSettings(); makeSession(); run('login', () => session.login()); };
  }
  $('call').onclick = () => {
    showApi('…', false);
    run('API call', async () => {
      const r = await session.fetch('/restapi/v1.0/account/~/extension/~');
      const body = await r.text();
      // Sent before a logout that has happened since: the answer is the previous user's, not for the screen.
      if (!session.isLoggedIn()) { showApi('–', false); log(`API call: HTTP ${r.status}, after the session ended: not shown`); return; }
      showApi(`HTTP ${r.status}\n${(() => { try { return JSON.stringify(JSON.parse(body), null, 2); } catch { return body; } })()}`, true);
      log(`API call: HTTP ${r.status}`, !r.ok);
    }).catch((e) => {
      // The last answer must not stay on screen as if this call had got it.
      showApi(`failed — ${describe(e)}`, false);
      mark('api-error', describe(e));
    });
  };
  // Opened synchronously inside the click (else the browser blocks the popup).
  $('login-popup').onclick = () => { settings.flow = 'pkce'; saveSettings(); run('popup login', async () => { await session.loginPopup(); log('popup login: logged in'); }); };
  $('renew').onclick = () => run('renew', async () => { await session.renew(); log('renewed'); });
  $('refresh').onclick = () => run('refresh', async () => { await session.refresh(); log('refreshed'); });
  $('logout').onclick = () => run('logout', () => session.logout());
  $('apply').onclick = async () => {
    settings.storage = $('opt-storage').value;
    settings.persistence = $('opt-persistence').checked;
    settings.refreshTokens = $('opt-refresh').checked;
    settings.silentRenew = $('opt-silent').checked;
    saveSettings();
    makeSession();
    await session.ready;
    log(`settings applied: storage=${settings.storage}, persistence=${settings.persistence}, refreshTokens=${settings.refreshTokens}`);
    render();
  };
  $('opt-browser-clock').onchange = () => { settings.browserClock = $('opt-browser-clock').checked; saveSettings(); render(); };

  // Server controls appear only when the emulator runs in test mode.
  const clock = await fetch('/_emulator/clock').catch(() => null);
  if (clock && clock.ok) {
    $('server-controls').hidden = false;
    await pollServer();
    setInterval(() => pollServer().catch(() => {}), 1000);
    for (const b of document.querySelectorAll('[data-advance]')) {
      b.onclick = () => run('clock', async () => {
        const s = Number(b.dataset.advance);
        await fetch('/_emulator/clock/advance', { method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ seconds: s }) });
        log(`server clock +${s} s`);
        if (settings.browserClock) {
          advanceBrowserClock(s);
          log(`browser clock +${s} s`);
          // The session re-checks its tokens when the page comes back online or into view; a moved clock is
          // what a sleeping laptop sees on waking, so nudge it the same way.
          window.dispatchEvent(new Event('online'));
        }
        await pollServer();
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
  render();
}

main().catch((e) => log(`start failed — ${describe(e)}`, true));
