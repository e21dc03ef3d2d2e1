// Renders the results as markdown: the run's facts, a summary table, one table per scenario, the goals.
import { CONTENDERS, FLOOR, CANNOT, label } from './lib/contenders.mjs';
import { EXPIRY } from './burst.mjs';
import { RESTORE } from './coldstart.mjs';
import { fmt, kb } from './lib/stats.mjs';

// Numeric columns (numbers, "a / b", dashes, "cannot") right-aligned, text columns left-aligned.
const NUMERIC = /^(-?[\d.]+( \/ -?[\d.]+)?|—|cannot|n\/a|)$/;
const table = (head, rows) => [
  `| ${head.join(' | ')} |`,
  `| ${head.map((h, i) => (i > 0 && rows.every((r) => NUMERIC.test(String(r[i]))) ? '---:' : '---')).join(' | ')} |`,
  ...rows.map((r) => `| ${r.join(' | ')} |`),
].join('\n');

const shapeName = (r) => `${r.tabs} × ${r.per}`;
const pair = (r) => `${r.tokenRequests} / ${r.failed}`;

export function goals(res) {
  const out = [];
  const ours = (rows) => rows.find((r) => r.id === 'ours');
  if (res.size) {
    const b = ours(res.size.rows).brotli;
    out.push({ goal: 'size ≤ 13 KB brotli (pkg/ total)', value: `${kb(b)} KB`, met: b <= 13000 });
  }
  if (res.overhead) {
    const rows = res.overhead.rows;
    const o = ours(rows).overheadUs;
    const peers = rows.filter((r) => r.id !== 'ours' && r.id !== FLOOR.id);
    out.push({ goal: 'fetch overhead ≤ 25 µs (median)', value: `${fmt(o)} µs`, met: o <= 25 });
    out.push({
      goal: 'fetch overhead lower than both peers',
      value: peers.map((p) => `${label(p.id)} ${fmt(p.overheadUs)} µs`).join(', '),
      met: peers.every((p) => o < p.overheadUs),
    });
  }
  if (res.burst) {
    const mine = res.burst.rows.filter((r) => r.id === 'ours');
    out.push({
      goal: 'refresh burst: 1 token request, 0 failed calls (every shape and expiry)',
      value: mine.map((r) => `${shapeName(r)}, ${EXPIRY[r.expiry]}: ${r.tokenRequests} req, ${r.failed} failed`).join('; '),
      met: mine.every((r) => r.tokenRequests === 1 && r.failed === 0),
    });
  }
  if (res.coldstart) {
    const m = ours(res.coldstart.rows).medianMs;
    out.push({ goal: 'cold start ≤ 5 ms (median)', value: `${fmt(m, 1)} ms`, met: m <= 5 });
  }
  return out;
}

function summary(res) {
  const shapes = res.burst ? [...new Set(res.burst.rows.map(shapeName))] : [];
  const variants = shapes.flatMap((s) => Object.keys(EXPIRY).map((expiry) => ({ s, expiry })));
  const head = ['contender', 'size, brotli (KB)', 'fetch overhead, median (µs)',
    ...variants.map(({ s, expiry }) => `burst ${s}, ${expiry === 'both' ? 'expired' : '401 path'}: token requests / failed`),
    'cold start, median (ms)'];
  const rows = CONTENDERS.map(({ id }) => {
    const size = res.size?.rows.find((r) => r.id === id);
    const ov = res.overhead?.rows.find((r) => r.id === id);
    const cs = res.coldstart?.rows.find((r) => r.id === id);
    return [
      label(id),
      size ? kb(size.brotli) : '—',
      ov ? fmt(ov.overheadUs) : (CANNOT.overhead[id] ? 'cannot' : '—'),
      ...variants.map(({ s, expiry }) => {
        const b = res.burst.rows.find((r) => r.id === id && shapeName(r) === s && r.expiry === expiry);
        return b ? pair(b) : (CANNOT.burst[id] ? 'cannot' : '—');
      }),
      cs ? fmt(cs.medianMs, 1) : '—',
    ];
  });
  return table(head, rows);
}

