// Server rendering: Node imports the package, its /auto, /react and /vue entries by name (the `node` condition
// of package.json `exports`/`imports`), nothing throws on import, and a Next.js-style renderToString of a tree
// under <SessionProvider> (and Vue's renderToString under provideSession) renders without creating a session.
// Using the session under Node fails with a real SessionError `unsupported_environment`.
import { test } from 'node:test';
import assert from 'node:assert/strict';

test('the package, /auto, /react and /vue import under Node without error', async () => {
  const main = await import('oauth-spa-session');
  const auto = await import('oauth-spa-session/auto');
  await import('oauth-spa-session/react');
  await import('oauth-spa-session/vue');
  assert.equal(auto.Session, main.Session, '/auto is the same stub under Node');
});

test('new Session() under Node throws SessionError unsupported_environment; init() rejects with it', async () => {
  const { Session, SessionError, default: init, initSync } = await import('oauth-spa-session');
  let err;
  try { new Session({ clientId: 'a', server: 'https://platform.ringcentral.com', redirectUri: 'https://app.example/' }); } catch (e) { err = e; }
  assert.ok(err instanceof SessionError && err instanceof Error, 'a SessionError, an Error');
  assert.equal(err.name, 'SessionError');
  assert.equal(err.code, 'unsupported_environment');
  assert.equal(err.retryable, false);
  for (const k of ['status', 'errorCode', 'retryAfter']) assert.equal(err[k], null, k);
  assert.match(err.message, /^unsupported_environment: .*browser/);
  await assert.rejects(init(), (e) => e instanceof SessionError && e.code === 'unsupported_environment');
  assert.throws(() => initSync(new Uint8Array()), (e) => e instanceof SessionError && e.code === 'unsupported_environment');
});

test('the SessionError under Node is the browser entry\'s class (same module)', async () => {
  const { SessionError } = await import('oauth-spa-session');
  const browser = await import(new URL('../../pkg/oauth_spa_session.js', import.meta.url).href);
  assert.equal(browser.SessionError, SessionError, 'one class: instanceof holds across the entries');
  const e = new SessionError('network', 'down', null, null, true);
  assert.deepEqual([e.code, e.description, e.retryable, e.message], ['network', 'down', true, 'network: down']);
});

test('React: renderToString of a tree using useSession() renders the logged-out state, creates no session', async () => {
  const React = await import('react');
  const { renderToString } = await import('react-dom/server');
  const { SessionProvider, useSession } = await import('oauth-spa-session/react');
  const seen = [];
  function Status() {
    const s = useSession();
    seen.push(s);
    return React.createElement('p', null, s.ready ? 'ready' : 'loading', ' ', s.isLoggedIn ? 'in' : 'out');
  }
  const config = { clientId: 'a', server: 'https://platform.ringcentral.com', redirectUri: 'https://app.example/' };
  const html = renderToString(React.createElement(React.StrictMode, null,
    React.createElement(SessionProvider, { config }, React.createElement(Status))));
  assert.match(html, /<p>loading<!-- --> <!-- -->out<\/p>/);
  assert.ok(seen.length >= 1);
  const s = seen[0];
  assert.deepEqual([s.ready, s.isLoggedIn, s.tokenInfo, s.session, s.error], [false, false, null, null, null]);
  await assert.rejects(s.fetch('/x'), (e) => e.name === 'SessionError' && e.code === 'not_ready');
});

test('Vue: renderToString under provideSession() renders, creates no session', async () => {
  const { createSSRApp, h, defineComponent } = await import('vue');
  const { renderToString } = await import('vue/server-renderer');
  const { provideSession, useSession } = await import('oauth-spa-session/vue');
  const Child = defineComponent({ setup() { const s = useSession(); return () => h('p', `${s.ready.value} ${s.isLoggedIn.value} ${s.session.value}`); } });
  const App = defineComponent({
    setup() { provideSession({ clientId: 'a', server: 'https://platform.ringcentral.com', redirectUri: 'https://app.example/' }); return () => h(Child); },
  });
  assert.equal(await renderToString(createSSRApp(App)), '<p>false false null</p>');
});
