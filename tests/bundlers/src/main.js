// The main entry: `await init()` first, then a redirect login (this page is the redirect URI).
import init, { Session, SessionError } from 'oauth-spa-session';
import { config, show } from './page.js';

await init();
const session = new Session(config());
await session.ready;
await session.handleRedirect();
document.getElementById('login').onclick = () => session.login();
show(session, SessionError);
