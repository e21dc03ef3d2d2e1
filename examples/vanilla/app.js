import init, { Session } from 'oauth-spa-session';
import { exampleConfig } from './config.js';

const $ = (id) => document.getElementById(id);
await init();
const session = new Session(exampleConfig('vanilla'));
await session.ready;
await session.handleRedirect();

function render() {
  const inn = session.isLoggedIn();
  $('status').textContent = inn ? 'logged in' : 'logged out';
  $('login').hidden = inn;
  $('api').hidden = $('logout').hidden = !inn;
}
session.on('change', render);
render();

$('login').onclick = () => session.login();
$('logout').onclick = () => { $('api-result').textContent = ''; session.logout(); };
$('api').onclick = async () => {
  const res = await session.fetch('/restapi/v1.0/account/~/extension/~');
  $('api-result').dataset.status = String(res.status);
  $('api-result').textContent = await res.text();
};
