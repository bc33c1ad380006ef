// `cargo xtask bench`: the time of each endpoint the widget and the console
// call, one request at a time, against a worker whose KV is in its
// isolate's memory (BUOY_BENCH=memory), so what is timed is the worker's
// own work plus a fixed cost of the HTTP path (measured apart, as a
// request to an unknown /v1 path, and subtracted by the caller). Also
// reads the KV operations each answer reports (`buoy-kv-operations`).
//
// node cpu.mjs '{"base": "http://127.0.0.1:P", "agentToken": "…", "identitySecret": "…", "runs": 100}'
// prints {"endpoint": {"ms": [...], "kv": ["get=1 put=5 list=0 delete=0", ...]}}.
import { createHmac } from 'node:crypto';

const plan = JSON.parse(process.argv[2]);
const { base, agentToken, identitySecret } = plan;
const runs = plan.runs ?? 100;
const user = 'bench-user-1';

const b64url = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
function jwt() {
  const head = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: user, email: 'ada@example.com', name: 'Ada Lovelace', exp: Math.floor(Date.now() / 1000) + 3600 })}`;
  return `${head}.${createHmac('sha256', identitySecret).update(head).digest('base64url')}`;
}

const ticket = (identity) => JSON.stringify({
  site: 'demo', name: 'Ada Lovelace', email: 'ada@example.com', type: 'billing', subject: 'Charged twice for November',
  message: 'My card was charged twice for the November invoice. Could you refund one of the charges? The invoice number is INV-2026-1130.',
  context: { url: 'https://app.example.com/billing', locale: 'en-GB', time_zone: 'Europe/London' },
  ...(identity ? { identity: { token: jwt() } } : {}),
});

const figures = {};
async function call(name, method, path, { headers = {}, body, expect }) {
  const started = performance.now();
  const response = await fetch(base + path, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body,
  });
  const text = await response.text();
  const ms = performance.now() - started;
  if (response.status !== expect) throw new Error(`${name}: ${method} ${path} answered ${response.status}, not ${expect}: ${text.slice(0, 300)}`);
  if (name) {
    figures[name] ??= { ms: [], kv: [] };
    figures[name].ms.push(ms);
    figures[name].kv.push(response.headers.get('buoy-kv-operations'));
  }
  return text ? JSON.parse(text) : null;
}

const agent = { authorization: `Bearer ${agentToken}` };
// A queue page of 50 needs 50 tickets first; five are a verified user's,
// whose history `mine` lists.
const created = [];
for (let i = 0; i < 55; i++) {
  const t = await call(null, 'POST', '/v1/tickets', { body: ticket(i < 5), expect: 201 });
  created.push(t);
}
for (let i = 0; i < runs; i++) {
  const t = await call('create', 'POST', '/v1/tickets', { body: ticket(false), expect: 201 });
  const owner = { 'buoy-requester-token': t.requester_token };
  await call('answer', 'POST', `/v1/tickets/${t.id}/messages`, { headers: owner, body: JSON.stringify({ body: 'Any news? The second charge is still on my card.' }), expect: 201 });
  await call('read', 'GET', `/v1/tickets/${t.id}`, { headers: owner, expect: 200 });
  await call('agent_ticket', 'GET', `/v1/agent/tickets/${t.id}`, { headers: agent, expect: 200 });
  await call('agent_solve', 'POST', `/v1/agent/tickets/${t.id}/changes`, { headers: agent, body: JSON.stringify({ status: 'solved' }), expect: 200 });
  await call('rate', 'POST', `/v1/tickets/${t.id}/csat`, { headers: owner, body: JSON.stringify({ satisfied: true, comment: 'Quick, thanks.' }), expect: 201 });
  await call('deflection', 'POST', '/v1/deflections', { body: JSON.stringify({ site: 'demo', type: 'password_reset', outcome: 'fixed' }), expect: 201 });
  await call('mine', 'POST', '/v1/tickets/mine', { body: JSON.stringify({ site: 'demo', identity: { token: jwt() } }), expect: 200 });
  await call('queue', 'GET', '/v1/agent/tickets?limit=50', { headers: agent, expect: 200 });
  await call('baseline', 'GET', '/v1/bench-baseline', { expect: 404 });
}
process.stdout.write(JSON.stringify(figures));
