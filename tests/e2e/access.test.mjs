// Cloudflare Access as the agents' sign-in, under workerd: the stand-in
// JWKS and the signed tokens of tests/access.mjs, the worker under
// Miniflare pointed at it. Its `sso` site has bearer tokens off. The
// console comes from the shared worker (BUOY_WORKER_URL, which serves the
// static files as the deployment does); its API calls are answered by this
// file's worker. `cargo xtask test` passes BUOY_TEST_WORKER,
// BUOY_WORKER_URL and BUOY_CHROMIUM.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from '../miniflare.mjs';
import { launchChromium, openPage } from '../chromium.mjs';
import { violations } from '../axe.mjs';
import { sleep, until } from '../wait.mjs';
import { ADMIN, startJwks } from '../access.mjs';

const WORKER = process.env.BUOY_WORKER_URL;
const BEARER = 'demo-bearer-token-for-access-tests';
const SSO_BEARER = 'sso-bearer-token-for-access-tests';
const REFETCH_MIN_MS = 30_000; // buoy_shared::access::REFETCH_MIN_MS

let jwks;
let fetches; // when the worker fetched the JWKS
let token;
let mf;
let origin;

async function call(path, { jwt, bearer, body } = {}) {
  const headers = {};
  if (jwt) headers['cf-access-jwt-assertion'] = jwt;
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  const init = { headers };
  if (body !== undefined) {
    init.method = 'POST';
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await mf.dispatchFetch(`${origin}${path}`, init);
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type'), body: text ? JSON.parse(text) : null };
}

before(async () => {
  jwks = await startJwks(['k1']); // k2 is published later (rotation)
  ({ fetches, token } = jwks);
  mf = await startWorker({
    bindings: {
      BUOY_SECRET: 'access-test-secret-0123456789abcdef',
      BUOY_AGENT_TOKEN: BEARER,
      BUOY_SSO_AGENT_TOKEN: SSO_BEARER,
      BUOY_ACCESS_CERTS_URL: jwks.url,
    },
  });
  origin = String(await mf.ready).replace(/\/$/, '');
});

after(async () => {
  await mf?.dispose();
  await jwks?.close();
});

test('the first admin signs in through Access, named by the token email', async () => {
  const me = await call('/v1/agent/me', { jwt: token() });
  assert.equal(me.status, 200, JSON.stringify(me.body));
  assert.equal(me.body.role, 'admin');
  assert.equal(me.body.via, 'access');
  assert.equal(me.body.email, ADMIN);
  assert.equal(fetches.length, 1, 'the JWKS was fetched once');
  const again = await call('/v1/agent/me', { jwt: token() });
  assert.equal(again.status, 200);
  assert.equal(fetches.length, 1, 'and then kept in the isolate');
});

test('every bad token is a 401 problem that says why', async () => {
  const now = Math.floor(Date.now() / 1000);
  const pem = jwks.pem('k1');
  const cases = [
    ['expired', token({ exp: now - 3600, iat: now - 7200, nbf: now - 7200 }), /expired/],
    ['wrong audience', token({ aud: ['another-application'] }), /another Access application/],
    ['wrong issuer', token({ iss: 'https://evil.cloudflareaccess.com' }), /another team domain/],
    ['unknown key id', token({}, { kid: 'k9' }), /key the team does not publish/],
    ['alg none', token({}, { alg: 'none' }), /not signed with RS256/],
    ['HS256 with the public key as the secret', token({}, { alg: 'HS256', hmacSecret: pem }), /not signed with RS256/],
    ['signed by another key', token({}, { signer: 'k2' }), /signature does not verify/],
    ['not a JWT', 'garbage', /not a JWT/],
  ];
  for (const [name, jwt, detail] of cases) {
    const answer = await call('/v1/agent/tickets', { jwt, bearer: BEARER });
    assert.equal(answer.status, 401, name);
    assert.match(answer.type, /application\/problem\+json/, name);
    assert.equal(answer.body.code, 'access_denied', name);
    assert.match(answer.body.detail, detail, name);
  }
  assert.equal(fetches.length, 1, 'an unknown key id right after a fetch fetches nothing more (bounded)');
  const stranger = await call('/v1/agent/me', { jwt: token({ email: 'stranger@access.example' }) });
  assert.equal(stranger.status, 403);
  assert.equal(stranger.body.code, 'not_an_agent');
});

test('an admin adds an agent, who signs in with Access and works the queue, but not the roster', async () => {
  const admin = token();
  const sam = token({ email: 'Sam@Access.example' });
  assert.equal((await call('/v1/agent/me', { jwt: sam })).body.code, 'not_an_agent', 'not yet an agent');
  const bad = await call('/v1/agent/agents', { jwt: admin, body: { email: 'sam', name: '', sites: ['nowhere'], role: 'agent' } });
  assert.equal(bad.status, 422);
  assert.deepEqual(bad.body.errors.map((e) => `${e.field}:${e.code}`), ['email:invalid_email', 'name:required', 'sites:unknown_site']);
  const added = await call('/v1/agent/agents', { jwt: admin, body: { email: 'sam@access.example', name: 'Sam', sites: ['demo'], role: 'agent' } });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  const twice = await call('/v1/agent/agents', { jwt: admin, body: { email: 'sam@access.example', name: 'Sam', sites: ['demo'], role: 'agent' } });
  assert.equal(twice.status, 409);
  assert.equal(twice.body.code, 'agent_exists');

  const created = await mf.dispatchFetch(`${origin}/v1/tickets`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ site: 'demo', email: 'ana@example.com', name: 'Ana', type: 'bug', subject: 'Access queue check', message: 'The export button does nothing.' }),
  });
  assert.equal(created.status, 201);
  const { id } = await created.json();
  const me = await call('/v1/agent/me', { jwt: sam });
  assert.equal(me.status, 200, JSON.stringify(me.body));
  assert.deepEqual([me.body.agent, me.body.role, me.body.site, me.body.via], ['Sam', 'agent', 'demo', 'access']);
  const ticket = await call(`/v1/agent/tickets/${id}`, { jwt: sam });
  assert.equal(ticket.status, 200, 'Sam opens the new ticket');
  await until(async () => (await call('/v1/agent/tickets', { jwt: sam })).body.tickets.some((t) => t.id === id), 'the ticket in Sam’s queue');

  for (const path of ['/v1/agent/agents', '/v1/agent/audit']) {
    const refused = await call(path, { jwt: sam });
    assert.equal(refused.status, 403, path);
    assert.equal(refused.body.code, 'forbidden', path);
  }
  const promote = await call('/v1/agent/agents', { jwt: sam, body: { email: 'eve@access.example', name: 'Eve', sites: ['demo'], role: 'admin' } });
  assert.equal(promote.status, 403, 'an agent cannot add agents');

  const lead = await call('/v1/agent/agents/sam%40access.example', { jwt: admin, body: { role: 'lead' } });
  assert.equal(lead.status, 200);
  assert.equal((await call('/v1/agent/me', { jwt: sam })).body.role, 'lead', 'a role change holds at the next request');
  const config = await call(`/v1/agent/agents/${encodeURIComponent(ADMIN)}/remove`, { jwt: admin, body: {} });
  assert.equal(config.status, 409);
  assert.equal(config.body.code, 'agent_configured', 'the first admin changes only in buoy.toml');
});

