// The SLA sweep end to end under workerd (Miniflare drives the built test
// worker, so the test chooses the cron event's scheduled time): tickets
// are created, the sweep runs at chosen instants, breaches and
// escalations are recorded, and signed webhooks reach a local receiver.
// `cargo xtask test` passes BUOY_TEST_WORKER (the built worker module).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHmac, timingSafeEqual, randomBytes } from 'node:crypto';
import { startWorker } from '../miniflare.mjs';

const MAIN = process.env.BUOY_TEST_WORKER;
const TOKEN = randomBytes(32).toString('hex');
const HOOK_SECRET = randomBytes(32).toString('hex');
const HOUR = 3600 * 1000;

let mf;
let receiver;
const received = [];
const slack = [];

/** Verifies a Buoy-Signature header as a receiver should: HMAC over "t.body", constant-time compare. */
function verify(header, body) {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=')));
  const expected = createHmac('sha256', HOOK_SECRET).update(`${parts.t}.${body}`).digest();
  const given = Buffer.from(parts.v1 ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

before(async () => {
  assert.ok(MAIN, 'run through `cargo xtask test`, which builds the test worker');
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      const delivery = { id: req.headers['buoy-event-id'], valid: verify(req.headers['buoy-signature'] ?? '', body), body: JSON.parse(body) };
      (req.url === '/slack' ? slack : received).push(delivery);
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  mf = await startWorker({
    bindings: {
      BUOY_AGENT_TOKEN: TOKEN,
      BUOY_SECRET: randomBytes(32).toString('hex'),
      BUOY_WEBHOOK_URL: `http://127.0.0.1:${receiver.address().port}/hook`,
      BUOY_WEBHOOK_SECRET: HOOK_SECRET,
      BUOY_SLACK_URL: `http://127.0.0.1:${receiver.address().port}/slack`,
      BUOY_SLACK_SECRET: HOOK_SECRET,
    },
  });
});

after(async () => {
  await mf?.dispose();
  receiver?.close();
});

async function create(type, subject) {
  const response = await mf.dispatchFetch('http://buoy.test/v1/tickets', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ site: 'demo', name: 'Ada', email: 'ada@example.com', type, subject, message: 'Please help.' }),
  });
  assert.equal(response.status, 201);
  return response.json();
}

