import React, { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { SessionProvider, useSession } from 'oauth-spa-session/react';
import { exampleConfig } from '../../vanilla/config.js';

const config = exampleConfig('react', import.meta.env);

function App() {
  const { status, isLoggedIn, tokenInfo, error, login, logout, fetch } = useSession();
  const [api, setApi] = useState(null);
  if (status === 'loading') return <p id="status">loading</p>;
  // No session could be made (e.g. csp_blocked: the page's Content-Security-Policy lacks 'wasm-unsafe-eval').
  if (status === 'failed') return <><p id="status">failed</p><p id="error">{error.message}</p></>;
  const callApi = async () => {
    const res = await fetch('/restapi/v1.0/account/~/extension/~');
    setApi({ status: res.status, body: await res.text() });
  };
  return (
    <main>
      <p id="status">{isLoggedIn ? 'logged in' : 'logged out'}</p>
      {error && <p id="error">{error.code ?? error.message}</p>}
      {isLoggedIn ? (
        <>
          <p>Access token expires at <span id="expires">{new Date(tokenInfo.expiresAt).toISOString()}</span></p>
          <button id="api" onClick={callApi}>Call the API</button>
          <button id="logout" onClick={() => { setApi(null); logout(); }}>Log out</button>
        </>
      ) : (
        <button id="login" onClick={() => login()}>Log in</button>
      )}
      {api && <pre id="api-result" data-status={api.status}>{api.body}</pre>}
    </main>
  );
}

const root = createRoot(document.getElementById('root'));
// Development builds only: lets the test (or you, from the console) unmount the app and see the session disposed.
if (import.meta.env.DEV) window.exampleRoot = root;
root.render(
  <StrictMode>
    <SessionProvider config={config}>
      <App />
    </SessionProvider>
  </StrictMode>,
);
