// Embedding end to end: each site's look baked into its own loader
// (`/s/{site}.js`: colours, side, label), the host's colour scheme, the
// host's own buttons (`data-buoy-open`, added after load), no launcher
// (`launcher: false`), the panel mounted inline in a host element (its
// height following its content) and unmounted, the `unread` event, and
// what the loader passes on (`context`, `prefill { fields }`).
// The host pages are served on the demo's origin under a strict CSP.
// `cargo xtask test` passes BUOY_WORKER_URL, BUOY_DEMO_URL, BUOY_AGENT_TOKEN.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { browserFor, recordProblems, widgetFrame } from '../browser.mjs';
import { violations } from '../axe.mjs';
import { call } from '../api.mjs';
import { until } from '../wait.mjs';

const WORKER = process.env.BUOY_WORKER_URL?.replace(/\/$/, '');
const DEMO = process.env.BUOY_DEMO_URL?.replace(/\/$/, '');
const TOKEN = process.env.BUOY_AGENT_TOKEN;
const chrome = browserFor(WORKER, DEMO, TOKEN);

// The looks of tests/buoy.toml: the default (site demo) and site themed's.
const BLUE = 'rgb(29, 78, 216)';
const LIGHT_BLUE = 'rgb(96, 165, 250)';
const TEAL = 'rgb(15, 118, 110)';
const MINT = 'rgb(94, 234, 212)';
const WHITE = 'rgb(255, 255, 255)';
const INK = 'rgb(17, 24, 39)';

/**
 * A host page on the demo's origin, under the demo server's strict CSP
 * (no inline style or script allowed), loading `loader` with `attrs`,
 * holding `body`, with `calls` queued before the loader arrives as the
 * README's snippet queues them. The page is written into a document of
 * that origin with no loader of its own (a path the demo server does not
 * have), so it is a real loopback page. Console errors (but that 404's),
 * exceptions and CSP violations are recorded.
 */
