// Render functions (h) rather than single-file components, so the example needs no Vite plugin.
import { createApp, defineComponent, h, ref } from 'vue';
import { provideSession, useSession } from 'oauth-spa-session/vue';
import { exampleConfig } from '../../vanilla/config.js';

const Profile = defineComponent({
  setup() {
    const { status, isLoggedIn, tokenInfo, error, login, logout, fetch } = useSession();
    const api = ref(null);
    const callApi = async () => {
      const res = await fetch('/restapi/v1.0/account/~/extension/~');
      api.value = { status: res.status, body: await res.text() };
    };
    return () => {
      if (status.value === 'loading') return h('p', { id: 'status' }, 'loading');
      // No session could be made (e.g. csp_blocked: the page's Content-Security-Policy lacks 'wasm-unsafe-eval').
      if (status.value === 'failed') return h('main', [h('p', { id: 'status' }, 'failed'), h('p', { id: 'error' }, error.value.message)]);
      return h('main', [
        h('p', { id: 'status' }, isLoggedIn.value ? 'logged in' : 'logged out'),
        error.value && h('p', { id: 'error' }, error.value.code ?? error.value.message),
        ...(isLoggedIn.value ? [
          h('p', ['Access token expires at ', h('span', { id: 'expires' }, new Date(tokenInfo.value.expiresAt).toISOString())]),
          h('button', { id: 'api', onClick: callApi }, 'Call the API'),
          h('button', { id: 'logout', onClick: () => { api.value = null; logout(); } }, 'Log out'),
        ] : [h('button', { id: 'login', onClick: () => login() }, 'Log in')]),
        api.value && h('pre', { id: 'api-result', 'data-status': api.value.status }, api.value.body),
      ]);
    };
  },
});

const App = defineComponent({
  setup() {
    provideSession(exampleConfig('vue', import.meta.env));
    return () => h(Profile);
  },
});

const app = createApp(App);
app.mount('#app');
// Development builds only: lets the test (or you, from the console) unmount the app and see the session disposed.
if (import.meta.env.DEV) window.exampleRoot = app;
