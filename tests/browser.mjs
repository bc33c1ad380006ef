// One Chromium per end-to-end test file (node:test hooks; the benchmarks
// launch theirs from chromium.mjs directly).
import assert from 'node:assert/strict';
import { before, after } from 'node:test';
import { launchChromium } from './chromium.mjs';
import { until } from './wait.mjs';

/** Launched before the file's tests (once every value in `required`, the
 * environment `cargo xtask test` passes, is set), closed after them; its
 * `browser` is there from then on. */
export function browserFor(...required) {
  const held = { browser: null };
  before(async () => {
    assert.ok(required.every(Boolean), 'run through `cargo xtask test`, which starts the servers');
    held.browser = await launchChromium();
  });
  after(async () => {
    await held.browser?.close();
  });
  return held;
}

/** The widget's frame (on the worker's origin) of a host page, once the
 * loader made it (on open, or on intent: the pointer on the launcher, or
 * its focus): the current one each
 * time, since a reload replaces it. Parsed is enough to reach its
 * storage; its load event may wait on a slow subresource. */
export async function widgetFrame(page) {
  let frame;
  await until(async () => {
    frame = page.frames().find((f) => f.url().includes('/widget/') && !f.isDetached());
    return frame && frame.evaluate(() => document.readyState !== 'loading').catch(() => false);
  }, 'the widget frame');
  return frame;
}

/** Records a page's console errors, uncaught exceptions and CSP
 * violations, from before any of its code runs: the list fills as they come. */
export async function recordProblems(page) {
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
  });
  return problems;
}

/** The console in a fresh context of `browser`, signed in with an agent's
 * `token`, at `hash`; its problems recorded from the start. */
export async function signedInConsole(browser, token, hash = '') {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = await recordProblems(page);
  await page.goto(`${process.env.BUOY_WORKER_URL}/console/${hash}`);
  await page.getByLabel('Agent token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  return { page, problems, context };
}

/**
 * Keeps Playwright's file-chooser interception on for the life of `page`.
 * Playwright turns it on only when a `filechooser` listener subscribes,
 * and its server handles that subscription concurrently with the key
 * press or click sent next: a chooser that opens before interception is
 * on is never reported, and `waitForEvent('filechooser')` times out.
 * Call it when the page is made, long before the first chooser.
 */
export function keepChoosersIntercepted(page) {
  page.on('filechooser', () => {});
}

/**
 * Before the next page of `page` runs its (async) loader: its
 * `<html lang>` set to `lang` (`null`: removed; left alone when not
 * given), its loader tag given `data-locale` when `dataLocale` is set,
 * and `init` queued as a call made before the loader arrives, as the
 * README's snippet makes it.
 */
export function beforeLoader(page, { lang, dataLocale, init } = {}) {
  return page.addInitScript(({ lang, dataLocale, init }) => {
    if (init) window.Buoy = Object.assign(function () {}, { q: [['init', init]] });
    new MutationObserver((_, observer) => {
      const html = document.documentElement;
      const loader = document.querySelector('script[data-site]');
      if (!html || !loader) return;
      if (lang === null) html.removeAttribute('lang');
      else if (lang !== undefined) html.lang = lang;
      if (dataLocale) loader.dataset.locale = dataLocale;
      observer.disconnect();
    }).observe(document, { childList: true, subtree: true });
  }, { lang, dataLocale, init });
}
