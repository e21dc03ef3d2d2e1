// Short import and export names (run by scripts/build.sh on pkg.tmp/, after scripts/entry.mjs). wasm-bindgen
// names each import `__wbg_<name>_<16 hex digits>` in module "./oauth_spa_session_bg.js" (the glue's own
// functions in "./snippets/<crate-hash>/js/glue.js"), and exports its closures' entry points with a hash too:
// ~150 imports and ~30 exports whose names the wasm and the entry module both carry, and hashes do not compress.
// This renames the imports `a`, `b`, … `aa`, … and their two modules `./a` and `./b`, and every export the entry
// reaches as `wasm.<name>` likewise, except `memory` (`init()` resolves to the exports, and `InitOutput` types
// `memory` as public); the glue module's own function names stay. Both wasm files get the same names (the
// name-section build must keep the shipped one's imports and exports to be swapped in), and the entry's import
// object and `wasm.` references follow.
//
// Every rewrite checks what it replaces and fails the build when wasm-bindgen's output changed.
//
//   node scripts/minify-imports.mjs <out dir>
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
const fail = (what) => {
  console.error(`[build] ${what}: update scripts/minify-imports.mjs`);
  process.exit(1);
};
const WBG = './oauth_spa_session_bg.js';

function leb(buf, p) {
  let r = 0, s = 0, b;
  do { b = buf[p++]; r += (b & 0x7f) * 2 ** s; s += 7; } while (b & 0x80);
  return [r, p];
}
function uleb(n) {
  const out = [];
  do { let b = n & 0x7f; n = Math.floor(n / 128); if (n) b |= 0x80; out.push(b); } while (n);
  return out;
}
const str = (s) => { const b = Buffer.from(s, 'utf8'); return [...uleb(b.length), ...b]; };

/** The export section of a module: where it lies and its entries (name, the kind and index's raw bytes). */
function exports(buf) {
  let p = 8;
  while (p < buf.length) {
    const start = p;
    const id = buf[p++];
    let size;
    [size, p] = leb(buf, p);
    const end = p + size;
    if (id === 7) {
      const entries = [];
      let n;
      [n, p] = leb(buf, p);
      for (; n > 0; n--) {
        let l;
        [l, p] = leb(buf, p);
        const name = buf.toString('utf8', p, p + l);
        p += l;
        const d = p;
        p++; // kind
        [, p] = leb(buf, p); // index
        entries.push({ name, desc: buf.subarray(d, p) });
      }
      if (p !== end) fail('export section not read to its end');
      return { start, end, entries };
    }
    p = end;
  }
  fail('no export section');
}

/** The import section of a module: where it lies and its entries (module, name, the descriptor's raw bytes). */
function imports(buf) {
  if (buf.readUInt32LE(0) !== 0x6d736100) fail('not a wasm module');
  let p = 8;
  while (p < buf.length) {
    const start = p;
    const id = buf[p++];
    let size;
    [size, p] = leb(buf, p);
    const end = p + size;
    if (id === 2) {
      const entries = [];
      let n;
      [n, p] = leb(buf, p);
      for (; n > 0; n--) {
        const names = [];
        for (let k = 0; k < 2; k++) {
          let l;
          [l, p] = leb(buf, p);
          names.push(buf.toString('utf8', p, p + l));
          p += l;
        }
        const d = p;
        const kind = buf[p++];
        const limits = () => { let f; [f, p] = leb(buf, p); [, p] = leb(buf, p); if (f & 1) [, p] = leb(buf, p); };
        if (kind === 0) [, p] = leb(buf, p); // function: type index
        else if (kind === 1) { p++; limits(); } // table: reftype, limits
        else if (kind === 2) limits(); // memory
        else if (kind === 3) p += 2; // global: valtype, mutability
        else fail(`import kind ${kind}`);
        entries.push({ module: names[0], name: names[1], desc: buf.subarray(d, p) });
      }
      if (p !== end) fail('import section not read to its end');
      return { start, end, entries };
    }
    p = end;
  }
  fail('no import section');
}

/** `a` … `z`, `A` … `Z`, then two letters. */
function short(i) {
  const abc = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  return i < abc.length ? abc[i] : abc[Math.floor(i / abc.length) - 1] + abc[i % abc.length];
}

