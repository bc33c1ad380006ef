// Languages end to end: the loader picks the panel's language (init's or
// data-locale, then the host page's <html lang>, then the browser's
// languages, then the site's default), names it in the iframe's path, and
// `Buoy('set', { locale })` switches it by reloading the iframe. Arabic is
// right to left: the panel mirrors (the close button on the left, text
// aligned right) and the launcher docks on the left. A ticket stores the
// language the panel spoke, and the console shows it.
// `cargo xtask test` passes BUOY_WORKER_URL, BUOY_DEMO_URL, BUOY_AGENT_TOKEN.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { beforeLoader, browserFor, widgetFrame } from '../browser.mjs';

const WORKER = process.env.BUOY_WORKER_URL?.replace(/\/$/, '');
const DEMO = process.env.BUOY_DEMO_URL;
const TOKEN = process.env.BUOY_AGENT_TOKEN;
const chrome = browserFor(WORKER, DEMO, TOKEN);

/**
 * The demo host page, in a fresh context (`options`: e.g. the browser's
 * `locale`), with its `<html lang>` set to `lang` (`null`: none) and its
 * loader tag given `data-locale` when `dataLocale` is set, both before
 * the loader runs; console errors and uncaught exceptions recorded.
 */
async function openHost({ lang = 'en', dataLocale, init } = {}, options = {}) {
  const context = await chrome.browser.newContext(options);
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  await beforeLoader(page, { lang, dataLocale, init });
  await page.goto(DEMO);
  return { page, problems, context };
}

/** The launcher (in the loader's open shadow root), whatever its language. */
const launcherOf = (page) => page.locator('button.l');

/** Opens the panel with the launcher and waits for the frame's page: its path, `lang`, `dir`, and the frame. */
async function openPanel(page) {
  await launcherOf(page).click();
  const frame = await widgetFrame(page);
  // The panel is running once it has moved focus to its search box.
  await frame.locator('#buoy-q:focus').waitFor();
  const [lang, dir] = await frame.evaluate(() => [document.documentElement.lang, document.documentElement.dir]);
  return { frame, path: new URL(frame.url()).pathname, lang, dir };
}

/** Where the launcher is, in the host page's viewport. */
async function launcherBox(page) {
  const box = await launcherOf(page).boundingBox();
  return { left: box.x, right: box.x + box.width, viewport: page.viewportSize().width };
}

test('data-locale picks the panel\'s language over the page\'s and the browser\'s', { timeout: 60_000 }, async () => {
  const { page, problems, context } = await openHost({ lang: 'fr', dataLocale: 'de' }, { locale: 'ja-JP' });
  const { frame, path, lang, dir } = await openPanel(page);
  assert.equal(path, '/widget/demo/de/');
  assert.deepEqual([lang, dir], ['de', 'ltr']);
  await frame.getByRole('button', { name: 'Schreiben Sie uns' }).waitFor();
  assert.equal(await frame.getByLabel('Hilfeartikel durchsuchen').getAttribute('placeholder'), 'Hilfe suchen');
  assert.equal(await frame.locator('title').textContent(), 'Hilfe');
  assert.deepEqual(problems, []);
  await context.close();
});

test('Buoy(\'init\', { locale }) picks the language and the side before the panel loads', { timeout: 60_000 }, async () => {
  const { page, problems, context } = await openHost({ lang: 'de', init: { site: 'demo', locale: 'ar' } });
  const launcher = await launcherBox(page);
  assert.ok(launcher.right < launcher.viewport / 2, 'Arabic docks the launcher on the left');
  const { frame, path, dir } = await openPanel(page);
  assert.deepEqual([path, dir], ['/widget/demo/ar/', 'rtl']);
  await frame.getByRole('button', { name: 'أرسل إلينا رسالة' }).waitFor();
  assert.equal(page.frames().filter((f) => f.url().includes('/widget/')).length, 1, 'one panel frame');
  assert.deepEqual(problems, []);
  await context.close();
});

