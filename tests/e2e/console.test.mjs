// The agent console, end to end: Chromium opens /console/ on the worker
// (under workerd with local KV), signs in with an agent token and works
// tickets filed through the API. Every ticket field is hostile until
// proven otherwise, so one test files a ticket made of XSS payloads.
// `cargo xtask test` starts the worker and passes:
//   BUOY_WORKER_URL, BUOY_AGENT_TOKEN, BUOY_SECOND_AGENT_TOKEN,
//   BUOY_OTHER_AGENT_TOKEN (an agent of another site), BUOY_IDENTITY_SECRET,
//   BUOY_CHROMIUM.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { launchChromium } from '../chromium.mjs';
import { recordProblems } from '../browser.mjs';
import { identityOf } from '../api.mjs';

const WORKER = process.env.BUOY_WORKER_URL;
const TOKEN = process.env.BUOY_AGENT_TOKEN;
const SECOND = process.env.BUOY_SECOND_AGENT_TOKEN;
const OTHER = process.env.BUOY_OTHER_AGENT_TOKEN;
const CONSOLE = `${WORKER}/console/`;
const HOUR = 3600 * 1000;

let browser;

before(async () => {
  assert.ok(WORKER && TOKEN && SECOND && OTHER, 'run through `cargo xtask test`, which starts the worker');
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

/** A ticket filed as a requester would (through the API); `subject` is unique. */
async function fileTicket(fields = {}) {
  const body = {
    site: 'demo',
    name: 'Grace Hopper',
    email: 'grace@example.com',
    type: 'bug',
    subject: `Export stuck ${crypto.randomUUID()}`,
    message: 'The export stops at 99%.',
    context: { url: 'https://app.example.com/reports?range=30d', title: 'Reports', locale: 'en-GB', time_zone: 'Europe/London' },
    ...fields,
  };
  const response = await fetch(`${WORKER}/v1/tickets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(response.status, 201, await response.clone().text());
  return { ...(await response.json()), subject: body.subject };
}

/** An agent API call outside the browser (to set up, and to check what the console saved). */
async function agentApi(path, body, token = TOKEN) {
  const response = await fetch(`${WORKER}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  assert.ok(response.ok, `${path}: ${response.status} ${await response.clone().text()}`);
  return response.json();
}

/**
 * The console in a fresh context, recording console errors, uncaught
 * exceptions and CSP violations (as `problems`), before any of its code runs.
 */
async function openConsole(hash = '', { clock } = {}) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = await recordProblems(page);
  if (clock) await page.clock.install({ time: clock });
  await page.goto(`${CONSOLE}${hash}`);
  return { page, problems, context };
}

/** Signs in; the console then shows the queue, or the ticket the URL names. */
async function signIn(page, token = TOKEN) {
  await page.getByLabel('Agent token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** A filter of the queue, by its label (the ticket view has controls with the same labels). */
const filter = (page, label) => page.locator('#filters').getByLabel(label);

/** A ticket's row in the queue, by its unique subject. */
const row = (page, subject) => page.locator('#queue button.ticket', { hasText: subject });

test('the console is served with a strict CSP, and its code draws no HTML from strings', { timeout: 60_000 }, async () => {
  for (const path of ['/console/', '/console/console.js', '/console/console.css']) {
    const response = await fetch(`${WORKER}${path}`);
    assert.equal(response.status, 200, path);
    assert.equal(response.headers.get('content-security-policy'),
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' blob:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'", path);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff', path);
    assert.equal(response.headers.get('referrer-policy'), 'no-referrer', path);
  }
  const redirected = await fetch(`${WORKER}/console`);
  assert.equal(new URL(redirected.url).pathname, '/console/');
  assert.equal(redirected.status, 200);

  const source = await readFile(new URL('../../www/console/console.js', import.meta.url), 'utf8');
  for (const sink of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'eval(', 'new Function', '.href']) {
    assert.ok(!source.includes(sink), `console.js must not use ${sink}`);
  }
  const html = await readFile(new URL('../../www/console/index.html', import.meta.url), 'utf8');
  assert.ok(!/style=|<style/i.test(html), 'no inline styles');
  assert.deepEqual(html.match(/<script[^>]*>/g), ['<script type="module" src="/console/console.js">'], 'one script, from a file');
});

test('a wrong token is refused; the right one opens the queue; sign-out forgets it', { timeout: 60_000 }, async () => {
  const { page, problems, context } = await openConsole();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByLabel('Agent token').fill('not-a-token');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'That token was not accepted' }).waitFor();
  assert.equal(await page.getByRole('heading', { name: 'Queue' }).isVisible(), false);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('buoy.agent')), null);

  await signIn(page);
  assert.equal(await page.locator('#agent-name').textContent(), 'Test agent');
  assert.equal(await page.getByRole('status').textContent(), 'Signed in as Test agent.');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('buoy.agent')), TOKEN);
  // The filters offer what the API allows.
  const types = await filter(page, 'Type').locator('option').allTextContents();
  assert.ok(types.includes('Billing') || types.some((t) => /billing/i.test(t)), types.join(' | '));
  // `admin`: tests/buoy.toml's first admin of [access], who works every site.
  assert.deepEqual(await filter(page, 'Assignee').locator('option').allTextContents(), ['Anyone', 'Unassigned', 'Test agent', 'Second agent', 'admin']);

  // The session survives a reload of the tab, and sign-out ends it.
  await page.reload();
  await page.getByRole('heading', { name: 'Queue' }).waitFor();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('buoy.agent')), null);
  assert.equal(await page.locator('#queue li').count(), 0, 'nothing of the queue stays on the page');
  // A 401 (here: a token revoked mid-session) signs out with a message.
  await signIn(page, SECOND);
  assert.equal(await page.locator('#agent-name').textContent(), 'Second agent');
  await page.evaluate(() => sessionStorage.setItem('buoy.agent', 'revoked'));
  await filter(page, 'Status').selectOption('pending');
  await page.getByRole('alert').filter({ hasText: 'You have been signed out' }).waitFor();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('buoy.agent')), null);
  // The refused sign-in and the revoked token answer 401, which Chromium
  // logs as failed loads; nothing else may be logged.
  assert.deepEqual(problems.filter((p) => !p.includes('401')), []);
  await context.close();
});

