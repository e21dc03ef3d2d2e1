// Renders the results as markdown: the run's facts, the standing (ours ÷ the best peer, per figure) with the chart,
// then one section per scenario, each with the command that reproduces it, and the goals.
import { CONTENDERS, FLOOR, ARENAS, HOME, CALL, label } from './lib/contenders.mjs';
import { EXPIRY } from './burst.mjs';
import { RESTORE } from './coldstart.mjs';
import { fmt, kb, ratio } from './lib/stats.mjs';

// Numeric columns (numbers, "a / b", "a–b", ratios "×1.2", dashes, "cannot") right-aligned, text columns left.
const NUMERIC = /^(-?[\d.]+( \/ -?[\d.]+| – -?[\d.]+)?|×[\d.]+|—|cannot|n\/a|)$/;
const table = (head, rows) => [
  `| ${head.join(' | ')} |`,
  `| ${head.map((h, i) => (i > 0 && rows.every((r) => NUMERIC.test(String(r[i]))) ? '---:' : '---')).join(' | ')} |`,
  ...rows.map((r) => `| ${r.join(' | ')} |`),
].join('\n');

const CMD = (only) => `\`npm run bench -- --only=${only}\``;
const us = (ms, d = 0) => fmt(ms * 1000, d);
const spread = (a, b, d = 0) => `${fmt(a, d)} – ${fmt(b, d)}`;
const shapeName = (r) => `${r.tabs} × ${r.per}`;
const PEERS = CONTENDERS.filter((c) => c.id !== 'ours').map((c) => c.id);
const cannot = (arena, id) => ARENAS[arena].cannot[id];

/** Per figure: ours, the best peer (lowest), their ratio. `rows` [{id, v}], lower is better. */
function standingRow(name, rows, unit, digits, command) {
  const ours = rows.find((r) => r.id === 'ours');
  const peers = rows.filter((r) => PEERS.includes(r.id) && Number.isFinite(r.v));
  if (!ours || !peers.length) return null;
  const best = peers.reduce((a, b) => (b.v < a.v ? b : a));
  return {
    name, ours: ours.v, best, ratio: ours.v / best.v, unit, command,
    cells: [name, `${fmt(ours.v, digits)}`, `${fmt(best.v, digits)} (${label(best.id)})`, ratio(ours.v / best.v), command],
  };
}

export function standing(res) {
  const out = [];
  const push = (r) => r && out.push(r);
  if (res.size) push(standingRow('size, brotli (KB)', res.size.rows.map((r) => ({ id: r.id, v: r.brotli / 1000 })), 'KB', 1, CMD('size')));
  if (res.overhead) {
    const s = res.overhead.stub.rows;
    push(standingRow('per call, fetch stubbed: median (µs)', s.map((r) => ({ id: r.id, v: r.medianMs * 1000 })), 'µs', 0, CMD('overhead')));
    push(standingRow('per call, fetch stubbed: p99 (µs)', s.map((r) => ({ id: r.id, v: r.p99Ms * 1000 })), 'µs', 0, CMD('overhead')));
    for (const [a, o] of Object.entries(res.overhead.net)) {
      push(standingRow(`per call over the network, ${ARENAS[a].short}: median (µs)`, o.rows.map((r) => ({ id: r.id, v: r.medianMs * 1000 })), 'µs', 0, CMD('overhead')));
    }
  }
  if (res.memory) {
    push(standingRow(`memory after ${res.memory.n} calls: JS heap + wasm (KB)`, res.memory.rows.map((r) => ({ id: r.id, v: (r.heapAfter + (r.wasm || 0)) / 1000 })), 'KB', 0, CMD('memory')));
  }
  if (res.coldstart) {
    push(standingRow('cold start, median (ms)', res.coldstart.rows.filter((r) => r.key !== 'ours-split').map((r) => ({ id: r.id, v: r.medianMs })), 'ms', 1, CMD('coldstart')));
  }
  if (res.burst) {
    for (const a of Object.keys(ARENAS)) {
      for (const s of [...new Set(res.burst.rows.map(shapeName))]) {
        for (const expiry of Object.keys(EXPIRY)) {
          const rows = res.burst.rows.filter((r) => r.arena === a && shapeName(r) === s && r.expiry === expiry);
          // Lower is better: failed calls first, then token requests.
          push(standingRow(`burst ${s}, ${ARENAS[a].short}, ${expiry === 'both' ? 'expired' : '401 path'}: failed calls + token requests`,
            rows.map((r) => ({ id: r.id, v: r.failed + r.tokenRequests })), '', 0, CMD('burst')));
        }
      }
    }
  }
  return out;
}

