// Self-service in the panel, end to end: search, articles, suggestions
// for the page, guided fixes (both outcomes), the JS API, and a hostile
// article that must render inert. `cargo xtask test` starts the servers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage } from '../chromium.mjs';
import { browserFor } from '../browser.mjs';

const DEMO = process.env.BUOY_DEMO_URL;
const chrome = browserFor(DEMO);

/** The demo page with the panel open; records console errors. */
async function openPanel() {
  const { page, problems, context } = await openPage(chrome.browser, DEMO);
  await page.getByRole('button', { name: 'Help' }).click();
  const panel = page.frameLocator('iframe[title="Help"]');
  await panel.locator('#buoy-q:focus').waitFor();
  return { page, panel, problems, context };
}

test('typing a query finds the article and opens it', { timeout: 60_000 }, async () => {
  const { panel, problems, context } = await openPanel();
  // One keystroke at a time, with a typo in the last word while typing.
  await panel.getByLabel('Search help articles').pressSequentially('reset pasword');
  const result = panel.getByRole('button', { name: 'Reset your password' });
  await result.waitFor();
  assert.equal(await panel.locator('#buoy-list-title').textContent(), 'Articles');
  await result.click();
  const title = panel.locator('section.article h2');
  await title.waitFor();
  assert.equal(await title.textContent(), 'Reset your password');
  await panel.locator('section.article h2:focus').waitFor();
  await panel.locator('section.article .body p').first().waitFor();
  assert.ok((await panel.locator('section.article .body').textContent()).length > 200);
  // Back returns to the home screen with the query kept.
  await panel.getByRole('button', { name: 'Back' }).click();
  assert.equal(await panel.getByLabel('Search help articles').inputValue(), 'reset pasword');
  assert.deepEqual(problems, []);
  await context.close();
});

test('search still works when the first requests for its index fail', { timeout: 60_000 }, async () => {
  const { page, problems, context } = await openPage(chrome.browser, DEMO);
  const asked = [];
  await context.route('**/kb/*/index.*.txt', (route) => {
    asked.push(Date.now());
    return asked.length <= 2 ? route.abort('connectionreset') : route.continue();
  });
  await page.getByRole('button', { name: 'Help' }).click();
  const panel = page.frameLocator('iframe[title="Help"]');
  await panel.getByLabel('Search help articles').fill('reset password');
  await panel.getByRole('button', { name: 'Reset your password' }).waitFor({ timeout: 20_000 });
  assert.equal(asked.length, 3, 'asked again after each failure, and no more once it came');
  assert.ok(asked[2] - asked[1] > asked[1] - asked[0], 'each wait longer than the one before');
  // The failed requests are the only errors: the browser logs each.
  assert.deepEqual(problems.filter((p) => !p.includes('ERR_CONNECTION_RESET')), []);
  await context.close();
});

test('the home screen suggests articles for the host page, and Buoy("suggest") overrides them', { timeout: 60_000 }, async () => {
  const { page, panel, context } = await openPanel();
  // The demo page's path is "/": articles whose suggest_on matches it.
  await panel.getByRole('button', { name: /status page/i }).waitFor();
  assert.equal(await panel.locator('#buoy-list-title').textContent(), 'Suggested for this page');
  await page.evaluate(() => window.Buoy('suggest', ['export-data-as-csv', '/billing/invoices']));
  await panel.getByRole('button', { name: /export/i }).waitFor();
  const titles = await panel.locator('ul.docs button').allTextContents();
  assert.ok(titles[0].toLowerCase().includes('export'), titles.join(' | '));
  assert.ok(titles.some((t) => /invoice/i.test(t)), titles.join(' | '));
  assert.ok(!titles.some((t) => /status page/i.test(t)), 'the override replaces the page suggestions');
  await context.close();
});

test('a guided fix that works is recorded as deflected', { timeout: 60_000 }, async () => {
  const { page, panel, context } = await openPanel();
  const recorded = page.waitForResponse((r) => r.url().endsWith('/v1/deflections'));
  await panel.getByRole('button', { name: 'I cannot sign in' }).click();
  await panel.getByRole('heading', { name: 'Try these steps first' }).waitFor();
  assert.equal(await panel.locator('ol.steps li').count(), 3);
  await panel.getByRole('button', { name: 'This fixed it' }).click();
  await panel.getByRole('heading', { name: 'Glad that helped!' }).waitFor();
  const response = await recorded;
  assert.equal(response.status(), 201);
  const sent = response.request().postDataJSON();
  assert.deepEqual([sent.type, sent.outcome], ['password_reset', 'fixed']);
  await context.close();
});

test('"I still need help" leads to the form, prefilled with what the user saw', { timeout: 60_000 }, async () => {
  const { page, panel, context } = await openPanel();
  const recorded = page.waitForResponse((r) => r.url().endsWith('/v1/deflections'));
  await panel.getByRole('button', { name: 'I cannot sign in' }).click();
  await panel.getByRole('button', { name: 'I still need help' }).click();
  const response = await recorded;
  assert.equal(response.status(), 201);
  assert.equal(response.request().postDataJSON().outcome, 'need_help');
  await panel.locator('#buoy-message:focus').waitFor();
  assert.equal(await panel.getByLabel('Topic').inputValue(), 'password_reset');
  const message = await panel.getByLabel('Message').inputValue();
  assert.ok(message.startsWith('I tried these steps and still need help:'), message);
  assert.ok(message.includes('Look in your spam or junk folder.'), message);
  await context.close();
});

test('Buoy("prefill") and Buoy("navigate") drive the panel from the host page', { timeout: 60_000 }, async () => {
  const { page, panel, context } = await openPanel();
  await page.evaluate(() => {
    window.Buoy('prefill', { subject: 'Invoice address', body: 'Please change it.', type: 'billing' });
    window.Buoy('navigate', 'contact');
  });
  await panel.locator('#buoy-name:focus').waitFor();
  assert.equal(await panel.getByLabel('Subject').inputValue(), 'Invoice address');
  assert.equal(await panel.getByLabel('Topic').inputValue(), 'billing');
  await page.evaluate(() => window.Buoy('navigate', 'article', 'download-invoices'));
  await panel.locator('section.article h2:focus').waitFor();
  await context.close();
});

test('an article with script, javascript: links and event handlers renders inert', { timeout: 60_000 }, async () => {
  const { page, panel, problems, context } = await openPanel();
  await page.evaluate(() => window.Buoy('navigate', 'article', 'hostile-article'));
  const body = panel.locator('section.article .body');
  await body.locator('a').first().waitFor();
  const frame = page.frames().find((f) => f.url().includes('/widget/'));
  const report = await frame.evaluate(() => {
    const body = document.querySelector('section.article .body');
    return {
      pwned: window.__pwned ?? null,
      scripts: body.querySelectorAll('script').length,
      images: body.querySelectorAll('img').length,
      handlers: [...body.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
      hrefs: [...body.querySelectorAll('a')].map((a) => a.getAttribute('href')),
      rels: [...body.querySelectorAll('a[target=_blank]')].map((a) => a.rel),
      text: body.textContent,
    };
  });
  assert.equal(report.pwned, null);
  assert.equal(report.scripts, 0);
  assert.equal(report.images, 0);
  assert.equal(report.handlers, 0);
  assert.deepEqual(report.hrefs, ['https://status.lumen.example']);
  assert.deepEqual(report.rels, ['noopener noreferrer']);
  assert.ok(report.text.includes('<script>window.__pwned = 1</script>'), 'markup stays visible as text');
  assert.ok(report.text.includes('a javascript link'));
  assert.deepEqual(problems, []);
  await context.close();
});
