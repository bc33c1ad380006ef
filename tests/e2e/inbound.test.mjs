// Mail into the worker under workerd: raw MIME posted to wrangler's local
// Email Routing simulation (`/cdn-cgi/handler/email?from=…&to=…`), which
// runs the worker's email handler and answers 200 for a message taken and
// 400 with the reason for one refused. Answers shaped like Gmail's,
// Outlook's and Apple Mail's (shared/tests/mail/) join their ticket's
// thread once, seen through the requester's API (what the panel shows)
// and the agents' (the console); refused and automatic mail stores
// nothing; mail to the intake address opens one ticket from email.
// `cargo xtask test` passes BUOY_WORKER_URL and BUOY_MAIL_AGENT_TOKEN
// (the agent of tests/buoy.toml's `mail` site).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { call, deliver } from '../api.mjs';
import { launchChromium } from '../chromium.mjs';

const WORKER = process.env.BUOY_WORKER_URL;
const TOKEN = process.env.BUOY_MAIL_AGENT_TOKEN;
const INTAKE = 'support@mail.example';

/** A fixture of shared/tests/mail/, addressed to `reply`. */
function fixture(name, reply) {
  return readFileSync(new URL(`../../shared/tests/mail/${name}.eml`, import.meta.url), 'utf8')
    .replaceAll('{REPLY}', reply)
    .replaceAll('{FIRST}', 'first@elsewhere.example')
    .replaceAll('{LAST}', 'last@elsewhere.example');
}

/** A ticket on the `mail` site from ada@example.com, with its reply address from the console's view. */
async function ticketFromAda(subject) {
  const created = await call('/v1/tickets', {
    body: { site: 'mail', email: 'ada@example.com', name: 'Ada', type: 'bug', subject, message: 'The export stops at 99%.' },
  });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const view = await call(`/v1/agent/tickets/${created.json.id}`, { token: TOKEN });
  assert.equal(view.status, 200);
  assert.match(view.json.reply_address, new RegExp(`^support\\+${created.json.id}\\.[0-9a-f]+@reply\\.mail\\.example$`));
  return { id: created.json.id, token: created.json.requester_token, reply: view.json.reply_address };
}

/** The public thread as the requester's panel reads it. */
async function thread(t) {
  const { status, json } = await call(`/v1/tickets/${t.id}`, { requester: t.token });
  assert.equal(status, 200);
  return json.messages.map((m) => [m.from, m.body]);
}

/** The ticket as the console reads it. */
async function consoleView(t) {
  const { json } = await call(`/v1/agent/tickets/${t.id}`, { token: TOKEN });
  return json;
}

const ANSWERS = [
  ['gmail', 'Thanks, clearing the cache worked — the export finishes now.\n\nAda'],
  ['outlook', 'It still stops at 99% on Windows 11.\n\nRegards,\nAda Lovelace'],
  ['apple', 'Yes please, call me tomorrow.'],
  ['html_only', 'It works on Firefox & Chrome.\nNot on Safari <17>.'],
  // The `mail` site takes files: these two are stored (tests/e2e/attach-agent.test.mjs follows them).
  ['attachment', 'Here is the screenshot of the error.'],
  ['latin1', 'Schöne Grüße, der Export läuft jetzt.'],
];

test('answers by mail from real clients join their thread as text, once', { timeout: 120_000 }, async () => {
  for (const [name, expected] of ANSWERS) {
    const t = await ticketFromAda(`Answered by ${name}`);
    const raw = fixture(name, t.reply);
    const first = await deliver(raw, 'ada@example.com', t.reply);
    assert.equal(first.status, 200, `${name}: ${first.text}`);
    const again = await deliver(raw, 'ada@example.com', t.reply);
    assert.equal(again.status, 200, `${name}: a redelivery is taken, and stored once`);
    assert.deepEqual(await thread(t), [['you', expected]], `${name}: the panel shows the answer once, without the quote`);
    const view = await consoleView(t);
    const bodies = view.events.filter((e) => e.kind === 'message' || e.body !== undefined).map((e) => e.body);
    assert.deepEqual(bodies, [expected], `${name}: the console shows it once`);
    assert.equal(view.channel, 'widget', 'the ticket itself came through the form');
  }
});

test('an answer by mail reopens a solved ticket, as the panel does', async () => {
  const t = await ticketFromAda('Solved, then answered');
  const solved = await call(`/v1/agent/tickets/${t.id}/changes`, { token: TOKEN, body: { status: 'solved' } });
  assert.equal(solved.status, 200);
  assert.equal((await consoleView(t)).state.status, 'solved');
  const answer = await deliver(fixture('apple', t.reply), 'ada@example.com', t.reply);
  assert.equal(answer.status, 200, answer.text);
  assert.equal((await consoleView(t)).state.status, 'open');
  const { json } = await call(`/v1/tickets/${t.id}`, { requester: t.token });
  assert.equal(json.status, 'open', 'the panel sees it open again');
});

