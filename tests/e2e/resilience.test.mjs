// Nothing typed is lost: the panel queues a ticket in its own storage from
// the first send, retries with jittered back-off through network errors,
// 503 and 429 (honouring Retry-After), waits while offline, survives a
// reload mid-send, and clears it only after a 2xx — and the worker, seeing
// one idempotency key, makes exactly one ticket.
// `cargo xtask test` passes BUOY_WORKER_URL, BUOY_DEMO_URL, BUOY_AGENT_TOKEN, BUOY_CHROMIUM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage } from '../chromium.mjs';
import { browserFor } from '../browser.mjs';
import { sleep, until } from '../wait.mjs';

const WORKER = process.env.BUOY_WORKER_URL;
const DEMO = process.env.BUOY_DEMO_URL;
const TOKEN = process.env.BUOY_AGENT_TOKEN;

const chrome = browserFor(WORKER, DEMO, TOKEN);

const problem = (status, code) => ({
  status,
  contentType: 'application/problem+json',
  headers: status === 429 ? { 'retry-after': '1' } : {},
  body: JSON.stringify({ type: 'about:blank', title: code, status, code }),
});

test('a ticket survives aborts, 503, 429, going offline and a reload mid-send, and arrives once', { timeout: 120_000 }, async () => {
  const { page, problems, context } = await openPage(chrome.browser, DEMO);
  const attempts = [];
  let hang = null;
  await context.route(`${WORKER}/v1/tickets`, async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    const n = attempts.push(route.request().headers()['idempotency-key']);
    if (n === 1) return route.abort('connectionreset');
    if (n === 2) return route.fulfill(problem(503, 'internal'));
    if (n === 3) return route.fulfill(problem(429, 'rate_limited'));
    if (n === 4) {
      // In flight when the page reloads: never answered.
      hang = route;
      return undefined;
    }
    return route.continue();
  });

  await page.getByRole('button', { name: 'Help' }).click();
  const panel = page.frameLocator('iframe[title="Help"]');
  const frame = () => page.frames().find((f) => f.url().includes('/widget/'));
  await panel.getByRole('button', { name: 'Send us a message' }).click();
  assert.equal(await frame().evaluate(() => localStorage.length), 0, 'nothing stored before the requester sends');
  const subject = `Sync never finishes ${Date.now()}`;
  const message = 'The sync spinner runs forever.\nSteps: open Reports, press Sync.\nExpected: done in a minute.';
  await panel.getByLabel('Email').fill('lin@example.com');
  await panel.getByLabel('Topic').selectOption('bug');
  await panel.getByLabel('Subject').fill(subject);
  await panel.getByLabel('Message').fill(message);
  await panel.getByRole('button', { name: 'Send message' }).click();

  // The first try fails: the requester is told, and the text stays.
  await panel.getByText('Your message is saved and will be sent once you are back online.').waitFor();
  assert.equal(await panel.getByLabel('Message').inputValue(), message);
  const queued = await frame().evaluate(() => Object.keys(localStorage).filter((k) => k.includes(':out:')).length);
  assert.equal(queued, 1, 'queued in the panel storage from the first send');

  // It is tried again by itself: 503, then 429 (Retry-After: 1).
  await until(() => attempts.length >= 3, 'the 503 and the 429');
  await panel.getByText('Too many messages at once.').waitFor();

  // Offline: no tries at all while it lasts.
  await context.setOffline(true);
  const offlineAt = attempts.length;
  await sleep(4000);
  assert.equal(attempts.length, offlineAt, 'nothing is sent while offline');
  await context.setOffline(false);
  await until(() => hang !== null, 'the try after going back online');

  // A reload while that try is in flight: the queued ticket is sent again from storage.
  await page.reload();
  await until(() => attempts.length >= 5, 'the try after the reload');
  assert.equal(new Set(attempts).size, 1, 'one idempotency key from the first send to the last');

  // Exactly one ticket, with the full text.
  let ours = [];
  await until(async () => {
    const queue = await (await fetch(`${WORKER}/v1/agent/tickets?limit=100`, { headers: { authorization: `Bearer ${TOKEN}` } })).json();
    ours = queue.tickets.filter((t) => t.subject === subject);
    return ours.length > 0;
  }, 'the ticket to arrive');
  await sleep(1500);
  const again = await (await fetch(`${WORKER}/v1/agent/tickets?limit=100`, { headers: { authorization: `Bearer ${TOKEN}` } })).json();
  ours = again.tickets.filter((t) => t.subject === subject);
  assert.equal(ours.length, 1, 'exactly one ticket');
  const stored = await (await fetch(`${WORKER}/v1/agent/tickets/${ours[0].id}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json();
  assert.equal(stored.message, message, 'the full text');
  // Cleared from the outbox only after the 2xx, and listed under "Your tickets".
  await until(async () => (await frame().evaluate(() => Object.keys(localStorage).filter((k) => k.includes(':out:')).length)) === 0, 'the outbox to empty');
  await page.getByRole('button', { name: 'Help' }).click();
  const reopened = page.frameLocator('iframe[title="Help"]');
  await reopened.getByRole('button', { name: 'Your tickets' }).first().click();
  await reopened.locator('#buoy-mine button', { hasText: subject }).waitFor();
  const unexpected = problems.filter((p) => !/Failed to load resource|ERR_CONNECTION_RESET|ERR_INTERNET_DISCONNECTED|status of (429|503)/.test(p));
  assert.deepEqual(unexpected, []);
  await context.close();
});
