// Nothing typed is lost, even before it is sent: the ticket form's draft,
// a thread's reply and a rating's comment are kept in the panel's own
// storage as the requester types, come back after a reload, and go once
// sent (the outbox holds the text from then on). Nothing is stored before
// the requester types: loading and opening the panel write nothing.
// `cargo xtask test` passes BUOY_WORKER_URL, BUOY_DEMO_URL, BUOY_AGENT_TOKEN, BUOY_CHROMIUM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage } from '../chromium.mjs';
import { browserFor, widgetFrame as widget } from '../browser.mjs';
import { sleep, until } from '../wait.mjs';
import { call } from '../api.mjs';

const WORKER = process.env.BUOY_WORKER_URL;
const DEMO = process.env.BUOY_DEMO_URL;
const TOKEN = process.env.BUOY_AGENT_TOKEN;

const chrome = browserFor(WORKER, DEMO, TOKEN);

/** Everything in the panel's storage, as an object. After a load or a
 * reload the panel's frame comes on intent: the pointer on the launcher. */
async function stored(page) {
  if (!page.frames().some((f) => f.url().includes('/widget/') && !f.isDetached())) await page.getByRole('button', { name: /^Help/ }).hover();
  return (await widget(page)).evaluate(() => Object.fromEntries(Object.keys(localStorage).map((k) => [k, localStorage.getItem(k)])));
}

/** Opens the panel (after a load or a reload) and returns its locator. */
async function openPanel(page) {
  await page.getByRole('button', { name: 'Help' }).click();
  const panel = page.frameLocator('iframe[title="Help"]');
  await panel.locator('#buoy-q').waitFor();
  return panel;
}

/** The ticket form's fields, by label, as the requester reads them. */
async function formValues(panel) {
  return {
    name: await panel.getByLabel('Your name (optional)').inputValue(),
    email: await panel.getByLabel('Email').inputValue(),
    type: await panel.getByLabel('Topic').inputValue(),
    subject: await panel.getByLabel('Subject').inputValue(),
    message: await panel.getByLabel('Message').inputValue(),
  };
}

