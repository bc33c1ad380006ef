// A conversation that outlives the tab, end to end under workerd as
// `cargo xtask dev` runs it: a requester files a ticket in the panel and
// closes the tab; the agent's replies reach them by mail (the worker's
// mail view, /dev/mail, after the sweep at /__scheduled); they answer by
// mail (raw MIME posted to the local Email Routing simulation at
// /cdn-cgi/handler/email); the solved mail's rating link rates it; and
// the same ticket then goes on in the panel. A request by mail to the
// intake address lives wholly over mail: acknowledged with its reference
// and due time, answered in the requester's own thread, and answered
// back from a client that lost the plus-address.
// `cargo xtask test` passes BUOY_WORKER_URL, BUOY_MAIL_AGENT_TOKEN (the
// agent of tests/buoy.toml's `mail` site) and BUOY_CHROMIUM.
import { test, before, after } from 'node:test';
import { createServer } from 'node:http';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { browserFor } from '../browser.mjs';
import { call, deliver } from '../api.mjs';
import { mailed, unbracket } from '../mailview.mjs';

const WORKER = process.env.BUOY_WORKER_URL;
const TOKEN = process.env.BUOY_MAIL_AGENT_TOKEN;
const INTAKE = 'support@mail.example';
// A customer's page of the `mail` site, on an origin of its own.
const HOST_PAGE = `<!doctype html><html lang="en"><head><title>Mail Co</title><link rel="icon" href="data:,">
<script async src="${WORKER}/buoy.js" data-site="mail"></script></head><body><h1>Mail Co</h1></body></html>`;
let host;

before(async () => {
  host = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(HOST_PAGE);
  });
  await new Promise((resolve) => host.listen(0, '127.0.0.1', resolve));
});

after(() => host?.close());

const chrome = browserFor(WORKER, TOKEN);

/** An answer shaped like Gmail's: the new text above "On … wrote:" and the quote. */
function answer({ from, to, subject, inReplyTo, text, quoted }) {
  return [
    `From: Lin <${from}>`,
    `To: ${to}`,
    `Subject: Re: ${subject}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: <${randomBytes(8).toString('hex')}@mail.gmail.example>`,
    `In-Reply-To: <${inReplyTo}>`,
    `References: <${inReplyTo}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset="UTF-8"',
    '',
    text,
    '',
    `On ${new Date().toUTCString()} Mail Co <support@mail.example> wrote:`,
    ...quoted.split('\n').map((l) => `> ${l}`),
    '',
  ].join('\r\n');
}

async function agentView(id) {
  const { status, json } = await call(`/v1/agent/tickets/${id}`, { token: TOKEN });
  assert.equal(status, 200);
  return json;
}

const agentSays = async (id, body) => assert.equal((await call(`/v1/agent/tickets/${id}/messages`, { token: TOKEN, body: { body, public: true } })).status, 201);

/** The panel on the customer's page, opened. */
async function openPanel(context) {
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${host.address().port}/help.html`);
  await page.getByRole('button', { name: 'Help' }).click();
  return { page, panel: page.frameLocator('iframe[title="Help"]') };
}

