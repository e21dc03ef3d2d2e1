// The package under Node (server rendering, tests): importing it never throws, nothing touches a browser API,
// and using it says why it cannot work with a SessionError `unsupported_environment` (the browser build's class).
import { SessionError } from '#oauth-spa-session/error';

export { SessionError };

const unsupported = () => new SessionError('unsupported_environment',
  'oauth-spa-session runs in a browser; under Node (server rendering) create the session on the client, e.g. in an effect',
  null, null, false);

export class Session {
  constructor() {
    throw unsupported();
  }
}

export default function init() {
  return Promise.reject(unsupported());
}

export function initSync() {
  throw unsupported();
}
