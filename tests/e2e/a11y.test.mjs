// Accessibility, proven in the suite's real Chromium: axe-core (WCAG 2.0,
// 2.1 and 2.2 A/AA rules) on every screen and state of the panel, the
// launcher and the console, in the light and dark schemes, the panel's in
// each of its seven languages (found by id and structure, never by words); a keyboard-only
// journey; what a screen reader hears (the accessibility tree over CDP);
// reduced motion, forced colours, 200 % text and reflow at 320 px.
// `cargo xtask test` passes BUOY_WORKER_URL, BUOY_DEMO_URL, BUOY_AGENT_TOKEN,
// BUOY_GUARDED_AGENT_TOKEN, BUOY_TURNSTILE_PORT, BUOY_CHROMIUM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { openPage } from '../chromium.mjs';
import { beforeLoader, browserFor, widgetFrame } from '../browser.mjs';
import { call } from '../api.mjs';
import { until } from '../wait.mjs';
import { violations, contrast } from '../axe.mjs';
import { png, offer } from '../files.mjs';

const WORKER = process.env.BUOY_WORKER_URL;
const DEMO = process.env.BUOY_DEMO_URL;
const TOKEN = process.env.BUOY_AGENT_TOKEN;
const STAND_IN = `http://127.0.0.1:${process.env.BUOY_TURNSTILE_PORT}`;

const chrome = browserFor(WORKER, DEMO, TOKEN, process.env.BUOY_TURNSTILE_PORT);

// The one list of screens and states axe checks. A screen added to the
// panel's markup without a state here fails the last test of this part.
const PANEL_SCREENS = [
  'launcher',
  'home with suggestions', 'search results', 'no results', 'article', 'guided fix', 'guided fix worked',
  'form empty', 'form with every field error', 'form with a file uploading', 'form with a refused file',
  'sending', 'offline', 'rate-limited', 'sent',
  'your tickets', 'your tickets with unread replies', 'thread with unread replies', 'an image opened larger', 'reply with a file',
  'rating', 'rating with its error', 'rated',
  'form with Turnstile',
];
/** The console is the agents' and speaks English only. */
const CONSOLE_SCREENS = ['console sign-in', 'console queue', 'console ticket', 'console metrics'];
/** The panel's languages; its walk finds every control by id, `data-act` or structure, never by its words. */
const LOCALES = ['en', 'de', 'fr', 'es', 'pt-BR', 'ja', 'ar'];
const SCHEMES = ['light', 'dark'];
/** `${locale} · ${screen}` → scheme → violations. */
const found = new Map();
/** locale → the panel's screens (top-level sections and forms) seen showing while axe ran. */
const screensSeen = new Map(LOCALES.map((locale) => [locale, new Set()]));
let screensInMarkup = [];

/** Runs axe on `frame` (within `selector`) in each scheme, under `name` in `locale`. */
async function check(locale, name, page, frame, selector = null) {
  assert.ok(PANEL_SCREENS.includes(name) || (locale === 'en' && CONSOLE_SCREENS.includes(name)), `${name} is in the list of screens`);
  const results = {};
  for (const scheme of SCHEMES) {
    await page.emulateMedia({ colorScheme: scheme });
    assert.equal(await frame.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches), scheme === 'dark', `${name}: ${scheme}`);
    results[scheme] = await violations(frame, selector);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  found.set(`${locale} · ${name}`, results);
  if (frame !== page) {
    assert.equal(await frame.evaluate(() => document.documentElement.lang), locale, `${name} is in ${locale}`);
    const showing = await frame.evaluate(() => [...document.querySelectorAll('.panel > section, .panel > form')].filter((s) => !s.hidden).map((s) => s.id));
    showing.forEach((id) => screensSeen.get(locale).add(id));
  }
}

/** The demo page with the panel open in `locale`, in a fresh context, once the panel runs (focus in its search box). */
async function openPanelIn(locale) {
  const context = await chrome.browser.newContext();
  const page = await context.newPage();
  await beforeLoader(page, { dataLocale: locale });
  await page.goto(DEMO);
  await page.locator('button.l').click();
  const frame = await widgetFrame(page);
  await frame.locator('#buoy-q:focus').waitFor();
  return { context, page, frame };
}

