// The soak: a fixed rate of new tickets and queue reads against each
// worker at once, for minutes, open loop (a slow answer never slows the
// rate). Every interval it prints, per worker, the requests answered,
// errors, latency, workerd's resident memory, the worker isolate's JS heap
// (from its inspector, Runtime.getHeapUsage) and, where the worker says it
// (Buoy's /dev/stats), its wasm memory: what grows in the isolate is the
// worker's, what grows beside it is workerd's (the local KV simulator
// among it). `cargo xtask bench --soak`
// runs it with a JSON plan as its one argument and reads the JSON it
// prints; the rows go to the terminal as they come.
import { readFileSync, readdirSync } from 'node:fs';
// wrangler's own WebSocket client (a dependency of wrangler and miniflare).
import WebSocket from 'ws';

const plan = JSON.parse(process.argv[2]);
const TIMEOUT_MS = 30_000;

function rssKib(pids) {
  let sum = 0;
  for (const pid of pids) {
    try {
      const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
      sum += Number(line.split(/\s+/)[1]);
    } catch {
      // A process that has gone counts nothing.
    }
  }
  return sum;
}

// The workerd processes under wrangler's PID, found again at each sample:
// wrangler restarts its runtime when the worker's files change, and a
// restart must show (a new PID), not vanish from the sum.
function workerdUnder(root) {
  const parent = new Map();
  const name = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      name.set(Number(entry), stat.slice(stat.indexOf('(') + 1, close));
      parent.set(Number(entry), Number(stat.slice(close + 2).split(' ')[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  const descends = (pid) => {
    for (let i = 0; i < 16 && pid > 1; i++) {
      pid = parent.get(pid);
      if (pid === root) return true;
    }
    return false;
  };
  return [...name].filter(([pid, comm]) => comm.startsWith('workerd') && descends(pid)).map(([pid]) => pid).sort((a, b) => a - b);
}

function role(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--inspector-addr') ? 'runtime' : 'proxy';
  } catch {
    return 'gone';
  }
}

function percentile(sorted, p) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function timed(url, init) {
  const start = performance.now();
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
    await response.arrayBuffer();
    return { ok: response.ok, status: response.status, ms: performance.now() - start };
  } catch (e) {
    return { ok: false, status: String(e.name || e), ms: performance.now() - start };
  }
}

async function wasmBytes(worker) {
  if (!worker.stats) return null;
  try {
    const answer = await fetch(worker.url + worker.stats, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    return answer.ok ? (await answer.json()).wasm_memory_bytes : null;
  } catch {
    return null;
  }
}

// The isolate's JS heap in use, in bytes, from the inspector wrangler
// serves for it; null when it does not answer.
async function heapBytes(worker) {
  if (!worker.inspector) return null;
  if (!worker.socket) {
    worker.socket = await new Promise((resolve) => {
      const socket = new WebSocket(`ws://127.0.0.1:${worker.inspector}/ws`);
      socket.on('open', () => resolve(socket));
      socket.on('error', () => resolve(null));
    });
    if (!worker.socket) return null;
    worker.waiting = new Map();
    worker.socket.on('message', (text) => {
      const m = JSON.parse(String(text));
      worker.waiting.get(m.id)?.(m.result);
    });
    worker.next = 1;
  }
  const id = worker.next++;
  const result = await Promise.race([
    new Promise((resolve) => {
      worker.waiting.set(id, resolve);
      worker.socket.send(JSON.stringify({ id, method: 'Runtime.getHeapUsage' }));
    }),
    new Promise((resolve) => setTimeout(() => resolve(null), 5000)),
  ]);
  worker.waiting.delete(id);
  return result?.usedSize ?? null;
}

const body = JSON.stringify(plan.ticket);
const workers = plan.workers.map((w) => ({ ...w, window: [], samples: [], total: 0, errors: 0, statuses: {}, pending: 0 }));

function send(worker, kind) {
  const url = kind === 'create' ? `${worker.url}/v1/tickets` : `${worker.url}/v1/agent/tickets?limit=50`;
  const init =
    kind === 'create'
      ? { method: 'POST', headers: { 'content-type': 'application/json' }, body }
      : { headers: { authorization: `Bearer ${plan.token}` } };
  worker.pending++;
  timed(url, init).then((r) => {
    worker.pending--;
    worker.total++;
    if (!r.ok) {
      worker.errors++;
      worker.statuses[r.status] = (worker.statuses[r.status] || 0) + 1;
    }
    worker.window.push({ kind, ...r });
  });
}

// The rate: every tick, each worker's share of creates and queue reads,
// spread evenly over the second.
const ticksPerSecond = plan.createsPerSecond;
const queueEvery = Math.round(plan.createsPerSecond / plan.queuePerSecond);
let tick = 0;
const started = performance.now();
const endAt = started + plan.minutes * 60_000;
process.stderr.write('soak: (* after a name: workerd restarted since the row before, its memory started again)\n');
const header = workers.map((w) => `${w.name}: req err p50/p99 ms  RSS MB  JS MB  wasm MB`.padEnd(56)).join('  ');
process.stderr.write(`soak:   time  ${header}\n`);

async function sample() {
  const at = (performance.now() - started) / 1000;
  const cells = [];
  for (const w of workers) {
    const window = w.window;
    w.window = [];
    const ms = window.map((r) => r.ms).sort((a, b) => a - b);
    const create = window.filter((r) => r.kind === 'create').map((r) => r.ms).sort((a, b) => a - b);
    const queue = window.filter((r) => r.kind === 'queue').map((r) => r.ms).sort((a, b) => a - b);
    const pids = workerdUnder(w.wrangler);
    const restarted = w.pids && pids.join() !== w.pids.join();
    w.pids = pids;
    const row = {
      at_s: Math.round(at),
      requests: window.length,
      errors: window.filter((r) => !r.ok).length,
      p50_ms: percentile(ms, 50),
      p99_ms: percentile(ms, 99),
      create_p50_ms: percentile(create, 50),
      queue_p50_ms: percentile(queue, 50),
      pending: w.pending,
      rss_kib: rssKib(w.pids),
      rss_kib_by_role: Object.fromEntries(pids.map((pid) => [role(pid), rssKib([pid])])),
      processes: pids,
      restarted,
      wasm_bytes: await wasmBytes(w),
      js_heap_bytes: await heapBytes(w),
    };
    w.samples.push(row);
    const num = (v, d = 0) => (v == null ? '—' : v.toFixed(d));
    cells.push(
      `${w.name}:${restarted ? '*' : ' '}${String(row.requests).padStart(4)} ${String(row.errors).padStart(3)} ${num(row.p50_ms)}/${num(row.p99_ms)}`.padEnd(34) +
        `${num(row.rss_kib / 1024, 1).padStart(7)} ${row.js_heap_bytes == null ? '—'.padStart(6) : num(row.js_heap_bytes / 1048576, 1).padStart(6)} ${row.wasm_bytes == null ? '—'.padStart(6) : num(row.wasm_bytes / 1048576, 1).padStart(6)}`.padEnd(22),
    );
  }
  const clock = `${Math.floor(at / 60)}:${String(Math.round(at % 60)).padStart(2, '0')}`;
  process.stderr.write(`soak: ${clock.padStart(6)}  ${cells.join('  ')}\n`);
}

// The figures at the start, before any load.
await sample();
let nextSample = started + plan.sampleSeconds * 1000;
await new Promise((resolve) => {
  const timer = setInterval(async () => {
    const now = performance.now();
    if (now >= endAt) {
      clearInterval(timer);
      return resolve();
    }
    for (const w of workers) {
      send(w, 'create');
      if (tick % queueEvery === 0) send(w, 'queue');
    }
    tick++;
    if (now >= nextSample) {
      nextSample += plan.sampleSeconds * 1000;
      await sample();
    }
  }, 1000 / ticksPerSecond);
});
// Wait for answers still on their way, then the last interval.
const drainUntil = performance.now() + TIMEOUT_MS;
while (workers.some((w) => w.pending > 0) && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 50));
await sample();
for (const w of workers) w.socket?.close();
process.stdout.write(
  JSON.stringify({
    minutes: plan.minutes,
    creates_per_second: plan.createsPerSecond,
    queue_per_second: plan.queuePerSecond,
    workers: workers.map((w) => ({ name: w.name, total: w.total, errors: w.errors, statuses: w.statuses, samples: w.samples })),
  }),
);
