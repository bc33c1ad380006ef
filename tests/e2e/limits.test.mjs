// Abuse limits under workerd, with low limits (Miniflare drives the built
// test worker with its rate-limiting bindings at 3 writes per client and 5
// new tickets per site a minute): the next write is a 429 problem with
// Retry-After; a verified user's history (it hands out requester tokens)
// counts like a write; reads and the agents' API are never limited. A
// chunked body over the cap is answered 413 before it is read through,
// spending nothing. Mail counts per envelope sender: the fourth message a
// minute from one address is refused with the reason, and nothing of it
// is stored.
// `cargo xtask test` passes BUOY_TEST_WORKER (the built worker module).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { freshWindow, startWorker } from '../miniflare.mjs';
import { identityOf } from '../api.mjs';

const MAIN = process.env.BUOY_TEST_WORKER;
const TOKEN = randomBytes(32).toString('hex');
const IDENTITY = randomBytes(32).toString('hex');
const MAIL_TOKEN = randomBytes(32).toString('hex');
let mf;
let url;

before(async () => {
  assert.ok(MAIN, 'run through `cargo xtask test`, which builds the test worker');
  mf = await startWorker({
    ratelimits: {
      BUOY_CLIENT_LIMIT: { simple: { limit: 3, period: 60 } },
      BUOY_SITE_LIMIT: { simple: { limit: 5, period: 60 } },
    },
    bindings: { BUOY_AGENT_TOKEN: TOKEN, BUOY_MAIL_AGENT_TOKEN: MAIL_TOKEN, BUOY_SECRET: randomBytes(32).toString('hex'), BUOY_IDENTITY_SECRET: IDENTITY },
    triggers: true,
  });
  url = await mf.ready;
});

after(async () => {
  await mf?.dispose();
});

async function create(ip, subject) {
  const response = await mf.dispatchFetch('http://buoy.test/v1/tickets', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-connecting-ip': ip },
    body: JSON.stringify({ site: 'demo', email: 'ada@example.com', type: 'bug', subject, message: 'Please help.' }),
  });
  return { status: response.status, retry: response.headers.get('retry-after'), body: await response.json() };
}

test('a client over its limit gets 429 with Retry-After; reads and agents go on', { timeout: 60_000 }, async () => {
  await freshWindow();
  const first = [];
  for (let i = 0; i < 3; i++) first.push(await create('203.0.113.1', `one ${i}`));
  assert.deepEqual(first.map((r) => r.status), [201, 201, 201]);
  const refused = await create('203.0.113.1', 'one more');
  assert.deepEqual([refused.status, refused.body.code, refused.retry], [429, 'rate_limited', '60']);
  // Its answers and ratings count against the same client budget.
  const answer = await mf.dispatchFetch(`http://buoy.test/v1/tickets/${first[0].body.id}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-connecting-ip': '203.0.113.1', 'buoy-requester-token': first[0].body.requester_token },
    body: JSON.stringify({ body: 'Still there?' }),
  });
  assert.equal(answer.status, 429);
  // Reading its ticket (the panel's polling) is never limited.
  const read = await mf.dispatchFetch(`http://buoy.test/v1/tickets/${first[0].body.id}`, {
    headers: { 'cf-connecting-ip': '203.0.113.1', 'buoy-requester-token': first[0].body.requester_token },
  });
  assert.equal(read.status, 200);
  // Another client is not held back by the first one…
  assert.equal((await create('203.0.113.2', 'two 0')).status, 201);
  assert.equal((await create('203.0.113.2', 'two 1')).status, 201);
  // …until the site's own limit (5 new tickets) is spent.
  const site = await create('203.0.113.3', 'three 0');
  assert.deepEqual([site.status, site.body.code], [429, 'rate_limited']);
  // Agents are never limited, and the refused tickets were never stored.
  const queue = await mf.dispatchFetch('http://buoy.test/v1/agent/tickets?limit=100', { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(queue.status, 200);
  assert.deepEqual((await queue.json()).tickets.map((t) => t.subject).sort(), ['one 0', 'one 1', 'one 2', 'two 0', 'two 1']);
});

/**
 * POSTs `total` bytes of JSON-looking text to `path` over a real socket, chunked
 * (no Content-Length), a chunk of `chunk` bytes every `every` ms, and stops
 * sending once the answer arrives: the answer, and how many bytes were sent by then.
 */
function trickle(path, { total, chunk, every, headers }) {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let timer;
    const request = http.request(new URL(path, url), { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (response) => {
      const sentWhenAnswered = sent;
      clearTimeout(timer);
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (c) => { body += c; });
      response.on('end', () => {
        request.destroy();
        resolve({ status: response.statusCode, type: response.headers['content-type'], body: JSON.parse(body), sentWhenAnswered });
      });
    });
    request.on('error', (e) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? undefined : reject(e)));
    assert.equal(request.getHeader('content-length'), undefined);
    const next = () => {
      if (sent >= total || request.destroyed) return request.end();
      const piece = sent === 0 ? `{"body":"${'x'.repeat(chunk - 9)}` : 'x'.repeat(chunk);
      request.write(piece);
      sent += piece.length;
      timer = setTimeout(next, every);
    };
    next();
  });
}