/** The demo page with the panel open in English, in a fresh context. */
async function openPanel(url = DEMO) {
  const opened = await openPage(chrome.browser, url);
  await opened.page.getByRole('button', { name: 'Help' }).click();
  const panel = opened.page.frameLocator('iframe[title="Help"]');
  await panel.locator('#buoy-q:focus').waitFor();
  return { ...opened, panel, frame: await widgetFrame(opened.page) };
}

/** Fills the form with a valid ticket and sends it; its subject, unique, starts with `about`. */
async function sendTicket(panel, about) {
  const subject = `${about} ${Date.now()}`;
  await panel.locator('#buoy-email').fill('a11y@example.com');
  await panel.locator('#buoy-type').selectOption('bug');
  await panel.locator('#buoy-subject').fill(subject);
  await panel.locator('#buoy-message').fill('Checking what everyone can use.');
  await panel.locator('#buoy-submit').click();
  return subject;
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

/** The banner's text once it shows something other than `before`. */
async function bannerOtherThan(frame, before) {
  let text;
  await until(async () => {
    text = await frame.locator('#buoy-banner').evaluate((b) => (b.hidden ? '' : b.textContent.trim()));
    return text && text !== before;
  }, `a banner other than "${before}"`, 60_000);
  return text;
}

for (const locale of LOCALES) {
  test(`axe (${locale}): every screen and state of the panel, from home to the rating`, { timeout: 240_000 }, async () => {
    const { page, frame, context } = await openPanelIn(locale);
    if (locale === 'en') screensInMarkup = await frame.evaluate(() => [...document.querySelectorAll('.panel > section, .panel > form')].map((s) => s.id));
    await check(locale, 'launcher', page, page, 'body > :last-child');

    const list = frame.locator('#buoy-docs li button');
    await list.first().waitFor();
    await check(locale, 'home with suggestions', page, frame);
    // A search for the first suggestion's title finds it, in any language.
    const title = (await list.first().textContent()).trim();
    const suggested = (await frame.locator('#buoy-list-title').textContent()).trim();
    const search = frame.locator('#buoy-q');
    await search.fill(title);
    await until(async () => (await frame.locator('#buoy-list-title').textContent()).trim() !== suggested && (await list.count()) > 0, 'search results');
    await check(locale, 'search results', page, frame);
    await search.fill('qqxqqzzy');
    await frame.locator('#buoy-empty:not([hidden])').waitFor();
    await check(locale, 'no results', page, frame);
    await search.fill(title);
    await list.first().click();
    await frame.locator('#buoy-article .body p').first().waitFor();
    await check(locale, 'article', page, frame);
    await frame.locator('#buoy-back').click();
    await search.fill('');
    await frame.locator('#buoy-home button[data-kind="password_reset"]').click();
    await frame.locator('#buoy-steps li').first().waitFor();
    await check(locale, 'guided fix', page, frame);
    await frame.locator('#buoy-guide [data-act="fixed"]').click();
    await frame.locator('#buoy-fixed:not([hidden])').waitFor();
    await check(locale, 'guided fix worked', page, frame);

    await frame.locator('#buoy-fixed [data-act="home"]').click();
    await frame.locator('#buoy-home button.write').click();
    await frame.locator('#buoy-name:focus').waitFor();
    await check(locale, 'form empty', page, frame);
    await frame.locator('#buoy-submit').click();
    const summary = await bannerOtherThan(frame, '');
    assert.equal(await frame.locator('[aria-invalid=true]').count(), 4, 'email, topic, subject and message');
    await check(locale, 'form with every field error', page, frame);

    // Files: one on its way (its upload held), then one refused and removed; the image goes with the ticket.
    await until(() => frame.evaluate(() => !!document.querySelector('#buoy-form .files')), 'the upload module');
    const uploads = /\/v1\/uploads\?/;
    const held = [];
    await context.route(uploads, (route) => held.push(route));
    await offer(frame, '#buoy-form', 'drop', [{ name: 'screen.png', type: 'image/png', bytes: await png(frame, 64, 48) }]);
    await until(() => held.length === 1, 'the upload to start');
    await frame.locator('#buoy-form .files progress').waitFor();
    await check(locale, 'form with a file uploading', page, frame);
    await held[0].continue();
    await context.unroute(uploads);
    await frame.locator('#buoy-form .files progress').waitFor({ state: 'detached' });
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    await offer(frame, '#buoy-form', 'drop', [{ name: 'drawing.svg', type: 'image/svg+xml', bytes: svg }]);
    await frame.locator('#buoy-form .files li .error').waitFor();
    await check(locale, 'form with a refused file', page, frame);
    await frame.locator('#buoy-form .files li:has(.error) [data-remove]').click();
    await until(async () => (await frame.locator('#buoy-form .files li').count()) === 1, 'the refused file removed');

    // Each send attempt waits for the test to answer it.
    const attempts = [];
    await context.route(`${WORKER}/v1/tickets`, (route) => (route.request().method() === 'POST' ? attempts.push(route) : route.continue()));
    const subject = await sendTicket(frame, `Axe walk ${locale}`);
    await until(() => attempts.length === 1, 'the first send');
    await frame.locator('#buoy-submit[disabled]').waitFor();
    await check(locale, 'sending', page, frame);
    await attempts[0].abort('connectionreset');
    const offline = await bannerOtherThan(frame, summary);
    await check(locale, 'offline', page, frame);
    await until(() => attempts.length === 2, 'the second send', 60_000);
    await attempts[1].fulfill({ status: 429, contentType: 'application/problem+json', headers: { 'retry-after': '5' },
      body: JSON.stringify({ type: 'about:blank', title: 'rate_limited', status: 429, code: 'rate_limited' }) });
    await bannerOtherThan(frame, offline);
    await check(locale, 'rate-limited', page, frame);
    await until(() => attempts.length === 3, 'the third send', 60_000);
    await attempts[2].continue();
    await frame.locator('#buoy-sent:not([hidden])').waitFor();
    await check(locale, 'sent', page, frame);

    await frame.locator('#buoy-sent [data-act="tickets"]').click();
    const row = frame.locator('#buoy-mine button', { hasText: subject });
    await row.waitFor();
    await check(locale, 'your tickets', page, frame);
    const ticket = await ticketBySubject(subject);
    assert.equal((await call(`/v1/agent/tickets/${ticket.id}/messages`, { token: TOKEN, body: { body: 'Thanks, we are on it.' } })).status, 201);
    await row.locator('.count:not(:empty)').waitFor({ timeout: 60_000 });
    await check(locale, 'your tickets with unread replies', page, frame);
    await row.click();
    await frame.locator('.msg.agent .text', { hasText: 'we are on it' }).waitFor();
    await check(locale, 'thread with unread replies', page, frame);
    // The ticket's image, opened larger in the panel, then closed.
    await frame.locator('#buoy-thread [data-name="screen.png"]').click();
    await frame.locator('#buoy-thread .viewer img').waitFor();
    await check(locale, 'an image opened larger', page, frame);
    await frame.locator('#buoy-thread .viewer [data-close]').click();
    await frame.locator('#buoy-thread .viewer').waitFor({ state: 'detached' });
    // A file on the reply box, uploaded, then removed.
    await offer(frame, '#buoy-reply-form', 'drop', [{ name: 'notes.txt', type: 'text/plain', bytes: Buffer.from('What I tried so far\n') }]);
    await frame.locator('#buoy-reply-form .files li').waitFor();
    await frame.locator('#buoy-reply-form .files progress').waitFor({ state: 'detached' });
    await check(locale, 'reply with a file', page, frame);
    await frame.locator('#buoy-reply-form .files [data-remove]').click();
    await frame.locator('#buoy-reply-form .files li').waitFor({ state: 'detached' });
    assert.equal((await call(`/v1/agent/tickets/${ticket.id}/changes`, { token: TOKEN, body: { status: 'solved' } })).status, 200);
    await frame.locator('#buoy-rate:not([hidden])').waitFor({ timeout: 60_000 });
    await check(locale, 'rating', page, frame);
    await frame.locator('#buoy-rate button[type="submit"]').click();
    await frame.locator('#buoy-rate-error:not([hidden])').waitFor();
    await check(locale, 'rating with its error', page, frame);
    await frame.locator('#buoy-rate input[name="csat"][value="1"]').check();
    await frame.locator('#buoy-rate button[type="submit"]').click();
    await frame.locator('#buoy-rated:not([hidden])').waitFor();
    await check(locale, 'rated', page, frame);
    await context.close();
  });
}

test('axe: the form of a site with Turnstile, in every language', { timeout: 120_000 }, async () => {
  // The host page from a loopback server of this test's own (Chromium lets
  // only a loopback page reach the worker), Turnstile's script from the
  // test itself, at the stand-in's address the site's CSP allows.
  const host = createServer((request, response) => {
    const locale = new URL(request.url, 'http://host').searchParams.get('locale');
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(`<!doctype html><html lang="en"><head><title>Guarded host</title><link rel="icon" href="data:,">
<script async src="${WORKER}/buoy.js" data-site="guarded" data-locale="${locale}"></script></head><body><main><h1>Guarded Co</h1></main></body></html>`);
  });
  await new Promise((resolve) => host.listen(0, '127.0.0.1', resolve));
  for (const locale of LOCALES) {
    const context = await chrome.browser.newContext();
    await context.route(`${STAND_IN}/api.js*`, (route) => route.fulfill({ contentType: 'text/javascript', body: `(() => {
      window.turnstile = { render(el) { el.textContent = 'Verified by the Turnstile stand-in'; return 0; }, reset() {} };
      const onload = new URL(document.currentScript.src).searchParams.get('onload');
      setTimeout(() => window[onload](), 0);
    })();` }));
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${host.address().port}/?locale=${locale}`);
    await page.locator('button.l').click();
    const frame = await widgetFrame(page);
    await frame.locator('#buoy-q:focus').waitFor();
    await frame.locator('#buoy-home button.write').click();
    await frame.getByText('Verified by the Turnstile stand-in').waitFor();
    await check(locale, 'form with Turnstile', page, frame);
    await context.close();
  }
  await new Promise((resolve) => host.close(resolve));
});

test('axe: the console, signed out and in', { timeout: 90_000 }, async () => {
  const { json: created } = await call('/v1/tickets', {
    body: { site: 'demo', email: 'axe@example.com', type: 'billing', subject: `Console axe ${Date.now()}`, message: 'An invoice is missing.' },
  });
  const { page, context } = await openPage(chrome.browser, `${WORKER}/console/`);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await check('en', 'console sign-in', page, page);
  await page.getByLabel('Agent token').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#queue button.ticket').first().waitFor();
  await check('en', 'console queue', page, page);
  await page.goto(`${WORKER}/console/#ticket=${created.id}`);
  await page.locator('#subject', { hasText: 'Console axe' }).waitFor();
  await page.locator('#thread .message').first().waitFor();
  await check('en', 'console ticket', page, page);
  await page.getByRole('button', { name: 'Metrics' }).click();
  await page.locator('#m-body:not([hidden])').waitFor();
  await check('en', 'console metrics', page, page);
  await context.close();
});

test('axe finds no violation on any screen in any language, and every screen is checked', () => {
  // One row per screen, one column per language: light/dark violations.
  const cell = (locale, screen) => {
    const bySchemes = found.get(`${locale} · ${screen}`);
    return bySchemes ? SCHEMES.map((s) => bySchemes[s].length).join('/') : 'not run';
  };
  console.table([...PANEL_SCREENS, ...CONSOLE_SCREENS].map((screen) => ({
    screen, ...Object.fromEntries(LOCALES.map((l) => [l, CONSOLE_SCREENS.includes(screen) && l !== 'en' ? '(English only)' : cell(l, screen)])),
  })));
  const failures = [...found].flatMap(([screen, bySchemes]) => SCHEMES.flatMap((s) => bySchemes[s].map((v) => `${screen} (${s}): ${v}`)));
  failures.forEach((f) => console.log(f));
  const expected = [...LOCALES.flatMap((l) => PANEL_SCREENS.map((s) => `${l} · ${s}`)), ...CONSOLE_SCREENS.map((s) => `en · ${s}`)];
  assert.deepEqual([...found.keys()].sort(), expected.sort(), 'every screen in the list was checked in every language');
  assert.ok(screensInMarkup.length >= 8, `the panel's screens were read from its markup: ${screensInMarkup}`);
  for (const locale of LOCALES) {
    assert.deepEqual(screensInMarkup.filter((id) => !screensSeen.get(locale).has(id)), [], `every screen of the panel showed in ${locale} while axe ran`);
  }
  assert.deepEqual(failures, []);
});

// ------------------------------------------------------------ keyboard

/** What has focus: the launcher, the panel (with the focused control's ring), or something else of the host. */
function focusOf(page, frame) {
  return Promise.all([
    page.evaluate(() => {
      const shadow = document.body.lastElementChild?.shadowRoot;
      if (shadow?.activeElement?.tagName === 'BUTTON') return 'launcher';
      return document.activeElement?.tagName === 'IFRAME' || shadow?.activeElement?.tagName === 'IFRAME' ? 'panel' : 'host';
    }),
    frame?.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body || !document.hasFocus()) return null;
      const style = getComputedStyle(el);
      // The colour the ring is drawn against: the nearest opaque background outside it (or under it, drawn inside).
      let under = Number.parseFloat(style.outlineOffset) < 0 ? el : el.parentElement;
      let against = 'rgb(255, 255, 255)';
      for (; under; under = under.parentElement) {
        const bg = getComputedStyle(under).backgroundColor;
        if (!/rgba\(.*, 0\)$/.test(bg) && bg !== 'transparent') { against = bg; break; }
      }
      const rect = el.getBoundingClientRect();
      const hit = document.elementFromPoint(rect.left + rect.width / 2, rect.top + Math.min(rect.height / 2, 10));
      return {
        id: el.id, tag: el.tagName, text: (el.textContent || el.getAttribute('aria-label') || '').trim(),
        article: el.getAttribute('data-article'), act: el.getAttribute('data-act'), visible: rect.width > 0,
        ring: { style: style.outlineStyle, width: Number.parseFloat(style.outlineWidth), color: style.outlineColor, against },
        unobscured: !!hit && (hit === el || el.contains(hit)), inView: rect.top >= 0 && rect.bottom <= innerHeight,
      };
    }),
  ]).then(([where, control]) => ({ where, control }));
}

