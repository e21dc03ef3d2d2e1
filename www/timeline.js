// The live timeline: access- and refresh-token lifetimes as bars on a time axis (the browser's clock), the
// browser's and the server's "now" as lines, and every mark (refresh, 401, retry, lost response, 503, rate
// limit, tab broadcast…) where the demo saw it. Plain SVG, redrawn from `state` once a second and on change.
const NS = 'http://www.w3.org/2000/svg';
const W = 960, ROW = 26, LEFT = 190;
const BEFORE_MS = 10 * 60e3, AFTER_MS = 70 * 60e3;   // the lifetimes' window around the browser's now
const MARKS_MS = 120e3, MARKS_H = 150;

export const MARK_LABELS = {
  login: 'login', refresh: 'refresh', '401': '401 from the API', retry: 'retried after refresh',
  lost: 'response lost', '503': '503 from the token endpoint', malformed: 'malformed token response',
  'rate-limit': 'rate limited (429)', broadcast: 'tab broadcast', expiring: 'expiring', expired: 'session ended',
  logout: 'logout', refreshError: 'refresh failed', 'api-error': 'API call failed',
};

function el(name, attrs, text) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

/** `state`: { now, serverNow, access: {from, to}?, refresh: {from, to}?, marks: [{at, kind, text}] } */
export function draw(root, state) {
  const start = state.now - BEFORE_MS, end = state.now + AFTER_MS;
  const x = (t) => LEFT + Math.max(0, Math.min(1, (t - start) / (end - start))) * (W - LEFT - 10);
  const rows = ['clocks', 'access token', 'refresh token'];
  const svg = el('svg', { viewBox: `0 0 ${W} ${ROW * rows.length + 20 + MARKS_H}`, width: '100%', role: 'img',
    'aria-label': 'session timeline' });
  rows.forEach((r, i) => svg.append(el('text', { x: 4, y: ROW * i + 18, class: 'row' }, r)));
  for (let m = -10; m <= 70; m += 10) {
    const tx = x(state.now + m * 60e3);
    svg.append(el('line', { x1: tx, x2: tx, y1: 0, y2: ROW * rows.length, class: 'grid' }));
    svg.append(el('text', { x: tx, y: ROW * rows.length + 14, class: 'tick' }, m === 0 ? 'now' : `${m > 0 ? '+' : ''}${m} min`));
  }
  const bar = (row, span, cls, label) => {
    if (!span) return;
    const x1 = x(span.from), x2 = x(span.to);
    const past = span.to > end ? ` → ${fmtLeft(span.to - state.now)}` : '';
    svg.append(el('rect', { x: x1, y: ROW * row + 5, width: Math.max(2, x2 - x1), height: ROW - 10, class: cls,
      'data-bar': cls }));
    svg.append(el('text', { x: x1 + 4, y: ROW * row + 18, class: 'barlabel' }, `${label}${past}`));
  };
  bar(1, state.access, 'access', state.access && state.access.to <= state.now ? 'expired' : 'valid');
  bar(2, state.refresh, 'refreshbar', 'valid');
  const line = (t, cls, label) => {
    const tx = x(t);
    svg.append(el('line', { x1: tx, x2: tx, y1: 2, y2: ROW * rows.length, class: cls, 'data-clock': cls }));
    const nearEnd = tx > W - 140;   // a clock past the window's end is drawn at its edge, labelled inward
    svg.append(el('text', { x: nearEnd ? tx - 3 : tx + 3, y: 14, class: `${cls} clocklabel`,
      'text-anchor': nearEnd ? 'end' : 'start' }, label));
  };
  line(state.now, 'browser', 'browser');
  if (state.serverNow !== undefined) {
    const ahead = state.serverNow - state.now;
    line(state.serverNow, 'server', Math.abs(ahead) < 2000 ? '' : `server ${ahead > 0 ? '+' : ''}${fmtLeft(ahead)}`);
  }
  // Marks come seconds apart, so they get their own axis: the last two minutes, one lane per kind of mark.
  const top = ROW * rows.length + 24, mStart = state.now - MARKS_MS;
  const mx = (t) => LEFT + Math.max(0, Math.min(1, (t - mStart) / (MARKS_MS + 5e3))) * (W - LEFT - 10);
  svg.append(el('text', { x: 4, y: top + MARKS_H - 4, class: 'row' }, 'marks, last 2 min'));
  for (let s = -120; s <= 0; s += 20) {
    const tx = mx(state.now + s * 1000);
    svg.append(el('line', { x1: tx, x2: tx, y1: top, y2: top + MARKS_H - 16, class: 'grid' }));
    svg.append(el('text', { x: tx, y: top + MARKS_H - 4, class: 'tick' }, s === 0 ? 'now' : `${s} s`));
  }
  const lanes = [...new Set(state.marks.map((m) => m.kind))];
  const laneH = (MARKS_H - 22) / Math.max(lanes.length, 1);
  for (const m of state.marks) {
    const old = m.at < mStart;
    const cy = top + laneH * (lanes.indexOf(m.kind) + 0.5);
    const g = el('g', { 'data-mark': m.kind, class: `mark ${m.kind}${old ? ' old' : ''}` });
    g.append(el('circle', { cx: mx(m.at), cy, r: old ? 3 : 5 }));
    g.append(el('title', {}, `${MARK_LABELS[m.kind] ?? m.kind}: ${m.text}`));
    svg.append(g);
  }
  lanes.forEach((k, i) => svg.append(el('text', { x: LEFT - 6, y: top + laneH * (i + 0.5) + 4, class: 'lane',
    'text-anchor': 'end' }, MARK_LABELS[k] ?? k)));
  root.replaceChildren(svg);
}

export function fmtLeft(ms) {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s >= 2 * 86400) return `${(s / 86400).toFixed(1)} d`;
  if (s >= 5400) return `${(s / 3600).toFixed(1)} h`;
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}
