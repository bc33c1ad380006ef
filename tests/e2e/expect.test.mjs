// Honest expectations end to end: the closed line over the open intervals
// the worker writes into a site's widget page (`#buoy-hours`, site `hours`
// of tests/buoy.toml: London office hours), decided by the browser's clock
// (Playwright's `page.clock`); when a first reply is due after sending;
// and whose move a waiting ticket is. The shared worker runs at the real
// time, so the browser's clock is set within the three weeks the page
// carries; a worker of this file's own (Miniflare) runs from an instant of
// its choosing instead: the README's Friday 16:00, the week of Christmas.
// `cargo xtask test` passes BUOY_WORKER_URL, BUOY_DEMO_URL, BUOY_AGENT_TOKEN,
// BUOY_IDENTITY_SECRET, BUOY_CHROMIUM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { browserFor, beforeLoader, widgetFrame } from '../browser.mjs';
import { identityOf, signIdentity } from '../api.mjs';
import { startWorker } from '../miniflare.mjs';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const WORKER = process.env.BUOY_WORKER_URL;
const DEMO = process.env.BUOY_DEMO_URL;
const TOKEN = process.env.BUOY_AGENT_TOKEN;
const SECRET = process.env.BUOY_IDENTITY_SECRET;
const HOUR = 3600 * 1000;
const ZONE = 'Europe/London';

const chrome = browserFor(WORKER, DEMO, TOKEN, SECRET);

/** The open intervals a site's widget page carries, in ms. */
async function intervalsOf(site, worker = WORKER) {
  const html = await (await fetch(`${worker}/widget/${site}/`)).text();
  const block = html.split('<script type="application/json" id="buoy-hours">')[1]?.split('</script>')[0];
  assert.ok(block, 'the page carries its open hours');
  const { o, a } = JSON.parse(block);
  // Openings and closings alternate: pairs of [start, end] in Unix seconds.
  return { hours: { a, o: o.flatMap((at, i) => (i % 2 ? [] : [[at, o[i + 1]]])) } };
}

/** The first instant after `from` whose London weekday and hour match, outside every interval when `closed`. */
function nextLocal(from, weekday, hour) {
  for (let at = Math.ceil(from / HOUR) * HOUR; at < from + 21 * 24 * HOUR; at += HOUR) {
    const parts = Object.fromEntries(new Intl.DateTimeFormat('en', { timeZone: ZONE, weekday: 'long', hour: '2-digit', hourCycle: 'h23' })
      .formatToParts(at).map((p) => [p.type, p.value]));
    if (parts.weekday === weekday && Number(parts.hour) === hour) return at;
  }
  throw new Error(`no ${weekday} ${hour}:00 within three weeks`);
}

const inside = (open, at) => open.some(([s, e]) => at >= s * 1000 && at < e * 1000);

/** The widget page of `site` alone, its clock fixed at `at`, in London. */
async function widgetAt(site, at, worker = WORKER) {
  const context = await chrome.browser.newContext({ timezoneId: ZONE, locale: 'en-GB' });
  const page = await context.newPage();
  await page.clock.setFixedTime(at);
  await page.goto(`${worker}/widget/${site}/`);
  await page.locator('#buoy:not([data-starting])').waitFor();
  return { page, context };
}

/** Files a ticket from the demo site's widget page alone, in London; its API answer. */
async function fileTicket(subject) {
  const context = await chrome.browser.newContext({ timezoneId: ZONE });
  const page = await context.newPage();
  await page.goto(`${WORKER}/widget/demo/`);
  await page.locator('#buoy:not([data-starting])').waitFor();
  await page.getByRole('button', { name: 'Send us a message' }).click();
  await page.getByLabel('Email').fill('ada@example.com');
  await page.getByLabel('Topic').selectOption('bug');
  await page.getByLabel('Subject').fill(subject);
  await page.getByLabel('Message').fill('When will you answer?');
  const answer = page.waitForResponse((r) => r.url().endsWith('/v1/tickets') && r.request().method() === 'POST');
  await page.getByRole('button', { name: 'Send message' }).click();
  return { context, page, created: await (await answer).json() };
}

const closedLine = (page) => page.locator('#buoy-closed');

