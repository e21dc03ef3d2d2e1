// Shared by the examples (the React and Vue ones import it from here): the config for the local server, or for your own app through Vite env variables
// (VITE_RC_SERVER, VITE_RC_CLIENT_ID). The local server answers on both loopback names; the examples use the
// other one for the OAuth server, so the app and the server are on different origins as in production.
export function exampleConfig(name, env = {}) {
  const other = { localhost: '127.0.0.1', '127.0.0.1': 'localhost' }[location.hostname];
  const local = other ? `${location.protocol}//${other}:${location.port}` : location.origin;
  return {
    clientId: env.VITE_RC_CLIENT_ID || `example-${name}`,
    server: env.VITE_RC_SERVER || local,
    // The redirect URI is the app's own page: the callback path must serve the app.
    redirectUri: `${location.origin}${location.pathname.replace(/[^/]*$/, '')}`,
  };
}
