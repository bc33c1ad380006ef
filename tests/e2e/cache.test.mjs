// Caching of the widget's files, and a tab open across a deploy. The
// panel's files are content-hashed under /w/{hash}/ and kept for a year,
// so a second page view on the host site fetches only the widget's page.
// A page from before a deploy names files the deploy removed: its inbox
// module (loaded lazily) is then gone, and the page reloads, naming the
// current files, once nothing typed would be lost; what was typed is sent.
// `cargo xtask test` passes BUOY_WORKER_URL, BUOY_DEMO_URL, BUOY_AGENT_TOKEN, BUOY_CHROMIUM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { browserFor, widgetFrame as widget } from '../browser.mjs';
import { sleep, until } from '../wait.mjs';
import { call } from '../api.mjs';

const WORKER = process.env.BUOY_WORKER_URL?.replace(/\/$/, '');
const DEMO = process.env.BUOY_DEMO_URL;
const TOKEN = process.env.BUOY_AGENT_TOKEN;

const chrome = browserFor(WORKER, DEMO, TOKEN);

/** A folder no build has: the files of a build a deploy replaced. */
const GONE = '/w/0000000000000000/';

/** Opens the panel and returns its locator. */
async function openPanel(page) {
  await page.getByRole('button', { name: 'Help' }).click();
  const panel = page.frameLocator('iframe[title="Help"]');
  await panel.locator('#buoy-q').waitFor();
  return panel;
}

/** Records the requests to the worker's origin that went to the network
 * (not answered from the memory or disk cache); `since()` gives their
 * paths from the last call on. */
async function network(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  const responses = [];
  const cached = new Set();
  cdp.on('Network.requestServedFromCache', (e) => cached.add(e.requestId));
  cdp.on('Network.responseReceived', (e) => {
    if (e.response.fromDiskCache || e.response.fromPrefetchCache || e.response.fromServiceWorker) cached.add(e.requestId);
    responses.push({ id: e.requestId, url: new URL(e.response.url) });
  });
  let seen = 0;
  return {
    since() {
      const fresh = responses.slice(seen).filter((r) => r.url.origin === WORKER && !cached.has(r.id)).map((r) => r.url.pathname);
      seen = responses.length;
      return fresh;
    },
  };
}

/** A fresh context on the demo page (`before` runs first, on the context), recording problems and the network. */
async function open(before) {
  const context = await chrome.browser.newContext();
  const served = before ? await before(context) : null;
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  const fetched = await network(page);
  await page.goto(DEMO);
  return { page, problems, context, served, fetched };
}

/** Serves the widget page of a build the deploy replaced the first time
 * it is asked for: its inbox module in a folder that is gone (the panel's
 * own files it has, as a page that loaded them before the deploy). Every
 * later page is the current one. Returns the count of pages served. */
