// End to end: real Chromium opens the demo host page (a second origin),
// clicks the launcher, files a ticket in the wasm panel, and an agent
// reads it back from the worker running under workerd with local KV.
// `cargo xtask test` starts both servers on free ports and passes:
//   BUOY_WORKER_URL, BUOY_DEMO_URL, BUOY_AGENT_TOKEN, BUOY_CHROMIUM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage } from '../chromium.mjs';
import { browserFor } from '../browser.mjs';

const WORKER = process.env.BUOY_WORKER_URL;
const DEMO = process.env.BUOY_DEMO_URL;
const TOKEN = process.env.BUOY_AGENT_TOKEN;
const HOUR = 3600 * 1000;

const chrome = browserFor(WORKER, DEMO, TOKEN);

/** A page on the demo origin that records every console error and CSP violation. */
function openDemo() {
  return openPage(chrome.browser, DEMO);
}

async function agentQueue() {
  const response = await fetch(`${WORKER}/v1/agent/tickets?limit=100`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(response.status, 200);
  return (await response.json()).tickets;
}

test('a visitor files a ticket from the demo page and an agent reads it back', { timeout: 60_000 }, async () => {
  const { page, problems, context } = await openDemo();
  const launcher = page.getByRole('button', { name: 'Help' });
  await launcher.click();
  const panel = page.frameLocator('iframe[title="Help"]');
  // Focus moves into the panel on open: the iframe, then its search box.
  await page.waitForFunction(() => document.body.lastElementChild?.shadowRoot?.activeElement?.tagName === 'IFRAME');
  await panel.locator('#buoy-q:focus').waitFor();
  await panel.getByRole('button', { name: 'Send us a message' }).click();
  await panel.locator('#buoy-name:focus').waitFor();

  const subject = `Charged twice ${Date.now()}`;
  // An invalid email is refused in the panel, and nothing typed is lost.
  await panel.getByLabel('Your name (optional)').fill('Ada Lovelace');
  await panel.getByLabel('Email').fill('ada at example.com');
  await panel.getByLabel('Topic').selectOption('billing');
  await panel.getByLabel('Subject').fill(subject);
  await panel.getByLabel('Message').fill('My card was charged twice for November.');
  await panel.getByRole('button', { name: 'Send message' }).click();
  await panel.getByText('Please enter an email address such as name@example.com.').waitFor();
  assert.equal(await panel.getByLabel('Message').inputValue(), 'My card was charged twice for November.');

  await panel.getByLabel('Email').fill('ada@example.com');
  const sentAt = Date.now();
  await panel.getByRole('button', { name: 'Send message' }).click();
  await panel.getByText('Thanks, we have your message').waitFor();
  const reference = (await panel.locator('.ref').textContent()).trim();
  assert.match(reference, /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);

  const row = (await agentQueue()).find((t) => t.reference === reference);
  assert.ok(row, `the agent queue lists ${reference}`);
  assert.equal(row.subject, subject);
  // The queue lists rows; the ticket itself is read by id.
  const ticket = await (await fetch(`${WORKER}/v1/agent/tickets/${row.id}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json();
  assert.equal(ticket.subject, subject);
  assert.equal(ticket.message, 'My card was charged twice for November.');
  assert.equal(ticket.type, 'billing');
  assert.equal(ticket.status, 'new');
  assert.equal(ticket.segment, 'free');
  assert.equal(ticket.site, 'demo');
  assert.deepEqual(ticket.requester, { typed: { name: 'Ada Lovelace', email: 'ada@example.com' } });
  assert.equal(ticket.context.url, DEMO);
  assert.equal(ticket.context.title, 'Lumen Analytics — Dashboard');
  assert.ok(ticket.context.user_agent.includes('Chrome'));
  const created = Date.parse(ticket.created_at);
  assert.ok(Math.abs(created - sentAt) < 60_000, 'created now');
  // An anonymous requester is `free`: 24 h to first response, 72 h to
  // resolution (the tests' business calendar is open around the clock).
  const due = (metric) => Date.parse(ticket.clocks.find((c) => c.metric === metric).due);
  assert.equal(due('first_response') - created, 24 * HOUR);
  assert.equal(due('resolution') - created, 72 * HOUR);
  // Routing sent billing to finance.
  assert.equal(ticket.group, 'finance');
  assert.deepEqual(ticket.tags, ['billing']);

  // Escape closes the panel and gives focus back to the launcher.
  await panel.getByRole('button', { name: 'Send another message' }).focus();
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => document.body.lastElementChild?.shadowRoot?.activeElement?.tagName === 'BUTTON');
  assert.equal(await launcher.getAttribute('aria-expanded'), 'false');
  assert.equal(await page.locator('iframe[title="Help"]').isVisible(), false);
  assert.ok(await launcher.evaluate((el) => el.getRootNode().activeElement === el), 'focus is back on the launcher');

  assert.deepEqual(problems, [], 'no console errors or CSP violations on a strict-CSP host page');
  await context.close();
});

test('the launcher appears without inline script and the loader needs no style element', { timeout: 60_000 }, async () => {
  const { page, problems, context } = await openDemo();
  await page.getByRole('button', { name: 'Help' }).waitFor();
  assert.equal(await page.locator('style').count(), 0);
  assert.equal(await page.locator('[style]').count(), 0);
  await page.evaluate(() => window.Buoy('open'));
  await page.frameLocator('iframe[title="Help"]').getByLabel('Search help articles').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Help' }).getAttribute('aria-expanded'), 'true');
  await page.evaluate(() => window.Buoy('close'));
  assert.equal(await page.getByRole('button', { name: 'Help' }).getAttribute('aria-expanded'), 'false');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a host page view loads nothing of the panel until the launcher is pointed at or focused', { timeout: 60_000 }, async () => {
  for (const intent of ['pointer', 'keyboard']) {
    const { page, problems, context } = await openDemo();
    const asked = [];
    page.on('request', (r) => { if (r.url().startsWith(WORKER) && !r.url().endsWith('/buoy.js')) asked.push(new URL(r.url()).pathname); });
    const launcher = page.getByRole('button', { name: 'Help' });
    await launcher.waitFor();
    // Long past load and idle: nothing of the panel yet.
    await page.waitForTimeout(1500);
    assert.deepEqual(asked, [], `no panel request at load (${intent})`);
    assert.equal(page.frames().filter((f) => f.url().includes('/widget/')).length, 0, 'no panel frame at load');
    if (intent === 'pointer') await launcher.hover();
    else await launcher.focus();
    // The panel loads, closed, before any click; the click then finds it ready.
    await page.frameLocator('iframe[title="Help"]').locator('#buoy-q').waitFor({ state: 'attached' });
    assert.ok(asked.some((p) => p.startsWith('/widget/demo/')), `the panel's page fetched on ${intent} intent`);
    assert.equal(await launcher.getAttribute('aria-expanded'), 'false', 'still closed');
    await launcher.click();
    await page.frameLocator('iframe[title="Help"]').locator('#buoy-q:focus').waitFor();
    assert.deepEqual(problems, []);
    await context.close();
  }
});

test('calls queued before the loader arrives run once it has loaded', { timeout: 60_000 }, async () => {
  const context = await chrome.browser.newContext();
  // The optional inline stub of the README, run before any page script.
  await context.addInitScript(() => {
    window.Buoy = window.Buoy || function () { (Buoy.q = Buoy.q || []).push(arguments); };
    window.seen = [];
    Buoy('on', 'ready', () => window.seen.push('ready'));
    Buoy('on', 'open', () => window.seen.push('open'));
    Buoy('open');
  });
  const page = await context.newPage();
  await page.goto(DEMO);
  await page.frameLocator('iframe[title="Help"]').locator('#buoy-q:focus').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Help' }).getAttribute('aria-expanded'), 'true');
  await page.waitForFunction(() => window.seen.includes('ready'));
  assert.deepEqual(await page.evaluate(() => window.seen), ['open', 'ready']);
  await context.close();
});

const ticketBody = (subject) => JSON.stringify({
  site: 'demo', name: 'Grace', email: 'grace@example.com', type: 'bug', subject, message: 'The export stops at 99%.',
});

async function create(key, subject) {
  const response = await fetch(`${WORKER}/v1/tickets`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body: ticketBody(subject),
  });
  return { status: response.status, body: await response.json() };
}

test('the same Idempotency-Key, sent twice in a row, makes one ticket', { timeout: 60_000 }, async () => {
  const key = crypto.randomUUID();
  const subject = `Sequential retry ${key}`;
  const first = await create(key, subject);
  const second = await create(key, subject);
  assert.equal(first.status, 201);
  assert.equal(second.status, 200);
  assert.equal(second.body.id, first.body.id);
  assert.equal(second.body.requester_token, first.body.requester_token);
  const matching = (await agentQueue()).filter((t) => t.subject === subject);
  assert.equal(matching.length, 1);
});

test('the same Idempotency-Key, sent five times at once, makes one ticket', { timeout: 60_000 }, async () => {
  const key = crypto.randomUUID();
  const subject = `Concurrent retry ${key}`;
  const results = await Promise.all([1, 2, 3, 4, 5].map(() => create(key, subject)));
  for (const r of results) assert.ok(r.status === 201 || r.status === 200, `status ${r.status}`);
  assert.equal(new Set(results.map((r) => r.body.id)).size, 1);
  const matching = (await agentQueue()).filter((t) => t.subject === subject);
  assert.equal(matching.length, 1);
  // And the requester can read it with the token they were given.
  const { id, requester_token: token } = results[0].body;
  const own = await fetch(`${WORKER}/v1/tickets/${id}`, { headers: { 'buoy-requester-token': token } });
  assert.equal(own.status, 200);
  assert.equal((await own.json()).subject, subject);
  const wrong = await fetch(`${WORKER}/v1/tickets/${id}`, { headers: { 'buoy-requester-token': '0'.repeat(64) } });
  assert.equal(wrong.status, 404);
});

test('the worker answers bad input with problem+json, never 5xx', { timeout: 60_000 }, async () => {
  const post = (body, type = 'application/json') => fetch(`${WORKER}/v1/tickets`, { method: 'POST', headers: { 'content-type': type }, body });
  const cases = [
    [await post('{"site":'), 400, 'malformed_json'],
    [await post('a=b', 'application/x-www-form-urlencoded'), 415, 'unsupported_media_type'],
    [await post(JSON.stringify({ site: 'demo', message: 'x'.repeat(70 * 1024) })), 413, 'payload_too_large'],
    [await post(JSON.stringify({ site: 'demo', email: 'a@b.co', type: 'bug', subject: 's', message: 'm', segment: 'enterprise' })), 400, 'invalid_request'],
    [await post(JSON.stringify({ site: 'demo', email: 'a@b.co', type: 'bug', subject: '', message: 'm' })), 422, 'validation_failed'],
    [await fetch(`${WORKER}/v1/agent/tickets`), 401, 'unauthorized'],
    [await fetch(`${WORKER}/v1/agent/tickets`, { headers: { authorization: 'Bearer wrong' } }), 401, 'unauthorized'],
  ];
  for (const [response, status, code] of cases) {
    assert.equal(response.status, status);
    assert.equal(response.headers.get('content-type'), 'application/problem+json');
    assert.equal((await response.json()).code, code);
  }
});

test('the widget page may be framed only by the site\'s allowed origins', { timeout: 60_000 }, async () => {
  const page = await fetch(`${WORKER}/widget/demo/`);
  assert.equal(page.status, 200);
  const csp = page.headers.get('content-security-policy');
  assert.match(csp, /frame-ancestors http:\/\/127\.0\.0\.1:\*$/);
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
  assert.equal((await fetch(`${WORKER}/widget/no-such-site/`)).status, 404);
});
