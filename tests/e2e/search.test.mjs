// Finding tickets, end to end under workerd: the console's search box
// (`/` focuses it) finds a ticket by its reference, a requester's tickets
// by their email address, and tickets by words of their subject and first
// message (the better match first), through the worker's KV and its D1
// word index (wrangler dev simulates D1 locally); the queue filters by
// group and tag; axe finds nothing on the new screens. A worker without
// the D1 binding (Miniflare, no database) still finds references and
// emails, and says word search is not set up.
// `cargo xtask test` starts the worker and passes:
//   BUOY_WORKER_URL, BUOY_AGENT_TOKEN, BUOY_OTHER_AGENT_TOKEN, BUOY_SECOND_AGENT_TOKEN, BUOY_TEST_WORKER, BUOY_CHROMIUM.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { launchChromium } from '../chromium.mjs';
import { recordProblems } from '../browser.mjs';
import { violations } from '../axe.mjs';
import { startWorker } from '../miniflare.mjs';

const WORKER = process.env.BUOY_WORKER_URL;
const TOKEN = process.env.BUOY_AGENT_TOKEN;
const OTHER = process.env.BUOY_OTHER_AGENT_TOKEN;
const SECOND = process.env.BUOY_SECOND_AGENT_TOKEN; // an admin (tests/buoy.toml)

// A word no other test writes, so that these tickets are the only ones it finds.
const WORD = `kx${randomBytes(6).toString('hex')}`;
const EMAIL = `ada.${WORD}@example.com`;
let browser;
let inSubject; // WORD in its subject: the better match
let inMessage; // WORD in its first message only
let other; // another requester, without WORD

async function file(base, fields) {
  const body = { site: 'demo', name: 'Ada Lovelace', email: EMAIL, type: 'bug', message: 'Something is wrong.', ...fields };
  const response = await fetch(`${base}/v1/tickets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(response.status, 201, await response.clone().text());
  return { ...(await response.json()), subject: body.subject };
}

async function search(q, token = TOKEN, base = WORKER) {
  const response = await fetch(`${base}/v1/agent/search?q=${encodeURIComponent(q)}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, type: response.headers.get('content-type'), json: await response.json() };
}

before(async () => {
  assert.ok(WORKER && TOKEN && OTHER, 'run through `cargo xtask test`, which starts the worker');
  browser = await launchChromium();
  inMessage = await file(WORKER, { subject: 'Chart shows the wrong totals', message: `Reported under ${WORD} in the monthly chart.` });
  await new Promise((resolve) => setTimeout(resolve, 20)); // newer by the clock, for "newest first"
  inSubject = await file(WORKER, { type: 'billing', subject: `Invoice ${WORD} is missing`, message: 'The March invoice never came.' });
  other = await file(WORKER, { email: `grace.${WORD}@example.com`, subject: 'Export stuck at 99%', message: 'The export stops.' });
});

after(async () => {
  await browser?.close();
});

test('the API finds a ticket by reference, a requester by email, and words best match first', async () => {
  const byReference = await search(inSubject.reference.toLowerCase());
  assert.equal(byReference.status, 200);
  assert.equal(byReference.json.query, 'reference');
  assert.deepEqual(byReference.json.tickets.map((t) => t.id), [inSubject.id]);

  const byEmail = await search(EMAIL.toUpperCase());
  assert.equal(byEmail.json.query, 'email');
  assert.deepEqual(byEmail.json.tickets.map((t) => t.id), [inSubject.id, inMessage.id], 'newest first, only this address');

  const byWords = await search(WORD);
  assert.equal(byWords.json.query, 'words');
  assert.equal(byWords.json.word_search, true);
  assert.deepEqual(byWords.json.tickets.map((t) => t.id), [inSubject.id, inMessage.id], 'the subject weighs more than the message');
  // Every word must match while some ticket has them all; stemming as in the article search.
  const both = await search(`${WORD} invoices`);
  assert.deepEqual(both.json.tickets.map((t) => t.id), [inSubject.id]);
  assert.equal(both.json.tickets[0].group, 'finance', 'routing chose the group, and the row says so');

  // Another site's agent finds none of it.
  for (const q of [inSubject.reference, EMAIL, WORD]) {
    assert.deepEqual((await search(q, OTHER)).json.tickets, [], q);
  }
  // Nothing to search is a problem naming the parameter.
  for (const q of ['', 'the of and', 'x'.repeat(201)]) {
    const bad = await search(q);
    assert.equal(bad.status, 400, q);
    assert.match(bad.type, /application\/problem\+json/);
    assert.match(bad.json.detail, /^q: /);
  }
});