test('a ticket filed through the API is in the queue with a live SLA countdown and its context', { timeout: 60_000 }, async () => {
  const ticket = await fileTicket();
  const { page, problems, context } = await openConsole('', { clock: Date.now() });
  await signIn(page);
  const item = row(page, ticket.subject);
  await item.waitFor();
  const text = await item.textContent();
  assert.ok(text.includes(ticket.reference), text);
  assert.ok(text.includes('Grace Hopper'), text);
  // Free segment, normal priority: first response within 24 h, counted
  // down against the browser's clock.
  assert.match(await item.locator('.due').textContent(), /^due in 23h 5\dm$/);
  await page.clock.fastForward(2 * HOUR);
  assert.match(await item.locator('.due').textContent(), /^due in 21h 5\dm$/);
  await page.clock.fastForward(22 * HOUR + 12 * 60 * 1000);
  assert.match(await item.locator('.due').textContent(), /^overdue 1[0-2]m \d+s$/);
  assert.ok(await item.locator('.due.overdue').isVisible());

  await item.click();
  await page.getByRole('heading', { name: ticket.subject }).waitFor();
  const contextPanel = page.locator('#context');
  const facts = Object.fromEntries(await contextPanel.locator('dt').evaluateAll((dts) => dts.map((dt) => [dt.textContent, dt.nextElementSibling.textContent])));
  assert.equal(facts['Name (typed)'], 'Grace Hopper');
  assert.equal(facts['Email (typed)'], 'grace@example.com');
  assert.equal(facts.Verified, 'no');
  assert.equal(facts['Email (signed)'], undefined);
  assert.equal(facts.Segment, 'Free');
  assert.equal(facts.Page, 'https://app.example.com/reports?range=30d');
  assert.equal(facts['Page title'], 'Reports');
  assert.equal(facts.Locale, 'British English (en-GB)');
  assert.equal(facts['Time zone'], 'Europe/London');
  assert.equal(facts.Reference, ticket.reference);
  assert.equal(await contextPanel.locator('a').count(), 0, 'the page URL is text, not a link');
  assert.equal(await page.locator('#thread li').first().locator('.body').textContent(), 'The export stops at 99%.');
  assert.ok((await page.locator('#clocks').textContent()).includes('First response'));
  assert.deepEqual(problems, []);
  await context.close();
});

