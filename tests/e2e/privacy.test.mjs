// Privacy requests, end to end under workerd (wrangler dev: local KV, R2,
// D1 and Durable Objects): a verified requester files two feature
// requests, one with a file; an agent replies. A plain agent may neither
// export nor erase (403). An admin exports (both tickets, their messages,
// the file's metadata), then erases, confirming; afterwards nothing of
// theirs is found: the ticket URLs and the file 404, the agents' search by
// email, words and reference and the queue list none of it, the
// requester's history on another device is empty, and the metrics report
// still counts the tickets but no longer shows their subject. The audit
// trail shows both requests, naming the requester by a hash only. Another
// requester's ticket is untouched. A verified user is erased by user id.
// The console's Agents screen does the same, with axe finding nothing.
// `cargo xtask test` passes BUOY_WORKER_URL, BUOY_AGENT_TOKEN,
// BUOY_SECOND_AGENT_TOKEN (an admin), BUOY_IDENTITY_SECRET and BUOY_CHROMIUM.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { call, identityOf } from '../api.mjs';
import { launchChromium } from '../chromium.mjs';
import { recordProblems } from '../browser.mjs';
import { violations } from '../axe.mjs';

const WORKER = process.env.BUOY_WORKER_URL;
const AGENT = process.env.BUOY_AGENT_TOKEN; // a plain agent
const ADMIN = process.env.BUOY_SECOND_AGENT_TOKEN; // an admin (tests/buoy.toml)
const IDENTITY = process.env.BUOY_IDENTITY_SECRET;

// A word no other test writes: these tickets are the only ones it finds.
const WORD = `pv${randomBytes(6).toString('hex')}`;
const EMAIL = `ada.${WORD}@example.com`;
const USER = `u_${WORD}`;
const SUBJECT = `Aardvark ${WORD} export`;
const PNG = Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), Buffer.from('0000000d49484452000000010000000108000000003a7e9b55', 'hex'), randomBytes(32)]);

let browser;
let first; // with a file
let second;
let other; // another requester's
let file;

const today = () => new Date().toISOString().slice(0, 10);
const tomorrow = () => new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);

function identity() {
  return identityOf(IDENTITY, { id: USER, email: EMAIL, name: 'Ada' });
}

async function fileTicket(fields) {
  const body = { site: 'demo', name: 'Ada', email: EMAIL, type: 'feature_request', subject: SUBJECT, message: `Please ${WORD}.`, identity: identity(), ...fields };
  const created = await call('/v1/tickets', { body });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  return created.json;
}

async function privacy(what, body, token = ADMIN) {
  return call(`/v1/agent/privacy/${what}`, { token, body });
}

async function search(q) {
  return (await call(`/v1/agent/search?q=${encodeURIComponent(q)}`, { token: AGENT })).json.tickets.map((t) => t.id);
}

