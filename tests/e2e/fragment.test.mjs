// The widget page's fragment is the panel's only idea of its host: a
// hostile one (a `javascript:` or `data:` URL, an origin the site does not
// allow, an allowed origin with a path, an encoded newline), in the
// loader's grammar (`#o=…`) or bare, must run no script, post no message
// and build no link off the site's origins, whether the page is opened
// top-level or framed by an allowed host page. The real embedding (the
// demo page's loader, an allowed origin) still gets its messages and a
// correct host link. `cargo xtask test` passes BUOY_WORKER_URL, BUOY_DEMO_URL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { browserFor } from '../browser.mjs';

const WORKER = process.env.BUOY_WORKER_URL?.replace(/\/$/, '');
const DEMO = process.env.BUOY_DEMO_URL;
const chrome = browserFor(WORKER, DEMO);

const workerOrigin = WORKER && new URL(WORKER).origin;
const demoOrigin = DEMO && new URL(DEMO).origin;

/** Each hostile fragment twice: in the loader's grammar and bare (the old form, which named the origin alone). */
function hostile() {
  const values = [
    'javascript:alert(document.domain)//',
    'data:text/html,<script>alert(document.domain)</script>',
    'https://evil.example',
    `${demoOrigin}/evil`,
    `${demoOrigin}\n`,
  ];
  return values.flatMap((v) => [`o=${encodeURIComponent(v)}`, v === 'javascript:alert(document.domain)//' ? v : encodeURIComponent(v)]);
}

/** A fresh context that records dialogs, `message` events (with whether they came from the iframe `#t`) and every request that leaves the two test origins. */
async function openContext() {
  const context = await chrome.browser.newContext();
  const away = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.origin === workerOrigin || url.origin === demoOrigin) return route.continue();
    away.push(url.href);
    return route.fulfill({ status: 200, contentType: 'text/html', body: '<p>somewhere else</p>' });
  });
  await context.addInitScript(() => {
    window.__messages = [];
    addEventListener('message', (e) => {
      const test = document.getElementById('t');
      window.__messages.push({ origin: e.origin, type: e.data?.type ?? null, fromTest: !!test && e.source === test.contentWindow });
    });
  });
  const page = await context.newPage();
  // What went wrong in the panel, for a failure's message.
  const trail = [];
  page.on('console', (m) => { if (m.type() === 'error') trail.push(`console: ${m.text()}`); });
  page.on('requestfailed', (r) => trail.push(`failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => { if (r.status() >= 400) trail.push(`${r.status()}: ${r.url()}`); });
  const dialogs = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
  return { context, page, dialogs, away, trail };
}

/** Opens *Reset your password* in the panel `panel` (a page or a frame locator) and reports its *sign-in page* element. */
async function signInLink(panel, trail = []) {
  await panel.getByLabel('Search help articles').fill('reset password');
  await panel.getByRole('button', { name: 'Reset your password' }).click().catch((e) => {
    throw new Error(`${e.message}\nin the panel meanwhile:\n${trail.join('\n') || '(no failed request, no console error)'}`);
  });
  const body = panel.locator('section.article .body');
  await body.locator('p').first().waitFor();
  const element = body.locator('a, span').filter({ hasText: /^sign-in page$/ });
  assert.equal(await element.count(), 1, 'the article names the sign-in page once');
  return {
    element,
    tag: await element.evaluate((e) => e.tagName),
    href: await element.getAttribute('href'),
    target: await element.getAttribute('target'),
  };
}

const settle = (page) => page.waitForTimeout(400);

test('the widget page without a site is 404 and runs nothing', { timeout: 60_000 }, async () => {
  const { context, page, dialogs } = await openContext();
  for (const path of ['/widget/', '/widget/index.html', '/widget/no-such-site/']) {
    const response = await page.goto(`${WORKER}${path}#javascript:alert(document.domain)//`);
    // Were a panel served here, the exploit: its host link to the sign-in page.
    if ((await page.locator('#buoy-q').count()) > 0) {
      await (await signInLink(page)).element.click();
      await settle(page);
    }
    assert.deepEqual(dialogs, [], `${path}: no script ran`);
    assert.equal(response.status(), 404, path);
    assert.equal(await page.locator('#buoy').count(), 0, `${path}: no panel`);
  }
  await context.close();
});

