// The React and Vue bindings' hand-written .d.ts, as an app uses them (compiled by every tsconfig.*.json).
import { createElement, type ReactElement } from 'react';
import { SessionProvider, useSession, type UseSession } from 'oauth-spa-session/react';
import { defineComponent, h, type Ref } from 'vue';
import { provideSession, useSession as useVueSession } from 'oauth-spa-session/vue';
import type { Session, SessionConfig, TokenInfo } from 'oauth-spa-session';

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
  // `status` narrows the state: a Session exactly when ready, an error when the start failed.
  if (s.status === 'failed') { const why: string = s.error.message; void why; }
  if (s.ready) { const live: Session = s.session; void live; }
  // @ts-expect-error: no session before ready
  if (s.status === 'loading') { const none: Session = s.session; void none; }
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
    const status: 'loading' | 'ready' | 'failed' = s.status.value;
    void status;
    const fetched: Promise<Response> = s.fetch('/restapi/v1.0/account/~');
    void info; void fetched;
    // @ts-expect-error: the refs are read-only
    s.isLoggedIn.value = true;
    return () => h('p', String(s.ready.value));
  },
});