/** The ticket's context panel, term by term. */
async function factsOf(page) {
  const dts = page.locator('#context dt');
  return Object.fromEntries(await dts.evaluateAll((list) => list.map((dt) => [dt.textContent, dt.nextElementSibling.textContent])));
}

test('a verified ticket shows which email and name were signed and which were typed', { timeout: 60_000 }, async () => {
  const secret = process.env.BUOY_IDENTITY_SECRET;
  const idOnly = await fileTicket({ identity: identityOf(secret, { id: 'u_console' }) });
  const signed = await fileTicket({ identity: identityOf(secret, { id: 'u_console', email: 'grace@lumen.example', name: 'Grace (signed)' }) });
  const { page, problems, context } = await openConsole();
  await signIn(page);
  await row(page, idOnly.subject).click();
  await page.getByRole('heading', { name: idOnly.subject }).waitFor();
  let facts = await factsOf(page);
  // The identity signed only the id: the form's address is typed, not verified.
  assert.deepEqual(
    [facts.Verified, facts['User id (signed)'], facts['Email (typed)'], facts['Email (signed)'], facts.Email],
    ['yes', 'u_console', 'grace@example.com', undefined, undefined],
  );
  await page.keyboard.press('Escape');
  await row(page, signed.subject).click();
  await page.getByRole('heading', { name: signed.subject }).waitFor();
  facts = await factsOf(page);
  assert.deepEqual(
    [facts['Email (signed)'], facts['Name (signed)'], facts['Email (typed)'], facts['Name (typed)']],
    ['grace@lumen.example', 'Grace (signed)', 'grace@example.com', 'Grace Hopper'],
  );
  assert.deepEqual(problems, []);
  await context.close();
});

test('the queue refreshes itself every 15 seconds', { timeout: 60_000 }, async () => {
  const { page, problems, context } = await openConsole('', { clock: Date.now() });
  await signIn(page);
  await page.locator('#queue button.ticket').first().waitFor();
  const late = await fileTicket();
  await page.clock.fastForward(5_000);
  assert.equal(await row(page, late.subject).count(), 0, 'not before its time');
  await page.clock.fastForward(10_000);
  await row(page, late.subject).waitFor();
  assert.deepEqual(problems, []);
  await context.close();
});

test('every control has a label, status messages are live, and the page has its landmarks', { timeout: 60_000 }, async () => {
  const { page, problems, context } = await openConsole();
  await signIn(page);
  const report = await page.evaluate(() => ({
    unlabelled: [...document.querySelectorAll('input, select, textarea')].filter((c) => c.labels.length === 0).map((c) => c.id),
    mains: document.querySelectorAll('main').length,
    live: document.querySelector('[aria-live]')?.getAttribute('role'),
    headings: [...document.querySelectorAll('h1, h2')].filter((h) => h.offsetParent).map((h) => h.textContent),
  }));
  assert.deepEqual(report.unlabelled, []);
  assert.equal(report.mains, 1);
  assert.equal(report.live, 'status');
  assert.deepEqual(report.headings, ['Buoy console', 'Queue']);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a breached clock shows a badge in the queue and in the ticket', { timeout: 60_000 }, async () => {
  const ticket = await fileTicket();
  const { page, problems, context } = await openConsole();
  // The cron sweep does not run under `wrangler dev`: the API's answers
  // are passed through with this ticket's first clock marked breached (a
  // queue row also says so in `breached`).
  const breach = (view) => (view.id === ticket.id ? { ...view, breached: true, clocks: view.clocks.map((c, i) => (i === 0 ? { ...c, state: 'breached', at: c.due } : c)) } : view);
  await page.route(/\/v1\/agent\/tickets(\?|\/[^/]+$)/, async (route) => {
    const response = await route.fetch();
    const body = await response.json();
    await route.fulfill({ response, json: body.tickets ? { ...body, tickets: body.tickets.map(breach) } : breach(body) });
  });
  await signIn(page);
  const item = row(page, ticket.subject);
  await item.waitFor();
  assert.equal(await item.locator('.badge.breach').textContent(), 'SLA breached');
  const others = await page.locator('#queue button.ticket', { hasNotText: ticket.subject }).locator('.badge.breach').count();
  assert.equal(others, 0, 'only the breached ticket has the badge');
  await item.click();
  await page.getByRole('heading', { name: ticket.subject }).waitFor();
  assert.ok((await page.locator('#clocks .clock.breach').textContent()).includes('Breached'));
  assert.deepEqual(problems, []);
  await context.close();
});

