// A site with its own ticket types and its own calendar (site `shelf` of
// tests/buoy.toml: London hours; its invoices are routed to `us-billing`,
// which works New York hours). The panel lists the site's types with their
// labels in its language and files one; the API takes only the site's
// types; a ticket keeps the calendar its site or group chose, and its due
// times fall in that calendar's open hours; a type's playbook escalates.
// `cargo xtask test` passes BUOY_WORKER_URL, BUOY_DEMO_URL, BUOY_AGENT_TOKEN
// (the panel, on the workerd dev server) and BUOY_TEST_WORKER (the API
// under Miniflare, with this file's own agent token).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { beforeLoader, browserFor, widgetFrame } from '../browser.mjs';
import { startWorker } from '../miniflare.mjs';

const WORKER = process.env.BUOY_WORKER_URL?.replace(/\/$/, '');
const DEMO = process.env.BUOY_DEMO_URL;
const chrome = browserFor(WORKER, DEMO, process.env.BUOY_AGENT_TOKEN);
const SHELF_TOKEN = randomBytes(32).toString('hex');

let mf;

before(async () => {
  mf = await startWorker({ bindings: { BUOY_SECRET: randomBytes(32).toString('hex'), BUOY_SHELF_AGENT_TOKEN: SHELF_TOKEN } });
});

after(async () => {
  await mf?.dispose();
});

/** Files a ticket of `type` on site `shelf` through the API: the status and the answer. */
async function file(type) {
  const response = await mf.dispatchFetch('http://buoy.test/v1/tickets', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ site: 'shelf', name: 'Ada', email: 'ada@example.com', type, subject: 'Help', message: 'Please help.' }),
  });
  return { status: response.status, body: await response.json() };
}

/** The shelf agent's view of a ticket. */
async function agentView(id) {
  const response = await mf.dispatchFetch(`http://buoy.test/v1/agent/tickets/${id}`, { headers: { authorization: `Bearer ${SHELF_TOKEN}` } });
  assert.equal(response.status, 200);
  return response.json();
}

/** The weekday and minutes past midnight of `instant` in `zone`. */
function local(instant, zone) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone: zone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(new Date(instant))
      .map((p) => [p.type, p.value]),
  );
  return { weekday: parts.weekday, minutes: Number(parts.hour) * 60 + Number(parts.minute) };
}

/** Opens the demo host page with the panel of site `shelf` in `locale`, on its form. */
async function shelfForm(locale) {
  const context = await chrome.browser.newContext();
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(String(e)));
  await beforeLoader(page, { init: { site: 'shelf', locale } });
  await page.goto(DEMO);
  await page.locator('button.l').click();
  const frame = await widgetFrame(page);
  await frame.locator('#buoy-q:focus').waitFor();
  return { context, page, frame, problems };
}

test('the panel lists the site\'s own types, labelled in its language, and files one', { timeout: 90_000 }, async () => {
  const expected = {
    en: [['returns', 'Returns & refunds'], ['invoices', 'Invoices'], ['how_to', 'Using the shelf']],
    // No German label for how_to: English's, the site's own locale being English.
    de: [['returns', 'Rücksendungen'], ['invoices', 'Rechnungen'], ['how_to', 'Using the shelf']],
  };
  for (const [locale, types] of Object.entries(expected)) {
    const { context, frame, problems } = await shelfForm(locale);
    const options = await frame.locator('#buoy-type option').evaluateAll((os) => os.filter((o) => o.value).map((o) => [o.value, o.textContent]));
    assert.deepEqual(options, types, `${locale}: the form's select`);
    const topics = await frame.locator('[data-kind]').evaluateAll((bs) => bs.map((b) => [b.dataset.kind, b.textContent]));
    assert.deepEqual(topics, types, `${locale}: the home screen's topics`);
    if (locale === 'en') {
      // A topic opens the form on its type, and the ticket goes through.
      await frame.getByRole('button', { name: 'Returns & refunds' }).click();
      await frame.locator('#buoy-name:focus').waitFor();
      assert.equal(await frame.getByLabel('Topic').inputValue(), 'returns');
      await frame.getByLabel('Email').fill('ada@example.com');
      await frame.getByLabel('Subject').fill('The shelf arrived broken');
      await frame.getByLabel('Message').fill('One of the brackets is bent.');
      await frame.getByRole('button', { name: 'Send message' }).click();
      await frame.getByText('Thanks, we have your message').waitFor();
    }
    assert.deepEqual(problems, []);
    await context.close();
  }
});

test('the API takes only the site\'s types and names the field for another', { timeout: 30_000 }, async () => {
  assert.equal((await file('returns')).status, 201);
  const refused = await file('bug');
  assert.equal(refused.status, 422, 'a built-in type the site does not offer');
  assert.deepEqual(refused.body.errors, [{ field: 'type', code: 'unknown_type' }]);
  // The demo site keeps the built-in types and has none of shelf's.
  const demo = await mf.dispatchFetch('http://buoy.test/v1/tickets', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ site: 'demo', email: 'ada@example.com', type: 'returns', subject: 'Help', message: 'Please help.' }),
  });
  assert.equal(demo.status, 422);
  assert.deepEqual((await demo.json()).errors, [{ field: 'type', code: 'unknown_type' }]);
});

test('a ticket keeps its site\'s or its group\'s calendar, and is due in that calendar\'s hours', { timeout: 30_000 }, async () => {
  const [returns, invoices] = [(await file('returns')).body, (await file('invoices')).body];
  const [london, newYork] = [await agentView(returns.id), await agentView(invoices.id)];
  // The site's calendar; the group routing chose has its own.
  assert.equal(london.sla.calendar, 'emea');
  assert.deepEqual([newYork.group, newYork.sla.calendar], ['us-billing', 'americas']);
  const due = (view) => Date.parse(view.clocks.find((c) => c.metric === 'first_response').due);
  // Filed within a second of each other: 24 business hours (free) end at
  // different instants, each inside its own calendar's weekday hours.
  assert.notEqual(due(london), due(newYork));
  const weekdays = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'];
  for (const [view, zone, closes] of [[london, 'Europe/London', 17 * 60 + 30], [newYork, 'America/New_York', 17 * 60]]) {
    const at = local(due(view), zone);
    assert.ok(weekdays.includes(at.weekday), `${zone}: due on a weekday, not ${at.weekday}`);
    assert.ok(at.minutes > 9 * 60 && at.minutes <= closes, `${zone}: due within open hours, not at minute ${at.minutes}`);
  }
});

test('a type\'s playbook escalates its tickets', { timeout: 30_000 }, async () => {
  const { body: ticket } = await file('returns');
  const { body: other } = await file('invoices');
  const worker = await mf.getWorker();
  const result = await worker.scheduled({ scheduledTime: new Date(Date.now() + 60_000), cron: '* * * * *' });
  assert.equal(result.outcome, 'ok');
  const escalated = await agentView(ticket.id);
  assert.equal(escalated.state.tier, 2);
  assert.ok(escalated.events.some((e) => e.kind === 'escalated' && e.reason === 'Returns go to tier 2 at once'));
  assert.equal((await agentView(other.id)).state.tier, 1, 'invoices have no playbook');
});
