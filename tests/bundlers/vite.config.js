// Four pages in one production build (Vite's multi-page app); nothing else is configured: the package needs no
// Vite option (the default build target runs the `auto` entry's top-level await).
const pages = ['auto', 'main', 'react', 'vue'];
export default {
  base: '/bundlers/vite/',
  logLevel: 'warn',
  build: {
    outDir: 'dist/vite',
    emptyOutDir: true,
    // No plugin-timing report (rolldown prints one when a build is slow, as on a loaded machine).
    rolldownOptions: { checks: { pluginTimings: false }, input: Object.fromEntries(pages.map((p) => [p, `${import.meta.dirname}/${p}.html`])) },
  },
};
