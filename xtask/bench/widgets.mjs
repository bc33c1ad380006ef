// Widget speed in headless Chromium: Buoy and real peers on the same host
// page, with the same metrics, at normal speed and with the CPU throttled
// through the DevTools protocol. `cargo xtask bench` runs it with a JSON
// plan as its one argument and reads the JSON it prints.
import { launchChromium } from '../../tests/chromium.mjs';

const plan = JSON.parse(process.argv[2]);
const browser = await launchChromium(plan.chromium);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function taskSeconds(cdp) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return metrics.find((m) => m.name === 'TaskDuration').value;
}

async function until(f, limitMs) {
  const start = Date.now();
  for (;;) {
    const value = await f().catch(() => undefined);
    if (value !== undefined && value !== null) return value;
    if (Date.now() - start > limitMs) throw new Error('timed out');
    await sleep(5);
  }
}

// The trace's categories: top-level tasks and User Timing marks.
const TRACE = ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink.user_timing'];

// From a trace: the host page's main thread (the thread its User Timing
// marks came from; a same-site iframe shares it) and its top-level tasks,
// as [start, end] in ms of trace time, and the marks by name.
function tasksOf(buffer) {
  const events = JSON.parse(buffer.toString()).traceEvents ?? [];
  const marks = {};
  let thread = null;
  for (const e of events) {
    if (!e.cat?.includes('blink.user_timing') || !['R', 'I', 'n', 'b'].includes(e.ph)) continue;
    if (e.name === 'buoy:interactive') marks[e.name] = e.ts / 1000;
    if (e.name?.startsWith('bench:')) {
      marks[e.name] = e.ts / 1000;
      if (e.name === 'bench:load') thread = { pid: e.pid, tid: e.tid };
    }
  }
  if (!thread) return { tasks: [], marks, kinds: {} };
  let runTask = events.filter((e) => e.ph === 'X' && e.pid === thread.pid && e.tid === thread.tid && e.name === 'RunTask');
  if (!runTask.length) {
    runTask = events.filter((e) => e.ph === 'X' && e.pid === thread.pid && e.tid === thread.tid && e.name === 'ThreadControllerImpl::RunTask');
  }
  // Top level only: a task nested in another's span is part of it.
  const tasks = [];
  for (const e of runTask.sort((a, b) => a.ts - b.ts)) {
    const task = [e.ts / 1000, (e.ts + (e.dur ?? 0)) / 1000];
    if (tasks.length && task[0] < tasks[tasks.length - 1][1]) continue;
    tasks.push(task);
  }
  // What the main thread did at load, by kind of work (nested kinds,
  // such as a style recalc a script forces, count in both).
  const kinds = {};
  const from = marks['bench:load'] ?? Infinity, to = marks['bench:intent'] ?? -Infinity;
  for (const e of events) {
    if (e.ph !== 'X' || e.pid !== thread.pid || e.tid !== thread.tid || !KINDS.includes(e.name)) continue;
    if (e.ts / 1000 < from || e.ts / 1000 >= to) continue;
    kinds[e.name] = (kinds[e.name] ?? 0) + (e.dur ?? 0) / 1000;
  }
  return { tasks, marks, kinds };
}

// The kinds of main-thread work the load's breakdown names.
const KINDS = ['EvaluateScript', 'v8.compile', 'v8.compileModule', 'FunctionCall', 'TimerFire', 'FireAnimationFrame', 'FireIdleCallback',
  'RunMicrotasks', 'EventDispatch', 'ParseHTML', 'ParseAuthorStyleSheet', 'UpdateLayoutTree', 'Layout', 'PrePaint', 'Paint', 'Layerize',
  'Commit', 'ResourceReceiveResponse', 'ResourceReceivedData', 'ResourceFinish', 'HitTest'];

// Total Blocking Time over [from, to): each task's time beyond 50 ms.
function blocking(tasks, from, to) {
  return tasks.filter(([s]) => s >= from && s < to).reduce((sum, [s, e]) => sum + Math.max(0, e - s - 50), 0);
}

