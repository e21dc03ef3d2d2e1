// The React and Vue bindings' hand-written .d.ts, as an app uses them (compiled by every tsconfig.*.json).
import { createElement, type ReactElement } from 'react';
import { SessionProvider, useSession, type UseSession } from 'oauth-spa-session/react';
import { defineComponent, h, type Ref } from 'vue';
import { provideSession, useSession as useVueSession } from 'oauth-spa-session/vue';
import type { SessionConfig, TokenInfo } from 'oauth-spa-session';

const config: SessionConfig = { clientId: 'a', server: 'https://platform.ringcentral.com', redirectUri: 'https://app.example/' };

function Profile(): ReactElement {
  const s: UseSession = useSession();
  const info: TokenInfo | null = s.tokenInfo;
  const go = async () => {
    if (!s.ready) return;
    if (!s.isLoggedIn) { await s.login(); return; }
    await s.loginPopup();
    const res: Response = await s.fetch('/restapi/v1.0/account/~', { method: 'GET' });
    await s.logout();
    void res;
  };
  void info;
  // @ts-expect-error: the hook exposes no token strings
  void s.accessToken;
  return createElement('button', { onClick: go }, s.isLoggedIn ? 'Log out' : 'Log in');
}
export const app: ReactElement = createElement(SessionProvider, { config }, createElement(Profile));
// @ts-expect-error: config is required
createElement(SessionProvider, {});

export const VueApp = defineComponent({
  setup() {
    const s = provideSession(config);
    const loggedIn: Readonly<Ref<boolean>> = s.isLoggedIn;
    return () => h('p', loggedIn.value ? 'in' : 'out');
  },
});
export const VueChild = defineComponent({
  setup() {
    const s = useVueSession();
    const info: TokenInfo | null = s.tokenInfo.value;
    const fetched: Promise<Response> = s.fetch('/restapi/v1.0/account/~');
    void info; void fetched;
    // @ts-expect-error: the refs are read-only
    s.isLoggedIn.value = true;
    return () => h('p', String(s.ready.value));
  },
});