function sizeSection({ rows, rcShipped }) {
  const body = rows.map((r) => [
    label(r.id), r.version, r.parts.map((p) => `\`${p.file}\``).join(', '), r.raw, r.gzip, r.brotli,
  ]);
  return [
    '## 1. Size',
    '',
    'Peers: `esbuild --bundle --minify --format=esm --platform=browser` of an entry that exports their main class',
    '(`bench/entries/*.js`; the same bundle the pages below run). Ours: `pkg/` as shipped — the wasm and every',
    'JS module the browser loads (entry + `snippets/`). Bytes; compressed per file with `gzip -9` and',
    '`brotli -q 11`, then summed.',
    '',
    table(['contender', 'version', 'files', 'raw', 'gzip -9', 'brotli -q 11'], body),
    '',
    '@ringcentral/sdk imports Node\'s `events` and `crypto`, which esbuild does not polyfill: it is bundled with',
    'the `events` npm package and a minimal `crypto` shim (`bench/entries/shims/node-crypto.js`: sha256 +',
    'getRandomValues, enough for its PKCE login) — the smallest working browser build.',
    rcShipped ? `RC's own prebuilt browser bundle, \`dist/ringcentral.min.js\` (webpack, with crypto-browserify), is ${rcShipped.raw} B raw, ${rcShipped.gzip} B gzip, ${rcShipped.brotli} B brotli.` : '',
  ].join('\n');
}

function overheadSection(o) {
  const body = [FLOOR.id, ...CONTENDERS.map((c) => c.id)].map((id) => {
    const r = o.rows.find((x) => x.id === id);
    if (!r) return [label(id), '—', '—', '—', '—', '—', CANNOT.overhead[id] || 'not measured'];
    return [label(id), r.calls, fmt(r.medianMs * 1000), fmt(r.p95Ms * 1000),
      id === FLOOR.id ? '—' : fmt(r.overheadUs), id === FLOOR.id ? '1.000' : fmt(r.ratio, 3), ''];
  });
  return [
    '## 2. `session.fetch` overhead',
    '',
    `One headless Chromium tab, ${o.n} sequential authenticated \`GET /restapi/v1.0/account/~/extension/~\` per`,
    `contender (response body read), after ${o.warmup} warm-up calls each, interleaved in rounds of ${o.block} calls`,
    'whose order rotates every round. Floor: `fetch(path, {headers: {authorization}})`. Ours: `session.fetch(path)`;',
    'RC: `platform.get(path)`; badgateway: `OAuth2Fetch.fetch(path)`. Overhead = median − floor median.',
    `Timer: performance.now() step ${fmt(o.resolutionUs, 1)} µs (page ${o.isolated ? '' : 'not '}cross-origin isolated).`,
    'Every call opens a new TCP connection (the server never keeps one alive), so the floor is mostly connection',
    'setup; on a noisy machine differences of a few tens of µs are within the noise — compare across runs.',
    '',
    table(['contender', 'calls', 'median (µs)', 'p95 (µs)', 'overhead, median (µs)', 'ratio to floor', 'note'], body),
  ].join('\n');
}

