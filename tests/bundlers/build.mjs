// Builds the four pages with Vite (vite.config.js) and with webpack (webpack.config.js), both in production
// mode, into dist/vite and dist/webpack. webpack emits no HTML: each page's HTML is Vite's source page with the
// bundle as a classic script. Prints what it built; exits 1 on an error or a warning from either bundler.
import { readFileSync, writeFileSync } from 'node:fs';
import { build } from 'vite';
import webpack from 'webpack';
import webpackConfig from './webpack.config.js';

const here = import.meta.dirname;

const viteBuild = build({ configFile: `${here}/vite.config.js`, root: here });

const webpackBuild = new Promise((resolve, reject) => {
  webpack(webpackConfig, (err, stats) => {
    if (err) return reject(err);
    const { errors, warnings: all } = stats.toJson({ all: false, errors: true, warnings: true });
    // webpack's size hints (over 244 KiB) fire for the .wasm (278 KiB raw) and React's bundle: advice, not a fault.
    const warnings = all.filter((w) => !/^(asset|entrypoint) size limit|^webpack performance recommendations/.test(w.message));
    if (errors.length || warnings.length) return reject(new Error([...errors, ...warnings].map((e) => e.message).join('\n')));
    for (const page of Object.keys(webpackConfig.entry)) {
      const html = readFileSync(`${here}/${page}.html`, 'utf8')
        .replace(`<script type="module" src="./src/${page}.js"></script>`, `<script defer src="./${page}.js"></script>`);
      if (!html.includes(`src="./${page}.js"`)) return reject(new Error(`${page}.html: no script tag to replace`));
      writeFileSync(`${webpackConfig.output.path}/${page}.html`, html);
    }
    resolve();
  });
});

await Promise.all([viteBuild, webpackBuild]);
console.log('[bundlers] built dist/vite and dist/webpack');
