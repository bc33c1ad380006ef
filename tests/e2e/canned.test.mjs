// Canned replies, end to end: Chromium → the console → the worker under
// workerd. A lead (here the Second agent, an admin: leads and above edit
// them) saves one with variables and actions on the Canned replies screen,
// where an unknown variable is refused with a clear error; a plain agent
// cannot save one (403) and has no such screen, but uses it on a ticket:
// `m` opens the picker, typing filters it, the preview shows the
// requester's first name and the reference filled in, Enter inserts it,
// and Send sends it through the ordinary reply path, then its actions as
// one change. The requester reads the rendered text; the ticket has the
// status, tag and assignee the actions set.
// `cargo xtask test` starts the worker and passes BUOY_WORKER_URL,
// BUOY_AGENT_TOKEN, BUOY_SECOND_AGENT_TOKEN and BUOY_CHROMIUM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { browserFor, signedInConsole } from '../browser.mjs';
import { violations } from '../axe.mjs';
import { call, fileTicket as fileRequest } from '../api.mjs';

const WORKER = process.env.BUOY_WORKER_URL;
const AGENT = process.env.BUOY_AGENT_TOKEN; // "Test agent", role agent
const LEAD = process.env.BUOY_SECOND_AGENT_TOKEN; // "Second agent", role admin (above lead)

// Chromium for this file, once the environment is there.
const chromium = browserFor(WORKER, AGENT, LEAD);

/** A billing ticket from `name`, filed as a requester would. */
const fileTicket = (name = 'Grace Hopper') => fileRequest({ name, type: 'billing', subject: `Refund question ${crypto.randomUUID()}`, message: 'I was charged twice this month.' });

/** A signed-in console in a fresh context, at `hash`. */
const consoleAs = (token, hash = '') => signedInConsole(chromium.browser, token, hash);

