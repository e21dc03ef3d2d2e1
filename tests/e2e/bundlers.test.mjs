// The package as a user gets it, in production builds: `npm pack`'s tarball is installed into tests/bundlers, whose
// four pages, (a) the `auto` entry with the README's first screen as written, (b) the main entry with
// `await init()`, (c) the React binding, (d) the Vue binding, are built once by `vite build` and once by webpack 5
// (mode production) (tests/bundlers/build.mjs). The emulator serves the built files statically on `localhost`;
// the OAuth server is `127.0.0.1` (another origin). Each of the eight pages loads its .wasm, logs in by clicking
// (a popup for the `auto` page, as the README's first screen does; a redirect for the others) and calls the API.
// `"sideEffects": false` in package.json made both bundlers drop the `auto` entry's `await init()`: its page
// then threw `Cannot read properties of undefined (reading 'session_new')`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { startEmulator, launchBrowser, sleep } from './harness.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;
const APP = `${ROOT}tests/bundlers`;
const BUNDLERS = ['vite', 'webpack'];
const PAGES = ['auto', 'main', 'react', 'vue'];
const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8'));

const npm = (args, cwd) => execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, stdio: ['ignore', 'ignore', 'inherit'] });

/** Waits until the page shows "logged out"; a page that throws instead (possibly while loading) fails at once
 * with its error. */
async function settled(page, errors) {
  const status = () => page.evaluate(() => document.getElementById('status')?.textContent);
  for (const deadline = Date.now() + 15000; Date.now() < deadline; await sleep(100)) {
    if (errors.length) throw new Error(`the page threw: ${errors.join('; ')}`);
    if ((await status()) === 'logged out') return;
  }
  throw new Error(`the page shows "${await status()}" after 15 s, not "logged out"`);
}

let emu, browser;
before(async () => {
  // The app's own dependencies (scripts/setup.sh installs them; a lone run of this file may come before it).
  execFileSync('bash', [`${ROOT}scripts/npm-ci.sh`, 'tests/bundlers'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  // The tarball, installed as a user installs it (pkg/ is built already: no prepack). --no-save: the app's
  // package.json and lock stay as committed; nothing is fetched (--offline: the package has no dependencies).
  const tmp = mkdtempSync(`${tmpdir()}/oss-bundlers-`);
  try {
    npm(['pack', ROOT, '--ignore-scripts', '--pack-destination', tmp], tmp);
    npm(['install', '--no-save', '--offline', `${tmp}/oauth-spa-session-${pkg.version}.tgz`], APP);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  execFileSync(process.execPath, ['build.mjs'], { cwd: APP, stdio: ['ignore', 'inherit', 'inherit'] });
  emu = await startEmulator({ extraStatic: [`/bundlers=${APP}/dist`] });
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await emu?.stop(); });

test('the app runs against the installed tarball, not the repository', () => {
  const installed = `${APP}/node_modules/oauth-spa-session`;
  assert.ok(existsSync(`${installed}/pkg/auto.js`));
  assert.ok(!existsSync(`${installed}/src`) && !existsSync(`${installed}/Cargo.toml`), 'a copy of the tarball, not a link to the repository');
  assert.deepEqual(JSON.parse(readFileSync(`${installed}/package.json`, 'utf8')).sideEffects, pkg.sideEffects);
  for (const f of ['auto.js', 'oauth_spa_session.js', 'oauth_spa_session_bg.wasm']) {
    assert.ok(readFileSync(`${installed}/pkg/${f}`).equals(readFileSync(`${ROOT}pkg/${f}`)), `${f}: this build's`);
  }
});

test('each bundler emits one .wasm asset, and no bundle loads the repository\'s /pkg/', () => {
  for (const bundler of BUNDLERS) {
    const dir = `${APP}/dist/${bundler}`;
    const files = readdirSync(dir, { recursive: true });
    const wasm = files.filter((f) => f.endsWith('.wasm'));
    assert.equal(wasm.length, 1, `${bundler}: ${files}`);
    const js = files.filter((f) => f.endsWith('.js')).map((f) => readFileSync(`${dir}/${f}`, 'utf8')).join('\n');
    assert.ok(!js.includes('/pkg/'), `${bundler}: nothing is loaded from the emulator's own /pkg/ mount`);
  }
});

for (const bundler of BUNDLERS) {
  for (const name of PAGES) {
    test(`${bundler} production build, ${name} page: loads its .wasm, logs in by clicking, session.fetch gets 200`, async () => {
      const url = `${emu.altBase}/bundlers/${bundler}/${name}.html`;
      await emu.reset();
      await emu.control('apps', {
        client_id: 'bundlers', client_secret: null, confidential: false, issue_refresh_tokens: false,
        allow_implicit: false, redirect_uris: [url],
      });
      const context = await browser.newContext();
      try {
        const errors = [];
        const wasm = [];
        context.on('weberror', (e) => errors.push(e.error().message));
        context.on('response', (r) => { if (new URL(r.url()).pathname.endsWith('.wasm')) wasm.push(r); });
        const page = await context.newPage();
        await page.goto(url);
        await settled(page, errors);
        assert.equal(wasm.length, 1, 'the .wasm was fetched once');
        assert.equal(wasm[0].status(), 200);
        assert.ok(new URL(wasm[0].url()).pathname.startsWith(`/bundlers/${bundler}/`), `the bundle's own .wasm: ${wasm[0].url()}`);

        const authorize = context.waitForEvent('request', (r) => new URL(r.url()).pathname === '/restapi/oauth/authorize');
        if (name === 'auto') {
          // The README's first screen logs in with loginPopup(); the popup comes back to this page and closes.
          const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('#login')]);
          await popup.waitForSelector('#allow');
          await Promise.all([popup.waitForEvent('close', { timeout: 15000 }), popup.click('button:has-text("Allow")')]);
        } else {
          await page.click('#login');
          await page.waitForSelector('#allow');
          await Promise.all([page.waitForURL((u) => u.href.startsWith(url), { timeout: 15000 }), page.click('button:has-text("Allow")')]);
        }
        const req = new URL((await authorize).url());
        assert.equal(req.origin, emu.base, 'the OAuth server is the other origin');
        assert.equal(req.searchParams.get('redirect_uri'), url);
        assert.equal(req.searchParams.get('code_challenge_method'), 'S256');

        await page.waitForSelector('#status:text("logged in")', { timeout: 15000 });
        assert.ok(!page.url().includes('code='), 'the callback parameters are removed from the URL');
        await page.click('#api');
        await page.waitForSelector('#api-result[data-status]', { timeout: 15000 });
        assert.equal(await page.getAttribute('#api-result', 'data-status'), '200');
        assert.equal(JSON.parse(await page.textContent('#api-result')).extensionNumber, '101');
        assert.equal(await page.textContent('#error'), '');
        assert.deepEqual(errors, []);

        const log = await emu.log();
        const codes = log.token_requests.filter((r) => r.grant_type === 'authorization_code');
        assert.equal(codes.length, 1, 'one code exchange');
        assert.equal(codes[0].params.client_id, 'bundlers');
      } finally {
        await context.close();
      }
    });
  }
}