test('the host page\'s <html lang> picks the language, then the browser\'s languages', { timeout: 60_000 }, async () => {
  for (const [lang, browser, expected, button] of [
    ['pt-PT', 'en-US', 'pt-BR', 'Envie uma mensagem'],
    ['es-419', 'de-DE', 'es', 'Envíanos un mensaje'],
    ['ja-JP', 'en-US', 'ja', 'メッセージを送る'],
    // A language the catalog lacks, or none: the browser's.
    ['he', 'fr-CA', 'fr', 'Envoyez-nous un message'],
    [null, 'ja-JP', 'ja', 'メッセージを送る'],
    // Nothing the catalog speaks: the site's default (English for the demo site).
    ['he', 'zh-CN', 'en', 'Send us a message'],
  ]) {
    const { page, problems, context } = await openHost({ lang }, { locale: browser });
    const opened = await openPanel(page);
    assert.equal(opened.lang, expected, `<html lang="${lang}"> with a ${browser} browser`);
    // The loader names the language it picked; none picked, the site's default.
    assert.equal(opened.path, browser === 'zh-CN' ? '/widget/demo/' : `/widget/demo/${expected}/`);
    await opened.frame.getByRole('button', { name: button }).waitFor();
    assert.deepEqual(problems, []);
    await context.close();
  }
});

test('Arabic mirrors the panel and docks the launcher on the left', { timeout: 60_000 }, async () => {
  const { page, problems, context } = await openHost({ lang: 'ar-EG' });
  const launcher = await launcherBox(page);
  assert.ok(launcher.right < launcher.viewport / 2, `the launcher docks on the left: ${JSON.stringify(launcher)}`);
  const { frame, path, lang, dir } = await openPanel(page);
  assert.equal(path, '/widget/demo/ar/');
  assert.deepEqual([lang, dir], ['ar', 'rtl']);
  assert.equal(await launcherOf(page).getAttribute('aria-label'), 'مساعدة', 'the launcher is named in the panel\'s language');
  const panel = await page.locator('iframe[title="مساعدة"]').boundingBox();
  assert.ok(panel.x + panel.width < launcher.viewport / 2, `the panel opens on the left too: ${JSON.stringify(panel)}`);
  const geometry = await frame.evaluate(() => {
    const box = (selector) => document.querySelector(selector).getBoundingClientRect();
    const textBox = (selector) => {
      const range = document.createRange();
      range.selectNodeContents(document.querySelector(selector));
      return range.getBoundingClientRect();
    };
    return { width: innerWidth, close: box('.close'), title: box('#buoy-title'), topics: box('#buoy-topics-title'), topicsText: textBox('#buoy-topics-title') };
  });
  assert.ok(geometry.close.right < geometry.width / 2, `the close button is on the left: ${JSON.stringify(geometry.close)}`);
  assert.ok(geometry.close.right <= geometry.title.left, 'and before the title, reading right to left');
  assert.ok(Math.abs(geometry.topicsText.right - geometry.topics.right) < 2, `text aligns right: ${JSON.stringify(geometry)}`);
  assert.ok(geometry.topicsText.left - geometry.topics.left > 40, 'and leaves room on the left');
  await frame.getByRole('button', { name: 'إغلاق المساعدة' }).waitFor();
  assert.deepEqual(problems, []);
  await context.close();
});

test('a site\'s default language names and docks the launcher once its panel says so', { timeout: 60_000 }, async () => {
  // Nothing the catalog speaks on the page or in the browser: the site's default (Arabic) holds.
  const { page, problems, context } = await openHost({ lang: 'he', init: { site: 'arabic' } }, { locale: 'zh-CN' });
  const { path, lang, dir } = await openPanel(page);
  assert.equal(path, '/widget/arabic/');
  assert.deepEqual([lang, dir], ['ar', 'rtl']);
  await page.locator('button.l[aria-label="مساعدة"]').waitFor();
  const launcher = await launcherBox(page);
  assert.ok(launcher.right < launcher.viewport / 2, `the launcher moved to the left: ${JSON.stringify(launcher)}`);
  assert.equal(await page.locator('iframe[title="مساعدة"]').count(), 1);
  assert.deepEqual(problems, []);
  await context.close();
});