/** Every ticket id of the agent's queue, page after page. */
async function queueIds() {
  const ids = [];
  let cursor = '';
  do {
    const page = await call(`/v1/agent/tickets?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token: AGENT });
    assert.equal(page.status, 200);
    ids.push(...page.json.tickets.map((t) => t.id));
    cursor = page.json.cursor;
  } while (cursor);
  return ids;
}

async function metrics() {
  const report = await call(`/v1/agent/metrics?from=${today()}&to=${tomorrow()}&tz=UTC`, { token: AGENT });
  assert.equal(report.status, 200);
  return report.json;
}

before(async () => {
  assert.ok(WORKER && AGENT && ADMIN && IDENTITY, 'run through `cargo xtask test`, which starts the worker');
  browser = await launchChromium();
  const uploaded = await fetch(`${WORKER}/v1/uploads?site=demo`, { method: 'POST', headers: { 'buoy-file-name': 'shot.png' }, body: PNG });
  const upload = await uploaded.json();
  assert.equal(uploaded.status, 201, JSON.stringify(upload));
  file = upload.file;
  first = await fileTicket({ attachments: [upload.upload] });
  second = await fileTicket({ message: `A second ${WORD}.` });
  other = await call('/v1/tickets', { body: { site: 'demo', email: `grace.${WORD}@example.com`, type: 'bug', subject: `Grace ${WORD} stays`, message: 'Mine.' } });
  assert.equal(other.status, 201);
  other = other.json;
  const reply = await call(`/v1/agent/tickets/${first.id}/messages`, { token: AGENT, body: { body: `On it, ${WORD}.` } });
  assert.equal(reply.status, 201, JSON.stringify(reply.json));
});

after(async () => {
  await browser?.close();
});

test('only an admin handles privacy requests, and bad input names its field', async () => {
  for (const what of ['export', 'erase']) {
    const refused = await privacy(what, { email: EMAIL, confirm: true }, AGENT);
    assert.equal(refused.status, 403, what);
    assert.equal(refused.json.code, 'forbidden');
  }
  const cases = [
    ['export', {}, 'email', 'required'],
    ['export', { email: 'ada' }, 'email', 'invalid_email'],
    ['export', { email: EMAIL, user_id: USER }, 'user_id', 'ambiguous'],
    ['export', { email: EMAIL, site: 'other' }, 'site', 'unknown_site'],
    ['erase', { email: EMAIL }, 'confirm', 'required'],
    ['erase', { email: EMAIL, confirm: `grace.${WORD}@example.com` }, 'confirm', 'not_confirmed'],
  ];
  for (const [what, body, field, code] of cases) {
    const bad = await privacy(what, body);
    assert.equal(bad.status, 422, JSON.stringify(bad.json));
    assert.equal(bad.json.code, 'validation_failed');
    assert.deepEqual(bad.json.errors, [{ field, code }], JSON.stringify(body));
  }
  const unknown = await privacy('export', { mail: EMAIL });
  assert.equal(unknown.status, 400);
  assert.match(unknown.json.detail, /mail/);
  // Nothing was erased by any of it.
  assert.equal((await call(`/v1/tickets/${first.id}`, { requester: first.requester_token })).status, 200);
});

test('an admin exports and erases a requester; nothing of theirs is found after, and metrics keep the counts', { timeout: 60_000 }, async () => {
  const before = await metrics();
  assert.ok(before.feature_requests.some((r) => r.topic.includes(WORD) && r.count === 2), JSON.stringify(before.feature_requests));

  const exported = await privacy('export', { email: EMAIL.toUpperCase() });
  assert.equal(exported.status, 200, JSON.stringify(exported.json));
  const doc = exported.json;
  assert.equal(doc.format, 'buoy-privacy-export/1');
  assert.deepEqual(doc.requester, { email: EMAIL });
  assert.deepEqual(doc.tickets.map((t) => t.record.id), [second.id, first.id], 'both tickets, newest first; not the other requester');
  const withFile = doc.tickets.find((t) => t.record.id === first.id);
  assert.equal(withFile.reference, first.reference);
  assert.equal(withFile.record.requester.signed.user_id, USER);
  assert.ok(withFile.events.some((e) => e.body === `On it, ${WORD}.`), 'the agent reply');
  assert.deepEqual(withFile.files.map((f) => [f.file.id, f.file.name, f.file.size, f.file.sha256]), [[file.id, 'shot.png', PNG.length, file.sha256]]);

  // Before: everything is there to find.
  const fileUrl = `/v1/tickets/${first.id}/files/${file.id}`;
  assert.equal((await fetch(`${WORKER}${fileUrl}`, { headers: { 'buoy-requester-token': first.requester_token } })).status, 200);
  assert.deepEqual((await search(EMAIL)).sort(), [first.id, second.id].sort());

  const erased = await privacy('erase', { email: EMAIL, confirm: EMAIL });
  assert.equal(erased.status, 200, JSON.stringify(erased.json));
  assert.equal(erased.json.tickets, 2);
  assert.equal(erased.json.files, 1);
  assert.equal(erased.json.more, false);
  assert.equal(erased.json.events, 2, 'the file and the agent reply (the first message is in the record)');

  // Nothing of theirs answers any more.
  for (const ticket of [first, second]) {
    assert.equal((await call(`/v1/tickets/${ticket.id}`, { requester: ticket.requester_token })).status, 404);
    assert.equal((await call(`/v1/agent/tickets/${ticket.id}`, { token: AGENT })).status, 404);
  }
  assert.equal((await fetch(`${WORKER}${fileUrl}`, { headers: { 'buoy-requester-token': first.requester_token } })).status, 404);
  assert.equal((await fetch(`${WORKER}/v1/agent/tickets/${first.id}/files/${file.id}`, { headers: { authorization: `Bearer ${AGENT}` } })).status, 404);
  assert.deepEqual(await search(EMAIL), [], 'by email');
  assert.deepEqual(await search(WORD), [other.id], 'by words: only the other requester');
  assert.deepEqual(await search(first.reference), [], 'by reference');
  const queue = await queueIds();
  assert.ok(!queue.includes(first.id) && !queue.includes(second.id), 'not in the queue');
  assert.ok(queue.includes(other.id), "the other requester's ticket stays in the queue");
  const mine = await call('/v1/tickets/mine', { body: { site: 'demo', identity: identity() } });
  assert.equal(mine.status, 200);
  assert.deepEqual(mine.json.tickets, [], "the requester's history is empty");
  const again = await privacy('export', { email: EMAIL });
  assert.deepEqual(again.json.tickets, [], 'an export after finds nothing');

  // Metrics keep anonymous counts: the tickets still count, their subject is gone.
  const after = await metrics();
  assert.ok(after.tickets >= before.tickets, `${after.tickets} ≥ ${before.tickets}`);
  assert.ok(!JSON.stringify(after.feature_requests).includes(WORD), JSON.stringify(after.feature_requests));

  // The other requester is untouched.
  const kept = await call(`/v1/tickets/${other.id}`, { requester: other.requester_token });
  assert.equal(kept.status, 200);

  // A second erase is harmless and says it found nothing.
  const repeat = await privacy('erase', { email: EMAIL, confirm: true });
  assert.equal(repeat.status, 200);
  assert.deepEqual([repeat.json.tickets, repeat.json.files, repeat.json.more], [0, 0, false]);

  // The audit trail shows the export and the erase, without the address.
  const trail = await call('/v1/agent/audit', { token: ADMIN });
  assert.equal(trail.status, 200);
  const mineEvents = trail.json.events.filter((e) => e.kind.startsWith('privacy_') && e.tickets === 2);
  assert.deepEqual(mineEvents.map((e) => e.kind).sort(), ['privacy_erase', 'privacy_export']);
  const name = mineEvents[0].requester;
  assert.match(name, /^email:[0-9a-f]{32}$/);
  assert.ok(mineEvents.every((e) => e.requester === name && e.by === 'Second agent'));
  assert.ok(!JSON.stringify(trail.json).includes(WORD), 'the trail never holds the address');
});

test('a verified user is erased by their user id', { timeout: 30_000 }, async () => {
  const user = `u_${randomBytes(6).toString('hex')}`;
  const who = identityOf(IDENTITY, { id: user });
  const created = await call('/v1/tickets', { body: { site: 'demo', email: `${user}@example.com`, type: 'bug', subject: 'Verified', message: 'Hello.', identity: who } });
  assert.equal(created.status, 201);
  assert.equal((await call('/v1/tickets/mine', { body: { site: 'demo', identity: who } })).json.tickets.length, 1);
  const exported = await privacy('export', { user_id: user });
  assert.deepEqual(exported.json.requester, { user_id: user });
  assert.deepEqual(exported.json.tickets.map((t) => t.record.id), [created.json.id]);
  const erased = await privacy('erase', { user_id: user, confirm: user });
  assert.equal(erased.json.tickets, 1);
  assert.deepEqual((await call('/v1/tickets/mine', { body: { site: 'demo', identity: who } })).json.tickets, []);
  assert.deepEqual(await search(`${user}@example.com`), [], 'its email entry went too');
});

async function signIn(context, token) {
  const page = await context.newPage();
  const problems = await recordProblems(page);
  await page.goto(`${WORKER}/console/`);
  await page.getByLabel('Agent token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#queue button.ticket').first().waitFor();
  return { page, problems };
}

test('the console: an admin exports and erases in the Agents screen; axe finds nothing', { timeout: 90_000 }, async () => {
  const email = `lin.${randomBytes(6).toString('hex')}@example.com`;
  const created = await call('/v1/tickets', { body: { site: 'demo', email, type: 'bug', subject: 'Console erase', message: 'Hello.' } });
  assert.equal(created.status, 201);
  const context = await browser.newContext({ acceptDownloads: true });
  const { page, problems } = await signIn(context, ADMIN);
  await page.click('#nav-agents');
  const screen = page.locator('#privacy');
  await screen.waitFor();
  assert.deepEqual(await violations(page), [], 'axe, the Agents screen with its privacy requests');

  await screen.getByLabel('Email address or user id', { exact: true }).fill(email);
  const download = page.waitForEvent('download');
  await screen.getByRole('button', { name: 'Export' }).click();
  const saved = await download;
  assert.match(saved.suggestedFilename(), /^buoy-export-demo-\d{4}-\d{2}-\d{2}\.json$/);
  const doc = JSON.parse(await readFile(await saved.path(), 'utf8'));
  assert.deepEqual(doc.tickets.map((t) => t.record.id), [created.json.id]);
  await screen.locator('[role=status]', { hasText: 'Exported 1 ticket:' }).waitFor();
  await page.locator('#audit li', { hasText: 'exported 1 ticket(s) of requester email:' }).first().waitFor();

  await screen.getByRole('button', { name: 'Erase…' }).click();
  const confirm = screen.getByLabel('Type the email address or user id again to confirm');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'p-confirm', 'the confirmation takes the focus');
  await confirm.fill('someone.else@example.com');
  await screen.getByRole('button', { name: 'Erase everything' }).click();
  await screen.locator('[role=alert]', { hasText: 'confirm is not confirmed' }).waitFor();
  assert.equal((await call(`/v1/agent/tickets/${created.json.id}`, { token: AGENT })).status, 200, 'a wrong confirmation erases nothing');
  await confirm.fill(email);
  await screen.getByRole('button', { name: 'Erase everything' }).click();
  await screen.locator('[role=status]', { hasText: 'Erased 1 ticket' }).waitFor();
  assert.deepEqual(await violations(page), [], 'axe, after an erase');
  assert.equal((await call(`/v1/agent/tickets/${created.json.id}`, { token: AGENT })).status, 404);
  // The refused confirmation's 422 is the browser's one expected complaint.
  assert.deepEqual(problems.filter((p) => !p.includes('status of 422')), []);
  await context.close();

  // A plain agent has no Agents screen, so no privacy requests.
  const plain = await browser.newContext();
  const agent = await signIn(plain, AGENT);
  assert.equal(await agent.page.isHidden('#nav-agents'), true);
  await plain.close();
});
