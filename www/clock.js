// The demo's browser clock: Date.now plus an offset the "Move the browser clock too" controls add to, kept in
// a cookie so every tab shares it (as a real clock is shared). The session reads the time through Date.now, so
// it sees the moved clock like a machine that slept or whose clock was set forward.
const COOKIE = 'demo-clock';
const realNow = Date.now.bind(Date);
const read = () => Number((document.cookie.match(/(?:^|; )demo-clock=(-?\d+)/) || [])[1] || 0);

Date.now = () => realNow() + read();

export function advanceBrowserClock(seconds) {
  document.cookie = `${COOKIE}=${read() + seconds * 1000}; Path=/; SameSite=Strict`;
}

export const browserSkewMs = read;
