// The security headers of every kind of path the worker's origin serves,
// against the real worker under workerd and the static assets' generated
// `_headers`: nosniff and HSTS on everything, the site's CSP with its
// `frame-ancestors` on every widget page, `frame-ancestors 'none'` on the
// console and the API, 404 for every HTML path under /widget/ that is not
// a site's page (those would have no site's CSP), and the widget's files
// content-hashed under /w/ and kept for a year.
// `cargo xtask test` starts the worker and passes BUOY_WORKER_URL, BUOY_AGENT_TOKEN.
import { test } from 'node:test';
import assert from 'node:assert/strict';

const WORKER = process.env.BUOY_WORKER_URL?.replace(/\/$/, '');
const TOKEN = process.env.BUOY_AGENT_TOKEN;

const HSTS = 'max-age=31536000; includeSubDomains';
const STRICT_JSON_CSP = "default-src 'none'; frame-ancestors 'none'";

async function get(path, init) {
  const response = await fetch(`${WORKER}${path}`, { redirect: 'manual', ...init });
  const body = await response.arrayBuffer();
  return { path, status: response.status, headers: response.headers, body: new TextDecoder().decode(body) };
}

/** What every response carries, each header once (a header written by two rules would come joined: "nosniff, nosniff"). */
function assertCommon({ path, headers }) {
  assert.equal(headers.get('x-content-type-options'), 'nosniff', `${path}: nosniff`);
  assert.equal(headers.get('strict-transport-security'), HSTS, `${path}: HSTS`);
  assert.equal(headers.get('referrer-policy'), 'no-referrer', `${path}: Referrer-Policy`);
}

/** The CSP's directives by name. */
function directives(csp) {
  return Object.fromEntries((csp ?? '').split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([name, ...values]) => [name, values]));
}

test('every path class carries nosniff, HSTS and its own framing rule', { timeout: 60_000 }, async () => {
  assert.ok(WORKER && TOKEN, 'run through `cargo xtask test`, which starts the worker');
  const check = (response, status) => {
    assert.equal(response.status, status, `${response.path}: status`);
    assertCommon(response);
    return response;
  };

  // The API: an answer, a problem and an unknown route.
  const me = check(await get('/v1/agent/me', { headers: { authorization: `Bearer ${TOKEN}` } }), 200);
  assert.equal(me.headers.get('content-security-policy'), STRICT_JSON_CSP);
  assert.equal(me.headers.get('cache-control'), 'no-store');
  for (const [path, status, init] of [['/v1/agent/me', 401], ['/v1/no-such-route', 404], ['/v1/tickets', 405, { method: 'PUT' }]]) {
    const problem = check(await get(path, init), status);
    assert.equal(problem.headers.get('content-type'), 'application/problem+json', path);
    assert.equal(problem.headers.get('content-security-policy'), STRICT_JSON_CSP, path);
  }

  // Widget pages: each site's page with its own origins, and nothing else.
  for (const [site, ancestors] of [['demo', ['http://127.0.0.1:*']], ['other', ['https://other.example.com']], ['guarded', ['http://127.0.0.1:*']]]) {
    const page = check(await get(`/widget/${site}/`), 200);
    assert.match(page.headers.get('content-type'), /^text\/html/);
    const csp = directives(page.headers.get('content-security-policy'));
    assert.deepEqual(csp['frame-ancestors'], ancestors, `${site}: frame-ancestors`);
    assert.deepEqual(csp['default-src'], ["'none'"], `${site}: default-src`);
    assert.ok(!csp['script-src'].includes("'unsafe-inline'"), `${site}: no inline script`);
    assert.equal(page.headers.get('cache-control'), 'no-cache');
    // The origins the panel checks its fragment against are in the page.
    const origins = page.body.match(/<script type="application\/json" id="buoy-origins">(.*?)<\/script>/);
    assert.ok(origins, `${site}: the page carries #buoy-origins`);
    assert.deepEqual(JSON.parse(origins[1]), ancestors);
  }
  for (const path of ['/widget/', '/widget/index.html', '/widget/index', '/widget/no-such-site/', '/widget/demo', '/widget/demo/index.html',
    '/widget/demo/app.js', '/widget/Demo/', '/widget/nothing.html']) {
    const missing = check(await get(path), 404);
    assert.equal(missing.headers.get('content-security-policy'), STRICT_JSON_CSP, path);
    assert.ok(!missing.body.includes('<script'), `${path}: no page`);
  }

  // The Turnstile page script, through the worker; the widget's own files are not under /widget/.
  const turnstile = check(await get('/widget/turnstile.js'), 200);
  assert.match(turnstile.headers.get('content-type'), /javascript/);
  for (const path of ['/widget/no-such-file.js', '/widget/app.js', '/widget/app_bg.wasm', '/widget/app.css']) {
    check(await get(path), 404);
  }
  // The inbox module's path before the hashed folder: a tab from before that deploy reloads.
  const old = check(await get('/widget/inbox.js'), 200);
  assert.equal(old.headers.get('cache-control'), 'no-store');
  assert.match(old.body, /location\.reload\(\)/);

  // The widget's files: content-hashed, in the folder the page names, kept for a year.
  const page = (await get('/widget/demo/')).body;
  const folder = page.match(/data-inbox-src="(\/w\/[0-9a-f]{16}\/)inbox\.js"/)?.[1];
  assert.ok(folder, 'the page names the inbox module in its hashed folder');
  for (const [file, type] of [['app.css', /^text\/css/], ['app.js', /javascript/], ['app_bg.wasm', /^application\/wasm/],
    ['inbox.css', /^text\/css/], ['inbox.js', /javascript/], ['inbox_bg.wasm', /^application\/wasm/]]) {
    const asset = check(await get(folder + file), 200);
    assert.match(asset.headers.get('content-type'), type, file);
    assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable', file);
    if (!file.startsWith('inbox')) assert.ok(page.includes(`"${folder}${file}"`), `the page names ${file}`);
  }
  // A script of a folder a deploy removed: the module that reloads its page, never stored; anything else there, a 404.
  const gone = check(await get('/w/0000000000000000/inbox.js'), 200);
  assert.match(gone.headers.get('content-type'), /javascript/);
  assert.equal(gone.headers.get('cache-control'), 'no-store');
  assert.match(gone.body, /location\.reload\(\)/);
  check(await get('/w/0000000000000000/inbox_bg.wasm'), 404);
  check(await get('/w/0000000000000000/app.css'), 404);

  // Static files, with the generated `_headers`.
  const console = check(await get('/console/'), 200);
  const consoleCsp = directives(console.headers.get('content-security-policy'));
  assert.deepEqual(consoleCsp['frame-ancestors'], ["'none'"]);
  assert.deepEqual(consoleCsp['default-src'], ["'none'"]);
  check(await get('/console/console.js'), 200);
  const loader = check(await get('/buoy.js'), 200);
  assert.equal(loader.headers.get('cache-control'), 'public, max-age=300');
  const data = (await get('/widget/demo/')).body.match(/<script type="application\/json" id="buoy-data">(.*?)<\/script>/);
  const index = JSON.parse(data[1]).kb.en;
  assert.match(index, /^\/kb\/en\/index\.[0-9a-f]{16}\.txt$/);
  const kb = check(await get(index), 200);
  assert.equal(kb.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  check(await get('/openapi.json'), 200);
  check(await get('/'), 200);

  // A path nothing serves.
  check(await get('/no-such-file'), 404);
});