test('a ticket draft survives reloads, is sent once in full, and is gone once sent', { timeout: 90_000 }, async () => {
  const { page, problems, context } = await openPage(chrome.browser, DEMO);
  assert.deepEqual(await stored(page), {}, 'nothing stored on load (the panel is preloaded)');
  const panel = await openPanel(page);
  await panel.getByRole('button', { name: 'Send us a message' }).click();
  await panel.locator('#buoy-name:focus').waitFor();
  await sleep(500);
  assert.deepEqual(await stored(page), {}, 'nothing stored on load and open');
  assert.equal(await (await widget(page)).evaluate(() => document.getElementById('buoy-inbox')), null, 'the inbox module is not loaded yet');

  const draft = {
    name: 'Grace Hopper',
    email: 'grace@example.com',
    type: 'bug',
    subject: `Export stops at 99% ${Date.now()}`,
    message: 'The CSV export stops at 99%.\nSteps: Reports → Export → CSV.\n\nExpected: a file.',
  };
  // The first keystroke brings the inbox module, which stores it.
  await panel.getByLabel('Your name (optional)').fill(draft.name);
  await until(async () => JSON.parse((await stored(page))['buoy-draft:demo:new'] ?? '{}').name === draft.name, 'the first field to be stored');
  // From then on each input is stored at once: a reload right after typing loses nothing.
  await panel.getByLabel('Email').fill(draft.email);
  await panel.getByLabel('Topic').selectOption(draft.type);
  await panel.getByLabel('Subject').fill(draft.subject);
  await panel.getByLabel('Message').fill(draft.message);
  await page.reload();

  const kept = await stored(page);
  assert.deepEqual(JSON.parse(kept['buoy-draft:demo:new']), draft, 'every field, in one key');
  assert.equal(kept['buoy:demo'], '1', 'the marker that loads the inbox module at page start');
  assert.deepEqual(Object.keys(kept).sort(), ['buoy-draft:demo:new', 'buoy:demo'], 'no ticket, no send');
  let reopened = await openPanel(page);
  await reopened.getByRole('button', { name: 'Send us a message' }).click();
  await until(async () => (await formValues(reopened)).message === draft.message, 'the draft to come back');
  assert.deepEqual(await formValues(reopened), draft, 'every field holds its text');
  // A draft is no ticket: "Your tickets" stays hidden.
  await reopened.getByRole('button', { name: 'Back' }).click();
  assert.ok(await reopened.locator('#buoy-mine-link').isHidden(), 'no "Your tickets" link without tickets');
  await reopened.getByRole('button', { name: 'Send us a message' }).click();

  await reopened.getByRole('button', { name: 'Send message' }).click();
  await reopened.getByText('Thanks, we have your message').waitFor();
  const reference = (await reopened.locator('.ref').textContent()).trim();
  assert.equal((await stored(page))['buoy-draft:demo:new'], undefined, 'the draft goes once the ticket is sent');
  const { json: queue } = await call('/v1/agent/tickets?limit=100', { token: TOKEN });
  const ours = queue.tickets.filter((t) => t.subject === draft.subject);
  assert.equal(ours.length, 1, 'exactly one ticket');
  assert.equal(ours[0].reference, reference);
  const { json: full } = await call(`/v1/agent/tickets/${ours[0].id}`, { token: TOKEN });
  assert.equal(full.message, draft.message, 'the full text');
  assert.equal(full.type, draft.type);
  assert.deepEqual(full.requester, { typed: { name: draft.name, email: draft.email } });

  // Another reload: the form is empty (the inbox module has started: the ticket is listed).
  await page.reload();
  reopened = await openPanel(page);
  await reopened.locator('#buoy-mine-link').waitFor();
  await reopened.getByRole('button', { name: 'Send us a message' }).click();
  assert.deepEqual(await formValues(reopened), { name: '', email: '', type: '', subject: '', message: '' });
  assert.deepEqual(Object.keys(await stored(page)).filter((k) => k.startsWith('buoy-draft:')), []);
  // The host page keeps one flag (this browser asked for help here, so the
  // panel loads at idle for its unread badge), and nothing typed.
  assert.deepEqual(await page.evaluate(() => ({ ...localStorage })), { 'buoy:demo': '1' }, "nothing typed in the host page's storage");
  assert.deepEqual(problems, []);
  await context.close();
});

