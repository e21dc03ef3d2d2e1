// The README's first screen as written (only the config values are this test's): the `auto` entry instantiates
// the wasm on import, the page has no init() call. The popup comes back to this same page, whose
// handleRedirect() hands the login over to the opener and closes it.
import { Session, SessionError } from 'oauth-spa-session/auto';
import { config, show } from './page.js';

const loginButton = document.getElementById('login');
const session = new Session(config());
if (!(await session.ready) && !(await session.handleRedirect())) loginButton.onclick = () => session.loginPopup();
show(session, SessionError);
