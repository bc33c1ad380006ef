// Accessibility, proven in the suite's real Chromium: axe-core (WCAG 2.0,
// 2.1 and 2.2 A/AA rules) on every screen and state of the panel, the
// launcher and the console, in the light and dark schemes; a keyboard-only
// journey; what a screen reader hears (the accessibility tree over CDP);
// reduced motion, forced colours, 200 % text and reflow at 320 px.
// `cargo xtask test` passes BUOY_WORKER_URL, BUOY_DEMO_URL, BUOY_AGENT_TOKEN,
// BUOY_GUARDED_AGENT_TOKEN, BUOY_TURNSTILE_PORT, BUOY_CHROMIUM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage } from '../chromium.mjs';
import { browserFor, widgetFrame } from '../browser.mjs';
import { call } from '../api.mjs';
import { until } from '../wait.mjs';
import { violations, contrast, rgba } from '../axe.mjs';

const WORKER = process.env.BUOY_WORKER_URL;
const DEMO = process.env.BUOY_DEMO_URL;
const TOKEN = process.env.BUOY_AGENT_TOKEN;
const STAND_IN = `http://127.0.0.1:${process.env.BUOY_TURNSTILE_PORT}`;

const chrome = browserFor(WORKER, DEMO, TOKEN, process.env.BUOY_TURNSTILE_PORT);

// The one list of screens and states axe checks. A screen added to the
// panel's markup without a state here fails the last test of this part.
const EXPECTED = [
  'launcher',
  'home with suggestions', 'search results', 'no results', 'article', 'guided fix', 'guided fix worked',
  'form empty', 'form with every field error', 'sending', 'offline', 'rate-limited', 'sent',
  'your tickets', 'your tickets with unread replies', 'thread with unread replies', 'rating', 'rating with its error', 'rated',
  'form with Turnstile',
  'console sign-in', 'console queue', 'console ticket', 'console metrics',
];
const SCHEMES = ['light', 'dark'];
/** screen → scheme → violations. */
const found = new Map();
/** The panel's screens (top-level sections and forms) seen showing while axe ran. */
const screensSeen = new Set();
let screensInMarkup = [];

/** Runs axe on `frame` (within `selector`) in each scheme, under `name`. */
async function check(name, page, frame, selector = null) {
  assert.ok(EXPECTED.includes(name), `${name} is in the list of screens`);
  const results = {};
  for (const scheme of SCHEMES) {
    await page.emulateMedia({ colorScheme: scheme });
    assert.equal(await frame.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches), scheme === 'dark', `${name}: ${scheme}`);
    results[scheme] = await violations(frame, selector);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  found.set(name, results);
  if (frame !== page) {
    const showing = await frame.evaluate(() => [...document.querySelectorAll('.panel > section, .panel > form')].filter((s) => !s.hidden).map((s) => s.id));
    showing.forEach((id) => screensSeen.add(id));
  }
}

/** The demo page with the panel open, in a fresh context. */
async function openPanel(url = DEMO) {
  const opened = await openPage(chrome.browser, url);
  await opened.page.getByRole('button', { name: 'Help' }).click();
  const panel = opened.page.frameLocator('iframe[title="Help"]');
  await panel.locator('#buoy-q:focus').waitFor();
  return { ...opened, panel, frame: await widgetFrame(opened.page) };
}

/** The demo site's ticket with this subject, as the agents' queue lists it. */
async function ticketBySubject(subject) {
  let ticket;
  await until(async () => {
    const { json } = await call('/v1/agent/tickets?limit=100', { token: TOKEN });
    ticket = json.tickets.find((t) => t.subject === subject);
    return ticket;
  }, `the ticket "${subject}"`);
  return ticket;
}