test('filters narrow the queue and are kept in the URL', { timeout: 60_000 }, async () => {
  const billing = await fileTicket({ type: 'billing', subject: `Charged twice ${crypto.randomUUID()}` });
  const bug = await fileTicket();
  await agentApi(`/v1/agent/tickets/${billing.id}/changes`, { assignee: 'Second agent', tier: 2 });
  await agentApi(`/v1/agent/tickets/${bug.id}/changes`, { status: 'pending' });
  const { page, problems, context } = await openConsole();
  await signIn(page);
  await row(page, billing.subject).waitFor();
  await row(page, bug.subject).waitFor();

  const only = async (label, value, shown, hidden) => {
    await filter(page, label).selectOption(value);
    await row(page, hidden.subject).waitFor({ state: 'detached' });
    await row(page, shown.subject).waitFor();
  };
  await only('Type', 'billing', billing, bug);
  assert.match(page.url(), /#type=billing$/);
  await filter(page, 'Type').selectOption('');
  await only('Status', 'pending', bug, billing);
  const metas = await page.locator('#queue .meta').allTextContents();
  assert.ok(metas.length > 0 && metas.every((m) => m.includes(' · Pending · ')), metas.join('\n'));
  await filter(page, 'Status').selectOption('');
  await only('Assignee', 'Second agent', billing, bug);
  await only('Assignee', 'none', bug, billing);
  await filter(page, 'Assignee').selectOption('');
  await only('Tier', '2', billing, bug);
  await only('Segment', 'free', billing, bug);
  assert.match(page.url(), /#tier=2&segment=free$/);

  // The hash is the state: a reload shows the same narrowed queue.
  await page.reload();
  await row(page, billing.subject).waitFor();
  assert.equal(await row(page, bug.subject).count(), 0);
  assert.equal(await filter(page, 'Tier').inputValue(), '2');
  // Nothing matches: the queue says so.
  await filter(page, 'Type').selectOption('how_to');
  await page.getByText('No tickets match these filters.').waitFor();
  assert.deepEqual(problems, []);
  await context.close();
});

test('j and k move the selection, Enter opens, r goes to the reply box, Escape comes back', { timeout: 60_000 }, async () => {
  await fileTicket();
  await fileTicket();
  const { page, problems, context } = await openConsole();
  await signIn(page);
  await page.locator('#queue button.ticket').nth(1).waitFor();
  const selected = page.locator('#queue button.ticket[aria-current="true"]');
  const subjectOf = async (locator) => locator.locator('.subject').textContent();
  const buttons = page.locator('#queue button.ticket');

  await page.keyboard.press('j');
  assert.equal(await subjectOf(selected), await subjectOf(buttons.nth(0)));
  await page.keyboard.press('j');
  assert.equal(await subjectOf(selected), await subjectOf(buttons.nth(1)));
  await page.keyboard.press('j');
  await page.keyboard.press('k');
  assert.equal(await subjectOf(selected), await subjectOf(buttons.nth(1)));
  assert.equal(await page.locator('#queue button.ticket[aria-current]').count(), 1);
  const chosen = await subjectOf(selected);

  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: chosen, exact: true }).waitFor();
  await page.keyboard.press('r');
  const reply = page.getByLabel('Reply to the requester');
  await page.locator('#reply:focus').waitFor();
  assert.equal(await reply.inputValue(), '', 'the r that moved focus is not typed');
  // Typing is never taken for a shortcut: r, j and Escape stay in the box.
  await page.keyboard.type('rj');
  await page.keyboard.press('Escape');
  assert.equal(await reply.inputValue(), 'rj');
  assert.ok(await page.getByRole('heading', { name: chosen, exact: true }).isVisible());

  await page.getByRole('heading', { name: chosen, exact: true }).focus();
  await page.keyboard.press('Escape');
  await page.getByRole('heading', { name: 'Queue' }).waitFor();
  assert.equal(await subjectOf(selected), chosen, 'the selection is kept');
  await page.waitForFunction(() => document.activeElement?.getAttribute('aria-current') === 'true');
  await page.keyboard.press('k');
  assert.equal(await subjectOf(selected), await subjectOf(buttons.nth(0)));
  assert.deepEqual(problems, []);
  await context.close();
});