const shipped = path.join(dir, 'oauth_spa_session_bg.wasm');
const { entries } = imports(readFileSync(shipped));
const modules = [...new Set(entries.map((e) => e.module))];
const glueModule = modules.find((m) => m !== WBG);
if (!modules.includes(WBG) || modules.length !== 2 || !/^\.\/snippets\/[\w-]+\/js\/glue\.js$/.test(glueModule)) {
  fail(`unexpected import modules ${modules}`);
}
// Still relative specifiers ("./a"): the import object's keys keep the shape tests/e2e/package.test.mjs checks.
const moduleName = new Map([[WBG, './a'], [glueModule, './b']]);
const rename = new Map();
for (const e of entries) if (e.module === WBG) rename.set(e.name, short(rename.size));

const entryFile = path.join(dir, 'oauth_spa_session.js');
let js = readFileSync(entryFile, 'utf8');
// The exports the entry reaches as `wasm.<name>`: renamed when no other property access, key or string spells
// the name (a JS function of the same name, as wasm-bindgen writes for each closure's entry point, is the
// entry's own and keeps its name). Any other export is left alone.
const renameExport = new Map();
for (const e of exports(readFileSync(shipped)).entries) {
  if (e.name === 'memory') continue;
  const esc = e.name.replace(/[$]/g, '\\$&');
  const count = (re) => (js.match(new RegExp(re, 'g')) || []).length;
  const dotted = count(`\\bwasm\\.${esc}(?![\\w$])`);
  const property = count(`\\.${esc}(?![\\w$])`);
  const keyOrString = count(`['"\`]${esc}(?![\\w$])|(?<![\\w$])${esc}['"\`]|(?<![\\w$.])${esc}\\s*:(?!:)`);
  if (dotted > 0 && dotted === property && keyOrString === 0) renameExport.set(e.name, short(renameExport.size));
}
if (!renameExport.has('session_new')) fail('the entry does not call wasm.session_new');

for (const file of [shipped, path.join(dir, 'oauth_spa_session_bg.debug.wasm')]) {
  const buf = readFileSync(file);
  const sec = imports(buf);
  const body = [...uleb(sec.entries.length)];
  for (const e of sec.entries) {
    const name = e.module === WBG ? rename.get(e.name) : e.name;
    if (name === undefined || !moduleName.has(e.module)) fail(`${path.basename(file)} imports ${e.module} ${e.name}, which the shipped wasm does not`);
    body.push(...str(moduleName.get(e.module)), ...str(name), ...e.desc);
  }
  if (sec.entries.length !== entries.length) fail(`${path.basename(file)} has another import count`);
  const section = Buffer.from([2, ...uleb(body.length), ...body]);
  const renamed = Buffer.concat([buf.subarray(0, sec.start), section, buf.subarray(sec.end)]);
  const ex = exports(renamed);
  const ebody = [...uleb(ex.entries.length)];
  for (const e of ex.entries) ebody.push(...str(renameExport.get(e.name) ?? e.name), ...e.desc);
  if (ex.entries.filter((e) => renameExport.has(e.name)).length !== renameExport.size) fail(`${path.basename(file)} lacks an export`);
  const esection = Buffer.from([7, ...uleb(ebody.length), ...ebody]);
  writeFileSync(file, Buffer.concat([renamed.subarray(0, ex.start), esection, renamed.subarray(ex.end)]));
}

function once(from, to, what) {
  const n = js.split(from).length - 1;
  if (n !== 1) fail(`${what}: expected once, found ${n} times`);
  js = js.replace(from, to);
}
for (const [old, name] of rename) once(`\n        ${old}: function(`, `\n        ${name}: function(`, `the import ${old}`);
once(`"${WBG}": import0,`, '"./a": import0,', "the wasm-bindgen module's key");
once(`"${glueModule}": __oss_glue,`, '"./b": __oss_glue,', "glue.js's key");
for (const [old, name] of renameExport) {
  const esc = old.replace(/[$]/g, '\\$&');
  js = js.replace(new RegExp(`\\bwasm\\.${esc}(?![\\w$])`, 'g'), `wasm.${name}`);
}
writeFileSync(entryFile, js);