test('a script signs in with a service token, by its Client ID', async () => {
  const id = '88bf3b6d86161464f6509f7219099e57.access';
  const script = token({ email: '', common_name: id, type: 'app', sub: '' });
  assert.equal((await call('/v1/agent/me', { jwt: script })).body.code, 'not_an_agent');
  const added = await call('/v1/agent/agents', { jwt: token(), body: { email: id, name: 'Nightly export', sites: ['demo'], role: 'agent' } });
  assert.equal(added.status, 201);
  const me = await call('/v1/agent/me', { jwt: script });
  assert.equal(me.status, 200);
  assert.equal(me.body.agent, 'Nightly export');
});

test('the audit trail has each sign-in once an hour, and every roster change', async () => {
  for (let i = 0; i < 3; i += 1) await call('/v1/agent/me', { jwt: token({ email: 'sam@access.example' }) });
  const trail = await call('/v1/agent/audit', { jwt: token() });
  assert.equal(trail.status, 200);
  const lines = trail.body.events.map((e) => `${e.kind} ${e.by}${e.agent ? ` ${e.agent}` : ''}${e.role ? ` ${e.role}` : ''}`);
  assert.equal(lines.filter((l) => l.startsWith('sign_in sam@access.example')).length, 1, lines.join('\n'));
  assert.equal(lines.filter((l) => l.startsWith(`sign_in ${ADMIN}`)).length, 1, lines.join('\n'));
  assert.ok(lines.includes(`agent_added ${ADMIN} sam@access.example agent`), lines.join('\n'));
  assert.ok(lines.includes(`agent_changed ${ADMIN} sam@access.example lead`), lines.join('\n'));
});