test('a reply and an internal note appear in the thread, marked apart; only the reply reaches the requester', { timeout: 60_000 }, async () => {
  const ticket = await fileTicket();
  const { page, problems, context } = await openConsole(`#ticket=${ticket.id}`);
  await signIn(page);
  await page.getByRole('heading', { name: ticket.subject }).waitFor();
  assert.equal(await page.locator('#c-status').inputValue(), 'new');

  await page.getByLabel('Reply to the requester').fill('Thanks, Grace: we are on it.\nSecond line.');
  await page.getByRole('button', { name: 'Send reply' }).click();
  const reply = page.locator('#thread li.message.public', { hasText: 'we are on it' });
  await reply.waitFor();
  assert.equal(await reply.locator('.author').textContent(), 'Test agent');
  assert.equal(await reply.locator('.kind').textContent(), 'Public reply');
  assert.equal(await reply.locator('.body').textContent(), 'Thanks, Grace: we are on it.\nSecond line.');
  await page.getByRole('status').filter({ hasText: 'Reply sent.' }).waitFor();
  assert.equal(await page.locator('#reply').inputValue(), '');
  // The first public reply opens a new ticket: the state comes from the answer.
  assert.equal(await page.locator('#c-status').inputValue(), 'open');

  await page.getByLabel('Internal note (agents only)').check();
  await page.getByLabel('Internal note (only agents see it)').fill('Looks like the CSV writer again.');
  await page.getByRole('button', { name: 'Add internal note' }).click();
  const note = page.locator('#thread li.message.internal', { hasText: 'CSV writer' });
  await note.waitFor();
  assert.equal(await note.locator('.kind').textContent(), 'Internal note');
  assert.notEqual(await note.evaluate((e) => getComputedStyle(e).backgroundColor), await reply.evaluate((e) => getComputedStyle(e).backgroundColor));
  assert.deepEqual(await page.locator('#thread .kind').allTextContents(), ['Requester', 'Public reply', 'Internal note']);

  const seen = await (await fetch(`${WORKER}/v1/tickets/${ticket.id}`, { headers: { 'buoy-requester-token': ticket.requester_token } })).json();
  assert.deepEqual(seen.messages.map((m) => m.body), ['Thanks, Grace: we are on it.\nSecond line.']);
  assert.deepEqual(problems, []);
  await context.close();
});