/** What a hostile fragment got away with: a host link, a navigation, a dialog, a request elsewhere, a message to the host. */
async function misdeeds(fragment, { page, dialogs, away, trail }, panel, stayed, messages) {
  const found = [];
  const link = await signInLink(panel, trail);
  if (link.tag !== 'SPAN' || link.href !== null) found.push(`a ${link.tag} to ${link.href}`);
  // The panel posts `ready` once it starts; the page records it until the click below navigates it away.
  await settle(page);
  found.push(...(await messages()).map((m) => `message ${m.type} from ${m.origin}`));
  await link.element.click();
  await settle(page);
  if (!stayed(page.url())) found.push(`navigated to ${page.url()}`);
  found.push(...dialogs.map((d) => `dialog ${d}`), ...away.map((u) => `requested ${u}`));
  return found.map((f) => `#${fragment}: ${f}`);
}

test('a hostile fragment on the top-level widget page runs no script and builds no host link', { timeout: 120_000 }, async () => {
  const found = [];
  for (const fragment of hostile()) {
    const opened = await openContext();
    const response = await opened.page.goto(`${WORKER}/widget/demo/#${fragment}`);
    assert.equal(response.status(), 200);
    const stayed = (url) => url.startsWith(`${WORKER}/widget/demo/`);
    found.push(...(await misdeeds(fragment, opened, opened.page, stayed, () => opened.page.evaluate(() => window.__messages ?? []))));
    await opened.context.close();
  }
  assert.deepEqual(found, []);
});

test('a hostile fragment in a frame on an allowed host posts nothing and builds no host link', { timeout: 120_000 }, async () => {
  const found = [];
  for (const fragment of hostile()) {
    const opened = await openContext();
    await opened.page.goto(DEMO);
    await opened.page.evaluate((src) => {
      const frame = document.createElement('iframe');
      frame.id = 't';
      frame.src = src;
      document.body.append(frame);
    }, `${WORKER}/widget/demo/#${fragment}`);
    const panel = opened.page.frameLocator('#t');
    const fromPanel = async () => (await opened.page.evaluate(() => window.__messages ?? [])).filter((m) => m.fromTest);
    found.push(...(await misdeeds(fragment, opened, panel, (url) => url === DEMO, fromPanel)));
    await opened.context.close();
  }
  assert.deepEqual(found, []);
});

test('the demo embedding (an allowed origin) gets its messages and a host link on its own origin', { timeout: 60_000 }, async () => {
  const { context, page, dialogs, away } = await openContext();
  await page.goto(DEMO);
  await page.getByRole('button', { name: 'Help' }).click();
  const panel = page.frameLocator('iframe[title="Help"]');
  await panel.locator('#buoy-q:focus').waitFor();
  const frame = page.frames().find((f) => f.url().startsWith(`${WORKER}/widget/demo/`));
  assert.equal(new URL(frame.url()).hash, `#o=${encodeURIComponent(demoOrigin)}`, 'the loader writes the fragment in its grammar');
  const ready = (await page.evaluate(() => window.__messages)).filter((m) => m.origin === workerOrigin && m.type === 'ready');
  assert.equal(ready.length, 1, 'the host heard the panel once');
  const link = await signInLink(panel);
  assert.deepEqual([link.tag, link.href, link.target], ['A', `${demoOrigin}/login`, '_top']);
  await link.element.click();
  await page.waitForURL(`${demoOrigin}/login`);
  assert.deepEqual(dialogs, []);
  assert.deepEqual(away, []);
  await context.close();
});