export function goals(res) {
  const out = [];
  const ours = (rows) => rows.find((r) => r.id === 'ours');
  if (res.size) {
    const b = ours(res.size.rows).brotli;
    out.push({ goal: 'size ≤ 13 KB brotli (JS bundled as for the peers, + the wasm)', value: `${kb(b)} KB`, met: b <= 13000 });
  }
  if (res.overhead) {
    const rows = res.overhead.stub.rows;
    const o = ours(rows).overheadUs;
    const peers = rows.filter((r) => PEERS.includes(r.id));
    out.push({ goal: 'overhead over raw fetch ≤ 25 µs (median, fetch stubbed)', value: `${fmt(o)} µs`, met: o <= 25 });
    out.push({
      goal: 'overhead lower than every peer (median, fetch stubbed)',
      value: peers.map((p) => `${label(p.id)} ${fmt(p.overheadUs)} µs`).join(', '),
      met: peers.every((p) => o < p.overheadUs),
    });
  }
  if (res.burst) {
    const mine = res.burst.rows.filter((r) => r.id === 'ours');
    out.push({
      goal: 'refresh burst: 1 token request, 0 failed calls (both arenas, every shape and expiry)',
      value: mine.map((r) => `${ARENAS[r.arena].short} ${shapeName(r)} ${r.expiry === 'both' ? 'expired' : '401'}: ${r.tokenRequests} / ${r.failed}`).join('; '),
      met: mine.every((r) => r.tokenRequests === 1 && r.failed === 0),
    });
  }
  if (res.coldstart) {
    const m = ours(res.coldstart.rows).medianMs;
    out.push({ goal: 'cold start ≤ 5 ms (median)', value: `${fmt(m, 1)} ms`, met: m <= 5 });
  }
  return out;
}

function sizeSection({ rows, rcShipped, oursShipped }) {
  const body = rows.map((r) => [
    label(r.id), r.version, r.parts.map((p) => `\`${p.file}\``).join(', '), r.raw, r.gzip, r.brotli,
  ]);
  return [
    '## 1. Size',
    '',
    `Command: ${CMD('size')}. Every contender: \`esbuild --bundle --minify --format=esm --platform=browser\` of an entry that`,
    'exports what the pages use (`bench/entries/*.js`; for the peers, the same bundle the pages below run), as an app\'s',
    'bundler ships it. Ours: that bundle of its JS (one module, the glue merged in) plus the wasm file it loads.',
    'Bytes; compressed per file with `gzip -9` and `brotli -q 11`, then summed.',
    '',
    table(['contender', 'version', 'files', 'raw', 'gzip -9', 'brotli -q 11'], body),
    '',
    '@ringcentral/sdk imports Node\'s `events` and `crypto`, which esbuild does not polyfill: it is bundled with',
    'the `events` npm package and a minimal `crypto` shim (`bench/entries/shims/node-crypto.js`: sha256 +',
    'getRandomValues, enough for its PKCE login) — the smallest working browser build.',
    oursShipped ? `Ours as shipped in \`pkg/\`, unbundled (\`npm run size\`; an app without a bundler): ${oursShipped.parts.map((p) => `\`${p.file}\``).join(', ')}, ${oursShipped.raw} B raw, ${oursShipped.gzip} B gzip, ${oursShipped.brotli} B brotli.` : '',
    rcShipped ? `RC's own prebuilt browser bundle, \`dist/ringcentral.min.js\` (webpack, with crypto-browserify), is ${rcShipped.raw} B raw, ${rcShipped.gzip} B gzip, ${rcShipped.brotli} B brotli.` : '',
  ].join('\n');
}