test('axe: every screen and state of the panel, from home to the rating', { timeout: 240_000 }, async () => {
  const { page, panel, frame, context } = await openPanel();
  screensInMarkup = await frame.evaluate(() => [...document.querySelectorAll('.panel > section, .panel > form')].map((s) => s.id));
  await check('launcher', page, page, 'body > :last-child');

  await panel.getByRole('button', { name: /status page/i }).waitFor();
  await check('home with suggestions', page, frame);
  const search = panel.getByLabel('Search help articles');
  await search.pressSequentially('reset pasword');
  await panel.getByRole('button', { name: 'Reset your password' }).waitFor();
  await check('search results', page, frame);
  await search.fill('qqxqqzzy');
  await panel.locator('#buoy-empty').waitFor();
  await check('no results', page, frame);
  await search.fill('reset pasword');
  await panel.getByRole('button', { name: 'Reset your password' }).click();
  await panel.locator('section.article .body p').first().waitFor();
  await check('article', page, frame);
  await panel.getByRole('button', { name: 'Back' }).click();
  await search.fill('');
  await panel.getByRole('button', { name: 'I cannot sign in' }).click();
  await panel.getByRole('heading', { name: 'Try these steps first' }).waitFor();
  await check('guided fix', page, frame);
  await panel.getByRole('button', { name: 'This fixed it' }).click();
  await panel.getByRole('heading', { name: 'Glad that helped!' }).waitFor();
  await check('guided fix worked', page, frame);

  await panel.getByRole('button', { name: 'Back to help' }).click();
  await panel.getByRole('button', { name: 'Send us a message' }).click();
  await panel.locator('#buoy-name:focus').waitFor();
  await check('form empty', page, frame);
  await panel.getByRole('button', { name: 'Send message' }).click();
  await panel.getByText('Please correct the fields marked below.').waitFor();
  assert.equal(await panel.locator('[aria-invalid=true]').count(), 4, 'email, topic, subject and message');
  await check('form with every field error', page, frame);

  // Each send attempt waits for the test to answer it.
  const attempts = [];
  await context.route(`${WORKER}/v1/tickets`, (route) => (route.request().method() === 'POST' ? attempts.push(route) : route.continue()));
  const subject = `Axe walk ${Date.now()}`;
  await panel.getByLabel('Email').fill('axe@example.com');
  await panel.getByLabel('Topic').selectOption('bug');
  await panel.getByLabel('Subject').fill(subject);
  await panel.getByLabel('Message').fill('Checking every screen.');
  await panel.getByRole('button', { name: 'Send message' }).click();
  await until(() => attempts.length === 1, 'the first send');
  await panel.getByRole('button', { name: 'Sending…' }).waitFor();
  await check('sending', page, frame);
  await attempts[0].abort('connectionreset');
  await panel.getByText('Your message is saved and will be sent once you are back online.').waitFor();
  await check('offline', page, frame);
  await until(() => attempts.length === 2, 'the second send', 60_000);
  await attempts[1].fulfill({ status: 429, contentType: 'application/problem+json', headers: { 'retry-after': '5' },
    body: JSON.stringify({ type: 'about:blank', title: 'rate_limited', status: 429, code: 'rate_limited' }) });
  await panel.getByText('Too many messages at once.').waitFor();
  await check('rate-limited', page, frame);
  await until(() => attempts.length === 3, 'the third send', 60_000);
  await attempts[2].continue();
  await panel.getByText('Thanks, we have your message').waitFor();
  await check('sent', page, frame);

  await panel.locator('#buoy-sent').getByRole('button', { name: 'Your tickets' }).click();
  await panel.locator('#buoy-mine button', { hasText: subject }).waitFor();
  await check('your tickets', page, frame);
  const ticket = await ticketBySubject(subject);
  assert.equal((await call(`/v1/agent/tickets/${ticket.id}/messages`, { token: TOKEN, body: { body: 'Thanks, we are on it.' } })).status, 201);
  await panel.locator('#buoy-mine .count', { hasText: '1 new' }).waitFor({ timeout: 60_000 });
  await check('your tickets with unread replies', page, frame);
  await panel.locator('#buoy-mine button', { hasText: subject }).click();
  await panel.locator('.msg.agent .text', { hasText: 'we are on it' }).waitFor();
  await check('thread with unread replies', page, frame);
  assert.equal((await call(`/v1/agent/tickets/${ticket.id}/changes`, { token: TOKEN, body: { status: 'solved' } })).status, 200);
  await panel.getByText('How was the help you got?').waitFor({ timeout: 60_000 });
  await check('rating', page, frame);
  await panel.getByRole('button', { name: 'Send rating' }).click();
  await panel.getByText('Please choose satisfied or not satisfied.').waitFor();
  await check('rating with its error', page, frame);
  await panel.getByLabel('Satisfied', { exact: true }).check();
  await panel.getByRole('button', { name: 'Send rating' }).click();
  await panel.getByText('Thank you for your rating.').waitFor();
  await check('rated', page, frame);
  await context.close();
});