test('Buoy(\'set\') switches the language of an open panel, and its side', { timeout: 60_000 }, async () => {
  const { page, problems, context } = await openHost();
  const english = await openPanel(page);
  assert.equal(english.lang, 'en');
  const ltr = await launcherBox(page);
  assert.ok(ltr.left > ltr.viewport / 2, 'English docks on the right');
  const geometry = await english.frame.evaluate(() => document.querySelector('.close').getBoundingClientRect().left > innerWidth / 2);
  assert.ok(geometry, 'the close button is on the right in English');

  // The demo page's language picker calls Buoy('set', { locale }).
  await page.getByLabel('Help language').selectOption('de');
  const german = await widgetFrame(page);
  await german.getByRole('button', { name: 'Schreiben Sie uns' }).waitFor();
  assert.equal(new URL(german.url()).pathname, '/widget/demo/de/');
  assert.ok(await page.locator('iframe[title="Hilfe"]').isVisible(), 'the panel stays open, named in German');
  assert.equal(await page.getByRole('button', { name: 'Hilfe' }).count(), 1, 'and so is the launcher');

  await page.evaluate(() => window.Buoy('set', { locale: 'ar-SA' }));
  const arabic = await widgetFrame(page);
  await arabic.getByRole('button', { name: 'أرسل إلينا رسالة' }).waitFor();
  const rtl = await launcherBox(page);
  assert.ok(rtl.right < rtl.viewport / 2, 'Arabic moves the launcher to the left');
  assert.equal(page.frames().filter((f) => f.url().includes('/widget/')).length, 1, 'one panel frame, replaced');
  assert.deepEqual(problems, []);
  await context.close();
});

test('each locale\'s page is served with the site\'s CSP; an unknown locale is a 404', { timeout: 60_000 }, async () => {
  const english = await fetch(`${WORKER}/widget/demo/`);
  const csp = english.headers.get('content-security-policy');
  assert.match(csp, /frame-ancestors /);
  for (const [tag, dir] of [['en', 'ltr'], ['de', 'ltr'], ['fr', 'ltr'], ['es', 'ltr'], ['pt-BR', 'ltr'], ['ja', 'ltr'], ['ar', 'rtl']]) {
    const response = await fetch(`${WORKER}/widget/demo/${tag}/`);
    assert.equal(response.status, 200, tag);
    assert.equal(response.headers.get('content-security-policy'), csp, `${tag}: the site's CSP`);
    assert.equal(response.headers.get('cache-control'), 'no-cache', tag);
    const html = await response.text();
    assert.ok(html.includes(`<html lang="${tag}" dir="${dir}">`), tag);
    assert.ok(html.includes('id="buoy-origins"'), `${tag}: the site's origins are in the page`);
  }
  for (const path of ['/widget/demo/xx/', '/widget/demo/pt-br/', '/widget/demo/de-CH/', '/widget/no-such-site/de/', '/widget/de/', '/widget/demo/de/index.html']) {
    const response = await fetch(`${WORKER}${path}`);
    assert.equal(response.status, 404, path);
    assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'none'/, path);
  }
});

test('a ticket keeps the language its panel spoke, and the console shows it', { timeout: 90_000 }, async () => {
  const { page, problems, context } = await openHost({ dataLocale: 'de' }, { locale: 'en-US' });
  const { frame } = await openPanel(page);
  await frame.getByRole('button', { name: 'Schreiben Sie uns' }).click();
  const subject = `Doppelt abgebucht ${Date.now()}`;
  await frame.getByLabel('E-Mail', { exact: true }).fill('ada@example.com');
  await frame.getByLabel('Thema').selectOption('billing');
  await frame.getByLabel('Betreff').fill(subject);
  await frame.getByLabel('Nachricht').fill('Meine Karte wurde im November doppelt belastet.');
  await frame.getByRole('button', { name: 'Nachricht senden' }).click();
  await frame.getByText('Danke, Ihre Nachricht ist angekommen').waitFor();
  assert.deepEqual(problems, []);

  const list = await fetch(`${WORKER}/v1/agent/tickets?limit=100`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const row = (await list.json()).tickets.find((t) => t.subject === subject);
  assert.ok(row, 'the agent queue lists the ticket');
  const ticket = await (await fetch(`${WORKER}/v1/agent/tickets/${row.id}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json();
  assert.equal(ticket.context.locale, 'de', 'the panel\'s language, not the browser\'s (en-US)');

  const agent = await context.newPage();
  await agent.goto(`${WORKER}/console/#ticket=${ticket.id}`);
  await agent.getByLabel('Agent token').fill(TOKEN);
  await agent.getByRole('button', { name: 'Sign in' }).click();
  await agent.getByRole('heading', { name: subject }).waitFor();
  const facts = Object.fromEntries(await agent.locator('#context dt').evaluateAll((dts) => dts.map((dt) => [dt.textContent, dt.nextElementSibling.textContent])));
  assert.equal(facts.Locale, 'German (de)');
  await context.close();
});