function overheadSection(o) {
  const ids = [FLOOR.id, ...CONTENDERS.map((c) => c.id)];
  const arenas = Object.keys(o.net);
  const body = ids.map((id) => {
    const s = o.stub.rows.find((x) => x.id === id);
    const net = arenas.flatMap((a) => {
      const r = o.net[a].rows.find((x) => x.id === id);
      return r ? [us(r.medianMs), ratio(r.ratio)] : [cannot(a, id) ? 'cannot' : '—', '—'];
    });
    if (!s) return [label(id), '—', '—', '—', '—', '—', '—', ...net];
    return [label(id), us(s.medianMs), spread(s.q1Ms * 1000, s.q3Ms * 1000), us(s.p99Ms), us(s.meanMs, 1),
      id === FLOOR.id ? '—' : fmt(s.overheadUs), ratio(s.ratio), ...net];
  });
  const how = ids.map((id) => `- ${label(id)}: ${CALL[id]}`);
  const cannots = arenas.flatMap((a) => Object.entries(ARENAS[a].cannot).map(([id, why]) => `- ${label(id)}, ${ARENAS[a].short}: ${why}`));
  return [
    '## 2. Per-call overhead: without the network, and over it',
    '',
    `Command: ${CMD('overhead')}. One headless Chromium tab per measurement, cross-origin isolated (performance.now()`,
    `steps ${o.stub.isolated ? '5 µs' : '100 µs: the page was not isolated'}), every contender (and the floor) loaded in it and called in turn: rounds of`,
    `${o.stub.block} calls whose order rotates every round, after ${o.stub.warmup} warm-up calls each; every call awaits the response body.`,
    '',
    `**Without the network** (\`bench/pages/stub.html\`, in the ${ARENAS[o.stub.arena].title} arena, where every contender`,
    'is logged in): before any library loads, `window.fetch` is replaced by a stub that resolves at once to a fresh',
    '`new Response("{}", {status: 200})` — the same stub for every contender and the floor (the libraries\' own files',
    `load with the real fetch). ${o.stub.n} calls per contender; the stub saw exactly one fetch per call`,
    `(${o.stub.stubCalls} in all: no contender refreshed or retried). What is left is the library's own cost per call:`,
    'token lookup, header, request, promise chain. Overhead = median − floor median; ratio = median ÷ floor median.',
    '',
    `**Over the network** (second pair of columns per arena): ${o.net[arenas[0]].n} real GETs per contender and arena`,
    '(`/restapi/v1.0/account/~/extension/~` on the emulator, same origin; `/me` on oidc-provider, cross-origin with CORS),',
    `rounds of ${o.net[arenas[0]].block}. Connection set-up dominates, and this machine's noise is far above the wrappers' cost.`,
    '',
    table(['contender', 'stubbed: median (µs)', 'p25 – p75 (µs)', 'p99 (µs)', 'mean (µs)', 'overhead over floor, median (µs)', 'ratio to floor',
      ...arenas.flatMap((a) => [`network, ${ARENAS[a].short}: median (µs)`, 'ratio to floor'])], body),
    '',
    'How each contender makes the call:',
    ...how,
    ...(cannots.length ? ['', '"cannot":', ...cannots] : []),
  ].join('\n');
}

function memorySection(m) {
  const body = [FLOOR.id, ...CONTENDERS.map((c) => c.id)].map((id) => {
    const r = m.rows.find((x) => x.id === id);
    if (!r) return [label(id), '—', '—', '—', '—', '—'];
    return [label(id), kb(r.heapBefore), kb(r.heapAfter), kb(r.heapAfter - r.heapBefore),
      id === FLOOR.id ? '—' : kb(r.heapOverFloor), r.wasm === null ? '—' : kb(r.wasm)];
  });
  return [
    '## 3. Memory',
    '',
    `Command: ${CMD('memory')}. Each contender alone in a fresh tab (\`stub.html?c=<id>\`, the same fetch stub, the`,
    `${ARENAS[m.arena].title} arena), one tab at a time: JS heap in use after a forced GC (CDP \`HeapProfiler.collectGarbage\`,`,
    `then \`Runtime.getHeapUsage\`) once the library is restored, and again after ${m.n} calls; our wasm linear memory is`,
    '`memory.buffer.byteLength` of the init output (it only grows, in 64 KiB pages). KB = 1000 bytes.',
    '',
    table(['contender', 'JS heap, restored (KB)', `JS heap after ${m.n} calls (KB)`, 'growth (KB)', 'over the floor\'s tab (KB)', 'wasm memory (KB)'], body),
  ].join('\n');
}