test('axe: the form of a site with Turnstile', { timeout: 60_000 }, async () => {
  const context = await chrome.browser.newContext();
  // The stand-in's page and script, answered by the test itself.
  await context.route(`${STAND_IN}/host.html`, (route) => route.fulfill({ contentType: 'text/html', body:
    `<!doctype html><html lang="en"><head><title>Guarded host</title><link rel="icon" href="data:,">
<script async src="${WORKER}/buoy.js" data-site="guarded"></script></head><body><main><h1>Guarded Co</h1></main></body></html>` }));
  await context.route(`${STAND_IN}/api.js*`, (route) => route.fulfill({ contentType: 'text/javascript', body: `(() => {
    window.turnstile = { render(el) { el.textContent = 'Verified by the Turnstile stand-in'; return 0; }, reset() {} };
    const onload = new URL(document.currentScript.src).searchParams.get('onload');
    setTimeout(() => window[onload](), 0);
  })();` }));
  const page = await context.newPage();
  page.on('console', (m) => console.log('guarded host:', m.text()));
  await page.goto(`${STAND_IN}/host.html`);
  console.log(await page.content());
  await page.getByRole('button', { name: 'Help' }).click();
  const panel = page.frameLocator('iframe[title="Help"]');
  await panel.getByRole('button', { name: 'Send us a message' }).click();
  await panel.getByText('Verified by the Turnstile stand-in').waitFor();
  await check('form with Turnstile', page, await widgetFrame(page));
  await context.close();
});

test('axe: the console, signed out and in', { timeout: 90_000 }, async () => {
  const { json: created } = await call('/v1/tickets', {
    body: { site: 'demo', email: 'axe@example.com', type: 'billing', subject: `Console axe ${Date.now()}`, message: 'An invoice is missing.' },
  });
  const { page, context } = await openPage(chrome.browser, `${WORKER}/console/`);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await check('console sign-in', page, page);
  await page.getByLabel('Agent token').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#queue button.ticket').first().waitFor();
  await check('console queue', page, page);
  await page.goto(`${WORKER}/console/#ticket=${created.id}`);
  await page.locator('#subject', { hasText: 'Console axe' }).waitFor();
  await page.locator('#thread .message').first().waitFor();
  await check('console ticket', page, page);
  await page.getByRole('button', { name: 'Metrics' }).click();
  await page.locator('#m-body:not([hidden])').waitFor();
  await check('console metrics', page, page);
  await context.close();
});

test('axe finds no violation on any screen, and every screen is checked', () => {
  const rows = EXPECTED.map((screen) => ({ screen, ...Object.fromEntries(SCHEMES.map((s) => [s, found.get(screen)?.[s]?.length ?? 'not run'])) }));
  console.table(rows);
  const failures = [...found].flatMap(([screen, bySchemes]) => SCHEMES.flatMap((s) => bySchemes[s].map((v) => `${screen} (${s}): ${v}`)));
  failures.forEach((f) => console.log(f));
  assert.deepEqual([...found.keys()].sort(), [...EXPECTED].sort(), 'every screen in the list was checked');
  assert.ok(screensInMarkup.length >= 8, `the panel's screens were read from its markup: ${screensInMarkup}`);
  assert.deepEqual(screensInMarkup.filter((id) => !screensSeen.has(id)), [], 'every screen of the panel showed while axe ran');
  assert.deepEqual(failures, []);
});
