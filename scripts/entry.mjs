// The package's entry modules from wasm-bindgen's `--target web` output (run by scripts/build.sh on pkg.tmp/):
//
// 1. js/glue.js (the `#[wasm_bindgen(module)]` snippet) is merged into the entry: one module for the browser to
//    fetch instead of two in sequence. wasm-bindgen imports it once by name and once (or more) as a namespace
//    for the wasm's import object; the namespace becomes one object literal, under one key (bundlers warn
//    "Duplicate key" on a repeated one). `SessionError` is exported from the entry, the very class the wasm
//    throws, so `instanceof SessionError` holds. pkg/snippets/ is removed.
// 2. The wasm's download and compilation start one task after the entry is evaluated (while the app's other
//    modules and first render run), not when an effect or handler calls `init()`: `init()` without a module or
//    path takes that compilation (`WebAssembly.compileStreaming`, with wasm-bindgen's fallback for a server that
//    does not send application/wasm), or starts it if it comes first. `init({ module_or_path })` or `initSync`
//    called before that task cancels it (debug.wasm swapped in right after the import loads debug.wasm alone);
//    they are wasm-bindgen's own paths. Nothing starts from a file: URL (Node, a test runner: init() is given the
//    module or bytes there). A failed early start is kept for init() to report (csp_blocked included), then a
//    retry fetches again.
// 3. `init`/`initSync` pass a failure through glue.js's `initFailed` (a CSP refusal becomes `csp_blocked`).
// 4. node.js (server rendering): js/node/index.js, its SessionError imported from the entry (one class for both
//    entries; the entry's evaluation under Node starts nothing: file: URL).
//
// Every rewrite checks the text it replaces and fails the build when wasm-bindgen's output changed.
//
//   node scripts/entry.mjs <out dir> <glue path relative to it, e.g. snippets/<crate-hash>/js/glue.js>
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';

const [dir, glueRel] = process.argv.slice(2);
const entryFile = path.join(dir, 'oauth_spa_session.js');
const fail = (what) => {
  console.error(`[build] ${what}: update scripts/entry.mjs`);
  process.exit(1);
};
/** `text` with the one occurrence of `from` (a string or a regex without /g) replaced. */
function once(text, from, to, what) {
  const n = typeof from === 'string' ? text.split(from).length - 1 : (text.match(new RegExp(from.source, `${from.flags}g`)) || []).length;
  if (n !== 1) fail(`${what}: expected once, found ${n} times`);
  return text.replace(from, to);
}

