// Articles end to end: the build publishes an image under a content-hashed
// name in /kb/images/, the panel draws it with its alt text and size, it
// loads, and it is cached for a year; a GFM table becomes a table with a
// header row; each locale searches its own index, and an article not yet
// translated shows in the default locale, marked as such. `cargo xtask
// test` starts the servers and passes BUOY_DEMO_URL, BUOY_WORKER_URL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage } from '../chromium.mjs';
import { browserFor } from '../browser.mjs';

const DEMO = process.env.BUOY_DEMO_URL;
const WORKER = process.env.BUOY_WORKER_URL?.replace(/\/$/, '');
const chrome = browserFor(DEMO, WORKER);

/** The demo page with the panel open on an article; records console errors. */
async function openArticle(id) {
  const { page, problems, context } = await openPage(chrome.browser, DEMO);
  await page.getByRole('button', { name: 'Help' }).click();
  const panel = page.frameLocator('iframe[title="Help"]');
  await panel.locator('#buoy-q:focus').waitFor();
  await page.evaluate((article) => window.Buoy('navigate', 'article', article), id);
  await panel.locator('section.article h2:focus').waitFor();
  const frame = page.frames().find((f) => f.url().includes('/widget/'));
  return { panel, frame, problems, context };
}

test('an article shows its screenshot, loaded from a content-hashed file cached for a year', { timeout: 60_000 }, async () => {
  const { panel, frame, problems, context } = await openArticle('download-invoices');
  const image = panel.locator('section.article .body img');
  await image.scrollIntoViewIfNeeded();
  await frame.waitForFunction(() => document.querySelector('section.article .body img')?.complete);
  const shown = await image.evaluate((img) => ({
    src: img.getAttribute('src'),
    alt: img.alt,
    width: img.getAttribute('width'),
    height: img.getAttribute('height'),
    loading: img.loading,
    decoding: img.decoding,
    natural: [img.naturalWidth, img.naturalHeight],
    drawn: img.getBoundingClientRect().width,
    panel: img.closest('.body').getBoundingClientRect().width,
  }));
  assert.match(shown.src, /^\/kb\/images\/billing-invoices\.[0-9a-f]{16}\.png$/);
  assert.match(shown.alt, /^The Invoices page: one row per invoice/);
  assert.deepEqual([shown.width, shown.height, shown.loading, shown.decoding], ['320', '200', 'lazy', 'async']);
  assert.deepEqual(shown.natural, [320, 200], 'the file loaded, at the size the build read');
  assert.ok(shown.drawn > 0 && shown.drawn <= shown.panel, `drawn ${shown.drawn} px wide in a ${shown.panel} px body`);

  const response = await fetch(`${WORKER}${shown.src}`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'image/png');
  assert.equal(response.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a Markdown table becomes a table with a header row', { timeout: 60_000 }, async () => {
  const { panel, problems, context } = await openArticle('api-keys-and-rate-limits');
  const table = panel.locator('section.article .body .table > table');
  await table.waitFor();
  const headers = await table.locator('thead tr th').evaluateAll((cells) => cells.map((c) => [c.textContent, c.getAttribute('scope')]));
  assert.deepEqual(headers, [
    ['Plan', 'col'],
    ['Requests per minute', 'col'],
    ['Counted per', 'col'],
  ]);
  const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  assert.deepEqual(rows, [
    ['Business', '60', 'workspace'],
    ['Enterprise', '600', 'workspace'],
  ]);
  assert.equal(await table.locator('tbody strong').count(), 2, 'cells keep their inline formatting');
  assert.deepEqual(problems, []);
  await context.close();
});

// Articles per language. The widget page of a locale (the build writes
// one per locale) names it in `<html lang>`; its help module fetches that
// locale's index, or the default locale's where it has no articles.

/** The panel open in `locale` (the host page asks for it, as its language picker does), and every knowledge base file it fetches. */
async function openIn(locale) {
  const { page, problems, context } = await openPage(chrome.browser, DEMO);
  const fetched = [];
  context.on('request', (request) => {
    const path = new URL(request.url()).pathname;
    if (path.startsWith('/kb/')) fetched.push(path);
  });
  await page.evaluate((tag) => window.Buoy('set', { locale: tag }), locale);
  await page.locator('button.l').click();
  const panel = page.frameLocator('iframe');
  await panel.locator(`html[lang="${locale}"] #buoy-q:focus`).waitFor();
  const frame = page.frames().find((f) => f.url().includes('/widget/'));
  return { panel, frame, fetched, problems, context };
}

test('a German reader searches the German articles, typing without umlauts, and reads one in German', { timeout: 60_000 }, async () => {
  const { panel, fetched, problems, context } = await openIn('de');
  await panel.locator('#buoy-q').pressSequentially('passwort zurucksetzen');
  const result = panel.getByRole('button', { name: 'Passwort zurücksetzen' });
  await result.waitFor();
  assert.ok(fetched.some((p) => /^\/kb\/de\/index\.[0-9a-f]{16}\.txt$/.test(p)), fetched.join(' '));
  assert.ok(!fetched.some((p) => p.startsWith('/kb/en/index.')), 'only the German index is fetched');
  await result.click();
  const body = panel.locator('section.article .body');
  await body.locator('p').first().waitFor();
  assert.match(await body.textContent(), /Anmeldeseite/);
  assert.equal(await body.getAttribute('lang'), 'de');
  assert.equal(await panel.locator('section.article h2').getAttribute('lang'), 'de');
  assert.equal(await body.locator('p.note').count(), 0, 'a translated article has no note');
  assert.ok(fetched.some((p) => /^\/kb\/de\/reset-your-password\.[0-9a-f]{16}\.json$/.test(p)), fetched.join(' '));
  assert.deepEqual(problems, []);
  await context.close();
});

test('an article not yet translated shows to a German reader in English, marked as English with a note', { timeout: 60_000 }, async () => {
  const { panel, problems, context } = await openIn('de');
  await panel.locator('#buoy-q').pressSequentially('Webhooks Signaturen');
  const result = panel.getByRole('button', { name: 'Set up webhooks and verify signatures' });
  await result.waitFor();
  await result.click();
  const body = panel.locator('section.article .body');
  const note = body.locator('p.note');
  await note.waitFor();
  assert.equal(await note.textContent(), 'Noch nicht übersetzt: Dieser Artikel ist auf Englisch.');
  assert.equal(await note.getAttribute('lang'), 'de', 'the note is in the reader\'s language');
  assert.equal(await body.getAttribute('lang'), 'en');
  assert.equal(await panel.locator('section.article h2').getAttribute('lang'), 'en');
  await body.locator('p:not(.note)').first().waitFor();
  assert.match(await body.textContent(), /webhook/i);
  assert.deepEqual(problems, []);
  await context.close();
});

test('an Arabic reader finds an article typing without hamza, taa marbuta or diacritics', { timeout: 60_000 }, async () => {
  const { panel, fetched, problems, context } = await openIn('ar');
  await panel.locator('#buoy-q').pressSequentially('اعاده تعيين كلمه المرور');
  const result = panel.getByRole('button', { name: 'إعادة تعيين كلمة المرور' });
  await result.waitFor();
  assert.ok(fetched.some((p) => p.startsWith('/kb/ar/index.')), fetched.join(' '));
  await result.click();
  const body = panel.locator('section.article .body');
  await body.locator('p').first().waitFor();
  assert.equal(await body.getAttribute('lang'), 'ar');
  assert.match(await body.textContent(), /تسجيل الدخول/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a locale without articles of its own searches the default locale\'s', { timeout: 60_000 }, async () => {
  const { panel, fetched, problems, context } = await openIn('fr');
  await panel.locator('#buoy-q').pressSequentially('invoices');
  await panel.getByRole('button', { name: 'Download invoices and receipts' }).waitFor();
  assert.ok(fetched.some((p) => p.startsWith('/kb/en/index.')), fetched.join(' '));
  assert.ok(!fetched.some((p) => /^\/kb\/(fr|de|ar)\//.test(p)), fetched.join(' '));
  assert.deepEqual(problems, []);
  await context.close();
});
