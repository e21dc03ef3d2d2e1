#!/usr/bin/env node
// What the wasm is made of: reads the name-section build (pkg/oauth_spa_session_bg.debug.wasm, the same optimized
// code as the shipped .wasm with function names kept) and sums the raw bytes of each function body into groups by
// the Rust path in its name, plus the data, import and other sections. Code inlined into a caller counts with the
// caller. Prints a markdown table (the README's size section quotes it).
//
//   node scripts/size-breakdown.mjs [file.wasm] [--functions=N]   (N: also list the N largest functions)
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--')) ?? 'pkg/oauth_spa_session_bg.debug.wasm';
const top = Number(args.find((a) => a.startsWith('--functions='))?.split('=')[1] ?? 0);
const buf = readFileSync(file);

let p = 8; // after the magic and version
const leb = () => {
  let r = 0, s = 0, b;
  do { b = buf[p++]; r += (b & 0x7f) * 2 ** s; s += 7; } while (b & 0x80);
  return r;
};
const skipLimits = () => { const flags = leb(); leb(); if (flags & 1) leb(); };

const sections = {}; // id → bytes (with header)
let imported = 0;
const bodies = [];
const names = new Map();
while (p < buf.length) {
  const start = p;
  const id = buf[p++];
  const size = leb();
  const end = p + size;
  if (id === 2) { // imports: functions come first in the function index space
    for (let n = leb(); n > 0; n--) {
      for (let k = 0; k < 2; k++) { const l = leb(); p += l; } // module and field names
      const kind = buf[p++];
      if (kind === 0) { leb(); imported++; } else if (kind === 1) { p++; skipLimits(); } else if (kind === 2) skipLimits(); else p += 2;
    }
  } else if (id === 10) {
    for (let n = leb(); n > 0; n--) { const s = leb(); bodies.push(s); p += s; }
  } else if (id === 0) {
    const l = leb();
    const name = buf.toString('utf8', p, p + l);
    p += l;
    if (name === 'name') {
      while (p < end) {
        const sub = buf[p++];
        const subEnd = leb() + p;
        if (sub === 1) for (let n = leb(); n > 0; n--) { const i = leb(); const k = leb(); names.set(i, buf.toString('utf8', p, p + k)); p += k; }
        p = subEnd;
      }
    }
    sections[`custom:${name}`] = (sections[`custom:${name}`] ?? 0) + end - start;
    p = end;
    continue;
  }
  sections[id] = (sections[id] ?? 0) + end - start;
  p = end;
}

// First match wins: the more specific paths before the general ones.
const GROUPS = [
  ['`session_new` (the config read and validated, inlined)', /^session_new\b/],
  ['popup and silent login, hand-over (web::popup, silent_frame, window_handover)', /oauth_spa_session::web::(popup|silent_frame|window_handover)|silent/],
  ['DPoP (web::dpop_signer, protocol::dpop_proof, engine::dpop_policy)', /oauth_spa_session::(web::dpop_signer|protocol::dpop_proof|engine::dpop_policy)/],
  ['cookie sealing and storage forms (protocol::seal, cookie)', /oauth_spa_session::protocol::(seal|cookie)/],
  ['engine', /oauth_spa_session::engine/],
  ['browser layer: driver, login, http, store, session (the field reads inlined)', /oauth_spa_session::web::/],
  ['protocol (protocol::*)', /oauth_spa_session::protocol::/],
  ['serde and serde-wasm-bindgen (out of line)', /serde|Maybe<|Deserialize|Visitor/],
  ['futures, timers, channels', /futures|gloo|Waker|task::|mpsc/],
  ['collections (Vec, VecDeque, hashbrown, String)', /alloc::(collections|vec|raw_vec|string)|hashbrown|RawVec/],
  ['std fmt and panic', /fmt|panic|Formatter|Display|Debug|Arguments|slice_error_fail|str_index/],
  ['wasm-bindgen glue (exports, shims, externref)', /wasm_bindgen|js_sys|web_sys|externref|shim|__wbg|__wbindgen|closure|Closure/],
  ['other code (str and UTF-8 helpers, form and percent encoding, allocator, memcpy)', /./],
];
const groups = new Map(GROUPS.map(([g]) => [g, 0]));
const fns = bodies.map((size, i) => ({ size, name: names.get(imported + i) ?? `function[${imported + i}]` }));
for (const f of fns) {
  const [g] = GROUPS.find(([, re]) => re.test(f.name));
  groups.set(g, groups.get(g) + f.size);
}

const total = buf.length;
const rows = [...groups].map(([g, b]) => [g, b]);
rows.push(['data (strings, panic locations; data section)', sections[11] ?? 0]);
rows.push([`imports (${imported} functions from JS; import section)`, sections[2] ?? 0]);
const named = rows.reduce((n, [, b]) => n + b, 0) + (sections['custom:name'] ?? 0);
rows.push(['other sections (types, exports, tables, function headers)', total - named]);
rows.sort((a, b) => b[1] - a[1]);
console.log(`${file}: ${total} B raw, of which the name section ${sections['custom:name'] ?? 0} B (not shipped); ${fns.length} functions\n`);
console.log('| part | raw bytes | share |\n| --- | ---: | ---: |');
const shipped = total - (sections['custom:name'] ?? 0);
for (const [g, b] of rows) console.log(`| ${g} | ${b} | ${((100 * b) / shipped).toFixed(1)}% |`);
console.log(`| **shipped .wasm** | **${shipped}** | |`);
if (top) {
  console.log('\n| function | raw bytes |\n| --- | ---: |');
  for (const f of fns.sort((a, b) => b.size - a.size).slice(0, top)) console.log(`| \`${f.name.replace(/::h[0-9a-f]{16}$/, '')}\` | ${f.size} |`);
}