test('on a Saturday the home screen and the form say support is closed and when it opens; at an open hour they say nothing', { timeout: 60_000 }, async () => {
  const { hours } = await intervalsOf('hours');
  assert.deepEqual(hours.a, ['enterprise'], 'enterprise first responses count every hour');
  const saturday = nextLocal(Date.now(), 'Saturday', 12);
  assert.ok(!inside(hours.o, saturday), 'Saturday noon is outside every interval the page carries');
  const opening = hours.o.map(([s]) => s * 1000).find((s) => s > saturday);
  assert.ok(opening, 'the page knows the next opening');
  const opensAt = new Date(opening).toLocaleString('en', { timeZone: ZONE, hour: '2-digit', minute: '2-digit' });
  const opensOn = new Date(opening).toLocaleString('en', { timeZone: ZONE, weekday: 'long' });
  assert.deepEqual([opensAt, opensOn.length > 0], ['09:00 AM', true], 'a London opening is 09:00 local');

  const closed = await widgetAt('hours', saturday);
  const expected = `We’re closed now. We open at ${opensAt} your time (${opensOn}).`;
  assert.equal(await closedLine(closed.page).textContent(), expected);
  await closedLine(closed.page).waitFor();
  await closed.page.getByRole('button', { name: 'Send us a message' }).click();
  const formLine = closed.page.locator('#buoy-closed-form');
  await formLine.waitFor();
  assert.equal(await formLine.textContent(), expected, 'the form says it before anyone writes');
  await closed.context.close();

  const monday = nextLocal(opening, 'Monday', 10);
  const open = await widgetAt('hours', inside(hours.o, monday) ? monday : opening + HOUR);
  assert.equal(await closedLine(open.page).isHidden(), true, 'no line while open');
  await open.context.close();
});

test('an enterprise requester (verified) is not told support is closed: their first response counts every hour', { timeout: 60_000 }, async () => {
  const { hours } = await intervalsOf('hours');
  const saturday = nextLocal(Date.now(), 'Saturday', 12);
  for (const [segment, shown] of [['enterprise', false], ['business', true]]) {
    const context = await chrome.browser.newContext({ timezoneId: ZONE });
    const page = await context.newPage();
    await page.clock.setFixedTime(saturday);
    await beforeLoader(page, { init: { site: 'hours' } });
    await page.goto(DEMO);
    await page.evaluate((who) => window.Buoy('identify', who), identityOf(SECRET, { id: `u_${segment}`, segment }));
    await page.getByRole('button', { name: 'Help' }).click();
    const frame = await widgetFrame(page);
    await frame.locator('#buoy:not([data-starting])').waitFor();
    await frame.locator('#buoy-q:focus').waitFor();
    const line = frame.locator('#buoy-closed');
    if (shown) await line.waitFor();
    assert.equal(await line.isVisible(), shown, `${segment}: ${await line.textContent()}`);
    assert.ok(!inside(hours.o, saturday));
    await context.close();
  }
});

test('after sending, the panel says when a first reply is due, from the ticket\'s own stamp, in the requester\'s zone and language', { timeout: 60_000 }, async () => {
  const { context, page, created } = await fileTicket(`Due ${Date.now()}`);
  // Anonymous (free), normal: 24 business hours; the tests' default calendar never closes.
  assert.equal(Date.parse(created.first_response_due) - Date.parse(created.created_at), 24 * HOUR);
  // Written by the worker in the zone the panel reported (the browser's), as mail writes dates.
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {
    timeZone: ZONE, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short',
  }).formatToParts(Date.parse(created.first_response_due)).map((p) => [p.type, p.value]));
  const by = `${parts.weekday} ${parts.day} ${parts.month} ${parts.year}, ${parts.hour}:${parts.minute} ${parts.timeZoneName}`;
  const line = `We usually reply within 24 business hours — by ${by}.`;
  assert.equal(created.first_response_line, line);
  const due = page.locator('#buoy-due');
  await due.waitFor();
  assert.equal(await due.textContent(), line);
  await context.close();
});

