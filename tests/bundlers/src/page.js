// What the four pages share: the config and, for the two pages without a framework, the status and API output.

// The app is served on one loopback name and the OAuth server answers on the other (the emulator answers on
// both): two origins, as in production. The redirect URI is the page itself.
export function config() {
  const other = { localhost: '127.0.0.1', '127.0.0.1': 'localhost' }[location.hostname];
  return { clientId: 'bundlers', server: `${location.protocol}//${other}:${location.port}`, redirectUri: location.origin + location.pathname };
}

export const callApi = async (fetch) => {
  const res = await fetch('/restapi/v1.0/account/~/extension/~');
  return { status: res.status, body: await res.text() };
};

/** Shows the session's state in the page's #status and wires #api (the auto and main pages). */
export function show(session, SessionError) {
  const $ = (id) => document.getElementById(id);
  const render = () => {
    $('status').textContent = session.isLoggedIn() ? 'logged in' : 'logged out';
    $('api').disabled = !session.isLoggedIn();
  };
  session.on('change', render);
  $('api').onclick = async () => {
    try {
      const { status, body } = await callApi((input, init) => session.fetch(input, init));
      Object.assign($('api-result'), { textContent: body }).dataset.status = status;
    } catch (e) {
      $('error').textContent = e instanceof SessionError ? e.code : `not a SessionError: ${e}`;
    }
  };
  render();
}