// One cold load of the host page with one widget: launcher time, main
// thread, longest task and blocking time at load; then the first open as
// a person does it: the pointer onto the launcher, a click on the host
// page meanwhile, the click on the launcher `plan.hoverMs` after the
// pointer arrived; its main thread and blocking time, click to an
// interactive panel, and the page's Interaction to Next Paint over both.
async function once(widget, rate) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  await cdp.send('Emulation.setCPUThrottlingRate', { rate });
  await page.goto(plan.host);
  await sleep(300);
  let phase = 'none';
  const requests = { load: [], open: [] };
  page.on('request', (r) => { if (phase in requests && !r.url().startsWith('data:')) requests[phase].push(r.url()); });
  await browser.startTracing(page, { categories: TRACE });
  await page.evaluate(() => performance.mark('bench:load'));
  const before = await taskSeconds(cdp);
  phase = 'load';
  const launcher = await page.evaluate((w) => __bench.start(w), widget);
  phase = 'settle';
  await sleep(plan.settleMs);
  const mainThread = (await taskSeconds(cdp) - before) * 1000;
  const longest = await page.evaluate(() => __bench.longest);

  // The first open. The pointer goes where the launcher is (for the page
  // without a widget, the same corner), the host page takes a click.
  const at = widget.launcher ? await page.evaluate((w) => __bench.centre(w.launcher), widget) : { x: 1200, y: 660 };
  const host = await page.evaluate(() => __bench.centre("document.querySelector('h1')"));
  await page.evaluate(() => { performance.mark('bench:intent'); __bench.intentAt = performance.now(); });
  const opening = await taskSeconds(cdp);
  phase = 'open';
  await page.mouse.move(at.x, at.y);
  await sleep(plan.hoverMs / 3);
  await page.mouse.click(host.x, host.y);
  await page.evaluate((w) => __bench.watch(w), widget);
  await page.mouse.move(at.x, at.y);
  await sleep(plan.hoverMs * 2 / 3);
  await page.mouse.click(at.x, at.y);
  let open = null;
  if (widget.panel) {
    open = await until(() => page.evaluate(() => __bench.open), 10_000);
  } else if (widget.script && !widget.noPanel) {
    // The panel is an iframe: it is interactive once it has answered the
    // click's `open`, right after it is ready; the trace has both marks.
    // Nothing here reaches into the frame (a script the harness injected
    // there would count as the panel's work).
    await until(() => page.evaluate(() => (__bench.ready && __bench.clicked) || null), 10_000);
  }
  await sleep(plan.settleMs);
  const openThread = (await taskSeconds(cdp) - opening) * 1000;
  phase = 'done';
  await page.evaluate(() => performance.mark('bench:end'));
  const { tasks, marks, kinds } = tasksOf(await browser.stopTracing());
  const [load, intent, end] = ['bench:load', 'bench:intent', 'bench:end'].map((m) => marks[m]);
  const traced = load !== undefined && intent !== undefined && end !== undefined;
  if (widget.script && !widget.panel && marks['buoy:interactive'] !== undefined && marks['bench:click'] !== undefined) {
    open = marks['buoy:interactive'] - marks['bench:click'];
  }
  const inp = await page.evaluate(() => __bench.inp());
  const readyAfterIntent = await page.evaluate(() => (__bench.ready ? __bench.ready - __bench.intentAt : null));
  const second = widget.second ? await secondView(page, cdp, widget) : null;
  await context.close();
  return {
    launcher, mainThread, longest, open, openThread, inp, readyAfterIntent, requests, second, kinds,
    tbtLoad: traced ? blocking(tasks, load, intent) : null,
    tbtOpen: traced ? blocking(tasks, intent, end) : null,
  };
}

// A second page view on the host site, in the same browser context (its
// cache kept): the widget's tags again, the launcher, one click to an
// interactive panel. Returns the worker's URLs that went to the network
// (not answered from the memory or disk cache).
async function secondView(page, cdp, widget) {
  const cached = new Set();
  const responses = [];
  cdp.on('Network.requestServedFromCache', (e) => cached.add(e.requestId));
  cdp.on('Network.responseReceived', (e) => {
    if (e.response.fromDiskCache || e.response.fromPrefetchCache || e.response.fromServiceWorker) cached.add(e.requestId);
    responses.push({ id: e.requestId, url: e.response.url });
  });
  await cdp.send('Network.enable');
  // Another page of the site: a navigation, not a reload (which revalidates).
  await page.goto(`${plan.host}?second`);
  await sleep(300);
  await page.evaluate((w) => __bench.start(w), widget);
  await page.evaluate((w) => __bench.click(w), widget);
  const frame = await until(async () => page.frames().find((f) => f.url().includes('/widget/')), 10_000);
  await until(() => frame.evaluate(() => performance.getEntriesByName('buoy:interactive').length > 0 || null), 10_000);
  await sleep(plan.settleMs);
  await cdp.send('Network.disable');
  return responses.filter((r) => r.url.startsWith(plan.worker) && !cached.has(r.id)).map((r) => r.url);
}

const results = [];
for (const widget of plan.widgets) {
  for (const rate of plan.rates) {
    const runs = [];
    await once(widget, rate); // warm the server and the browser's code caches
    for (let i = 0; i < plan.runs; i++) runs.push(await once(widget, rate));
    results.push({ name: widget.name, rate, runs });
    process.stderr.write(`bench: ${widget.name} at ${rate}x CPU: ${runs.length} runs\n`);
    // The load's main thread by kind of work, medians over the runs.
    const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    const by = KINDS.map((k) => [k, median(runs.map((r) => r.kinds?.[k] ?? 0))]).filter(([, ms]) => ms >= 0.05);
    process.stderr.write(`bench:   its load's main thread by kind (median ms): ${by.map(([k, ms]) => `${k} ${ms.toFixed(2)}`).join(', ') || 'none'}\n`);
  }
}
await browser.close();
process.stdout.write(JSON.stringify(results));
