// webpack 5, production mode, one bundle per page. The package needs no rule, loader or experiment: webpack emits
// the .wasm that `new URL('…_bg.wasm', import.meta.url)` names as an asset (asset/resource) by itself, and runs
// the `auto` entry's top-level await (on by default since webpack 5.83).
const pages = ['auto', 'main', 'react', 'vue'];
export default {
  mode: 'production',
  context: import.meta.dirname,
  entry: Object.fromEntries(pages.map((p) => [p, `./src/${p}.js`])),
  output: { path: `${import.meta.dirname}/dist/webpack`, clean: true },
};