test('bearer tokens still sign agents in, except where a site turned them off', async () => {
  const demo = await call('/v1/agent/me', { bearer: BEARER });
  assert.equal(demo.status, 200);
  assert.equal(demo.body.via, 'bearer');
  assert.equal(demo.body.role, 'agent');
  const off = await call('/v1/agent/me', { bearer: SSO_BEARER });
  assert.equal(off.status, 401);
  assert.equal(off.body.code, 'bearer_tokens_off');
  assert.equal((await call('/v1/agent/agents', { bearer: BEARER })).status, 403, 'a bearer agent is no admin');
});

test('the console: Agents for an admin (axe zero), hidden from an agent', async () => {
  const browser = await launchChromium();
  try {
    const open = async (jwt) => {
      const { page, problems, context } = await openPage(browser, 'about:blank');
      // The API calls go to this file's worker, with what Access's edge
      // adds to every request of a signed-in browser: the token's header.
      await context.route(`${WORKER}/v1/**`, async (route) => {
        const request = route.request();
        const url = new URL(request.url());
        const headers = Object.fromEntries(Object.entries(await request.allHeaders()).filter(([name]) => name !== 'host'));
        headers['cf-access-jwt-assertion'] = jwt;
        const body = request.postDataBuffer() ?? undefined;
        const response = await mf.dispatchFetch(`${origin}${url.pathname}${url.search}`, { method: request.method(), headers, body });
        const answer = Object.fromEntries([...response.headers].filter(([name]) => !['content-encoding', 'content-length'].includes(name)));
        await route.fulfill({ status: response.status, headers: answer, body: Buffer.from(await response.arrayBuffer()) });
      });
      await page.goto(`${WORKER}/console/`);
      await page.click('#sign-in-access');
      await page.waitForSelector('#queue-view:not([hidden])');
      return { page, problems };
    };
    const { page, problems } = await open(token());
    await page.click('#nav-agents');
    await page.waitForSelector('#agents-list tr[data-email="sam@access.example"]');
    await page.fill('#a-email', 'kim@access.example');
    await page.fill('#a-name', 'Kim');
    await page.check('#a-sites input[value="demo"]');
    await page.selectOption('#a-role', 'lead');
    await page.click('#agent-form button[type=submit]');
    await page.waitForSelector('#agents-list tr[data-email="kim@access.example"]');
    const row = await page.textContent('#agents-list tr[data-email="kim@access.example"]');
    assert.match(row, /Kim.*kim@access\.example.*demo/s);
    assert.match(await page.textContent('#audit'), /added kim@access\.example as lead/);
    assert.deepEqual(await violations(page), []);
    assert.deepEqual(problems, []);

    const agent = await open(token({ email: 'kim@access.example' }));
    assert.equal(await agent.page.isHidden('#nav-agents'), true, 'no Agents tab for a lead');
    assert.match(await agent.page.textContent('#agent-name'), /Kim/);
  } finally {
    await browser.close();
  }
});

test('a rotated key is fetched once, and tokens it signs are accepted', async () => {
  jwks.published.push('k2');
  const wait = fetches.at(-1) + REFETCH_MIN_MS + 200 - Date.now();
  if (wait > 0) await sleep(wait);
  const before = fetches.length;
  const rotated = await call('/v1/agent/me', { jwt: token({}, { kid: 'k2' }) });
  assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
  assert.equal(fetches.length, before + 1, 'one refetch for the new key id');
  const unknown = await call('/v1/agent/me', { jwt: token({}, { kid: 'k7' }) });
  assert.equal(unknown.status, 401);
  assert.equal(fetches.length, before + 1, 'a second unknown key id right after does not fetch again');
});