async function beforeTheDeploy(context) {
  const served = { pages: 0 };
  await context.route((url) => url.origin === WORKER && url.pathname === '/widget/demo/en/', async (route) => {
    served.pages += 1;
    if (served.pages > 1) return route.continue();
    const response = await route.fetch();
    const body = (await response.text()).replace(/data-inbox-src="\/w\/[0-9a-f]{16}\//, `data-inbox-src="${GONE}`);
    // Asserted by the test (an assertion here would not fail it).
    served.named = body.includes(GONE);
    return route.fulfill({ response, body });
  });
  return served;
}

test("a second page view fetches only the widget's page: its files come from the cache", { timeout: 60_000 }, async () => {
  const { page, problems, context, fetched } = await open();
  let panel = await openPanel(page);
  await panel.getByRole('button', { name: 'Send us a message' }).waitFor();
  await sleep(500);
  const first = fetched.since();
  assert.ok(first.includes('/widget/demo/en/'), `the first view fetches the page: ${first}`);
  assert.ok(first.some((p) => /^\/w\/[0-9a-f]{16}\/app_bg\.wasm$/.test(p)), `and the panel's wasm: ${first}`);

  // Another page of the host site (a new navigation, not a reload).
  await page.goto(`${DEMO.replace(/\/$/, '')}/?second`);
  panel = await openPanel(page);
  await panel.getByRole('button', { name: 'Send us a message' }).waitFor();
  await sleep(500);
  const second = fetched.since();
  // The demo page is in English: the loader names that page.
  assert.deepEqual(second, ['/widget/demo/en/'], 'only the per-site page, which stays short-lived');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a page from before a deploy keeps what was typed, and reloads to send it', { timeout: 90_000 }, async () => {
  const { page, problems, context, served } = await open(beforeTheDeploy);
  const panel = await openPanel(page);
  assert.equal(served.named, true, 'the page names its inbox module in a folder');
  const old = await widget(page);
  await old.evaluate(() => { window.beforeTheDeploy = true; });
  await panel.getByRole('button', { name: 'Send us a message' }).click();
  const ticket = { subject: `Stale tab ${Date.now()}`, message: 'Typed in a tab opened before the deploy.' };
  // The first keystroke asks for the inbox module: gone, so the worker answers with the module that reloads.
  await panel.getByLabel('Subject').fill(ticket.subject);
  await until(() => old.evaluate((gone) => document.getElementById('buoy-inbox')?.getAttribute('src') === `${gone}inbox.js`, GONE), 'the inbox module asked for');
  await sleep(1000);
  assert.equal(await old.evaluate(() => window.beforeTheDeploy), true, 'no reload while what was typed is only in the panel');
  await panel.getByLabel('Email').fill('stale@example.com');
  await panel.getByLabel('Topic').selectOption('bug');
  await panel.getByLabel('Message').fill(ticket.message);
  assert.equal(await panel.getByLabel('Subject').inputValue(), ticket.subject, 'the text stays in the form');
  assert.equal(served.pages, 1);

  // Sent: in the outbox, then the page reloads; the current page's inbox module sends it.
  await panel.getByRole('button', { name: 'Send message' }).click();
  await until(() => served.pages === 2, 'the page to reload');
  const current = await widget(page);
  await until(() => current.evaluate(() => !window.beforeTheDeploy && document.getElementById('buoy-inbox')?.src.includes('/inbox.js')).catch(() => false), 'the current inbox module');
  assert.doesNotMatch(await current.evaluate(() => document.getElementById('buoy-inbox').getAttribute('src')), /^\/w\/0{16}\//);
  let ours = [];
  await until(async () => {
    const { json } = await call('/v1/agent/tickets?limit=100', { token: TOKEN });
    ours = json.tickets.filter((t) => t.subject === ticket.subject);
    return ours.length > 0;
  }, 'the ticket to arrive');
  assert.equal(ours.length, 1, 'sent once');
  assert.equal((await call(`/v1/agent/tickets/${ours[0].id}`, { token: TOKEN })).json.message, ticket.message, 'everything typed');
  // The loader told the reloaded panel again that it is open: it shows, with the ticket listed.
  const reloaded = page.frameLocator('iframe[title="Help"]');
  await reloaded.locator('#buoy-mine-link').waitFor();
  assert.equal(await page.locator('iframe[title="Help"]').isVisible(), true);
  await sleep(1000);
  assert.equal(served.pages, 2, 'one reload');
  assert.deepEqual(problems.filter((p) => !/Failed to load resource/.test(p)), []);
  await context.close();
});

test('a page from before a deploy with nothing typed reloads at once, and the host\'s requests are told again', { timeout: 60_000 }, async () => {
  const { page, problems, context, served } = await open(beforeTheDeploy);
  await openPanel(page);
  assert.equal(served.named, true, 'the page names its inbox module in a folder');
  // The host page sends the requester to their tickets: the panel asks for the inbox module, which is gone.
  await page.evaluate(() => Buoy('navigate', 'tickets'));
  await until(() => served.pages === 2, 'the page to reload');
  const current = await widget(page);
  await until(() => current.evaluate(() => document.getElementById('buoy-inbox')?.src.includes('/inbox.js') ?? false).catch(() => false), 'the current inbox module');
  // Told again by the loader: open, and on the tickets screen.
  const panel = page.frameLocator('iframe[title="Help"]');
  await panel.locator('#buoy-tickets:not([hidden])').waitFor();
  await sleep(1000);
  assert.equal(served.pages, 2, 'one reload');
  assert.deepEqual(problems.filter((p) => !/Failed to load resource/.test(p)), []);
  await context.close();
});