test('status, priority, tier, assignee and tag changes are saved and drawn from the answer', { timeout: 60_000 }, async () => {
  const ticket = await fileTicket();
  const { page, problems, context } = await openConsole(`#ticket=${ticket.id}`);
  await signIn(page);
  await page.getByRole('heading', { name: ticket.subject }).waitFor();
  const controls = page.locator('#controls');
  const change = async (label, value, history) => {
    const saved = page.waitForResponse((r) => r.url().endsWith(`/v1/agent/tickets/${ticket.id}/changes`));
    await controls.getByLabel(label).selectOption(value);
    assert.equal((await saved).status(), 200);
    await page.locator('#history li', { hasText: history }).waitFor();
  };
  await change('Status', 'pending', 'Test agent changed status to Pending');
  await change('Priority', 'urgent', 'Test agent changed priority to Urgent');
  await change('Tier', '3', 'Test agent changed tier to 3');
  await change('Assignee', 'Second agent', 'Test agent changed assignee to Second agent');
  await page.getByLabel('Tags (comma-separated)').fill('vip, export');
  await page.getByRole('button', { name: 'Save tags' }).click();
  await page.locator('#history li', { hasText: 'tags to vip, export' }).waitFor();
  assert.equal(await page.locator('#summary').textContent(), `${ticket.reference} · Pending · Urgent priority · tier 3 · assigned to Second agent`);

  // A tag the API refuses is reported, and the field shows the saved tags again.
  await page.getByLabel('Tags (comma-separated)').fill('Not A Tag!');
  await page.getByRole('button', { name: 'Save tags' }).click();
  await page.getByRole('status').filter({ hasText: /^Not saved: tags/ }).waitFor();
  assert.equal(await page.getByLabel('Tags (comma-separated)').inputValue(), 'vip, export');

  const { state } = await agentApi(`/v1/agent/tickets/${ticket.id}`);
  assert.deepEqual([state.status, state.priority, state.tier, state.assignee, state.tags], ['pending', 'urgent', 3, 'Second agent', ['vip', 'export']]);

  // Unassigning, then a fresh load shows what the worker holds.
  await change('Assignee', '', 'assignee to nobody');
  await page.reload();
  await page.getByRole('heading', { name: ticket.subject }).waitFor();
  assert.deepEqual(await Promise.all(['Status', 'Priority', 'Tier', 'Assignee'].map((l) => controls.getByLabel(l).inputValue())), ['pending', 'urgent', '3', '']);
  // And the queue row says the same.
  await page.keyboard.press('Escape');
  const meta = await row(page, ticket.subject).locator('.meta').textContent();
  assert.ok(meta.includes(' · Pending · Urgent · tier 3 · Free · unassigned'), meta);
  assert.deepEqual(problems.filter((p) => !p.includes('422')), []);
  await context.close();
});

test('the agent\'s own change shows in its queue row at once, even while the listing lags', { timeout: 60_000 }, async () => {
  const ticket = await fileTicket();
  const { page, problems, context } = await openConsole();
  // KV lists can show a write up to a minute late: every listing here is
  // the one from before the change, whatever the worker holds.
  let stale = null;
  await page.route(/\/v1\/agent\/tickets\?/, async (route) => {
    const response = await route.fetch();
    const body = await response.json();
    stale ??= body.tickets.find((t) => t.id === ticket.id);
    const tickets = body.tickets.map((t) => (t.id === ticket.id && stale ? stale : t));
    await route.fulfill({ response, json: { ...body, tickets } });
  });
  await signIn(page);
  await row(page, ticket.subject).waitFor();
  assert.ok(stale, 'the first listing is kept');
  await page.getByText('other people\'s can take up to a minute').waitFor();
  await row(page, ticket.subject).click();
  await page.getByRole('heading', { name: ticket.subject }).waitFor();
  const saved = page.waitForResponse((r) => r.url().endsWith(`/v1/agent/tickets/${ticket.id}/changes`));
  await page.locator('#controls').getByLabel('Status').selectOption('pending');
  assert.equal((await saved).status(), 200);
  const relisted = page.waitForResponse((r) => r.url().includes('/v1/agent/tickets?'));
  await page.keyboard.press('Escape');
  await relisted;
  const meta = await row(page, ticket.subject).locator('.meta').textContent();
  assert.ok(meta.includes(' · Pending · '), `drawn from the change's answer, not the stale listing: ${meta}`);
  assert.equal(await row(page, ticket.subject).locator('.due').textContent(), 'no SLA running', 'paused while pending');
  assert.deepEqual(problems, []);
  // A refresh still in flight must not reach the route once the page is gone.
  await page.unrouteAll({ behavior: 'ignoreErrors' });
  await context.close();
});