test('a draft emptied again is deleted, marker and all; "send another" starts clean', { timeout: 60_000 }, async () => {
  const { page, problems, context } = await openPage(chrome.browser, DEMO);
  const panel = await openPanel(page);
  await panel.getByRole('button', { name: 'Send us a message' }).click();
  await panel.getByLabel('Subject').fill('Half a thought');
  await until(async () => (await stored(page))['buoy-draft:demo:new'] !== undefined, 'the draft to be stored');
  await panel.getByLabel('Subject').fill('');
  await until(async () => Object.keys(await stored(page)).length === 0, 'the emptied draft and the marker to go');
  // A topic chosen alone is no draft either.
  await panel.getByLabel('Topic').selectOption('billing');
  await sleep(300);
  assert.deepEqual(await stored(page), {});

  // Sent, then "send another": the new form starts empty and nothing is left.
  const subject = `Invoice address ${Date.now()}`;
  await panel.getByLabel('Email').fill('ines@example.com');
  await panel.getByLabel('Subject').fill(subject);
  await panel.getByLabel('Message').fill('Please put our VAT number on the invoice.');
  await panel.getByRole('button', { name: 'Send message' }).click();
  await panel.getByText('Thanks, we have your message').waitFor();
  await panel.getByRole('button', { name: 'Send another message' }).click();
  assert.deepEqual(await formValues(panel), { name: '', email: '', type: '', subject: '', message: '' });
  assert.deepEqual(Object.keys(await stored(page)).filter((k) => k.startsWith('buoy-draft:')), []);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a ticket the API refuses for good keeps its draft; one it takes after retries does not', { timeout: 90_000 }, async () => {
  const { page, problems, context } = await openPage(chrome.browser, DEMO);
  const answers = [];
  await context.route(`${WORKER}/v1/tickets`, (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    const next = answers.shift();
    if (!next) return route.continue();
    return route.fulfill({
      status: next.status,
      contentType: 'application/problem+json',
      // `retry_after`: the panel waits that long before trying again.
      body: JSON.stringify({ type: 'about:blank', title: next.code, status: next.status, code: next.code, retry_after: '3' }),
    });
  });
  const panel = await openPanel(page);
  await panel.getByRole('button', { name: 'Send us a message' }).click();
  const draft = { name: '', email: 'ola@example.com', type: 'account', subject: `Refused ${Date.now()}`, message: 'Please delete my account.' };
  await panel.getByLabel('Email').fill(draft.email);
  await panel.getByLabel('Topic').selectOption(draft.type);
  await panel.getByLabel('Subject').fill(draft.subject);
  await panel.getByLabel('Message').fill(draft.message);
  await until(async () => JSON.parse((await stored(page))['buoy-draft:demo:new'] ?? '{}').message === draft.message, 'the draft');

  // Refused for good (422): the text stays in the form, and in storage again.
  answers.push({ status: 422, code: 'spam_suspected' });
  await panel.getByRole('button', { name: 'Send message' }).click();
  await panel.locator('#buoy-banner:not([hidden])').waitFor();
  await until(async () => (await stored(page))['buoy-draft:demo:new'] !== undefined, 'the refused ticket to be a draft again');
  const { name: _, ...filled } = draft;
  assert.deepEqual(JSON.parse((await stored(page))['buoy-draft:demo:new']), filled);
  await page.reload();
  let reopened = await openPanel(page);
  await reopened.getByRole('button', { name: 'Send us a message' }).click();
  await until(async () => (await formValues(reopened)).message === draft.message, 'the refused text to come back');
  assert.deepEqual(await formValues(reopened), draft);

  // A 503 (tried again by itself) keeps it in the outbox only; typed meanwhile, then taken: nothing is left.
  answers.push({ status: 503, code: 'internal' });
  await reopened.getByRole('button', { name: 'Send message' }).click();
  await reopened.locator('#buoy-banner:not([hidden])').waitFor();
  assert.equal((await stored(page))['buoy-draft:demo:new'], undefined, 'the outbox holds it while it is tried again');
  await reopened.getByLabel('Your name (optional)').fill('Ola');
  assert.equal(JSON.parse((await stored(page))['buoy-draft:demo:new']).name, 'Ola', 'typed while it waits: kept');
  await reopened.getByText('Thanks, we have your message').waitFor({ timeout: 30_000 });
  assert.equal((await stored(page))['buoy-draft:demo:new'], undefined, 'taken: no draft left');
  const { json: queue } = await call('/v1/agent/tickets?limit=100', { token: TOKEN });
  assert.equal(queue.tickets.filter((t) => t.subject === draft.subject).length, 1, 'exactly one ticket');
  const unexpected = problems.filter((p) => !/Failed to load resource|status of (422|503)/.test(p));
  assert.deepEqual(unexpected, []);
  await context.close();
});