async function agent(path, init = {}) {
  const response = await mf.dispatchFetch(`http://buoy.test${path}`, {
    ...init,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
  return { status: response.status, body: await response.json() };
}

async function sweep(at) {
  const worker = await mf.getWorker();
  const result = await worker.scheduled({ scheduledTime: new Date(at), cron: '* * * * *' });
  assert.equal(result.outcome, 'ok');
}

const clock = (view, metric) => view.clocks.find((c) => c.metric === metric);

test('segments get different due times, and an agent can re-stamp one', { timeout: 60_000 }, async () => {
  const { id } = await create('bug', 'Export stops at 99%');
  const free = (await agent(`/v1/agent/tickets/${id}`)).body;
  const created = Date.parse(free.created_at);
  assert.equal(free.state.segment, 'free');
  assert.equal(Date.parse(clock(free, 'first_response').due) - created, 24 * HOUR);
  const { status, body: enterprise } = await agent(`/v1/agent/tickets/${id}/segment`, { method: 'POST', body: JSON.stringify({ segment: 'enterprise' }) });
  assert.equal(status, 200);
  assert.equal(enterprise.state.segment, 'enterprise');
  assert.equal(Date.parse(clock(enterprise, 'first_response').due) - created, 1 * HOUR);
  assert.equal(Date.parse(clock(enterprise, 'resolution').due) - created, 4 * HOUR);
  const business = (await agent(`/v1/agent/tickets/${id}/segment`, { method: 'POST', body: JSON.stringify({ segment: 'business' }) })).body;
  // tests/buoy.toml gives business tickets the README's 3 h (normal), not the default 4 h.
  assert.equal(Date.parse(clock(business, 'first_response').due) - created, 3 * HOUR);
});

test('the sweep escalates and breaches at the chosen time, once, with signed webhooks', { timeout: 60_000 }, async () => {
  const outage = await create('outage', 'Dashboard is down');
  const reset = await create('password_reset', 'Cannot reset my password');
  const created = Date.parse((await agent(`/v1/agent/tickets/${outage.id}`)).body.created_at);

  // One minute later: the outage goes to tier 2 and notifies; the password
  // reset is not due for escalation yet (10 minutes).
  await sweep(created + 60_000);
  let view = (await agent(`/v1/agent/tickets/${outage.id}`)).body;
  assert.equal(view.state.tier, 2);
  assert.equal(view.events.find((e) => e.kind === 'escalated').reason, 'Outage reported: tier 2 at once');
  assert.equal((await agent(`/v1/agent/tickets/${reset.id}`)).body.state.tier, 1);
  const escalations = () => received.filter((r) => r.body.type === 'ticket.escalated');
  assert.deepEqual(escalations().map((r) => r.body.data.ticket.id), [outage.id]);
  // New tickets, messages and changes reach the webhook too, through the outbox.
  const createdIds = received.filter((r) => r.body.type === 'ticket.created').map((r) => r.body.data.ticket.id);
  assert.ok(createdIds.includes(outage.id) && createdIds.includes(reset.id), createdIds.join(', '));

  // Eleven minutes: the password reset escalates (no webhook: notify is off).
  await sweep(created + 11 * 60_000);
  view = (await agent(`/v1/agent/tickets/${reset.id}`)).body;
  assert.equal(view.state.tier, 2);
  // Recorded at the rule's due time: ten minutes after that ticket's receipt.
  assert.equal(Date.parse(view.events[0].at), Date.parse(view.created_at) + 10 * 60_000);
  assert.equal(escalations().length, 1, 'no webhook: notify is off for the password-reset rule');

  // 25 hours: both free tickets breached first response, stamped at the
  // due time. "is down" in an outage ticket made routing raise it to
  // urgent, whose first response is half of normal's 24 h.
  await sweep(created + 25 * HOUR);
  view = (await agent(`/v1/agent/tickets/${outage.id}`)).body;
  assert.equal(view.priority, 'urgent');
  const breach = view.events.find((e) => e.kind === 'breached' && e.metric === 'first_response');
  assert.equal(Date.parse(breach.at), created + 12 * HOUR);
  const resetView = (await agent(`/v1/agent/tickets/${reset.id}`)).body;
  const resetBreach = resetView.events.find((e) => e.kind === 'breached' && e.metric === 'first_response');
  assert.equal(Date.parse(resetBreach.at), Date.parse(resetView.created_at) + 24 * HOUR);
  assert.equal(clock(view, 'first_response').state, 'breached');

  // The same instant again: nothing new is recorded or sent.
  const count = received.length;
  await sweep(created + 25 * HOUR);
  assert.equal(received.length, count);
  const ids = received.map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length, 'one webhook per event');
  assert.ok(received.every((r) => r.valid), 'every signature verifies');
  const breaches = received.filter((r) => r.body.type === 'sla.breached' && r.body.data.ticket.id === outage.id);
  assert.deepEqual(breaches.map((r) => r.body.data.event.metric), ['first_response']);
});

test('the agent queue is ordered by time to the next breach', { timeout: 60_000 }, async () => {
  const { body } = await agent('/v1/agent/tickets?limit=100');
  const keys = body.tickets.filter((t) => t.state.status !== 'solved').map((t) => t.next_due && Date.parse(t.next_due));
  const sorted = [...keys].sort((a, b) => (a ?? Infinity) - (b ?? Infinity));
  assert.deepEqual(keys, sorted);
  assert.ok(body.tickets.every((t) => Array.isArray(t.clocks) && t.clocks.every((c) => Number.isInteger(c.remaining_seconds))));
});

test('a reply and a rating reach a JSON webhook and a Slack one, signed', { timeout: 60_000 }, async () => {
  const ticket = await create('bug', 'Charts are blank');
  const post = (path, body, headers) => mf.dispatchFetch(`http://buoy.test${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body),
  });
  assert.equal((await agent(`/v1/agent/tickets/${ticket.id}/messages`, { method: 'POST', body: JSON.stringify({ body: 'Fixed in 2.4.1.' }) })).status, 201);
  assert.equal((await agent(`/v1/agent/tickets/${ticket.id}/changes`, { method: 'POST', body: JSON.stringify({ status: 'solved' }) })).status, 200);
  const rated = await post(`/v1/tickets/${ticket.id}/csat`, { satisfied: true, comment: 'Thanks!' }, { 'buoy-requester-token': ticket.requester_token });
  assert.equal(rated.status, 201);
  const created = Date.parse(ticket.created_at);
  await sweep(created + 2 * 60_000);
  const mine = (list) => list.filter((r) => r.id?.startsWith(ticket.id));
  const csat = mine(received).find((r) => r.body.type === 'csat.submitted');
  assert.ok(csat, 'the JSON webhook gets csat.submitted');
  assert.deepEqual([csat.body.data.event.satisfied, csat.body.data.event.comment], [true, 'Thanks!']);
  const texts = mine(slack).map((r) => r.body);
  assert.ok(texts.every((b) => Object.keys(b).join() === 'text'), 'Slack takes {"text": ...} and nothing else');
  assert.ok(texts.some((b) => b.text.includes('Charts are blank') && b.text.includes('New message from Test agent')), JSON.stringify(texts));
  assert.ok(texts.some((b) => b.text.includes('Rated satisfied') && b.text.includes('Thanks!')), JSON.stringify(texts));
  assert.ok(!mine(slack).some((r) => r.body.text.includes('Updated by')), 'only the events it asked for');
  assert.ok(mine(slack).every((r) => r.valid), 'signed like the others');
});

test('a Slack webhook shows a requester\'s text as text: no mention, no disguised link', { timeout: 60_000 }, async () => {
  const subject = '<!channel> re-login at <https://evil.example|https://lumen.example/sso> @here';
  const ticket = await create('bug', subject);
  const answered = await mf.dispatchFetch(`http://buoy.test/v1/tickets/${ticket.id}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'buoy-requester-token': ticket.requester_token },
    body: JSON.stringify({ body: 'Please hurry.' }),
  });
  assert.equal(answered.status, 201);
  await sweep(Date.parse(ticket.created_at) + 2 * 60_000);
  const texts = slack.filter((r) => r.id?.startsWith(ticket.id)).map((r) => r.body.text);
  // Slack reads <…> as a mention or a link and "&lt;" as a literal "<": the
  // subject arrives escaped, so Slack shows exactly what the requester typed.
  const shown = '&lt;!channel&gt; re-login at &lt;https://evil.example|https://lumen.example/sso&gt; @\u2060here';
  assert.deepEqual(texts, [`[${ticket.reference}] ${shown} (free): New message from requester`]);
  assert.ok(texts.every((t) => !t.includes('<') && !t.includes('>') && !/@here\b/.test(t)), JSON.stringify(texts));
});