test('a waiting ticket says it waits on the team until an agent replies, then on the requester', { timeout: 90_000 }, async () => {
  const subject = `Waiting ${Date.now()}`;
  const { context, page, created: { id, reference } } = await fileTicket(subject);
  await page.locator('#buoy-sent').getByRole('button', { name: 'Your tickets' }).click();
  await page.getByRole('button', { name: new RegExp(subject) }).click();
  const status = page.locator('#buoy-thread-status');
  await status.filter({ hasText: 'Waiting on our team' }).waitFor();
  assert.equal(await status.textContent(), `${reference} · Received · Waiting on our team`);

  const reply = await fetch(`${WORKER}/v1/agent/tickets/${id}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ body: 'Try turning it off and on again.', public: true }),
  });
  assert.equal(reply.status, 201);
  // The open panel polls every 10 s.
  await status.filter({ hasText: 'Waiting for your reply' }).waitFor({ timeout: 30_000 });
  assert.equal(await status.textContent(), `${reference} · Open · Waiting for your reply`);
  await context.close();
});

/** A customer's page on a free loopback port, embedding the loader of the worker its `worker` parameter names. */
async function serveHostPage() {
  const server = createServer((request, response) => {
    const worker = new URL(request.url, 'http://host').searchParams.get('worker') ?? '';
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(`<!doctype html><html lang="en"><title>Account</title><script async src="${worker}/buoy.js" data-site="hours"></script>`);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}/account` };
}

/** The test worker under Miniflare, its clock running from `at`, serving the widget's pages; its URL without the trailing slash. */
async function workerAt(at) {
  const mf = await startWorker({ at, pages: true, bindings: { BUOY_SECRET: randomBytes(32).toString('hex'), BUOY_IDENTITY_SECRET: SECRET } });
  return { mf, url: (await mf.ready).toString().replace(/\/$/, '') };
}

test('a business ticket filed on Friday 16:00 in London is due on Monday 11:00, as the README\'s example says, and the panel says so', { timeout: 90_000 }, async () => {
  // The README's sentence, whatever its line breaks.
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
  const quoted = readme.match(/"(We usually reply within [^"]+)" for the business ticket of the example under \*Service levels\* \(Friday 16:00 London\)/)?.[1];
  assert.ok(quoted, 'the README quotes the line for its Friday example');
  assert.match(readme, /a business ticket \(normal priority\) that arrives on Friday 2026-12-04 at 16:00 London time has 1 h of Friday left and is due on Monday 2026-12-07 at 11:00/);

  const friday = '2026-12-04T16:00:00Z'; // GMT in December: 16:00 in London.
  const { mf, url } = await workerAt(friday);
  const context = await chrome.browser.newContext({ timezoneId: ZONE, locale: 'en-GB' });
  const hostPage = await serveHostPage();
  try {
    const page = await context.newPage();
    await page.clock.setFixedTime(friday);
    // A customer's page on another origin (any loopback port is allowed), with the loader of this worker.
    await page.goto(`${hostPage.url}?worker=${encodeURIComponent(url)}`);
    await page.waitForFunction(() => typeof window.Buoy === 'function');
    // A business customer, signed by the product's backend an hour before the worker's clock says it expires.
    const claim = { id: 'u_friday', email: 'grace@example.org', segment: 'business', exp: Date.parse(friday) / 1000 + 3600 };
    await page.evaluate((who) => window.Buoy('identify', who), { ...claim, signature: signIdentity(SECRET, claim) });
    await page.getByRole('button', { name: 'Help' }).click();
    const frame = await widgetFrame(page);
    await frame.locator('#buoy:not([data-starting])').waitFor();
    // Friday 16:00 is within the site's hours: nothing says it is closed.
    assert.equal(await frame.locator('#buoy-closed').isHidden(), true);
    await frame.getByRole('button', { name: 'Send us a message' }).click();
    if (await frame.getByLabel('Email').isEditable()) await frame.getByLabel('Email').fill(claim.email);
    await frame.getByLabel('Topic').selectOption('bug');
    await frame.getByLabel('Subject').fill('Invoices will not download');
    await frame.getByLabel('Message').fill('The export fails since this morning.');
    const answer = page.waitForResponse((r) => r.url().endsWith('/v1/tickets') && r.request().method() === 'POST');
    await frame.getByRole('button', { name: 'Send message' }).click();
    const created = await (await answer).json();
    assert.equal(created.created_at.slice(0, 16), '2026-12-04T16:00', 'filed at the worker\'s Friday 16:00');
    // The worker's clock runs on from 16:00: the ticket arrived a few seconds past, and is due as many past 11:00.
    const late = Date.parse(created.created_at) - Date.parse(friday);
    assert.ok(late >= 0 && late < 60_000, created.created_at);
    assert.deepEqual([created.first_response_hours, Date.parse(created.first_response_due) - late], ['business', Date.parse('2026-12-07T11:00:00Z')]);
    const due = frame.locator('#buoy-due');
    await due.waitFor();
    assert.equal(await due.textContent(), `${quoted}.`);
    assert.equal(created.first_response_line, `${quoted}.`);
  } finally {
    await context.close();
    hostPage.server.close();
    await mf.dispose();
  }
});

test('on a holiday that falls on a weekday the panel says support is closed, and opens after the next holiday too', { timeout: 60_000 }, async () => {
  // The worker's clock on the Monday of Christmas week: its pages carry the three weeks from then.
  const { mf, url } = await workerAt('2026-12-21T09:30:00Z');
  try {
    const { hours } = await intervalsOf('hours', url);
    const christmas = Date.parse('2026-12-25T12:00:00Z'); // a Friday, and a holiday of the site's calendar
    assert.ok(!inside(hours.o, christmas), 'Christmas noon is outside every interval the page carries');
    assert.ok(inside(hours.o, Date.parse('2026-12-24T12:00:00Z')), 'the day before is open');
    // 28 December (Monday) is a holiday too: the next opening is Tuesday 29 December, 09:00 London.
    assert.equal(hours.o.map(([s]) => s * 1000).find((s) => s > christmas), Date.parse('2026-12-29T09:00:00Z'));
    const closed = await widgetAt('hours', christmas, url);
    assert.equal(await closedLine(closed.page).textContent(), 'We’re closed now. We open at 09:00 AM your time (Tuesday).');
    await closed.context.close();
  } finally {
    await mf.dispose();
  }
});