test('the console: `/` focuses the search box; references, emails and words find tickets; axe finds nothing', { timeout: 90_000 }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = await recordProblems(page);
  await page.goto(`${WORKER}/console/`);
  await page.getByLabel('Agent token').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#queue button.ticket').first().waitFor();

  await page.locator('#queue button.ticket').first().focus();
  await page.keyboard.press('/');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'search', '`/` goes to the search box');
  // Typed into the box, `/` is just a character.
  await page.keyboard.type('a/b');
  assert.equal(await page.getByRole('searchbox', { name: 'Find' }).inputValue(), 'a/b');

  const rows = page.locator('#queue button.ticket .subject');
  const find = async (q, expected) => {
    await page.getByRole('searchbox', { name: 'Find' }).fill(q);
    await page.keyboard.press('Enter');
    await page.locator('#search-text', { hasText: `“${q}”` }).waitFor();
    await page.waitForFunction((n) => document.querySelectorAll('#queue button.ticket').length === n, expected.length);
    assert.deepEqual(await rows.allTextContents(), expected, q);
  };
  await find(inSubject.reference, [inSubject.subject]);
  assert.match(await page.locator('#search-text').textContent(), /1 ticket found .* by reference/);
  await find(EMAIL, [inSubject.subject, inMessage.subject]);
  await find(WORD, [inSubject.subject, inMessage.subject]);
  assert.match(await page.locator('#search-text').textContent(), /2 tickets found .* best match first/);
  assert.match(await page.locator('#queue button.ticket').first().textContent(), /group finance/);
  assert.deepEqual(await violations(page), [], 'axe on the search results');

  // A result opens like a queue row, shows its group, and Esc comes back to the results.
  await page.locator('#queue button.ticket').first().click();
  await page.locator('#subject', { hasText: inSubject.subject }).waitFor();
  const group = page.locator('#context dt', { hasText: 'Group' }).locator('xpath=following-sibling::dd[1]');
  assert.equal(await group.textContent(), 'finance');
  await page.keyboard.press('Escape');
  await page.locator('#search-text', { hasText: WORD }).waitFor();

  await find(`zzqqy${WORD}`, []);
  assert.match(await page.locator('#search-text').textContent(), /No ticket found/);
  await page.getByRole('button', { name: 'Back to the queue' }).click();
  await page.locator('#queue-title', { hasText: 'Queue' }).waitFor();
  assert.equal(await page.locator('#search-note').isHidden(), true);
  assert.deepEqual(problems, []);
  await context.close();
});

test('the queue filters by group and by tag', { timeout: 60_000 }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${WORKER}/console/`);
  await page.getByLabel('Agent token').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#queue button.ticket').first().waitFor();
  const filters = page.locator('#filters');
  await filters.getByLabel('Group').selectOption('finance');
  await page.waitForFunction(() => location.hash.includes('group=finance'));
  // The queue redraws once the filtered page arrives: every row is then finance's.
  await page.waitForFunction(() => {
    const metas = [...document.querySelectorAll('#queue button.ticket .meta')].map((m) => m.textContent);
    return metas.length > 0 && metas.every((m) => m.includes('group finance'));
  });
  await page.locator('#queue button.ticket', { hasText: inSubject.subject }).waitFor();
  assert.equal(await page.locator('#queue button.ticket', { hasText: inMessage.subject }).count(), 0);

  await filters.getByLabel('Group').selectOption('');
  await filters.getByLabel('Tag').selectOption('billing');
  await page.waitForFunction(() => location.hash.includes('tag=billing') && !location.hash.includes('group='));
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('#queue button.ticket')].map((b) => b.querySelector('.meta-tags')?.textContent ?? '');
    return rows.length > 0 && rows.every((t) => /\bbilling\b/.test(t));
  });
  await page.locator('#queue button.ticket', { hasText: inSubject.subject }).waitFor();
  assert.equal(await page.locator('#queue button.ticket', { hasText: other.subject }).count(), 0);
  assert.deepEqual(await violations(page), [], 'axe on the filtered queue');

  // The API names a bad filter value.
  const response = await fetch(`${WORKER}/v1/agent/tickets?tag=`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(response.status, 200, 'an empty filter does not narrow');
  await context.close();
});

test('without a D1 binding, references and emails are found and word search says it is not set up', { timeout: 60_000 }, async () => {
  const token = randomBytes(16).toString('hex');
  const admin = randomBytes(16).toString('hex');
  const mf = await startWorker({ bindings: { BUOY_SECRET: randomBytes(32).toString('hex'), BUOY_AGENT_TOKEN: token, BUOY_SECOND_AGENT_TOKEN: admin } });
  try {
    const base = (await mf.ready).toString().replace(/\/$/, '');
    const created = await file(base, { subject: `Password ${WORD} reset` });
    const byReference = await search(created.reference, token, base);
    assert.deepEqual(byReference.json.tickets.map((t) => t.id), [created.id]);
    const byEmail = await search(EMAIL, token, base);
    assert.deepEqual(byEmail.json.tickets.map((t) => t.id), [created.id]);
    const byWords = await search(WORD, token, base);
    assert.equal(byWords.status, 200);
    assert.deepEqual({ query: byWords.json.query, word_search: byWords.json.word_search, tickets: byWords.json.tickets }, { query: 'words', word_search: false, tickets: [] });
    // The rebuild still rebuilds the email entries, and says there is no word index.
    const rebuilt = await fetch(`${base}/v1/agent/search/rebuild`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
    assert.equal(rebuilt.status, 200);
    const page = await rebuilt.json();
    assert.equal(page.word_search, false);
    assert.equal(page.indexed, 1);
  } finally {
    await mf.dispose();
  }
});

test('the rebuild re-indexes every page of records, and searching still finds the same tickets', async () => {
  let cursor = null;
  let indexed = 0;
  do {
    const response = await fetch(`${WORKER}/v1/agent/search/rebuild${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`, {
      method: 'POST', headers: { authorization: `Bearer ${SECOND}` },
    });
    assert.equal(response.status, 200, await response.clone().text());
    const page = await response.json();
    assert.equal(page.word_search, true);
    indexed += page.indexed;
    cursor = page.cursor;
  } while (cursor);
  assert.ok(indexed >= 3, `${indexed} tickets re-indexed`);
  assert.deepEqual((await search(WORD)).json.tickets.map((t) => t.id), [inSubject.id, inMessage.id], 'a rebuild changes nothing found');
  const refused = await fetch(`${WORKER}/v1/agent/search/rebuild`, { method: 'POST' });
  assert.equal(refused.status, 401);
  const forbidden = await fetch(`${WORKER}/v1/agent/search/rebuild`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(forbidden.status, 403, 'an agent who is no admin does not rebuild');
  assert.equal((await forbidden.json()).code, 'forbidden');
});