// 1. Merge the glue.
const glueSrc = readFileSync(path.join(dir, glueRel), 'utf8');
if (/^(import|export \{|export default|export \*)/m.test(glueSrc)) fail('js/glue.js imports or has a non-declaration export');
const decl = /^(export )?((?:async )?function\*?|class|const|let|var) ([\w$]+)/gm;
const glueNames = [...glueSrc.matchAll(decl)].map((m) => m[3]);
const glueExports = [...glueSrc.matchAll(decl)].filter((m) => m[1]).map((m) => m[3]);
const glue = glueSrc.replace(/^export /gm, '');

let js = readFileSync(entryFile, 'utf8');
const key = `./${glueRel}`;
const esc = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// The named import: its names become the merged declarations themselves.
js = once(js, new RegExp(`^import \\{ ([\\w$, ]+) \\} from '${esc}';\\n`, 'm'), (_, names) => {
  const missing = names.split(', ').filter((n) => !glueExports.includes(n));
  if (missing.length) fail(`the entry imports ${missing} from glue.js, which does not export it`);
  return '';
}, 'the named import of glue.js');
// The namespace imports (one per `#[wasm_bindgen(module)]` group) and their keys in the import object.
const spaces = [];
js = js.replace(new RegExp(`^import \\* as (import\\d+) from "${esc}"\\n`, 'gm'), (_, name) => (spaces.push(name), ''));
if (!spaces.length) fail('no namespace import of glue.js');
let keys = 0;
js = js.replace(new RegExp(`^(\\s*)"${esc}": (import\\d+),\\n`, 'gm'), (_, indent, name) => {
  if (!spaces.includes(name)) fail(`the import object names ${name}`);
  return keys++ ? '' : `${indent}"${key}": __oss_glue,\n`;
});
if (!keys || spaces.some((n) => new RegExp(`\\b${n}\\b`).test(js))) fail('a namespace import of glue.js is still used');
if (/^import /m.test(js)) fail('the entry imports a module other than glue.js');
// One scope now: a glue declaration must not meet one of the entry's.
const entryNames = new Set([...js.matchAll(decl)].map((m) => m[3]));
for (const m of js.matchAll(/^let ([\w$, ]+);$/gm)) for (const n of m[1].split(', ')) entryNames.add(n);
const clash = glueNames.filter((n) => entryNames.has(n) || n.startsWith('__wbg') || n.startsWith('__oss'));
if (clash.length) fail(`js/glue.js and the entry both declare ${clash}`);

// 2. The compilation started on evaluation. The URL stays `new URL('<literal>', import.meta.url)`: Vite and webpack
// emit the file it names.
js = once(js, `
    if (module_or_path === undefined) {
        module_or_path = new URL('oauth_spa_session_bg.wasm', import.meta.url);
    }
`, `
    if (module_or_path === undefined) {
        module_or_path = __oss_takeCompiled();
    }
`, "init's default wasm URL");
// The shipped comments are short (they are bytes for an app without a bundler); the why is in this file's head.
const early = `
// The .wasm's compilation, started one task after evaluation unless init()/initSync() came first (scripts/entry.mjs).
const __oss_wasmUrl = () => new URL('oauth_spa_session_bg.wasm', import.meta.url);
let __oss_compiled;
let __oss_early = typeof fetch === 'function' && typeof setTimeout === 'function' && __oss_wasmUrl().protocol !== 'file:'
    ? setTimeout(() => { __oss_compiled = __oss_compile(); __oss_compiled.catch(() => {}); }) : undefined;
const __oss_noEarly = () => clearTimeout(__oss_early);
// init() without a module or path: the compilation above, once (after a failure a retry fetches again).
function __oss_takeCompiled() {
    __oss_noEarly();
    const p = __oss_compiled ?? __oss_compile();
    __oss_compiled = undefined;
    return p;
}
async function __oss_compile() {
    const res = await fetch(__oss_wasmUrl());
    if (!res.ok) throw new Error(\`failed to fetch Wasm: \${res.status} \${res.statusText} fetching '\${res.url}'\`);
    if (typeof WebAssembly.compileStreaming === 'function') {
        try {
            return await WebAssembly.compileStreaming(res);
        } catch (e) {
            if (!['basic', 'cors', 'default'].includes(res.type) || res.headers.get('Content-Type') === 'application/wasm') throw e;
            console.warn('oauth-spa-session: the server does not send the .wasm as application/wasm; compiling it without streaming, which is slower.', e);
        }
    }
    return WebAssembly.compile(await res.arrayBuffer());
}
`;
const glueObject = `\nconst __oss_glue = { __proto__: null, ${glueExports.join(', ')} };\n`;
// After the `@ts-self-types` comment, which must stay first.
js = once(js, /^(\/\* @ts-self-types="[^"]+" \*\/\n)/, (_, head) =>
  `${head}${early}\n// js/glue.js, merged in (scripts/entry.mjs).\n${glue}${glueObject}`, 'the @ts-self-types line');

// 3. init/initSync through initFailed; SessionError exported.
js = once(js, /^export \{ initSync, __wbg_init as default \};$/m, `export default (o) => { __oss_noEarly(); return __wbg_init(o).catch(initFailed); };
function __oss_initSync(o) { __oss_noEarly(); try { return initSync(o); } catch (e) { return initFailed(e); } }
export { __oss_initSync as initSync, SessionError };`, "wasm-bindgen's export line");
writeFileSync(entryFile, js);
rmSync(path.join(dir, 'snippets'), { recursive: true });

// 4. The Node entry.
const node = once(readFileSync('js/node/index.js', 'utf8'), "from '#oauth-spa-session/error';",
  "from './oauth_spa_session.js';", "js/node/index.js's SessionError import");
writeFileSync(path.join(dir, 'node.js'), node);