function burstSection(b) {
  const body = [];
  const shapes = [...new Set(b.rows.map(shapeName))];
  for (const s of shapes) {
    for (const expiry of Object.keys(EXPIRY)) {
      for (const { id } of CONTENDERS) {
        const r = b.rows.find((x) => x.id === id && shapeName(x) === s && x.expiry === expiry);
        if (r) {
          const errors = Object.entries(r.outcomes).filter(([k]) => k !== '200').map(([k, v]) => `${v}× ${k}`).join('; ');
          body.push([label(id), s, EXPIRY[expiry], r.tokenRequests, r.failed, r.unauthorized, fmt(r.ms), errors]);
        } else if (CANNOT.burst[id] && expiry === 'both') {
          body.push([label(id), s, '—', '—', '—', '—', '—', CANNOT.burst[id]]);
        }
      }
    }
  }
  return [
    '## 3. Refresh under burst',
    '',
    'A logged-in tab (or 4 tabs of one browser profile, sharing its cookies and localStorage) whose access token',
    'has expired fires all its calls at once. Expired by **both clocks +1 h**: the server clock (`/_emulator/clock/advance`)',
    'and the tabs\' clocks (Playwright `clock.setSystemTime`) move 3700 s, so each library sees the expiry itself',
    '(its proactive path). **Server clock only**: the token is dead at the server while the library still trusts it',
    '(its 401 path). Token requests = every request the server\'s token endpoint saw during the burst; failed = calls',
    'that did not end in a 200 for the app; 401s = API answers 401 (stale tokens sent); time until every call settled.',
    'Ours: `storage: "cookie"`; RC: its localStorage cache; badgateway: `getStoredToken`/`storeToken` on localStorage.',
    '',
    table(['contender', 'tabs × calls', 'expired by', 'token requests', 'calls failed', 'API 401s', 'time to all complete (ms)', 'failures / note'], body),
  ].join('\n');
}

function coldSection(c) {
  const body = CONTENDERS.map(({ id }) => {
    const r = c.rows.find((x) => x.id === id);
    return [label(id), RESTORE[id], fmt(r.medianMs, 1), fmt(r.p95Ms, 1), `${r.restored}/${r.runs}`];
  });
  return [
    '## 4. Cold start',
    '',
    `${c.runs} fresh page loads per contender (after one unmeasured load each), interleaved. Timed in the page from`,
    'the library\'s `import()` to its stored tokens restored and usable (no network call: the run fails if any',
    'token request is made). Modules and wasm are fetched from the loopback server (`Cache-Control: no-store`).',
    'auth0 cannot log in against this server, so its cache is seeded (through its own `LocalStorageCache`) with',
    'tokens from a hand-written PKCE login.',
    '',
    table(['contender', 'timed', 'median (ms)', 'p95 (ms)', 'tokens restored'], body),
  ].join('\n');
}

export function render(res, meta) {
  const g = goals(res);
  const cannot = [];
  for (const [scenario, byId] of Object.entries(CANNOT)) {
    for (const [id, why] of Object.entries(byId)) {
      if (res[scenario]) cannot.push(`- ${label(id)}, ${scenario === 'overhead' ? 'fetch overhead' : 'refresh burst'} — ${why.replace(/^cannot: /, '')}`);
    }
  }
  return [
    '# Benchmarks: oauth-spa-session vs the JS SDKs',
    '',
    `Generated by \`npm run bench\`${meta.smoke ? ' --smoke (tiny N: a liveness check, not a measurement)' : ''}.`,
    '',
    `- Date: ${meta.date}`,
    `- Machine: ${meta.cores} cores (\`nproc\`), ${meta.chromium}, Node ${meta.node}`,
    `- Commit: ${meta.commit}; \`pkg/\` built ${meta.pkgBuilt}`,
    '- Server: `rc-emulator` (debug build) on 127.0.0.1, test mode, consent automatic; every contender hits it alike.',
    `- Run time: ${meta.seconds}`,
    '',
    '## Summary',
    '',
    summary(res),
    '',
    cannot.length ? ['"cannot" means the library has no way to do that scenario here:', ...cannot].join('\n') : '',
    '',
    '## Goals (ours)',
    '',
    table(['goal', 'measured', 'met'], g.map((x) => [x.goal, x.value, x.met ? 'yes' : '**no**'])),
    '',
    res.size ? sizeSection(res.size) : '',
    '',
    res.overhead ? overheadSection(res.overhead) : '',
    '',
    res.burst ? burstSection(res.burst) : '',
    '',
    res.coldstart ? coldSection(res.coldstart) : '',
    '',
  ].join('\n').replace(/\n{3,}/g, '\n\n');
}
