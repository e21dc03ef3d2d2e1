// oauth-spa-session/vue: provideSession(config) in a component's setup makes one Session for its subtree (on
// mount, so server rendering creates none) and disposes it on unmount; useSession() injects its reactive refs.
import { computed, inject, onMounted, onUnmounted, provide, ref, shallowRef } from 'vue';
import init, { Session, SessionError } from '#oauth-spa-session';

const KEY = Symbol('oauth-spa-session');
const notYet = () => Promise.reject(new SessionError('not_ready', 'the session is not created yet (wait for `ready`)', null, null, false));

export function provideSession(config) {
  // 'loading' until the session is usable ('ready') or could not be made ('failed': `error` says why).
  const status = ref('loading');
  const isLoggedIn = ref(false);
  const tokenInfo = shallowRef(null);
  const error = shallowRef(null);
  const session = shallowRef(null);
  let live = true;
  let off = () => {};
  const show = (s) => { isLoggedIn.value = s.isLoggedIn(); tokenInfo.value = s.tokenInfo(); };
  onMounted(async () => {
    try {
      await init();
      if (!live) return;
      const s = new Session(config);
      off = s.on('change', () => { if (live) show(s); });
      await s.ready;
      if (!live) return;
      await s.handleRedirect().catch((e) => { error.value = e; });
      if (!live) return;
      session.value = s;
      show(s);
      status.value = 'ready';
    } catch (e) {
      // No usable session (init() refused, e.g. `csp_blocked`, or the constructor's `invalid_config`).
      error.value = e;
      status.value = 'failed';
    }
  });
  onUnmounted(() => {
    live = false;
    off();
    session.value?.dispose();
    session.value = null;
  });
  const s = () => session.value;
  const api = {
    // computed: read-only refs without readonly()'s deep proxy around the Session and TokenInfo objects.
    status: computed(() => status.value), ready: computed(() => status.value === 'ready'), isLoggedIn: computed(() => isLoggedIn.value),
    tokenInfo: computed(() => tokenInfo.value), error: computed(() => error.value), session: computed(() => session.value),
    login: () => (s() ? s().login() : notYet()),
    loginPopup: (options) => (s() ? s().loginPopup(options) : notYet()),
    logout: () => (s() ? s().logout() : notYet()),
    fetch: (input, init) => (s() ? s().fetch(input, init) : notYet()),
  };
  provide(KEY, api);
  return api;
}

export function useSession() {
  const api = inject(KEY, null);
  if (!api) throw new SessionError('invalid_config', 'useSession() needs provideSession() in an ancestor component', null, null, false);
  return api;
}