test('a rating is shown in the ticket and as a badge in the queue', { timeout: 60_000 }, async () => {
  const ticket = await fileTicket();
  await agentApi(`/v1/agent/tickets/${ticket.id}/changes`, { status: 'solved' });
  const rated = await fetch(`${WORKER}/v1/tickets/${ticket.id}/csat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'buoy-requester-token': ticket.requester_token },
    body: JSON.stringify({ satisfied: false, comment: 'Took <b>three</b> days.' }),
  });
  assert.equal(rated.status, 201, await rated.text());
  const { page, problems, context } = await openConsole('#status=solved');
  await signIn(page);
  const item = row(page, ticket.subject);
  await item.waitFor();
  assert.equal(await item.locator('.badge.bad').textContent(), 'CSAT: unsatisfied');
  await item.click();
  await page.getByRole('heading', { name: ticket.subject }).waitFor();
  assert.equal(await page.locator('#csat .badge').textContent(), 'Not satisfied');
  assert.equal(await page.locator('#csat .comment').textContent(), 'Took <b>three</b> days.');
  assert.equal(await page.locator('#csat b').count(), 0);
  await page.locator('#history li', { hasText: 'The requester rated the help: not satisfied' }).waitFor();
  assert.deepEqual(problems, []);
  await context.close();
});

test('a ticket made of XSS payloads is shown as literal text and runs nothing', { timeout: 60_000 }, async () => {
  const img = '<img src=x onerror=window.__xss=1>';
  const script = '<script>window.__xss=1</script>';
  const svg = '"><svg onload=window.__xss=1>';
  const subject = `${script} ${svg} ${crypto.randomUUID()}`;
  const ticket = await fileTicket({
    name: img,
    subject,
    message: `${img}\n${script}\n${svg}`,
    context: { url: 'javascript:window.__xss=1', title: svg, locale: img, time_zone: script, user_agent: svg },
  });
  const { page, problems, context } = await openConsole();
  await signIn(page);
  const item = row(page, subject);
  await item.waitFor();
  assert.equal(await item.locator('.subject').textContent(), subject);
  assert.ok((await item.locator('.meta').textContent()).includes(img));
  await item.click();
  await page.getByRole('heading', { name: subject }).waitFor();
  assert.equal(await page.locator('#subject').textContent(), subject);
  assert.equal(await page.locator('#thread li').first().locator('.body').textContent(), `${img}\n${script}\n${svg}`);
  assert.equal(await page.locator('#thread li').first().locator('.author').textContent(), img);
  // An agent's reply with markup is text too.
  await page.getByLabel('Reply to the requester').fill(svg);
  await page.getByRole('button', { name: 'Send reply' }).click();
  await page.locator('#thread li.public .body', { hasText: svg }).waitFor();

  const report = await page.evaluate(() => ({
    xss: window.__xss,
    images: document.querySelectorAll('img, svg, iframe, object, embed').length,
    scripts: [...document.scripts].map((s) => s.getAttribute('src')),
    handlers: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
    links: document.querySelectorAll('a').length,
    context: document.getElementById('context').textContent,
    title: document.title,
  }));
  assert.equal(report.xss, undefined);
  assert.equal(report.images, 0);
  assert.deepEqual(report.scripts, ['/console/console.js']);
  assert.equal(report.handlers, 0);
  assert.equal(report.links, 0);
  for (const text of ['javascript:window.__xss=1', img, script, svg]) assert.ok(report.context.includes(text), text);
  assert.ok(report.title.startsWith(script));
  assert.deepEqual(problems, []);
  await context.close();
});

test('an agent of another site sees none of the demo site\'s tickets', { timeout: 60_000 }, async () => {
  const ticket = await fileTicket();
  const { page, problems, context } = await openConsole();
  await signIn(page, OTHER);
  assert.equal(await page.locator('#agent-name').textContent(), 'Other agent');
  assert.equal(await page.locator('#agent-site').textContent(), 'other');
  await page.getByText('No tickets match these filters.').waitFor();
  assert.equal(await row(page, ticket.subject).count(), 0);
  assert.deepEqual(await filter(page, 'Assignee').locator('option').allTextContents(), ['Anyone', 'Unassigned', 'Other agent', 'admin']);
  // Not even by its id.
  await page.evaluate((id) => { location.hash = `ticket=${id}`; }, ticket.id);
  await page.getByRole('status').filter({ hasText: 'That ticket does not exist, or it belongs to another site.' }).waitFor();
  assert.equal(await page.getByRole('heading', { name: ticket.subject }).count(), 0);
  assert.ok(await page.getByRole('heading', { name: 'Queue' }).isVisible());
  assert.deepEqual(problems.filter((p) => !p.includes('404')), []);
  await context.close();
});