test('a chunked body over the cap is refused before it is read through, and spends no counter', { timeout: 60_000 }, async (t) => {
  await freshWindow();
  const ip = { 'cf-connecting-ip': '203.0.113.50' };
  const total = 8 * 1024 * 1024;
  // More refused posts than the client's limit (3) allows writes.
  for (let i = 0; i < 4; i++) {
    const refused = await trickle('/v1/tickets', { total, chunk: 16 * 1024, every: 5, headers: ip });
    assert.deepEqual([refused.status, refused.type, refused.body.code], [413, 'application/problem+json', 'payload_too_large']);
    // The cap is 64 KiB: the answer came while nearly all of the 8 MiB was still unsent.
    assert.ok(refused.sentWhenAnswered < total / 8, `answered after ${refused.sentWhenAnswered} of ${total} bytes`);
    t.diagnostic(`413 after ${refused.sentWhenAnswered} of ${total} bytes sent`);
  }
  // The refused posts spent nothing: this client still has its three
  // writes, and is counted (the fourth is refused) on this same path.
  const write = () => fetch(new URL('/v1/tickets', url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...ip },
    body: JSON.stringify({ site: 'other', email: 'ada@example.com', type: 'bug', subject: 'After the big ones', message: 'Please help.' }),
  });
  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push((await write()).status);
  assert.deepEqual(statuses, [201, 201, 201, 429]);
});

test("mine_spends_the_client_limit: a verified user's history counts per client and gets 429 once spent", { timeout: 60_000 }, async () => {
  await freshWindow();
  const identity = identityOf(IDENTITY, { id: 'u_limits' });
  const mine = async (ip) => {
    const response = await mf.dispatchFetch('http://buoy.test/v1/tickets/mine', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cf-connecting-ip': ip },
      body: JSON.stringify({ site: 'demo', identity }),
    });
    return { status: response.status, retry: response.headers.get('retry-after'), body: await response.json() };
  };
  const answers = [];
  for (let i = 0; i < 4; i++) answers.push(await mine('203.0.113.40'));
  assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 429]);
  assert.deepEqual([answers[3].body.code, answers[3].retry], ['rate_limited', '60']);
  assert.equal((await mine('203.0.113.41')).status, 200, 'another client is not held back');
});

/** Mail to the `mail` site's intake address, as Email Routing delivers it. */
async function mailIn(from, n) {
  const raw = [`From: <${from}>`, 'To: support@mail.example', `Subject: Help ${n}`, `Message-ID: <${randomBytes(8).toString('hex')}@example.net>`, '', `Request ${n}.`, ''].join('\r\n');
  const to = 'support@mail.example';
  const response = await mf.dispatchFetch(`http://buoy.test/cdn-cgi/handler/email?from=${encodeURIComponent(from)}&to=${to}`, { method: 'POST', body: raw });
  return { status: response.status, text: await response.text() };
}

test('mail from one sender over its limit is refused with the reason and stores nothing', { timeout: 60_000 }, async () => {
  await freshWindow();
  const flood = 'flood@example.net';
  const taken = [];
  for (let i = 0; i < 3; i++) taken.push(await mailIn(flood, i));
  assert.deepEqual(taken.map((r) => r.status), [200, 200, 200], taken.map((r) => r.text).join(' | '));
  const refused = await mailIn(flood, 3);
  assert.equal(refused.status, 400);
  assert.match(refused.text, /Too many messages from this address/);
  // Another sender is not held up by the flood.
  assert.equal((await mailIn('someone@example.org', 0)).status, 200);
  const queue = await mf.dispatchFetch('http://buoy.test/v1/agent/tickets?channel=email&limit=100', { headers: { authorization: `Bearer ${MAIL_TOKEN}` } });
  const subjects = (await queue.json()).tickets.map((t) => t.subject).sort();
  assert.deepEqual(subjects, ['Help 0', 'Help 0', 'Help 1', 'Help 2'], 'the refused message opened no ticket');
});
