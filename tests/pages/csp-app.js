// The app of csp.html and csp-strict.html, which the emulator serves with a Content-Security-Policy (their `.csp`
// sidecars), so everything here is an external module: no inline script. `?entry=auto` loads
// `oauth-spa-session/auto` instead of the main entry + `init()`; the choice survives the login redirect.
const app = { done: false, error: null, handled: null, violations: [], events: [] };
window.app = app;
document.addEventListener('securitypolicyviolation', (e) => app.violations.push(e.effectiveDirective));
const q = new URLSearchParams(location.search);
if (q.has('entry')) sessionStorage.setItem('csp-entry', q.get('entry'));
app.entry = sessionStorage.getItem('csp-entry') || 'main';
try {
  let mod;
  if (app.entry === 'auto') {
    mod = await import('/pkg/auto.js');
  } else {
    mod = await import('/pkg/oauth_spa_session.js');
    await mod.default();
  }
  const session = new mod.Session({
    clientId: 'demo-spa',
    server: location.origin,
    redirectUri: location.origin + location.pathname,
    storage: 'cookie',
  });
  app.session = session;
  for (const name of ['login', 'expired', 'storageFallback']) session.on(name, (d) => app.events.push({ name, code: d && d.code }));
  app.call = async () => {
    try {
      const r = await session.fetch('/restapi/v1.0/account/~/extension/~');
      return { status: r.status };
    } catch (e) {
      return { error: e.code };
    }
  };
  await session.ready;
  app.handled = await session.handleRedirect();
} catch (e) {
  // The SessionError class of the package (the main entry only loads; it does not instantiate the wasm).
  const { SessionError } = await import('/pkg/oauth_spa_session.js');
  app.error = { code: e.code ?? null, name: e.name, message: String(e.message), isSessionError: e instanceof SessionError };
}
app.done = true;
