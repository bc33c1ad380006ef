// Per-keystroke search time in the real panel, in headless Chromium: the
// widget measures each keystroke's search and redraw (`buoy:search`, a
// User Timing measure); this types queries letter by letter over the
// 1,000-article index `cargo xtask bench` built, at normal speed and with
// the CPU throttled, and prints the durations as JSON.
import { launchChromium } from '../../tests/chromium.mjs';

const plan = JSON.parse(process.argv[2]);
const browser = await launchChromium(plan.chromium);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const results = [];
for (const rate of plan.rates) {
  const durations = [];
  for (let run = 0; run < plan.runs; run++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate });
    await page.goto(plan.host);
    await page.evaluate((w) => __bench.start(w), plan.widget);
    await page.evaluate(() => window.Buoy('open'));
    const frame = await (async () => {
      for (let tries = 0; tries < 500; tries++) {
        const f = page.frames().find((x) => x.url().includes('/widget/'));
        if (f && (await f.evaluate(() => !!document.querySelector('#buoy-q')).catch(() => false))) return f;
        await sleep(20);
      }
      throw new Error('the panel did not load');
    })();
    const box = frame.locator('#buoy-q');
    // Ready once the index has loaded: a query finds something.
    await box.fill('export');
    await frame.waitForFunction(() => !!document.querySelector('#buoy-docs li'), null, { timeout: 30_000 });
    await frame.evaluate(() => performance.clearMeasures('buoy:search'));
    for (const query of plan.queries) {
      await box.fill('');
      for (const letter of query) {
        const before = await frame.evaluate(() => performance.getEntriesByName('buoy:search').length);
        await box.press(letter === ' ' ? 'Space' : letter);
        await frame.waitForFunction((n) => performance.getEntriesByName('buoy:search').length > n, before, { timeout: 30_000 });
      }
    }
    durations.push(...(await frame.evaluate(() => performance.getEntriesByName('buoy:search').map((e) => e.duration))));
    await context.close();
  }
  results.push({ rate, durations });
  process.stderr.write(`bench: search at ${rate}x CPU: ${durations.length} keystrokes\n`);
}
await browser.close();
process.stdout.write(JSON.stringify(results));
