// `cargo xtask bench --profile [ENDPOINT]`: a CPU profile of one widget
// endpoint under workerd, taken through the inspector wrangler serves for
// the worker's isolate (the DevTools protocol's Profiler domain), while
// requests are sent one at a time. The worker runs with KV in its
// isolate's memory (BUOY_BENCH=memory), so the profile holds the worker's
// own work: its wasm (named when built with `worker-build --profiling`),
// the wasm-bindgen glue and workers-rs' JS shim.
//
// node profile.mjs '{"base": "http://127.0.0.1:P", "inspector": Q, "agentToken": "…", "endpoint": "create", "runs": 400, "out": "…/create.cpuprofile"}'
// writes the profile (open it in Chromium's DevTools, Performance tab) and
// prints the functions with the most self time, then the same by group.
import { writeFileSync } from 'node:fs';
// wrangler's own WebSocket client (a dependency of wrangler and miniflare).
import WebSocket from 'ws';

const plan = JSON.parse(process.argv[2]);
const runs = plan.runs ?? 400;

const ticket = JSON.stringify({
  site: 'demo', name: 'Ada Lovelace', email: 'ada@example.com', type: 'billing', subject: 'Charged twice for November',
  message: 'My card was charged twice for the November invoice. Could you refund one of the charges? The invoice number is INV-2026-1130.',
  context: { url: 'https://app.example.com/billing', locale: 'en-GB', time_zone: 'Europe/London' },
});
const requests = {
  create: ['POST', '/v1/tickets', ticket, 201],
  deflection: ['POST', '/v1/deflections', JSON.stringify({ site: 'demo', type: 'password_reset', outcome: 'fixed' }), 201],
  baseline: ['GET', '/v1/bench-baseline', undefined, 404],
  queue: ['GET', '/v1/agent/tickets?limit=50', undefined, 200],
};
const [method, path, body, expect] = requests[plan.endpoint] ?? [];
if (!method) throw new Error(`no such endpoint to profile: ${plan.endpoint} (one of ${Object.keys(requests).join(', ')})`);

async function send() {
  const headers = body ? { 'content-type': 'application/json' } : { authorization: `Bearer ${plan.agentToken}` };
  const response = await fetch(plan.base + path, { method, headers, body });
  const text = await response.text();
  if (response.status !== expect) throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 300)}`);
}

const socket = await new Promise((resolve, reject) => {
  const s = new WebSocket(`ws://127.0.0.1:${plan.inspector}/ws`);
  s.on('open', () => resolve(s));
  s.on('error', reject);
});
const waiting = new Map();
let next = 1;
socket.on('message', (text) => {
  const m = JSON.parse(String(text));
  if (m.id && waiting.has(m.id)) {
    waiting.get(m.id)(m);
    waiting.delete(m.id);
  }
});
function call(method, params = {}) {
  const id = next++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the inspector did not answer ${method}`)), 30_000);
    waiting.set(id, (m) => {
      clearTimeout(timer);
      if (m.error) reject(new Error(`${method}: ${JSON.stringify(m.error)}`));
      else resolve(m.result);
    });
    socket.send(JSON.stringify({ id, method, params }));
  });
}

// A queue page of 50 needs 50 tickets.
if (plan.endpoint === 'queue') {
  for (let i = 0; i < 55; i++) {
    const response = await fetch(`${plan.base}/v1/tickets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: ticket });
    if (response.status !== 201) throw new Error(`a ticket for the queue answered ${response.status}`);
  }
}
// Warm the isolate first: compile, the config's first parse, the lexicons.
for (let i = 0; i < 50; i++) await send();
await call('Profiler.enable');
await call('Profiler.setSamplingInterval', { interval: 50 });
await call('Profiler.start');
const started = performance.now();
for (let i = 0; i < runs; i++) await send();
const wall = performance.now() - started;
const { profile } = await call('Profiler.stop');
socket.close();
writeFileSync(plan.out, JSON.stringify(profile));

// Self time per function: each sample's node, weighted by the time to the next sample.
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
const deltas = profile.timeDeltas ?? [];
let total = 0;
profile.samples.forEach((id, i) => {
  const us = deltas[i + 1] ?? 0;
  const frame = byId.get(id).callFrame;
  const file = frame.url ? frame.url.split('/').pop() : '';
  const key = `${frame.functionName || '(anonymous)'}${file ? ` ${file}` : ''}`;
  self.set(key, (self.get(key) ?? 0) + us);
  total += us;
});
const busy = total - (self.get('(idle)') ?? 0);
const ms = (us) => (us / 1000 / runs).toFixed(3);
console.log(`${plan.endpoint}: ${runs} requests one at a time, ${(wall / runs).toFixed(2)} ms each from the client; the isolate was busy ${ms(busy)} ms per request`);
console.log('  ms/request  share  function (self time, top 30)');
const rows = [...self.entries()].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]);
for (const [name, us] of rows.slice(0, 30)) {
  console.log(`  ${ms(us).padStart(10)}  ${((100 * us) / busy).toFixed(1).padStart(4)}%  ${name.slice(0, 140)}`);
}
// By group: the wasm (Rust), the glue and shim (JS), the runtime's own.
const group = (name) => {
  if (name.startsWith('(garbage collector)')) return 'garbage collector';
  if (name.startsWith('(program)')) return 'runtime (program)';
  if (/wasm-function|\.wasm\b|::|\$/.test(name)) return 'wasm';
  return 'JS (glue, shim, runtime APIs)';
};
const groups = new Map();
for (const [name, us] of rows) groups.set(group(name), (groups.get(group(name)) ?? 0) + us);
console.log('  by group:');
for (const [name, us] of [...groups.entries()].sort((a, b) => b[1] - a[1])) {
  console.log(`  ${ms(us).padStart(10)}  ${((100 * us) / busy).toFixed(1).padStart(4)}%  ${name}`);
}
console.log(`  profile: ${plan.out}`);
