// docs/benchmarks.svg: three panels (size brotli, per-call time with fetch stubbed, cold start), one bar per
// contender, scaled within each panel, the value printed at the bar's end and the best marked. Plain SVG.
import { CONTENDERS, FLOOR, label } from './lib/contenders.mjs';
import { fmt, ratio } from './lib/stats.mjs';

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const CHAR_W = 6.3; // px per character of an 11 px sans-serif label (digits and lower case), rounded up
const COLORS = { ours: '#d9480f', ringcentral: '#1971c2', badgateway: '#2f9e44', oidc: '#7048e8', auth0: '#495057', raw: '#adb5bd' };

export function chart(res, meta) {
  const panels = [];
  if (res.size) panels.push({ title: 'Size, brotli -q 11 (KB)', digits: 1, rows: res.size.rows.map((r) => ({ id: r.id, v: r.brotli / 1000 })) });
  if (res.overhead) {
    panels.push({
      title: `Per call, fetch stubbed: median (µs) — ${res.overhead.stub.n} calls each`, digits: 0,
      rows: res.overhead.stub.rows.map((r) => ({ id: r.id, v: r.medianMs * 1000 })),
    });
  }
  if (res.coldstart) {
    panels.push({
      title: 'Cold start: import → tokens restored, median (ms)', digits: 1,
      rows: res.coldstart.rows.map((r) => ({ id: r.id, key: r.key, variant: r.variant, v: r.medianMs })),
    });
  }
  const W = 760; const left = 250; const barH = 16; const gap = 6; const barMax = W - left - 40;
  let y = 64;
  const parts = [];
  for (const p of panels) {
    parts.push(`<text x="10" y="${y}" class="t">${esc(p.title)}</text>`);
    y += 10;
    const max = Math.max(...p.rows.map((r) => r.v).filter(Number.isFinite), 1e-9);
    const peers = p.rows.filter((r) => r.id !== 'ours' && r.id !== FLOOR.id && Number.isFinite(r.v));
    const best = peers.length ? Math.min(...peers.map((r) => r.v)) : NaN;
    const order = [FLOOR.id, ...CONTENDERS.map((c) => c.id)];
    const rows = [...p.rows].sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
    for (const r of rows) {
      const w = Number.isFinite(r.v) ? Math.max(1, (r.v / max) * barMax) : 0;
      const name = `${label(r.id)}${r.variant && r.variant !== 'streaming' ? ` (${r.variant})` : ''}`;
      const note = r.id !== 'ours' || !Number.isFinite(best) ? (r.v === best ? ' best peer' : '') : ` ${ratio(r.v / best)} best peer`;
      const text = `${fmt(r.v, p.digits)}${note}`;
      parts.push(`<text x="${left - 8}" y="${y + barH - 4}" class="l">${esc(name)}</text>`);
      parts.push(`<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${COLORS[r.id] || '#868e96'}"/>`);
      // The value after the bar's end; inside it (white, right-aligned) when it would run past the chart's edge.
      const inside = left + w + 5 + text.length * CHAR_W > W - 4 && text.length * CHAR_W < w - 8;
      parts.push(inside
        ? `<text x="${(left + w - 5).toFixed(1)}" y="${y + barH - 4}" class="v in">${esc(text)}</text>`
        : `<text x="${(left + w + 5).toFixed(1)}" y="${y + barH - 4}" class="v">${esc(text)}</text>`);
      y += barH + gap;
    }
    y += 24;
  }
  const H = y + 10;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">
<style>.t{font-size:14px;font-weight:bold}.l{font-size:12px;text-anchor:end}.v{font-size:11px}.in{fill:#fff;text-anchor:end;font-weight:bold}.h{font-size:11px;fill:#555}</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="20" class="t">oauth-spa-session vs the JS SDKs — lower is better</text>
<text x="10" y="34" class="h">${esc(`npm run bench${meta.smoke ? ' -- --smoke (not a measurement)' : ''} · ${meta.date} · ${meta.cores} cores · ${meta.chromium}`)}</text>
${parts.join('\n')}
</svg>
`;
}
