// Outbound mail end to end under workerd: Miniflare drives the built test
// worker with a `send_email` binding, whose local simulation saves each
// message as an .eml file and logs its path; the tests read those files
// while Miniflare runs (they are deleted when it stops). An agent's
// reply, a solved ticket with its rating links, an agent's notice, the
// one-click unsubscribe, and a site without email, which sends nothing
// and whose panel does not promise email.
// `cargo xtask test` passes BUOY_TEST_WORKER (the built worker module).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startWorker } from '../miniflare.mjs';
import { MailLog, mailsAfter as readMailsAfter, unbracket } from '../mail.mjs';

const ORIGIN = 'http://buoy.test';
const MAIL_TOKEN = randomBytes(32).toString('hex');
const LEAD_TOKEN = randomBytes(32).toString('hex');
const DEMO_TOKEN = randomBytes(32).toString('hex');

const mailLog = new MailLog();
/** The .eml files the send_email simulation wrote, in the order it logged them. */
const sent = mailLog.sent;
const mailsAfter = (since, count) => readMailsAfter(mailLog, since, count);

let mf;

before(async () => {
  assert.ok(process.env.BUOY_TEST_WORKER, 'run through `cargo xtask test`, which builds the test worker');
  mf = await startWorker({
    bindings: {
      BUOY_MAIL_AGENT_TOKEN: MAIL_TOKEN,
      BUOY_MAIL_LEAD_TOKEN: LEAD_TOKEN,
      BUOY_AGENT_TOKEN: DEMO_TOKEN,
      BUOY_SECRET: randomBytes(32).toString('hex'),
      BUOY_PUBLIC_URL: ORIGIN,
    },
    email: { send_email: [{ name: 'BUOY_MAIL' }] },
    log: mailLog,
  });
});

after(async () => {
  await mf?.dispose();
});

/** Nothing more is sent within a second. */
async function noMailAfter(since) {
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(sent.length, since, 'no mail expected');
}

async function sweep() {
  const worker = await mf.getWorker();
  const result = await worker.scheduled({ scheduledTime: new Date(), cron: '* * * * *' });
  assert.equal(result.outcome, 'ok');
}

async function create(site, email, subject, message) {
  const response = await mf.dispatchFetch(`${ORIGIN}/v1/tickets`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ site, name: 'Ada', email, type: 'how_to', subject, message }),
  });
  assert.equal(response.status, 201, await response.clone().text());
  return response.json();
}

