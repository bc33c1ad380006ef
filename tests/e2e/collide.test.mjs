// Two agents on one queue, end to end: two consoles in Chromium on the
// worker under workerd, whose tickets' rooms (a Durable Object each) check
// collisions and keep presence. Each console sees the other agent on the
// ticket; one replies; the other's reply is refused (409) with what
// changed, keeps its text, and is sent once seen. A bulk change solves
// three tickets picked in the queue, each with its own event.
// `cargo xtask test` starts the worker and passes BUOY_WORKER_URL,
// BUOY_AGENT_TOKEN, BUOY_SECOND_AGENT_TOKEN and BUOY_CHROMIUM.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium } from '../chromium.mjs';
import { signedInConsole } from '../browser.mjs';
import { violations } from '../axe.mjs';
import { call, fileTicket as fileRequest } from '../api.mjs';

const WORKER = process.env.BUOY_WORKER_URL;
const TOKEN = process.env.BUOY_AGENT_TOKEN;
const SECOND = process.env.BUOY_SECOND_AGENT_TOKEN;
// Presence beats every 10 s: a change shows within one beat of each console.
const BEAT_WAIT = { timeout: 25_000 };

let browser;

before(async () => {
  assert.ok(WORKER && TOKEN && SECOND, 'run through `cargo xtask test`, which starts the worker');
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

/** A ticket filed as a requester would; `subject` is unique. */
const fileTicket = (type = 'bug') => fileRequest({ type });

/** A signed-in console in a fresh context, at `hash`. */
const consoleAs = (token, hash = '') => signedInConsole(browser, token, hash);

const messages = async (id) => (await call(`/v1/agent/tickets/${id}`, { token: TOKEN })).json.events.filter((e) => e.kind === 'message');

test('two consoles on one ticket: presence, a refused reply that keeps its text, then sent once seen', { timeout: 180_000 }, async () => {
  const ticket = await fileTicket();
  const a = await consoleAs(TOKEN, `#ticket=${ticket.id}`);
  const b = await consoleAs(SECOND, `#ticket=${ticket.id}`);
  for (const { page } of [a, b]) await page.getByRole('heading', { name: ticket.subject }).waitFor();

  // Each sees the other on the ticket.
  await a.page.locator('#presence', { hasText: 'Second agent is viewing' }).waitFor(BEAT_WAIT);
  await b.page.locator('#presence', { hasText: 'Test agent is viewing' }).waitFor(BEAT_WAIT);

  // B starts a reply: A sees B replying.
  const bText = 'Try signing out and in again; your drafts are kept.';
  await b.page.getByLabel('Reply to the requester').fill(bText);
  await a.page.locator('#presence', { hasText: 'Second agent is replying' }).waitFor(BEAT_WAIT);

  // A replies first.
  const aText = 'We restored your changes from last night’s backup.';
  await a.page.getByLabel('Reply to the requester').fill(aText);
  await a.page.getByRole('button', { name: 'Send reply' }).click();
  await a.page.getByRole('status').filter({ hasText: 'Reply sent.' }).waitFor();
  assert.deepEqual((await messages(ticket.id)).map((m) => m.body), [aText]);

  // B sends: refused, with what changed, and B's text is still there.
  await b.page.getByRole('button', { name: 'Send reply' }).click();
  const conflict = b.page.locator('#conflict');
  await conflict.waitFor();
  assert.equal(await b.page.locator('#conflict-title').textContent(), 'Not sent: someone else wrote on this ticket while you were typing.');
  const changed = await b.page.locator('#conflict-list li').allTextContents();
  assert.equal(changed.length, 1, changed.join(' | '));
  assert.ok(changed[0].endsWith(`Test agent replied: “${aText}”`), changed[0]);
  assert.equal(await b.page.getByLabel('Reply to the requester').inputValue(), bText, 'the typed reply is kept');
  assert.equal(await b.page.evaluate(() => document.activeElement?.id), 'conflict-title', 'focus moves to what changed');
  // B's thread now shows A's reply too; nothing of B's was recorded.
  await b.page.locator('#thread', { hasText: aText }).waitFor();
  assert.deepEqual((await messages(ticket.id)).map((m) => m.body), [aText]);
  assert.deepEqual(await violations(b.page), [], 'axe, with the conflict shown');

  // Having seen it, B sends anyway.
  await b.page.getByRole('button', { name: 'Send mine anyway' }).click();
  await b.page.getByRole('status').filter({ hasText: 'Reply sent.' }).waitFor();
  await conflict.waitFor({ state: 'hidden' });
  assert.equal(await b.page.getByLabel('Reply to the requester').inputValue(), '');
  const sent = await messages(ticket.id);
  assert.deepEqual(sent.map((m) => [m.by, m.body]), [['Test agent', aText], ['Second agent', bText]]);

  // A's view catches up from the room (the beat names the latest event).
  await a.page.locator('#thread', { hasText: bText }).waitFor(BEAT_WAIT);
  // Leaving the ticket ends presence at once for the other.
  await b.page.getByRole('button', { name: '← Back to queue' }).click();
  await a.page.locator("#presence", { hasText: "Second agent" }).waitFor({ state: "detached", ...BEAT_WAIT });
  assert.equal(await a.page.locator('#presence').textContent(), '');

  assert.deepEqual(a.problems, []);
  // B's refused send is a 409, which Chromium logs as a failed load.
  assert.deepEqual(b.problems.filter((p) => !p.includes('409')), []);
  await a.context.close();
  await b.context.close();
});

test('a bulk solve of three tickets picked in the queue records each its own change', { timeout: 120_000 }, async () => {
  // Their own type, so the queue filtered by it shows them on one page.
  const tickets = [await fileTicket('feature_request'), await fileTicket('feature_request'), await fileTicket('feature_request')];
  const { page, problems, context } = await consoleAs(TOKEN, '#type=feature_request&status=new');
  const row = (t) => page.locator('#queue li', { hasText: t.subject });
  for (const t of tickets) await row(t).waitFor();

  // By keyboard: the row's button, then `x`; by pointer: the checkbox.
  await row(tickets[0]).locator('button.ticket').focus();
  await page.keyboard.press('x');
  await row(tickets[1]).getByRole('checkbox').check();
  await row(tickets[2]).getByRole('checkbox', { name: `Select ${tickets[2].reference}: ${tickets[2].subject}` }).check();
  await page.locator('#bulk-count', { hasText: '3 tickets selected' }).waitFor();
  assert.ok(await row(tickets[0]).getByRole('checkbox').isChecked(), '`x` picks the selected row');
  assert.deepEqual(await violations(page), [], 'axe, with the bulk form shown');

  await page.getByLabel('Set status').selectOption('solved');
  await page.getByLabel('Add tags, comma-separated').fill('sync');
  await page.getByRole('button', { name: 'Apply to selected' }).click();
  await page.getByRole('status').filter({ hasText: '3 of 3 tickets changed.' }).waitFor();
  await page.locator('#bulk').waitFor({ state: 'hidden' });

  for (const t of tickets) {
    const { json: view } = await call(`/v1/agent/tickets/${t.id}`, { token: TOKEN });
    assert.equal(view.state.status, 'solved');
    assert.deepEqual(view.state.tags, ['sync']);
    const changes = view.events.filter((e) => e.kind === 'changed');
    assert.equal(changes.length, 1, JSON.stringify(view.events));
    assert.equal(changes[0].by, 'Test agent');
  }
  // The queue draws the agent's own change at once (solved tickets leave `status=new`).
  for (const t of tickets) await row(t).waitFor({ state: 'detached' });

  // One refused ticket does not hide the others: a ticket id that is not one.
  const other = await fileTicket('feature_request');
  const { status, json } = await call('/v1/agent/bulk', { token: TOKEN, body: { tickets: [other.id, 'no-such-ticket'], status: 'pending' } });
  assert.equal(status, 200);
  assert.deepEqual(json.results.map((r) => [r.id, r.status]), [[other.id, 200], ['no-such-ticket', 404]]);
  assert.equal(json.results[1].problem.code, 'not_found');
  assert.deepEqual(problems, []);
  await context.close();
});
