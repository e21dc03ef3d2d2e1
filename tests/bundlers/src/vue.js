// oauth-spa-session/vue (render functions rather than single-file components: no plugin or loader needed).
import { createApp, defineComponent, h, ref } from 'vue';
import { provideSession, useSession } from 'oauth-spa-session/vue';
import { config, callApi } from './page.js';

const Page = defineComponent({
  setup() {
    const { ready, isLoggedIn, error, login, fetch } = useSession();
    const api = ref(null);
    return () => (!ready.value ? h('p', { id: 'status' }, 'loading') : h('main', [
      h('p', { id: 'status' }, isLoggedIn.value ? 'logged in' : 'logged out'),
      h('p', { id: 'error' }, error.value ? error.value.code ?? String(error.value) : ''),
      h('button', { id: 'login', onClick: () => login() }, 'Log in'),
      h('button', { id: 'api', disabled: !isLoggedIn.value, onClick: async () => { api.value = await callApi(fetch); } }, 'Call the API'),
      api.value && h('pre', { id: 'api-result', 'data-status': api.value.status }, api.value.body),
    ]));
  },
});

createApp(defineComponent({ setup() { provideSession(config()); return () => h(Page); } })).mount('#root');
