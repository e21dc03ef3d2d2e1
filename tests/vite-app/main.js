// The whole point of this app: the package is imported by its bare name, exactly as a user of the npm
// package would, and `init()` finds the .wasm on its own (Vite rewrites `new URL(…, import.meta.url)`).
import init, { Session, SessionError } from 'oauth-spa-session';

const $ = (id) => document.getElementById(id);
const status = (s) => { $('status').textContent = s; };

async function main() {
  await init();
  // The app runs on the OAuth server's origin (the emulator serves it under /vite/).
  const session = new Session({
    clientId: 'vite-app',
    server: location.origin,
    redirectUri: `${location.origin}${import.meta.env.BASE_URL}index.html`,
  });
  await session.ready;
  await session.handleRedirect();
  if (!session.isLoggedIn()) {
    status('logged out');
    $('login').disabled = false;
    $('login').onclick = () => session.login();
    return;
  }
  status('logged in');
  try {
    const res = await session.fetch('/restapi/v1.0/account/~/extension/~');
    $('api-body').textContent = await res.text();
    $('api-status').textContent = String(res.status);
  } catch (e) {
    $('api-status').textContent = e instanceof SessionError ? `error ${e.code}` : `error ${e}`;
  }
}

main().catch((e) => status(`error: ${e && e.code ? e.code : ''} ${e && e.message ? e.message : e}`));