test('reply and rating drafts are kept per ticket across reloads and go once sent', { timeout: 120_000 }, async () => {
  const file = async (subject) =>
    (await call('/v1/tickets', { body: { site: 'demo', email: 'noor@example.com', type: 'bug', subject, message: `About ${subject}.` } })).json;
  const stamp = Date.now();
  const a = { ...(await file(`Ticket A ${stamp}`)), subject: `Ticket A ${stamp}` };
  const b = { ...(await file(`Ticket B ${stamp}`)), subject: `Ticket B ${stamp}` };
  // Ticket A is solved, so its thread asks for a rating.
  assert.equal((await call(`/v1/agent/tickets/${a.id}/changes`, { token: TOKEN, body: { status: 'solved' } })).status, 200);

  // The requester's panel holds both tickets, as if sent from this device.
  const { page, problems, context } = await openPage(chrome.browser, DEMO);
  await openPanel(page);
  await (await widget(page)).evaluate((list) => {
    for (const [n, t] of list.entries()) localStorage.setItem(`buoy:demo:${t.id}`, JSON.stringify([t.requester_token, t.reference, t.subject, 0, n]));
    localStorage.setItem('buoy:demo', '1');
  }, [a, b]);
  await page.reload();

  const showThread = async (panel, t) => {
    await panel.getByRole('button', { name: 'Your tickets' }).first().click();
    await panel.locator('#buoy-mine button', { hasText: t.reference }).click();
    await panel.locator('#buoy-thread-title', { hasText: t.subject }).waitFor();
    await panel.locator('#buoy-msgs .msg.you').first().waitFor();
  };
  const back = (panel) => panel.getByRole('button', { name: 'Back' }).click();
  let panel = await openPanel(page);
  await showThread(panel, a);
  assert.deepEqual(await stored(page).then((s) => Object.keys(s).filter((k) => k.startsWith('buoy-draft:'))), [], 'reading stores no draft');
  await panel.getByLabel('Your reply').fill('A: it happens on Safari too.');
  await panel.getByText('How was the help you got?').waitFor({ timeout: 30_000 });
  await panel.getByLabel('Anything to add? (optional)').fill('Fast, thank you.');
  await back(panel);
  await showThread(panel, b);
  assert.equal(await panel.getByLabel('Your reply').inputValue(), '', "one ticket's draft is not another's");
  await panel.getByLabel('Your reply').fill('B: and the PDF export too.');
  await page.reload();

  const kept = await stored(page);
  assert.equal(kept[`buoy-draft:demo:reply:${a.id}`], 'A: it happens on Safari too.');
  assert.equal(kept[`buoy-draft:demo:reply:${b.id}`], 'B: and the PDF export too.');
  assert.equal(kept[`buoy-draft:demo:rate:${a.id}`], 'Fast, thank you.');
  panel = await openPanel(page);
  await showThread(panel, b);
  assert.equal(await panel.getByLabel('Your reply').inputValue(), 'B: and the PDF export too.', 'the reply is back after a reload');
  await back(panel);
  await showThread(panel, a);
  assert.equal(await panel.getByLabel('Your reply').inputValue(), 'A: it happens on Safari too.');
  await panel.getByText('How was the help you got?').waitFor({ timeout: 30_000 });
  assert.equal(await panel.getByLabel('Anything to add? (optional)').inputValue(), 'Fast, thank you.', 'the comment is back too');

  // Rating A with the comment: its draft goes once the rating is taken.
  await panel.getByLabel('Satisfied', { exact: true }).check();
  await panel.getByRole('button', { name: 'Send rating' }).click();
  await panel.getByText('Thank you for your rating.').waitFor();
  await until(async () => (await stored(page))[`buoy-draft:demo:rate:${a.id}`] === undefined, 'the comment draft to go');
  // Sending A's reply: its draft goes at once (the outbox holds it), and the box empties once taken.
  await panel.getByRole('button', { name: 'Send reply' }).click();
  assert.equal((await stored(page))[`buoy-draft:demo:reply:${a.id}`], undefined, 'the reply draft goes once queued');
  await panel.locator('#buoy-msgs .msg.you .text', { hasText: 'Safari too' }).waitFor();
  await until(async () => (await panel.getByLabel('Your reply').inputValue()) === '', 'the box to empty');

  // After another reload: A's boxes are empty, B's reply is still there.
  await page.reload();
  panel = await openPanel(page);
  await showThread(panel, a);
  assert.equal(await panel.getByLabel('Your reply').inputValue(), '');
  await back(panel);
  await showThread(panel, b);
  assert.equal(await panel.getByLabel('Your reply').inputValue(), 'B: and the PDF export too.');
  assert.deepEqual(Object.keys(await stored(page)).filter((k) => k.startsWith('buoy-draft:')), [`buoy-draft:demo:reply:${b.id}`]);

  // The agent has exactly one reply from A's requester, in full, and the comment with the rating.
  const { json: view } = await call(`/v1/agent/tickets/${a.id}`, { token: TOKEN });
  const replies = view.events.filter((e) => e.kind === 'message' && !e.agent);
  assert.equal(replies.length, 1, 'one reply');
  assert.equal(view.state.csat.comment, 'Fast, thank you.');
  assert.deepEqual(problems, []);
  await context.close();
});