function burstSection(b) {
  const body = [];
  const shapes = [...new Set(b.rows.map(shapeName))];
  for (const a of Object.keys(ARENAS)) {
    for (const s of shapes) {
      for (const expiry of Object.keys(EXPIRY)) {
        for (const { id } of CONTENDERS) {
          const r = b.rows.find((x) => x.arena === a && x.id === id && shapeName(x) === s && x.expiry === expiry);
          if (r) {
            const errors = Object.entries(r.outcomes).filter(([k]) => k !== '200').map(([k, v]) => `${v}× ${k}`).join('; ');
            body.push([ARENAS[a].short, label(id), s, EXPIRY[expiry], r.tokenRequests, r.failed, r.unauthorized, fmt(r.ms), errors]);
          } else if (cannot(a, id) && expiry === 'both' && s === shapes[0]) {
            body.push([ARENAS[a].short, label(id), '—', '—', 'cannot', 'cannot', 'cannot', 'cannot', cannot(a, id)]);
          }
        }
      }
    }
  }
  return [
    '## 4. Refresh under burst, both arenas',
    '',
    `Command: ${CMD('burst')}. A logged-in tab (or 4 tabs of one browser profile, sharing its cookies and localStorage)`,
    'whose access token (3600 s on both servers) has expired fires all its calls at once. Expired by **both clocks +1 h**:',
    'the server\'s clock (the emulator\'s `/_emulator/clock/advance`; oidc-provider runs in its own process with',
    '`Date.now` offset) and the tabs\' clocks (Playwright `clock.setSystemTime`) move 3700 s, so each library sees the',
    'expiry itself (its proactive path). **Server clock only**: the token is dead at the server while the library',
    'still trusts it (its 401 path). Token requests = every request the token endpoint saw during the burst; failed =',
    'calls that did not end in a 200 for the app; 401s = API answers 401 (stale tokens sent); time until every call settled.',
    'Call i asks for `API?n=i` (both servers ignore the query): Chromium\'s HTTP cache lets one request per URL be in',
    'flight at a time, so 1000 calls to one URL would queue behind each other (5 s per 1000 raw fetches here) and the',
    'run would time that queue; the emulator keeps connections alive (`--keep-alive`) as a production server does.',
    'Ours: `storage: "cookie"`; RC: its localStorage cache; badgateway: `getStoredToken`/`storeToken` on localStorage;',
    'oidc-client-ts: its localStorage user store and the documented call (renew with `signinSilent()` when `user.expired`;',
    'it has no 401 handling); auth0: `cacheLocation: "localstorage"`, `useRefreshTokens`, `fetchWithAuth`.',
    '',
    'Each contender logs in once per arena (server reset first) and runs its four bursts in that browser profile, the',
    'clocks moving on from run to run: 1 × 1000 (expired, then 401 path) in one tab, then 4 × 250 (expired, then 401',
    'path) in that tab and three more opened on the storage it left; the tabs stay loaded between runs, as an app',
    'keeps running. A run after which the contender is logged out (a failed refresh dropped its session) is followed',
    `by a fresh login (logins this run: ${Object.entries(b.logins || {}).map(([a, n]) => `${ARENAS[a].short} ${n}`).join(', ')}).`,
    b.sideBySide ? `The ${b.sideBySide} contender × arena sequences run side by side, each on a server of its own (same configuration,`
      + ' its own clock and log): the counts are each contender\'s own; the times carry each other\'s load, roughly alike.' : '',
    '',
    table(['server', 'contender', 'tabs × calls', 'expired by', 'token requests', 'calls failed', 'API 401s', 'time to all settled (ms)', 'failures / note'], body),
  ].join('\n');
}

