// oauth-spa-session/react (createElement rather than JSX, so neither bundler needs a plugin or a loader).
import { createElement as h, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { SessionProvider, useSession } from 'oauth-spa-session/react';
import { config, callApi } from './page.js';

function App() {
  const { ready, isLoggedIn, error, login, fetch } = useSession();
  const [api, setApi] = useState(null);
  if (!ready) return h('p', { id: 'status' }, 'loading');
  return h('main', null,
    h('p', { id: 'status' }, isLoggedIn ? 'logged in' : 'logged out'),
    h('p', { id: 'error' }, error ? error.code ?? String(error) : ''),
    h('button', { id: 'login', onClick: () => login() }, 'Log in'),
    h('button', { id: 'api', disabled: !isLoggedIn, onClick: async () => setApi(await callApi(fetch)) }, 'Call the API'),
    api && h('pre', { id: 'api-result', 'data-status': api.status }, api.body));
}

createRoot(document.getElementById('root')).render(h(SessionProvider, { config: config() }, h(App)));
