// Honest expectations end to end: the closed line over the open intervals
// the worker writes into a site's widget page (`#buoy-hours`, site `hours`
// of tests/buoy.toml: London office hours), decided by the browser's clock
// (Playwright's `page.clock`); when a first reply is due after sending;
// and whose move a waiting ticket is. The worker runs at the real time,
// so the browser's clock is set within the three weeks the page carries.
// `cargo xtask test` passes BUOY_WORKER_URL, BUOY_DEMO_URL, BUOY_AGENT_TOKEN,
// BUOY_IDENTITY_SECRET, BUOY_CHROMIUM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { browserFor, beforeLoader, widgetFrame } from '../browser.mjs';
import { identityOf } from '../api.mjs';

const WORKER = process.env.BUOY_WORKER_URL;
const DEMO = process.env.BUOY_DEMO_URL;
const TOKEN = process.env.BUOY_AGENT_TOKEN;
const SECRET = process.env.BUOY_IDENTITY_SECRET;
const HOUR = 3600 * 1000;
const ZONE = 'Europe/London';

const chrome = browserFor(WORKER, DEMO, TOKEN, SECRET);

/** The open intervals a site's widget page carries, in ms. */
async function intervalsOf(site) {
  const html = await (await fetch(`${WORKER}/widget/${site}/`)).text();
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
async function widgetAt(site, at) {
  const context = await chrome.browser.newContext({ timezoneId: ZONE, locale: 'en-GB' });
  const page = await context.newPage();
  await page.clock.setFixedTime(at);
  await page.goto(`${WORKER}/widget/${site}/`);
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
