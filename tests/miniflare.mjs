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
 * tickets' rooms are always bound (`BUOY_ROOMS`);
 * `at` (an instant) sets the worker's clock running from then
 * (BUOY_TEST_CLOCK_OFFSET_MS), as `page.clock` sets the browser's;
 * `pages` serves the built site (the widget's pages and files) as `ASSETS`.
 */
// Miniflare's rate limits count in wall-clock windows (`floor(now / period)`),
// each with its own counter: a burst that must meet a limit starts early in
// a window, so that it never straddles two.
export async function freshWindow(period = 60, within = 20) {
  const left = period * 1000 - (Date.now() % (period * 1000));
  if (left < within * 1000) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

export async function startWorker({ bindings = {}, ratelimits, email, log, triggers = false, files = false, at, pages = false } = {}) {
  const main = process.env.BUOY_TEST_WORKER;
  const site = process.env.BUOY_TEST_SITE;
  if (!main || !site) throw new Error('run through `cargo xtask test`, which builds the test worker and its site');
  const clock = at === undefined ? {} : { BUOY_TEST_CLOCK_OFFSET_MS: String(Date.parse(at) - Date.now()) };
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
    // As wrangler.toml's `run_worker_first`: the API and the widget's pages reach the worker first.
    ...(pages ? { assets: { directory: site, binding: 'ASSETS', routerConfig: { has_user_worker: true, static_routing: { user_worker: ['/v1/*', '/widget/*'] } } } } : {}),
    bindings: { ...bindings, ...clock },
    cf: false,
  });
  await mf.ready;
  return mf;
}
