// oauth-spa-session: what an app imports (the wasm stays a file of its own, loaded by `init()`). Bundled for the
// size table only, with the same esbuild settings as the peers; the pages load pkg/ as shipped.
export { default, Session, SessionError } from '../../pkg/oauth_spa_session.js';