function coldSection(c) {
  const p = (r, k, d = 1) => (r.phases[k] ? fmt(r.phases[k].median, d) : '—');
  const body = c.rows.map((r) => [
    `${label(r.id)}${r.variant ? ` (${r.variant})` : ''}`, p(r, 'download'), p(r, 'load'), p(r, 'construct', 2), p(r, 'restore'),
    fmt(r.medianMs, 1), r.phases.ms ? spread(r.phases.ms.iqr[0], r.phases.ms.iqr[1], 1) : '—', fmt(r.p95Ms, 1), `${r.restored}/${r.runs}`,
  ]);
  const ours = c.rows.filter((r) => r.id === 'ours');
  const split = ours.map((r) => [r.variant, p(r, 'js'), r.key === 'ours' ? p(r, 'wasmStreaming') : '—',
    p(r, 'download'), p(r, 'compile'), p(r, 'instantiate'), p(r, 'load')]);
  return [
    '## 5. Cold start, split',
    '',
    `Command: ${CMD('coldstart')}. ${c.runs} fresh page loads per contender (after one unmeasured load each), interleaved, in`,
    `the ${ARENAS[c.arena].title} arena (every contender logged in for real). Timed in the page: **load** = the library's`,
    '`import()` (download + parse + evaluate; for us also the wasm), **construct** = its constructor, **restore** = until',
    'its stored tokens are usable (no network: the run fails if any token request is made). **download** = Resource',
    'Timing of the library\'s own files (responseEnd − startTime, summed; inside load). Files come from the loopback',
    `server with \`Cache-Control: no-store\`; the wasm is served as \`${c.contentType}\`. Medians (ms).`,
    '',
    table(['contender', 'download', 'load', 'construct', 'restore', 'total, median', 'total p25 – p75', 'total p95', 'tokens restored'], body),
    '',
    'How each restores: ' + Object.entries(RESTORE).map(([id, how]) => `${label(id)}: ${how}`).join('; ') + '.',
    '',
    'Ours, the load phase step by step (medians, ms), with the two links the README puts in the page\'s head (the entry\'s',
    '`modulepreload`, the .wasm\'s `preload as="fetch"`). **streaming** = `init()` as shipped: the JS module, whose',
    'evaluation started `WebAssembly.compileStreaming(fetch(wasm))` (compiles while it downloads; the fetch takes the',
    'preload), then instantiating it. **ArrayBuffer** = the JS module, then the page\'s own `fetch` → `arrayBuffer()`,',
    '`WebAssembly.compile(buffer)`, and instantiating that Module (`init({module_or_path: module})`, wasm-bindgen\'s start',
    'included) — what `WebAssembly.instantiate(buffer)` does in one call; a second download beside the entry\'s own.',
    '',
    table(['ours', 'JS module import', 'wasm streaming init', 'wasm download', 'compile', 'instantiate', 'load total'], split),
  ].join('\n');
}

export function render(res, meta) {
  const st = standing(res);
  const g = goals(res);
  return [
    '# Benchmarks: oauth-spa-session vs the JS SDKs',
    '',
    `Generated by \`npm run bench\`${meta.smoke ? ' --smoke (tiny N: a liveness check, not a measurement)' : ''}.`,
    '',
    `- Date: ${meta.date}`,
    `- Machine: ${meta.cores} cores (\`nproc\`), ${meta.chromium}, Node ${meta.node}`,
    `- Commit: ${meta.commit}; \`pkg/\` built ${meta.pkgBuilt}`,
    `- Arenas: **${ARENAS.rc.title}** (debug build, test mode, on 127.0.0.1; it also serves every page, bundle and our`,
    `  \`pkg/\`) and **${ARENAS.oidc.title}** (\`bench/lib/oidc-arena.mjs\` over \`tests/oidc/server.mjs\`, another loopback`,
    `  port, reached cross-origin). The same Chromium, pages and server for every contender in an arena${res.burst?.sideBySide ? ' (the burst: a server instance of the same build and configuration per contender, side by side)' : ''}.`,
    `- Run time: ${meta.seconds}`,
    `- Load average (1 min) at the start and end of the measurements: ${meta.load.map((x) => x.toFixed(1)).join(' → ')} on ${meta.cores} cores (other builds share the machine: absolute figures are inflated for every contender alike; the runs are interleaved so the ratios hold)`,
    `- Page errors during the run: ${meta.pageErrors.length ? meta.pageErrors.slice(0, 5).map((e) => `\`${e.slice(0, 160)}\``).join('; ') + (meta.pageErrors.length > 5 ? ` and ${meta.pageErrors.length - 5} more` : '') : 'none'}`,
    '',
    '## Standing: ours ÷ the best peer, per figure',
    '',
    'Lower is better for every figure; ratio < 1 means we lead (×0.001 = a thousandth of the best peer\'s figure). "Best peer" = the lowest of the four peers that ran it.',
    '',
    table(['figure', 'ours', 'best peer', 'ours ÷ best', 'command'], st.map((r) => r.cells)),
    '',
    '![size, overhead and cold start, each contender relative to the best](benchmarks.svg)',
    '',
    '[`benchmarks.svg`](benchmarks.svg): size, per-call time with fetch stubbed, and cold start, for every contender, drawn by the bench from this run.',
    '',
    '## Goals (ours)',
    '',
    table(['goal', 'measured', 'met'], g.map((x) => [x.goal, x.value, x.met ? 'yes' : '**no**'])),
    '',
    res.size ? sizeSection(res.size) : '',
    '',
    res.overhead ? overheadSection(res.overhead) : '',
    '',
    res.memory ? memorySection(res.memory) : '',
    '',
    res.burst ? burstSection(res.burst) : '',
    '',
    res.coldstart ? coldSection(res.coldstart) : '',
    '',
  ].join('\n').replace(/\n{3,}/g, '\n\n');
}
