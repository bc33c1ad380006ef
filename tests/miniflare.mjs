// The built test worker under Miniflare (workerd driven from Node), as the
// tests that need their own bindings start it: chosen secrets, low rate
// limits, a fault switch, a scheduled time of their choosing.
// `cargo xtask test` passes BUOY_TEST_WORKER (the built worker module).
import { dirname } from 'node:path';
import { Miniflare } from 'miniflare';

/**
 * A ready Miniflare running the test worker with a fresh KV and `bindings`;
 * `ratelimits`, `email` (send_email bindings) and `log` as Miniflare takes them;
 * `triggers` serves /cdn-cgi/handler/email and /cdn-cgi/handler/scheduled;
 * `files` binds a fresh R2 bucket as `BUOY_FILES` (attachments); the
 * tickets' rooms are always bound (`BUOY_ROOMS`).
 */
// Miniflare's rate limits count in wall-clock windows (`floor(now / period)`),
// each with its own counter: a burst that must meet a limit starts early in
// a window, so that it never straddles two.
export async function freshWindow(period = 60, within = 20) {
  const left = period * 1000 - (Date.now() % (period * 1000));
  if (left < within * 1000) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

export async function startWorker({ bindings = {}, ratelimits, email, log, triggers = false, files = false } = {}) {
  const main = process.env.BUOY_TEST_WORKER;
  if (!main) throw new Error('run through `cargo xtask test`, which builds the test worker');
  const mf = new Miniflare({
    modules: true,
    scriptPath: main,
    modulesRoot: dirname(main),
    modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
    compatibilityDate: '2026-04-26',
    kvNamespaces: ['BUOY_KV'],
    // The tickets' rooms, as wrangler.toml binds them.
    durableObjects: { BUOY_ROOMS: { className: 'TicketRoom', useSQLite: true } },
    ...(files ? { r2Buckets: ['BUOY_FILES'] } : {}),
    ...(ratelimits ? { ratelimits } : {}),
    ...(email ? { email } : {}),
    ...(log ? { log } : {}),
    ...(triggers ? { unsafeTriggerHandlers: true } : {}),
    bindings,
    cf: false,
  });
  await mf.ready;
  return mf;
}