test('forged, misaddressed, oversized and malformed mail is refused with a reason, and nothing is stored', { timeout: 60_000 }, async () => {
  const t = await ticketFromAda('Refusals');
  const gmail = fixture('gmail', t.reply);
  const forged = gmail.replace('From: Ada Lovelace <ada@example.com>', 'From: Eve <eve@evil.example>');
  const wrongMac = t.reply.replace(/\.[0-9a-f]+@/, '.0000000000000000@');
  const oversized = gmail.replace('Ada\r\n\r\nOn Mon', `Ada\r\n${'padding line\r\n'.repeat(9000)}\r\nOn Mon`);
  const noId = gmail.replace('Message-ID: <CAFgmail0001+x7Zq=K3v@mail.gmail.com>\r\n', 'Message-ID: <>\r\n');
  const cases = [
    ['a forged sender', forged, 'eve@evil.example', t.reply, /answers are taken only from the address the ticket was opened with/],
    ['a wrong mac', gmail, 'ada@example.com', wrongMac, /No such recipient/],
    ['an address of no site', gmail, 'ada@example.com', 'someone@elsewhere.example', /No such recipient/],
    ['an oversized message', oversized, 'ada@example.com', t.reply, /Message too large: this address accepts up to 100000 bytes/],
    ['an empty Message-ID', noId, 'ada@example.com', t.reply, /not valid MIME or has no Message-ID/],
  ];
  for (const [what, raw, from, to, reason] of cases) {
    const { status, text } = await deliver(raw, from, to);
    assert.equal(status, 400, `${what}: ${text}`);
    assert.match(text, reason, what);
  }
  assert.deepEqual(await thread(t), [], 'nothing joined the thread');
  assert.deepEqual((await consoleView(t)).events, [], 'and the console has no event');
});

test('automatic mail is taken quietly; a bounce stops mail to its address until it writes again', async () => {
  const t = await ticketFromAda('Bounces');
  const auto = await deliver(fixture('autoreply', t.reply), 'ada@example.com', t.reply);
  assert.equal(auto.status, 200, 'an out-of-office reply is never answered, not even with a refusal');
  const bounce = await deliver(fixture('bounce', t.reply), 'mailer-daemon@mx.example.com', t.reply);
  assert.equal(bounce.status, 200, bounce.text);
  assert.deepEqual(await thread(t), []);
  const view = await consoleView(t);
  assert.equal(view.mail_suppressed?.why, 'bounce', 'the console says mail to the requester stopped');
  const answer = await deliver(fixture('gmail', t.reply), 'ada@example.com', t.reply);
  assert.equal(answer.status, 200, answer.text);
  assert.equal((await consoleView(t)).mail_suppressed, undefined, 'writing again lifts it');
});

test('mail to the intake address opens one free ticket from email, which the console lists and filters', async () => {
  const raw = fixture('intake', '').replace('To: support@reply.lumen.example', `To: ${INTAKE}`);
  for (let i = 0; i < 2; i++) {
    const { status, text } = await deliver(raw, 'grace@example.org', INTAKE);
    assert.equal(status, 200, text);
  }
  const { status, json } = await call('/v1/agent/tickets?channel=email', { token: TOKEN });
  assert.equal(status, 200);
  const mine = json.tickets.filter((t) => t.subject === 'Cannot export my invoices');
  assert.equal(mine.length, 1, 'a redelivery is the same ticket');
  const [row] = mine;
  assert.equal(row.channel, 'email');
  const { json: ticket } = await call(`/v1/agent/tickets/${row.id}`, { token: TOKEN });
  assert.equal(ticket.segment, 'free', 'a From header proves nothing');
  assert.equal(ticket.requester.typed.email, 'grace@example.org');
  assert.equal(ticket.message, 'Hello, the invoice export has been failing since Friday.');
  assert.ok(json.tickets.every((t) => t.channel === 'email'), 'the filter keeps email tickets only');
  const widget = await call('/v1/agent/tickets?channel=widget', { token: TOKEN });
  assert.ok(!widget.json.tickets.some((t) => t.id === ticket.id));
});

test('the console shows where a ticket came from, filters by it, and says when mail to the requester stopped', { timeout: 90_000 }, async () => {
  const subject = `Mailed in ${crypto.randomUUID()}`;
  const raw = fixture('intake', '')
    .replace('To: support@reply.lumen.example', `To: ${INTAKE}`)
    .replace('Subject: Cannot export my invoices', `Subject: ${subject}`)
    .replace('Message-ID: <intake-0001@mail.example.org>', `Message-ID: <${crypto.randomUUID()}@mail.example.org>`);
  assert.equal((await deliver(raw, 'grace@example.org', INTAKE)).status, 200);
  const fromForm = await ticketFromAda(`From the form ${crypto.randomUUID()}`);
  assert.equal((await deliver(fixture('bounce', fromForm.reply), 'mailer-daemon@mx.example.com', fromForm.reply)).status, 200);

  const browser = await launchChromium();
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${WORKER}/console/`);
    await page.getByLabel('Agent token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const row = (text) => page.locator('#queue button.ticket', { hasText: text });
    await row(subject).waitFor();
    await row('From the form').first().waitFor();
    assert.match(await row(subject).locator('.meta').textContent(), / · by Email$/);

    await page.locator('#filters').getByLabel('Channel').selectOption('email');
    await row('From the form').first().waitFor({ state: 'detached' });
    assert.match(page.url(), /#channel=email$/);
    await row(subject).click();
    await page.getByRole('heading', { name: subject }).waitFor();
    const facts = async () => Object.fromEntries(await page.locator('#context dt').evaluateAll((dts) => dts.map((dt) => [dt.textContent, dt.nextElementSibling.textContent])));
    const mailed = await facts();
    assert.equal(mailed.Channel, 'Email');
    assert.match(mailed['Reply address'], /^support\+[0-9a-f]{32}\.[0-9a-f]+@reply\.mail\.example$/);
    assert.equal(mailed['Mail to requester'], undefined);

    await page.goto(`${WORKER}/console/#ticket=${fromForm.id}`);
    await page.reload();
    await page.locator('#context dt', { hasText: 'Channel' }).waitFor();
    const bounced = await facts();
    assert.equal(bounced.Channel, 'Widget');
    assert.match(bounced['Mail to requester'] ?? '', /\(bounce\); it resumes when they write again$/);
  } finally {
    await browser.close();
  }
});
