// oauth-spa-session/react: one Session per config for a React tree, and a hook that re-renders on `change`.
// The session is made in an effect (never during render, so server rendering creates none) after an `await
// init()`: StrictMode's mount → unmount → mount runs before that await settles, so the first mount is cancelled
// and exactly one session is created; unmount and hot reload dispose it and drop its listener.
import { createContext, createElement, useContext, useEffect, useMemo, useRef, useState } from 'react';
import init, { Session, SessionError } from '#oauth-spa-session';

const Ctx = createContext(null);
// `status`: 'loading' until the session is usable ('ready', then `ready` is true) or could not be made ('failed':
// `error` says why, `session` stays null).
const idle = { status: 'loading', ready: false, isLoggedIn: false, tokenInfo: null, error: null, session: null };
const notYet = () => Promise.reject(new SessionError('not_ready', 'the session is not created yet (render on the client, wait for `ready`)', null, null, false));

// The config's identity: its JSON (functions of a persistence adapter are taken from the first config seen).
const keyOf = (config) => JSON.stringify(config, (k, v) => (typeof v === 'function' ? 'fn' : v));

export function SessionProvider({ config, children }) {
  const [state, setState] = useState(idle);
  const latest = useRef(config);
  latest.current = config;
  const key = keyOf(config);
  useEffect(() => {
    let live = true;
    let session = null;
    let off = () => {};
    const show = (error = null) => {
      if (live) setState({ status: 'ready', ready: true, isLoggedIn: session.isLoggedIn(), tokenInfo: session.tokenInfo(), error, session });
    };
    (async () => {
      await init();
      if (!live) return;
      session = new Session(latest.current);
      off = session.on('change', () => show());
      await session.ready;
      if (!live) return;
      let error = null;
      await session.handleRedirect().catch((e) => { error = e; });
      show(error);
    })().catch((e) => {
      // No usable session (init() refused, e.g. `csp_blocked`, or the constructor's `invalid_config`).
      off();
      session?.dispose();
      session = null;
      if (live) setState({ ...idle, status: 'failed', error: e });
    });
    return () => {
      live = false;
      off();
      session?.dispose();
      setState(idle);
    };
  }, [key]);
  return createElement(Ctx.Provider, { value: state }, children);
}

export function useSession() {
  const state = useContext(Ctx);
  if (!state) throw new SessionError('invalid_config', 'useSession() needs a <SessionProvider> above it', null, null, false);
  const { session } = state;
  const actions = useMemo(() => ({
    login: () => (session ? session.login() : notYet()),
    loginPopup: (options) => (session ? session.loginPopup(options) : notYet()),
    logout: () => (session ? session.logout() : notYet()),
    fetch: (input, init) => (session ? session.fetch(input, init) : notYet()),
  }), [session]);
  return { ...state, ...actions };
}
