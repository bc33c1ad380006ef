// A fault in one request leaves the next one served. The worker is built
// with panic = "abort"; worker-build's panic recovery makes workerd start a
// fresh instance after an abort. Miniflare runs the built test worker with
// the fault switch on (BUOY_FAULT_INJECTION=panic), so /v1/__fault panics
// inside the worker as a bug would; the worker under wrangler, like every
// deployed one, has no such switch, and the path is a plain 404 there.
// `cargo xtask test` passes BUOY_TEST_WORKER and BUOY_WORKER_URL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startWorker } from '../miniflare.mjs';

const WORKER = process.env.BUOY_WORKER_URL;
const TOKEN = randomBytes(32).toString('hex');
const BASE = 'http://buoy.test';
let mf;

before(async () => {
  mf = await startWorker({ bindings: { BUOY_AGENT_TOKEN: TOKEN, BUOY_SECRET: randomBytes(32).toString('hex'), BUOY_FAULT_INJECTION: 'panic' } });
});

after(async () => {
  await mf?.dispose();
});

async function create(subject) {
  const response = await mf.dispatchFetch(`${BASE}/v1/tickets`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ site: 'demo', email: 'ada@example.com', type: 'bug', subject, message: 'Please help.' }),
  });
  return { status: response.status, body: await response.json() };
}

async function subjects() {
  const queue = await mf.dispatchFetch(`${BASE}/v1/agent/tickets?limit=100`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(queue.status, 200);
  return (await queue.json()).tickets.map((t) => t.subject).sort();
}

test('a panic fails its own request only: the next ones are served, and nothing stored is lost', { timeout: 60_000 }, async () => {
  const first = await create('before the fault');
  assert.equal(first.status, 201);
  for (let round = 1; round <= 3; round++) {
    const fault = await mf.dispatchFetch(`${BASE}/v1/__fault`);
    assert.equal(fault.status, 500, 'the faulty request fails');
    await fault.arrayBuffer();
    // The very next request is served by a fresh instance…
    const read = await mf.dispatchFetch(`${BASE}/v1/tickets/${first.body.id}`, { headers: { 'buoy-requester-token': first.body.requester_token } });
    assert.equal(read.status, 200, `round ${round}: the next request is served`);
    assert.equal((await read.json()).subject, 'before the fault');
    // …and writes still work.
    assert.equal((await create(`after fault ${round}`)).status, 201);
  }
  assert.deepEqual(await subjects(), ['after fault 1', 'after fault 2', 'after fault 3', 'before the fault']);
});

test('without the switch, as deployed, the fault path is an unknown path', async () => {
  assert.ok(WORKER, 'run through `cargo xtask test`, which starts the worker');
  const response = await fetch(`${WORKER}/v1/__fault`);
  assert.equal(response.status, 404);
  assert.equal((await response.json()).code, 'not_found');
});
