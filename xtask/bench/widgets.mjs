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

// One cold load of the host page with one widget: launcher time, main
// thread, longest task, requests; then one click to an interactive panel.
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
  const before = await taskSeconds(cdp);
  phase = 'load';
  const launcher = await page.evaluate((w) => __bench.start(w), widget);
  phase = 'settle';
  await sleep(plan.settleMs);
  const mainThread = (await taskSeconds(cdp) - before) * 1000;
  const longest = await page.evaluate(() => __bench.longest);
  let open = null;
  if (widget.script) {
    if (widget.onReady) await until(() => page.evaluate(() => __bench.ready || null), 10_000);
    phase = 'open';
    const clicked = await page.evaluate((w) => __bench.click(w), widget);
    if (widget.panel) {
      open = clicked;
    } else {
      // The panel is an iframe: it marks the moment it became interactive.
      const frame = await until(async () => page.frames().find((f) => f.url().includes('/widget/')), 10_000);
      const at = await until(() => frame.evaluate(() => {
        const mark = performance.getEntriesByName('buoy:interactive')[0];
        return mark ? performance.timeOrigin + mark.startTime : null;
      }), 10_000);
      open = at - clicked;
    }
    phase = 'done';
  }
  const second = widget.second ? await secondView(page, cdp, widget) : null;
  await context.close();
  return { launcher, mainThread, longest, open, requests, second };
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
  if (widget.onReady) await until(() => page.evaluate(() => __bench.ready || null), 10_000);
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
  }
}
await browser.close();
process.stdout.write(JSON.stringify(results));