/** Presses Tab (Shift+Tab with `back`) until `wanted` holds for the focus, checking each focused control's ring on the way. */
async function tabTo(page, frame, wanted, what, back = false, rings = []) {
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    const now = await focusOf(page, frame);
    if (now.control && now.where === 'panel') rings.push(now.control);
    if (wanted(now)) return now;
  }
  return assert.fail(`Tab never reached ${what}`);
}

/** Every focused control showed a ring of at least 2 px at 3:1 against what surrounds it, in view and not covered. */
function assertRings(rings) {
  assert.ok(rings.length >= 10, `rings checked: ${rings.length}`);
  for (const c of rings) {
    const label = `${c.tag}#${c.id} "${c.text.slice(0, 30)}"`;
    assert.notEqual(c.ring.style, 'none', `${label} shows a focus ring`);
    assert.ok(c.ring.width >= 2, `${label}: ring ${c.ring.width}px`);
    const ratio = contrast(c.ring.color, c.ring.against);
    assert.ok(ratio >= 3, `${label}: ring ${c.ring.color} on ${c.ring.against} is ${ratio.toFixed(2)}:1`);
    assert.ok(c.inView && c.unobscured, `${label} is in view and not covered (2.4.11)`);
  }
}

for (const scheme of SCHEMES) {
  test(`keyboard only (${scheme}): launcher, search, article, back, a ticket with an error corrected, the confirmation, Escape`, { timeout: 120_000 }, async () => {
    const context = await chrome.browser.newContext({ colorScheme: scheme, viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(String(e)));
    await page.goto(DEMO);
    await page.getByRole('button', { name: 'Help' }).waitFor();
    await tabTo(page, null, (f) => f.where === 'launcher', 'the launcher');
    const ring = await page.evaluate(() => {
      const s = getComputedStyle(document.body.lastElementChild.shadowRoot.activeElement);
      return { style: s.outlineStyle, width: Number.parseFloat(s.outlineWidth), color: s.outlineColor, page: getComputedStyle(document.body).backgroundColor };
    });
    assert.ok(ring.style !== 'none' && ring.width >= 2 && contrast(ring.color, ring.page) >= 3, `the launcher's ring: ${JSON.stringify(ring)}`);
    await page.keyboard.press('Enter');
    const frame = await widgetFrame(page);
    await until(async () => (await focusOf(page, frame)).control?.id === 'buoy-q', 'focus in the search box on open');
    assert.equal(await frame.evaluate(() => document.querySelector('[role=dialog]').getAttribute('aria-modal')), 'false', 'a desktop panel is not modal');

    const rings = [];
    await page.keyboard.type('reset pasword');
    await frame.locator('button[data-article]', { hasText: 'Reset your password' }).waitFor();
    await tabTo(page, frame, (f) => f.control?.text === 'Reset your password', 'the result', false, rings);
    await page.keyboard.press('Enter');
    await until(async () => (await focusOf(page, frame)).control?.id === 'buoy-article-title', 'focus on the article');
    await frame.locator('section.article .body p').first().waitFor();
    await tabTo(page, frame, (f) => f.control?.id === 'buoy-back', 'Back', true, rings);
    await page.keyboard.press('Enter');
    await until(async () => (await focusOf(page, frame)).control?.id === 'buoy-q', 'focus back in the search box');
    assert.equal(await frame.locator('#buoy-q').inputValue(), 'reset pasword', 'the query is kept');

    await tabTo(page, frame, (f) => f.control?.act === 'contact', 'Send us a message', false, rings);
    await page.keyboard.press('Enter');
    await until(async () => (await focusOf(page, frame)).control?.id === 'buoy-name', 'focus in the form');
    await page.keyboard.type('Ada Lovelace');
    await page.keyboard.press('Tab');
    await page.keyboard.type('ada at example.com');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Billing');
    assert.equal(await frame.locator('#buoy-type').inputValue(), 'billing', 'a topic chosen by typing');
    await page.keyboard.press('Tab');
    const subject = `Keyboard only ${scheme} ${Date.now()}`;
    await page.keyboard.type(subject);
    await page.keyboard.press('Tab');
    await page.keyboard.type('Charged twice.');
    await tabTo(page, frame, (f) => f.control?.id === 'buoy-submit', 'Send message', false, rings);
    await page.keyboard.press('Enter');
    // The error takes focus; corrected, and sent with Enter from the field.
    await until(async () => (await focusOf(page, frame)).control?.id === 'buoy-email', 'focus on the wrong email');
    assert.equal(await frame.locator('#buoy-email-error').textContent(), 'Please enter an email address such as name@example.com.');
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type('ada@example.com');
    await page.keyboard.press('Enter');
    await until(async () => (await focusOf(page, frame)).control?.id === 'buoy-sent-title', 'focus on the confirmation');
    assert.match(await frame.locator('#buoy-sent').textContent(), /Thanks, we have your message.*Your reference: [0-9A-Z]{4}-[0-9A-Z]{4}/);
    await tabTo(page, frame, (f) => f.control?.act === 'again', 'Send another message', false, rings);
    assertRings(rings);

    await page.keyboard.press('Escape');
    await until(async () => (await focusOf(page, null)).where === 'launcher', 'focus back on the launcher');
    assert.equal(await page.getByRole('button', { name: 'Help' }).getAttribute('aria-expanded'), 'false');

    // Non-modal on a desktop: Shift+Tab from the panel's first control leaves it for the host page.
    await page.keyboard.press('Enter');
    await until(async () => (await focusOf(page, frame)).control?.id === 'buoy-sent-title', 'focus back in the panel');
    await tabTo(page, frame, (f) => f.where !== 'panel', 'the host page', true);
    assert.deepEqual(problems, []);
    await context.close();
  });
}

// ------------------------------------------------------------ screen readers

for (const scheme of SCHEMES) {
  test(`keyboard only in the console (${scheme}): sign in, the queue's filters and tickets, a ticket; every control shows its ring`, { timeout: 90_000 }, async () => {
    await call('/v1/tickets', { body: { site: 'demo', email: 'keys@example.com', type: 'bug', subject: `Console keys ${Date.now()}`, message: 'Tab through me.' } });
    const context = await chrome.browser.newContext({ colorScheme: scheme, viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${WORKER}/console/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    const rings = [];
    /** Tab once; the control that has focus, its ring kept for the check. */
    const tab = async () => {
      await page.keyboard.press('Tab');
      const { control } = await focusOf(page, page);
      if (control) rings.push(control);
      return control;
    };
    for (let i = 0; i < 10 && (await tab())?.id !== 'token'; i++);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'token', 'Tab reaches the token field');
    await page.keyboard.type(TOKEN);
    await page.keyboard.press('Enter');
    await page.locator('#queue button.ticket').first().waitFor();
    // Through the navigation, the filters and into the queue's tickets.
    let onTicket = false;
    for (let i = 0; i < 40 && !onTicket; i++) {
      await tab();
      onTicket = await page.evaluate(() => document.activeElement.matches('#queue button.ticket'));
    }
    assert.ok(onTicket, 'Tab reaches the queue\'s tickets');
    await page.keyboard.press('Enter');
    await page.locator('#subject:not(:empty)').waitFor();
    for (let i = 0; i < 8; i++) await tab();
    assertRings(rings);
    await context.close();
  });
}

/** The accessibility tree of the widget's frame, as Chromium gives it over CDP. */
async function axTree(cdp, page) {
  const { frameTree } = await cdp.send('Page.getFrameTree');
  const find = (t) => (t.frame.url.includes('/widget/') ? t.frame : (t.childFrames ?? []).map(find).find(Boolean));
  const { nodes } = await cdp.send('Accessibility.getFullAXTree', { frameId: find(frameTree).id });
  return nodes.filter((n) => !n.ignored).map((n) => ({
    role: n.role?.value, name: n.name?.value ?? '', description: n.description?.value ?? '',
    props: Object.fromEntries((n.properties ?? []).map((p) => [p.name, p.value?.value])),
  }));
}

test('a screen reader hears the dialog, its headings, the result count once, errors on their fields, a new reply and the unread count', { timeout: 150_000 }, async () => {
  const { page, panel, frame, context } = await openPanel();
  const cdp = await context.newCDPSession(page);
  let nodes = await axTree(cdp, page);
  assert.ok(nodes.some((n) => n.role === 'dialog' && n.name === 'Help'), 'a dialog named Help');
  const headings = nodes.filter((n) => n.role === 'heading').map((n) => n.name);
  for (const h of ['Help', 'What do you need help with?']) assert.ok(headings.includes(h), `heading ${h}: ${headings}`);
  const live = nodes.find((n) => n.role === 'status');
  assert.equal(live?.props.live, 'polite', 'a polite live region');

  // What the live region says while a query is typed: once, when typing pauses.
  await frame.evaluate(() => {
    window.__said = [];
    new MutationObserver(() => window.__said.push(document.getElementById('buoy-live').textContent))
      .observe(document.getElementById('buoy-live'), { childList: true, characterData: true, subtree: true });
  });
  await panel.getByLabel('Search help articles').pressSequentially('reset pasword', { delay: 80 });
  await panel.getByRole('button', { name: 'Reset your password' }).waitFor();
  await until(() => frame.evaluate(() => window.__said.length > 0), 'the announcement');
  await new Promise((r) => setTimeout(r, 1500));
  const shown = await panel.locator('#buoy-docs button').count();
  assert.deepEqual(await frame.evaluate(() => window.__said), [`Articles found: ${shown}`], 'announced once, with the count shown');
  await panel.getByLabel('Search help articles').fill('qqxqqzzy');
  await until(() => frame.evaluate(() => window.__said.length === 2), 'the second announcement');
  assert.equal(await frame.evaluate(() => window.__said[1]), 'No articles match. Try other words, or send us a message.');

  // Errors tied to their fields, with a summary.
  await panel.getByLabel('Search help articles').fill('');
  await panel.getByRole('button', { name: 'Send us a message' }).click();
  await panel.getByLabel('Email').fill('not an email');
  await panel.getByRole('button', { name: 'Send message' }).click();
  await panel.getByText('Please correct the fields marked below.').waitFor();
  nodes = await axTree(cdp, page);
  const field = (name) => nodes.find((n) => n.name === name && ['textbox', 'combobox'].includes(n.role));
  for (const [name, error] of [['Email', 'Please enter an email address such as name@example.com.'], ['Topic', 'Please choose a topic.'],
    ['Subject', 'Please fill this in.'], ['Message', 'Please fill this in.']]) {
    assert.equal(field(name)?.props.invalid, 'true', `${name} is invalid`);
    assert.equal(field(name)?.description, error, `${name} is described by its error`);
  }
  assert.notEqual(field('Your name (optional)')?.props.invalid, 'true', 'the optional name is fine');
  assert.ok(nodes.some((n) => n.role === 'alert'), 'the summary is an alert');

  // A new agent reply is announced in the panel, and counted in the launcher's name.
  const subject = await sendTicket(panel, 'Screen reader');
  await panel.getByText('Thanks, we have your message').waitFor();
  const reference = (await panel.locator('.ref').textContent()).trim();
  await frame.evaluate(() => { window.__said = []; });
  const ticket = await ticketBySubject(subject);
  assert.equal((await call(`/v1/agent/tickets/${ticket.id}/messages`, { token: TOKEN, body: { body: 'Hello from support.' } })).status, 201);
  await until(() => frame.evaluate(() => window.__said.length > 0), 'the reply to be announced', 60_000);
  await page.getByRole('button', { name: 'Help (1)' }).waitFor();
  await new Promise((r) => setTimeout(r, 3000));
  assert.deepEqual(await frame.evaluate(() => window.__said), [`New reply on ${reference}`], 'announced once');
  await context.close();
});

// ------------------------------------------------------------ motion, colours, zoom

test('reduced motion, forced colours and 200 % text', { timeout: 90_000 }, async () => {
  const { page, panel, frame, context } = await openPanel();
  await panel.getByRole('button', { name: 'Send us a message' }).click();
  await panel.getByRole('button', { name: 'Send message' }).click();
  await panel.getByText('Please correct the fields marked below.').waitFor();

  await page.emulateMedia({ reducedMotion: 'reduce' });
  const moving = await frame.evaluate(() => [...document.querySelectorAll('*')].filter((el) => {
    const s = getComputedStyle(el);
    return s.animationName !== 'none' || s.transitionDuration.split(',').some((d) => Number.parseFloat(d) > 0);
  }).map((el) => el.tagName + '#' + el.id));
  assert.deepEqual(moving, [], 'nothing moves with reduced motion');

  await page.emulateMedia({ reducedMotion: null, forcedColors: 'active' });
  assert.ok(await frame.evaluate(() => matchMedia('(forced-colors: active)').matches));
  const unbordered = await frame.evaluate(() => [...document.querySelectorAll('button, input, select, textarea')]
    .filter((el) => el.getClientRects().length && el.type !== 'checkbox')
    .filter((el) => {
      const s = getComputedStyle(el);
      return !['Top', 'Right', 'Bottom', 'Left'].every((side) => Number.parseFloat(s[`border${side}Width`]) > 0);
    }).map((el) => el.tagName + '#' + el.id + ' ' + el.textContent.trim()));
  assert.deepEqual(unbordered, [], 'every control keeps a border in forced colours');
  const launcher = await page.evaluate(() => Number.parseFloat(getComputedStyle(document.body.lastElementChild.shadowRoot.querySelector('button')).borderTopWidth));
  assert.ok(launcher > 0, 'the launcher keeps a border in forced colours');
  await page.screenshot({ path: new URL('../../target/a11y-forced-colors.png', import.meta.url).pathname });
  await page.emulateMedia({ forcedColors: 'none' });

  // 200 % text: nothing is cut off or needs scrolling sideways.
  await frame.evaluate(() => { document.documentElement.style.zoom = '2'; });
  for (const screen of ['form', 'home']) {
    if (screen === 'home') await panel.getByRole('button', { name: 'Back' }).click();
    const lost = await frame.evaluate(() => ({
      wide: document.documentElement.scrollWidth > document.documentElement.clientWidth,
      clipped: [...document.querySelectorAll('.panel *')].filter((el) => el.getClientRects().length && el.scrollWidth > el.clientWidth + 1
        && getComputedStyle(el).overflowX !== 'visible' && !['SELECT', 'INPUT', 'TEXTAREA'].includes(el.tagName)).map((el) => el.tagName + '#' + el.id + '.' + el.className),
    }));
    assert.deepEqual(lost, { wide: false, clipped: [] }, `${screen} at 200 %`);
  }
  await context.close();
});