test('a ticket from the panel goes on over email once the tab is closed, then back in the panel', { timeout: 180_000 }, async () => {
  const email = `lin.${randomBytes(4).toString('hex')}@example.com`;
  const context = await chrome.browser.newContext();
  // The requester files the ticket, asking for replies by email (the default), and closes the tab.
  let { page, panel } = await openPanel(context);
  await panel.getByRole('button', { name: 'Send us a message' }).click();
  await panel.getByText('Tell us what is going on and we will reply by email.').waitFor();
  await panel.getByLabel('Email', { exact: true }).fill(email);
  assert.equal(await panel.getByLabel('Email me replies').isChecked(), true, 'on by default');
  await panel.getByLabel('Topic').selectOption('account');
  const subject = `Cannot change my email ${Date.now()}`;
  await panel.getByLabel('Subject').fill(subject);
  await panel.getByLabel('Message').fill('The settings page refuses my new address.');
  await panel.getByRole('button', { name: 'Send message' }).click();
  await panel.getByText('Thanks, we have your message').waitFor();
  const reference = (await panel.locator('.ref').textContent()).trim();
  await page.close();

  const { json: queue } = await call('/v1/agent/tickets?channel=widget&limit=100', { token: TOKEN });
  const id = queue.tickets.find((t) => t.reference === reference)?.id;
  assert.ok(id, `${reference} is in the queue`);
  const replyAddress = (await agentView(id)).reply_address;

  // The agent's reply reaches the closed tab's requester by mail.
  await agentSays(id, 'Sign out and in again, then change it.');
  const [first] = await mailed(email, 1);
  assert.ok(first.headers.subject.startsWith(`[${reference}] `), first.headers.subject);
  assert.equal(unbracket(first.headers['reply-to']), replyAddress);
  assert.ok(first.text.includes('Sign out and in again, then change it.'), first.text);
  assert.ok(first.text.includes('What happens next: reply to this email'), first.text);

  // They answer from their mail client; the quote and the "On … wrote:" line are left out.
  const said = 'Signing out worked, but the export is still slow.';
  const raw = answer({ from: email, to: replyAddress, subject: first.headers.subject, inReplyTo: unbracket(first.headers['message-id']), text: said, quoted: 'Sign out and in again, then change it.' });
  const delivered = await deliver(raw, email, replyAddress);
  assert.equal(delivered.status, 200, delivered.text);
  let view = await agentView(id);
  const byMail = view.events.find((e) => e.kind === 'message' && !e.agent);
  assert.equal(byMail?.body, said, 'the console shows the answer, unquoted');
  assert.equal(byMail.original, Buffer.byteLength(raw), 'and keeps the mail as it came');
  const original = await fetch(`${WORKER}/v1/agent/tickets/${id}/originals/${byMail.id}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(original.headers.get('content-type'), 'message/rfc822');
  assert.equal(await original.text(), raw);
  // The console shows it, with a button that downloads the mail as it came.
  const desk = await context.newPage();
  await desk.goto(`${WORKER}/console/#ticket=${id}`);
  await desk.getByLabel('Agent token').fill(TOKEN);
  await desk.getByRole('button', { name: 'Sign in' }).click();
  const answerInConsole = desk.locator('#thread .message.requester', { hasText: said });
  await answerInConsole.waitFor();
  const [download] = await Promise.all([desk.waitForEvent('download'), answerInConsole.getByRole('button', { name: /^Original email \(\d+ B\)$/ }).click()]);
  assert.equal(download.suggestedFilename(), `${reference}-${byMail.id}.eml`);
  const { readFile } = await import('node:fs/promises');
  assert.equal(await readFile(await download.path(), 'utf8'), raw, 'the download is the mail as it came');
  await desk.close();

  // The agent replies again and solves it; the solved mail's link rates it, once.
  await agentSays(id, 'Export speed is fixed in 2.4.1.');
  assert.equal((await call(`/v1/agent/tickets/${id}/changes`, { token: TOKEN, body: { status: 'solved' } })).status, 200);
  // Both go in one sweep: found by what they say, not by order.
  const mails = (await mailed(email, 3)).slice(1);
  const second = mails.find((m) => m.text.includes('Export speed is fixed in 2.4.1.'));
  const solved = mails.find((m) => m.headers.subject.includes('is solved'));
  assert.ok(second && solved, mails.map((m) => m.headers.subject).join(' | '));
  for (const mail of [second, solved]) {
    assert.equal(unbracket(mail.headers['in-reply-to']), unbracket(first.headers['in-reply-to']), 'every mail threads under the same first message');
  }
  const rate = /(http:\/\/\S+\/v1\/email\/rate\?t=\S+&r=good)/.exec(solved.text)?.[1];
  assert.ok(rate?.startsWith(WORKER), solved.text);
  const ask = await fetch(rate);
  assert.match(await ask.text(), /<button type="submit">Send my rating<\/button>/, 'following the link only asks');
  assert.equal((await agentView(id)).state.csat ?? null, null, 'a mail scanner that follows links rates nothing');
  const rated = await fetch(rate, { method: 'POST' });
  assert.equal(rated.status, 200);
  assert.match(await rated.text(), /is recorded/);
  view = await agentView(id);
  assert.equal(view.state.csat?.satisfied, true);

  // Back in the panel, the same ticket: the whole thread, and it goes on.
  ({ page, panel } = await openPanel(context));
  await panel.getByRole('button', { name: 'Your tickets' }).first().click();
  await panel.locator('#buoy-mine button', { hasText: reference }).click();
  const thread = panel.locator('#buoy-msgs');
  await thread.locator('.msg.agent .text', { hasText: 'Export speed is fixed' }).waitFor({ timeout: 30_000 });
  const texts = await thread.locator('.msg .text').allTextContents();
  assert.deepEqual(texts, ['The settings page refuses my new address.', 'Sign out and in again, then change it.', said, 'Export speed is fixed in 2.4.1.']);
  await panel.getByLabel('Your reply').fill('One more thing: can I keep my old address too?');
  await panel.getByRole('button', { name: 'Send reply' }).click();
  await panel.locator('#buoy-thread-status', { hasText: 'Open' }).waitFor();
  view = await agentView(id);
  assert.equal(view.state.status, 'open', 'the answer in the panel reopened the solved ticket');
  await context.close();
});

test('a request by mail to the intake address is acknowledged and answered over mail alone', { timeout: 120_000 }, async () => {
  const email = `grace.${randomBytes(4).toString('hex')}@example.org`;
  const origin = `intake-${randomBytes(6).toString('hex')}@example.org`;
  const request = [
    `From: Grace <${email}>`,
    `To: ${INTAKE}`,
    'Subject: Invoices will not download',
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: <${origin}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset="UTF-8"',
    '',
    'The invoice export fails since Friday.',
    '',
  ].join('\r\n');
  const delivered = await deliver(request, email, INTAKE);
  assert.equal(delivered.status, 200, delivered.text);
  const { json: queue } = await call('/v1/agent/tickets?channel=email&limit=100', { token: TOKEN });
  // Rows name the requester by name ("Grace"): the address is on the ticket.
  let ticket;
  for (const row of queue.tickets.filter((t) => t.subject === 'Invoices will not download')) {
    if ((await agentView(row.id)).requester.typed.email === email) ticket = row;
  }
  assert.ok(ticket, 'the mail opened a ticket from email');
  let view = await agentView(ticket.id);
  assert.equal(view.first_mail.message_id, origin);

  // The acknowledgement: the reference, when to expect a first reply, in the requester's thread.
  const [ack] = await mailed(email, 1);
  assert.equal(ack.headers.subject, `[${ticket.reference}] Mail Co has your request`);
  assert.equal(unbracket(ack.headers['in-reply-to']), origin);
  assert.equal(ack.headers['auto-submitted'], 'auto-replied');
  const due = new Date(view.clocks.find((c) => c.metric === 'first_response').due);
  const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
  const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
  const two = (n) => String(n).padStart(2, '0');
  const dueText = `${days[due.getUTCDay()]} ${due.getUTCDate()} ${months[due.getUTCMonth()]} ${due.getUTCFullYear()}, ${two(due.getUTCHours())}:${two(due.getUTCMinutes())} UTC`;
  assert.ok(ack.text.includes(`expect a first reply by ${dueText}.`), `${dueText} in ${ack.text}`);
  assert.ok(!ack.text.includes('Invoices will not download'), 'an address nobody vouched for gets nothing the requester wrote');

  // The agent's reply threads under the requester's own mail …
  await agentSays(ticket.id, 'Please try the export again now.');
  const [, reply] = await mailed(email, 2);
  assert.equal(unbracket(reply.headers['in-reply-to']), origin);
  assert.ok(reply.headers.references.includes(`<${origin}>`), reply.headers.references);

  // … and an answer that lost the plus-address still finds its ticket by its references.
  const lost = answer({ from: email, to: 'support@reply.mail.example', subject: reply.headers.subject, inReplyTo: unbracket(reply.headers['message-id']), text: 'It works now, thank you.', quoted: 'Please try the export again now.' });
  const answered = await deliver(lost, email, 'support@reply.mail.example');
  assert.equal(answered.status, 200, answered.text);
  view = await agentView(ticket.id);
  const bodies = view.events.filter((e) => e.kind === 'message').map((e) => e.body);
  assert.deepEqual(bodies, ['Please try the export again now.', 'It works now, thank you.']);
  const original = await fetch(`${WORKER}/v1/agent/tickets/${ticket.id}/originals/first`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(await original.text(), request, 'the mail that opened it is kept as it came');
});