test('a lead saves a canned reply with variables and actions; an agent uses it on a ticket', { timeout: 180_000 }, async () => {
  const marker = crypto.randomUUID().slice(0, 8);
  const title = `Refund on its way ${marker}`;
  const tag = `refund-${marker}`;

  // The lead's screen: an unknown variable is refused, naming it; then saved.
  const lead = await consoleAs(LEAD, '#view=canned');
  await lead.page.getByRole('heading', { name: 'Canned replies', level: 2 }).waitFor();
  assert.equal(await lead.page.locator('#nav-canned').isVisible(), true, 'leads and admins have the screen');
  await lead.page.locator('#k-title').fill(title);
  await lead.page.locator('#k-body').fill('Hi {{requester.first_name}}, your refund for {{ticket.reference}} is on its way ({{requester.phone}}).');
  await lead.page.locator('#k-status').selectOption('pending');
  await lead.page.locator('#k-tags').fill(tag);
  await lead.page.locator('#k-assign').selectOption('me');
  await lead.page.getByRole('button', { name: 'Add canned reply' }).click();
  const error = lead.page.locator('#canned-error');
  await error.filter({ hasText: 'unknown variable {{requester.phone}}' }).waitFor();
  assert.match(await error.textContent(), /^Not saved: body: unknown variable \{\{requester\.phone\}\}; known: \{\{requester\.first_name\}\}/);
  assert.equal(await lead.page.locator('#k-title').inputValue(), title, 'nothing typed is lost');
  const body = 'Hi {{requester.first_name}}, your refund for {{ticket.reference}} is on its way. — {{agent.first_name}}';
  await lead.page.locator('#k-body').fill(body);
  await lead.page.getByRole('button', { name: 'Add canned reply' }).click();
  const row = lead.page.locator('#canned-rows tr', { hasText: title });
  await row.waitFor();
  assert.equal(await error.textContent(), '');
  assert.match(await row.textContent(), /status Pending · tags refund-\w+ · assign to the agent/);
  for (const colorScheme of ['light', 'dark']) {
    await lead.page.emulateMedia({ colorScheme });
    assert.deepEqual(await violations(lead.page), [], `axe, on the Canned replies screen (${colorScheme})`);
  }
  const listed = (await call('/v1/agent/canned', { token: LEAD })).json.replies.find((r) => r.title === title);
  assert.deepEqual(listed.actions, { status: 'pending', add_tags: [tag], assign: 'me' });
  assert.equal(listed.body, body);
  // Recorded in the audit trail, by whom and which.
  const trail = (await call('/v1/agent/audit', { token: LEAD })).json.events;
  assert.ok(trail.some((e) => e.kind === 'canned_added' && e.agent === title && e.by === 'Second agent'), JSON.stringify(trail.slice(0, 5)));
  assert.deepEqual(lead.problems.filter((p) => !p.includes('422')), []);
  await lead.context.close();

  // A plain agent may not save one, and has no such screen.
  const refused = await call('/v1/agent/canned', { token: AGENT, body: { title: 'Mine', body: 'Hello' } });
  assert.deepEqual([refused.status, refused.json.code], [403, 'forbidden']);

  // The agent on a ticket: `m`, filter, preview, insert, send.
  const ticket = await fileTicket();
  const { page, problems, context } = await consoleAs(AGENT, `#ticket=${ticket.id}`);
  await page.getByRole('heading', { name: ticket.subject }).waitFor();
  assert.equal(await page.locator('#nav-canned').isVisible(), false, 'agents have no Canned replies screen');
  await page.keyboard.press('m');
  const picker = page.getByRole('dialog', { name: 'Insert a canned reply' });
  await picker.waitFor();
  const filterBox = page.getByRole('combobox', { name: 'Filter by title or text' });
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'canned-filter', 'typing goes to the filter');
  await page.keyboard.type('nothing-is-called-this');
  await page.locator('#canned-none', { hasText: 'No canned reply matches.' }).waitFor();
  await filterBox.fill('');
  await page.keyboard.type(`on its way ${marker}`);
  const options = page.getByRole('option');
  await page.waitForFunction(() => document.querySelectorAll('#canned-list [role=option]').length === 1);
  assert.equal(await options.first().locator('.canned-title').textContent(), title);
  assert.equal(await options.first().getAttribute('aria-selected'), 'true');
  const expected = `Hi Grace, your refund for ${ticket.reference} is on its way. — Test`;
  await page.locator('#canned-preview', { hasText: expected }).waitFor();
  assert.equal(await page.locator('#canned-preview').textContent(), expected);
  assert.equal(await page.locator('#canned-preview-actions').textContent(), `Sets status to Pending · tags: billing, ${tag} · assigns to Test agent`);
  for (const colorScheme of ['dark', 'light']) {
    await page.emulateMedia({ colorScheme });
    assert.deepEqual(await violations(page), [], `axe, with the picker open (${colorScheme})`);
  }
  await page.keyboard.press('Enter');
  await picker.waitFor({ state: 'hidden' });
  const replyBox = page.getByLabel('Reply to the requester');
  assert.equal(await replyBox.inputValue(), expected);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'reply', 'the reply box, to edit it');
  await page.locator('#canned-chip', { hasText: `With “${title}”` }).waitFor();
  assert.deepEqual(await violations(page), [], 'axe, with the actions line shown');
  // The text stays editable.
  await replyBox.press('End');
  await replyBox.pressSequentially(' Thanks!');
  await page.getByRole('button', { name: 'Send reply' }).click();
  await page.getByRole('status').filter({ hasText: `Reply sent; “${title}” applied its actions.` }).waitFor();
  await page.locator('#canned-chip').waitFor({ state: 'hidden' });

  // The requester reads the rendered text; the ticket has what the actions set.
  const mine = await call(`/v1/tickets/${ticket.id}`, { requester: ticket.requester_token });
  assert.equal(mine.status, 200);
  const answers = JSON.stringify(mine.json);
  assert.ok(answers.includes(`${expected} Thanks!`), answers);
  assert.ok(!answers.includes('{{'), 'no variable reaches the requester');
  const { json: view } = await call(`/v1/agent/tickets/${ticket.id}`, { token: AGENT });
  assert.equal(view.state.status, 'pending');
  assert.equal(view.state.assignee, 'Test agent');
  assert.deepEqual(view.state.tags, ['billing', tag]);
  const kinds = view.events.filter((e) => e.kind === 'message' || e.kind === 'changed').map((e) => [e.kind, e.by]);
  assert.deepEqual(kinds, [['message', 'Test agent'], ['changed', 'Test agent']], 'the reply, then one change');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a requester name is inserted as text, once; a missing name reads "there"', { timeout: 60_000 }, async () => {
  const created = await call('/v1/agent/canned', { token: LEAD, body: { title: `Greeting ${crypto.randomUUID()}`, body: 'Hi {{requester.first_name}} ({{requester.name}})' } });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const render = async (name) => {
    const ticket = await fileTicket(name);
    const { status, json } = await call(`/v1/agent/tickets/${ticket.id}/canned/${created.json.id}`, { token: AGENT });
    assert.equal(status, 200, JSON.stringify(json));
    return json;
  };
  const hostile = await render('<img src=x onerror=alert(1)>\n# {{agent.name}}');
  // On one line, as typed, and never read again for variables.
  assert.equal(hostile.body, 'Hi <img (<img src=x onerror=alert(1)> # {{agent.name}})');
  assert.equal(hostile.change, null, 'no actions, no change');
  const nameless = await render('');
  assert.equal(nameless.body, 'Hi there (there)');
  const removed = await fetch(`${WORKER}/v1/agent/canned/${created.json.id}/remove`, { method: 'POST', headers: { authorization: `Bearer ${LEAD}` } });
  assert.equal(removed.status, 204);
});