async function agent(token, path, body) {
  const response = await mf.dispatchFetch(`${ORIGIN}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  assert.ok(response.status < 300, `${path}: ${response.status} ${await response.clone().text()}`);
  return response.json();
}

const reply = (id, text) => agent(MAIL_TOKEN, `/v1/agent/tickets/${id}/messages`, { body: text, public: true });

test("an agent's reply mails the requester once, threaded, with the reply address and one-click unsubscribe", { timeout: 60_000 }, async () => {
  const words = 'Claim your prize at http://evil.example';
  const ticket = await create('mail', 'ada@example.com', 'You won a prize', words);
  const since = sent.length;
  await reply(ticket.id, 'Try <b>clearing</b> the cache & export again.');
  await sweep();
  const [mail] = await mailsAfter(since, 1);
  const h = mail.headers;
  assert.match(h.from, /^"?Mail Co"? <support@mail\.example>$/);
  assert.equal(h.to.replace(/^<|>$/g, ''), 'ada@example.com');
  const replyTo = unbracket(h['reply-to']);
  assert.match(replyTo, new RegExp(`^support\\+${ticket.id}\\.[0-9a-f]{16}@reply\\.mail\\.example$`));
  assert.ok(h.subject.startsWith(`[${ticket.reference}] `), h.subject);
  assert.match(unbracket(h['message-id']), new RegExp(`^${ticket.id}\\.[0-9a-f]+\\.[0-9a-f]+@reply\\.mail\\.example$`));
  assert.match(unbracket(h['in-reply-to']), /@reply\.mail\.example$/);
  assert.equal(unbracket(h.references), unbracket(h['in-reply-to']), "threaded under the ticket's first message");
  assert.notEqual(unbracket(h['in-reply-to']), unbracket(h['message-id']));
  assert.equal(h['auto-submitted'], 'auto-generated');
  assert.match(unbracket(h['list-unsubscribe']), new RegExp(`^${ORIGIN}/v1/email/unsubscribe\\?t=[A-Za-z0-9.]+$`));
  assert.equal(h['list-unsubscribe-post'], 'List-Unsubscribe=One-Click');
  assert.ok(mail.text.includes('Try <b>clearing</b> the cache & export again.'), mail.text);
  assert.ok(mail.html.includes('Try &lt;b&gt;clearing&lt;/b&gt; the cache &amp; export again.'), mail.html);
  assert.ok(mail.text.includes('What happens next'), mail.text);
  for (const text of [h.subject, mail.text, mail.html]) {
    assert.ok(!text.includes('evil.example') && !text.includes('prize'), `a typed address gets nothing the requester wrote: ${text}`);
  }
  // Sent is sent: the next sweep sends nothing again.
  await sweep();
  await noMailAfter(since + 1);
});

test('solved mails a rating whose link asks first and rates once', { timeout: 60_000 }, async () => {
  const ticket = await create('mail', 'grace@example.com', 'Export fails', 'It stops at 99%.');
  await reply(ticket.id, 'Fixed in 2.4.1.');
  await agent(MAIL_TOKEN, `/v1/agent/tickets/${ticket.id}/changes`, { status: 'solved' });
  const since = sent.length;
  await sweep();
  const mails = await mailsAfter(since, 2);
  const solved = mails.find((m) => m.headers.subject.includes('is solved'));
  assert.ok(solved, mails.map((m) => m.headers.subject).join(' | '));
  assert.ok(solved.headers.subject.startsWith(`[${ticket.reference}] `));
  const links = [...solved.text.matchAll(/(http:\/\/buoy\.test\/v1\/email\/rate\?t=[A-Za-z0-9.]+&r=(good|bad))/g)].map((m) => m[1]);
  assert.equal(links.length, 2, solved.text);
  const good = links.find((l) => l.endsWith('r=good'));

  // Following the link (as a mail scanner would) shows a button and rates nothing.
  const page = await mf.dispatchFetch(good);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-security-policy'), /^default-src 'none'/);
  const html = await page.text();
  assert.match(html, /<form method="post" action="\/v1\/email\/rate\?t=[A-Za-z0-9.]+&amp;r=good"><input[^>]*><button type="submit">Send my rating<\/button><\/form>/);
  assert.ok(html.includes(ticket.reference) && !html.includes('It stops at 99%') && !html.includes(ticket.requester_token), html);
  assert.equal((await agent(MAIL_TOKEN, `/v1/agent/tickets/${ticket.id}`)).state.csat, undefined, 'a GET rates nothing');

  // The button's POST rates, once.
  const first = await mf.dispatchFetch(good, { method: 'POST', body: '' });
  assert.equal(first.status, 200, await first.clone().text());
  const second = await mf.dispatchFetch(good.replace('r=good', 'r=bad'), { method: 'POST', body: '' });
  assert.equal(second.status, 409);
  const view = await agent(MAIL_TOKEN, `/v1/agent/tickets/${ticket.id}`);
  assert.equal(view.state.csat.satisfied, true);
  assert.equal(view.events.filter((e) => e.kind === 'rated').length, 1);

  // A forged link rates nothing.
  const forged = await mf.dispatchFetch(good.replace(/\.([0-9a-f]{4})/, '.0000'), { method: 'POST', body: '' });
  assert.equal(forged.status, 400);
});

test('an agent assigned by another gets a notice', { timeout: 60_000 }, async () => {
  const ticket = await create('mail', 'linus@example.com', 'Billing question', 'Why two invoices?');
  const since = sent.length;
  await agent(MAIL_TOKEN, `/v1/agent/tickets/${ticket.id}/changes`, { assignee: 'Mail lead' });
  await sweep();
  const [notice] = await mailsAfter(since, 1);
  assert.equal(notice.headers.to.replace(/^<|>$/g, ''), 'lead@mail.example');
  assert.equal(notice.headers.subject, `[${ticket.reference}] Assigned to you: Billing question`);
  assert.ok(notice.text.includes(`${ORIGIN}/console/`), notice.text);
});

test('one-click unsubscribe stops further mail to that requester on that site', { timeout: 60_000 }, async () => {
  const ticket = await create('mail', 'margaret@example.com', 'Login loop', 'I keep getting logged out.');
  const since = sent.length;
  await reply(ticket.id, 'Which browser do you use?');
  await sweep();
  const [mail] = await mailsAfter(since, 1);
  const url = unbracket(mail.headers['list-unsubscribe']);

  const page = await mf.dispatchFetch(url);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<button type="submit">Stop the emails<\/button>/);
  const done = await mf.dispatchFetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'List-Unsubscribe=One-Click',
  });
  assert.equal(done.status, 200);
  assert.match(await done.text(), /Mail Co will not email you/);

  await reply(ticket.id, 'Are you still there?');
  await sweep();
  await noMailAfter(since + 1);
});

test('a site without email sends nothing, and its panel does not promise email', { timeout: 60_000 }, async () => {
  const ticket = await create('demo', 'ada@example.com', 'Export fails', 'It stops at 99%.');
  const since = sent.length;
  await agent(DEMO_TOKEN, `/v1/agent/tickets/${ticket.id}/messages`, { body: 'Looking into it.', public: true });
  await agent(DEMO_TOKEN, `/v1/agent/tickets/${ticket.id}/changes`, { status: 'solved' });
  await sweep();
  await noMailAfter(since);

  // The widget page comes from the assets, which the shared test worker serves.
  const base = process.env.BUOY_WORKER_URL;
  assert.ok(base, 'run through `cargo xtask test`');
  const demo = await (await fetch(`${base}/widget/demo/`)).text();
  assert.ok(!demo.includes('by email'), 'no promise of email without it');
  assert.ok(demo.includes('Tell us what is going on and we will reply here.'), 'the form says where replies go');
  assert.ok(demo.includes('We will reply here. Quote this reference'), 'so does the line after the reference');
  const mail = await (await fetch(`${base}/widget/mail/`)).text();
  assert.ok(mail.includes('we will reply by email.') && mail.includes('We will reply here and by email.'), 'a site with email promises it');
});

test('the development mail view is not served without the flag only `cargo xtask dev` sets', { timeout: 30_000 }, async () => {
  const response = await mf.dispatchFetch(`${ORIGIN}/dev/mail`);
  assert.equal(response.status, 404);
  assert.ok(!(await response.text()).includes('@'), 'no mail shown');
});