async function host({ loader = '/buoy.js', attrs = 'data-site="demo"', body = '', calls = [], scheme = 'light' } = {}) {
  const context = await chrome.browser.newContext({ colorScheme: scheme, viewport: { width: 1200, height: 800 } });
  const page = await context.newPage();
  const recorded = await recordProblems(page);
  if (calls.length) await page.addInitScript((q) => { window.Buoy = Object.assign(function () {}, { q }); }, calls);
  await page.goto(`${DEMO}/embed-host-${Math.random().toString(36).slice(2)}`);
  await page.setContent(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title>
<script async src="${WORKER}${loader}" ${attrs}></script></head><body><h1>Host</h1>${body}</body></html>`);
  await page.waitForFunction(() => window.Buoy && window.Buoy.loaded);
  const problems = { list: () => recorded.filter((p) => !/status of 404/.test(p)) };
  return { page, problems, context };
}

/** The launcher in the loader's shadow root. */
const launcherOf = (page) => page.locator('button.l');

/** The launcher's place and colours. */
async function look(page) {
  const launcher = launcherOf(page);
  await launcher.waitFor();
  const box = await launcher.boundingBox();
  const style = await launcher.evaluate((el) => {
    const s = getComputedStyle(el);
    return { background: s.backgroundColor, color: s.color };
  });
  const viewport = page.viewportSize();
  return { left: box.x, right: viewport.width - box.x - box.width, bottom: viewport.height - box.y - box.height, ...style };
}

/** The panel's colour scheme as drawn: the host's scheme on its root and its background. */
function panelScheme(frame) {
  return frame.evaluate(() => [document.documentElement.dataset.scheme, getComputedStyle(document.body).backgroundColor]);
}

test('two sites, two looks: colours, side and label baked into each site\'s loader, light and dark', { timeout: 90_000 }, async () => {
  const generic = await host();
  const themed = await host({ loader: '/s/themed.js', attrs: '' });

  let plain = await look(generic.page);
  assert.ok(plain.right >= 18 && plain.right <= 22 && plain.left > 600, `the default launcher keeps to the right: ${JSON.stringify(plain)}`);
  assert.deepEqual([plain.background, plain.color], [BLUE, WHITE]);
  let teal = await look(themed.page);
  assert.ok(teal.left >= 22 && teal.left <= 26 && teal.right > 600, `the themed launcher keeps to the left, 24 px in: ${JSON.stringify(teal)}`);
  assert.ok(Math.abs(teal.bottom - 30) <= 2, `and 30 px up: ${JSON.stringify(teal)}`);
  assert.deepEqual([teal.background, teal.color], [TEAL, WHITE]);
  // The label shows beside the icon and names the button.
  const support = themed.page.getByRole('button', { name: 'Support' });
  assert.equal(await support.count(), 1);
  assert.equal(await support.evaluate((el) => getComputedStyle(el, '::after').content), '"Support"');
  assert.equal((await generic.page.getByRole('button', { name: 'Help' }).count()), 1, 'the icon alone is named in the panel\'s language');

  // The browser's dark scheme: each site's dark accent under near-black text.
  await generic.page.emulateMedia({ colorScheme: 'dark' });
  await themed.page.emulateMedia({ colorScheme: 'dark' });
  plain = await look(generic.page);
  teal = await look(themed.page);
  assert.deepEqual([plain.background, plain.color], [LIGHT_BLUE, INK]);
  assert.deepEqual([teal.background, teal.color], [MINT, INK]);
  for (const scheme of ['light', 'dark']) {
    await themed.page.emulateMedia({ colorScheme: scheme });
    assert.deepEqual(await violations(themed.page, 'body > :last-child'), [], `the labelled launcher passes axe (${scheme})`);
  }

  // The host's own dark mode wins over the browser's, live, in the
  // launcher and in the panel.
  await themed.page.emulateMedia({ colorScheme: 'light' });
  await themed.page.evaluate(() => window.Buoy('set', { colorScheme: 'dark' }));
  teal = await look(themed.page);
  assert.deepEqual([teal.background, teal.color], [MINT, INK]);
  await launcherOf(themed.page).click();
  const frame = await widgetFrame(themed.page);
  assert.equal(new URL(frame.url()).pathname, '/widget/themed/en/', 'the per-site loader implies its site');
  await frame.locator('#buoy-q:focus').waitFor();
  await until(async () => (await panelScheme(frame))[0] === 'dark', 'the panel in the host\'s dark scheme');
  assert.deepEqual(await panelScheme(frame), ['dark', INK]);
  await themed.page.emulateMedia({ colorScheme: 'dark' });
  await themed.page.evaluate(() => window.Buoy('set', { colorScheme: 'light' }));
  await until(async () => (await panelScheme(frame))[0] === 'light', 'the panel in the host\'s light scheme');
  assert.deepEqual(await panelScheme(frame), ['light', WHITE], 'a forced light scheme wins over the browser\'s dark');
  teal = await look(themed.page);
  assert.deepEqual([teal.background, teal.color], [TEAL, WHITE]);
  await themed.page.evaluate(() => window.Buoy('set', { colorScheme: 'auto' }));
  await until(async () => (await panelScheme(frame))[0] === 'auto', 'the panel back on the browser\'s scheme');
  assert.deepEqual(await panelScheme(frame), ['auto', INK]);

  // A per-site loader is cached like the generic one.
  const response = await fetch(`${WORKER}/s/themed.js`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('cache-control'), 'public, max-age=300');
  assert.deepEqual(generic.problems.list(), []);
  assert.deepEqual(themed.problems.list(), []);
  await generic.context.close();
  await themed.context.close();
});

test('a host button added after load opens the panel on the form; launcher: false draws no launcher', { timeout: 60_000 }, async () => {
  const { page, problems, context } = await host({ calls: [['init', { launcher: false }]] });
  await page.waitForFunction(() => document.body.lastElementChild?.shadowRoot?.querySelector('button.l'));
  assert.equal(await launcherOf(page).isVisible(), false, 'no launcher');
  assert.equal(await page.getByRole('button', { name: 'Help' }).count(), 0, 'nothing named Help but the host\'s own');
  // The host's own button, added once the loader has run.
  await page.evaluate(() => {
    const button = document.createElement('button');
    button.textContent = 'Contact us';
    button.setAttribute('data-buoy-open', 'contact');
    document.body.append(button);
  });
  await page.getByRole('button', { name: 'Contact us' }).click();
  const frame = await widgetFrame(page);
  await frame.locator('#buoy-name:focus').waitFor();
  assert.equal(await frame.locator('#buoy-form').isVisible(), true, 'the contact form shows');
  // Docked where the launcher would be (the right), and Escape gives focus back to the host's button.
  const panel = await page.locator('.p').boundingBox();
  assert.ok(panel.x > 600, `the panel is on the right: ${JSON.stringify(panel)}`);
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => document.activeElement?.textContent === 'Contact us');
  assert.equal(await page.locator('.p').isVisible(), false);
  assert.deepEqual(problems.list(), []);
  await context.close();
});

test('an inline mount follows its content\'s height and unmounts cleanly', { timeout: 90_000 }, async () => {
  const { page, problems, context } = await host({ body: '<main><h2>Help center</h2><div id="help"></div><p id="after">After</p></main>' });
  await launcherOf(page).waitFor();
  await page.evaluate(() => window.Buoy('mount', '#help'));
  const frame = await widgetFrame(page);
  const height = () => page.evaluate(() => document.querySelector('#help > div')?.shadowRoot?.querySelector('iframe')?.getBoundingClientRect().height ?? -1);
  const content = () => frame.evaluate(() => document.querySelector('.panel').scrollHeight);
  await frame.getByRole('button', { name: 'Send us a message' }).waitFor();
  await until(async () => Math.abs((await height()) - (await content())) <= 1, 'the frame as tall as the home screen');
  const home = await height();
  assert.equal(await launcherOf(page).isVisible(), false, 'no launcher while inline');
  assert.equal(await page.evaluate(() => document.activeElement === document.body), true, 'an inline panel takes no focus');
  assert.equal(await frame.evaluate(() => document.querySelector('[role=dialog]').getAttribute('aria-modal')), 'false');
  assert.equal(await frame.locator('.close').first().isVisible(), false, 'nothing to close inline');
  // The page flows around it: what follows the mount sits below the frame.
  const after = await page.locator('#after').boundingBox();
  const box = await page.locator('#help').boundingBox();
  assert.ok(after.y >= box.y + home - 1, 'the host content follows the panel');

  await frame.getByRole('button', { name: 'Send us a message' }).click();
  await frame.locator('#buoy-form').waitFor();
  await until(async () => {
    const [h, c] = [await height(), await content()];
    return h !== home && Math.abs(h - c) <= 1;
  }, 'the frame as tall as the form');
  assert.deepEqual(await violations(frame), [], 'the inline form passes axe');

  await page.evaluate(() => window.Buoy('unmount'));
  assert.equal(await page.evaluate(() => document.querySelector('#help').childElementCount), 0, 'nothing left in the host element');
  await until(() => page.frames().every((f) => !f.url().includes('/widget/') || f.isDetached()), 'no panel frame left');
  await launcherOf(page).waitFor({ state: 'visible' });
  // The floating panel works as before, and no inline height applies to it.
  await launcherOf(page).click();
  const floating = await widgetFrame(page);
  await floating.locator('#buoy-q:focus').waitFor();
  const panel = await page.locator('.p').boundingBox();
  assert.ok(Math.abs(panel.height - 620) <= 1, `the floating panel keeps its height: ${JSON.stringify(panel)}`);
  assert.equal(await floating.evaluate(() => document.documentElement.hasAttribute('data-inline')), false, 'the new frame is not inline');
  assert.deepEqual(problems.list(), []);
  await context.close();
});

test('the loader passes on the host\'s context and prefilled fields as strings', { timeout: 60_000 }, async () => {
  const { page, problems, context } = await host();
  await launcherOf(page).click();
  const frame = await widgetFrame(page);
  await frame.locator('#buoy-q:focus').waitFor();
  await frame.evaluate(() => {
    window.__got = [];
    addEventListener('message', (e) => window.__got.push(e.data));
  });
  await page.evaluate(() => {
    const many = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`k${i}`, i]));
    window.Buoy('context', { app_version: '4.2.1', plan: 'pro', seats: 12, ...many });
    window.Buoy('prefill', { subject: 'Invoice', fields: { plan: 'pro', seats: 3, agree: true } });
  });
  await until(() => frame.evaluate(() => window.__got.length >= 2), 'both messages');
  const [ctx, prefill] = await frame.evaluate(() => window.__got);
  assert.equal(ctx.type, 'context');
  assert.equal(Object.keys(ctx.context).length, 20, 'at most 20 keys');
  assert.deepEqual([ctx.context.app_version, ctx.context.plan, ctx.context.seats], ['4.2.1', 'pro', '12']);
  assert.ok(Object.values(ctx.context).every((v) => typeof v === 'string'));
  assert.deepEqual(prefill.fields, { plan: 'pro', seats: '3', agree: 'true' });
  assert.equal(prefill.subject, 'Invoice');
  assert.deepEqual(problems.list(), []);
  await context.close();
});

test('the unread event gives the count when an agent replies', { timeout: 120_000 }, async () => {
  const { page, problems, context } = await host();
  await page.evaluate(() => {
    window.__unread = [];
    window.Buoy('on', 'unread', (n) => window.__unread.push(n));
  });
  await launcherOf(page).click();
  const frame = await widgetFrame(page);
  await frame.getByRole('button', { name: 'Send us a message' }).click();
  const subject = `Unread event ${Date.now()}`;
  await frame.locator('#buoy-email').fill('unread@example.com');
  await frame.locator('#buoy-type').selectOption('bug');
  await frame.locator('#buoy-subject').fill(subject);
  await frame.locator('#buoy-message').fill('Will the host hear of the reply?');
  await frame.locator('#buoy-submit').click();
  await frame.getByText('Thanks, we have your message').waitFor();
  let ticket;
  await until(async () => {
    const { json } = await call('/v1/agent/tickets?limit=100', { token: TOKEN });
    ticket = json.tickets.find((t) => t.subject === subject);
    return ticket;
  }, 'the ticket in the queue');
  assert.equal((await call(`/v1/agent/tickets/${ticket.id}/messages`, { token: TOKEN, body: { body: 'We are on it.' } })).status, 201);
  await until(() => page.evaluate(() => window.__unread.includes(1)), 'the unread event with 1', 60_000);
  assert.ok(await page.evaluate(() => window.__unread.every((n) => typeof n === 'number')), 'counts are numbers');
  assert.deepEqual(problems.list(), []);
  await context.close();
});
