// The panel on a phone, in Chromium's mobile emulation (375×667, touch):
// it fills the screen as a modal dialog that keeps focus, locks the host
// page's scroll and gives its position back, keeps the focused field and
// the send button in view when the on-screen keyboard takes the lower part
// of the screen (simulated by shrinking the viewport, and by shrinking the
// visual viewport alone with pinch zoom), has 44 px targets
// and 16 px inputs, and nothing overflows sideways at 320 px.
// Emulation is not iOS Safari: the README's accessibility statement says so.
// `cargo xtask test` passes BUOY_WORKER_URL, BUOY_DEMO_URL, BUOY_CHROMIUM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { browserFor, widgetFrame } from '../browser.mjs';
import { until } from '../wait.mjs';

const DEMO = process.env.BUOY_DEMO_URL;
const chrome = browserFor(process.env.BUOY_WORKER_URL, DEMO);
const PHONE = { viewport: { width: 375, height: 667 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 };

/** The demo page on a phone, scrolled down a little, with the panel opened by a tap. */
async function openOnPhone(options = PHONE) {
  const context = await chrome.browser.newContext(options);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(String(e)));
  await page.goto(DEMO);
  await page.evaluate(() => window.scrollTo(0, 150));
  const scrolled = await page.evaluate(() => window.scrollY);
  assert.ok(scrolled > 0, 'the host page scrolls on a phone');
  await page.getByRole('button', { name: 'Help' }).tap();
  const frame = await widgetFrame(page);
  await frame.locator('#buoy-q:focus').waitFor();
  return { context, page, frame, problems, scrolled };
}

/** Where an element of the panel is on the host page's visual viewport. */
function onScreen(page, frame, selector) {
  return Promise.all([
    page.evaluate(() => {
      const r = document.body.lastElementChild.shadowRoot.querySelector('iframe').getBoundingClientRect();
      return { top: r.top, left: r.left, vvTop: visualViewport.offsetTop, vvHeight: visualViewport.height, vvWidth: visualViewport.width };
    }),
    frame.evaluate((s) => {
      const r = document.querySelector(s).getBoundingClientRect();
      return { top: r.top, bottom: r.bottom, left: r.left, right: r.right };
    }, selector),
  ]).then(([f, r]) => ({
    top: f.top + r.top, bottom: f.top + r.bottom, left: f.left + r.left, right: f.left + r.right,
    visible: f.top + r.top >= f.vvTop && f.top + r.bottom <= f.vvTop + f.vvHeight && f.left + r.left >= 0 && f.left + r.right <= f.vvWidth,
  }));
}

test('on a phone the panel fills the screen, is modal, keeps focus and locks the host page until it closes', { timeout: 90_000 }, async () => {
  const { context, page, frame, problems, scrolled } = await openOnPhone();
  const box = await page.evaluate(() => {
    const r = document.body.lastElementChild.shadowRoot.querySelector('.p').getBoundingClientRect();
    return [r.left, r.top, r.width, r.height];
  });
  assert.deepEqual(box, [0, 0, 375, 667], 'the panel covers the screen');
  assert.equal(await frame.evaluate(() => document.querySelector('[role=dialog]').getAttribute('aria-modal')), 'true');
  // The host page behind is locked, by a constructed stylesheet only.
  const host = await page.evaluate(() => ({
    overflow: getComputedStyle(document.documentElement).overflow,
    position: getComputedStyle(document.body).position,
    top: getComputedStyle(document.body).top,
    styled: document.querySelectorAll('[style], style').length,
  }));
  assert.deepEqual(host, { overflow: 'hidden', position: 'fixed', top: `${-scrolled}px`, styled: 0 });
  // Focus stays inside: Shift+Tab past the first control wraps to the last.
  for (let i = 0; i < 3; i++) await page.keyboard.press('Shift+Tab');
  const inside = await frame.evaluate(() => document.hasFocus() && !!document.activeElement.closest('.panel'));
  assert.ok(inside, 'focus is still in the panel');
  for (let i = 0; i < 30; i++) await page.keyboard.press('Tab');
  assert.ok(await frame.evaluate(() => document.hasFocus() && !!document.activeElement.closest('.panel')), 'and after many Tabs');
  // Closed: the page scrolls again, from where it was.
  await frame.getByRole('button', { name: 'Close help' }).tap();
  await until(() => page.evaluate(() => getComputedStyle(document.body).position === 'static'), 'the lock to go');
  assert.equal(await page.evaluate(() => window.scrollY), scrolled, 'the scroll position is back');
  assert.deepEqual(problems, []);
  await context.close();
});

test('the on-screen keyboard hides neither the focused field nor the send button', { timeout: 90_000 }, async () => {
  const { context, page, frame } = await openOnPhone();
  await frame.getByRole('button', { name: 'Send us a message' }).tap();
  await frame.locator('#buoy-name:focus').waitFor();
  for (const field of ['#buoy-message', '#buoy-subject', '#buoy-email']) {
    await frame.locator(field).tap();
    await frame.locator(`${field}:focus`).waitFor();
    // The keyboard takes the lower 300 px: the visible viewport shrinks.
    await page.setViewportSize({ width: 375, height: 367 });
    await until(async () => (await page.evaluate(() => document.body.lastElementChild.shadowRoot.querySelector('.p').getBoundingClientRect().height)) === 367,
      'the panel to follow the visual viewport');
    await until(async () => (await onScreen(page, frame, field)).visible, `${field} in view`);
    assert.ok((await onScreen(page, frame, '#buoy-submit')).visible, `the send button in view with ${field} focused`);
    assert.ok(await frame.evaluate((s) => document.activeElement === document.querySelector(s), field), 'focus stays');
    const covered = await frame.evaluate((s) => {
      const r = document.querySelector(s).getBoundingClientRect();
      const hit = document.elementFromPoint(r.left + 10, r.bottom - 4);
      return hit !== document.querySelector(s);
    }, field);
    assert.equal(covered, false, `${field} is not under the send button`);
    await page.setViewportSize(PHONE.viewport);
  }
  await context.close();
});

test('the panel follows the visual viewport, not the layout viewport', { timeout: 90_000 }, async () => {
  // A keyboard on Android (and iOS) shrinks the visual viewport alone: the
  // layout viewport, and with it `100dvh`, keeps its height. Pinch zoom
  // does the same in emulation, so it tells tracking from `100dvh`.
  const { context, page, frame } = await openOnPhone();
  await frame.locator('#buoy-home button.write').tap();
  await frame.locator('#buoy-message').tap();
  await frame.locator('#buoy-message:focus').waitFor();
  const cdp = await context.newCDPSession(page);
  const geometry = () => page.evaluate(() => {
    const r = document.body.lastElementChild.shadowRoot.querySelector('.p').getBoundingClientRect();
    return { top: r.top, height: r.height, layout: innerHeight, vvTop: visualViewport.offsetTop, vvHeight: visualViewport.height };
  });
  for (const visible of [367, 500]) {
    await cdp.send('Emulation.setPageScaleFactor', { pageScaleFactor: PHONE.viewport.height / visible });
    await until(async () => Math.abs((await geometry()).vvHeight - visible) < 1, `the visual viewport at ${visible} px`);
    let now;
    await until(async () => {
      now = await geometry();
      return Math.abs(now.height - now.vvHeight) < 1 && Math.abs(now.top - now.vvTop) < 1;
    }, `the panel to follow the visual viewport at ${visible} px`);
    assert.equal(now.layout, PHONE.viewport.height, 'the layout viewport (100dvh) kept its height');
    assert.ok(now.height < PHONE.viewport.height - 100, `the panel is ${now.height} px, not 100dvh`);
    for (const field of ['#buoy-message', '#buoy-submit']) {
      await until(async () => {
        const at = await onScreen(page, frame, field);
        return at.top >= now.vvTop - 0.5 && at.bottom <= now.vvTop + now.vvHeight + 0.5;
      }, `${field} in the visual viewport at ${visible} px`);
    }
    assert.ok(await frame.evaluate(() => document.activeElement?.id === 'buoy-message'), 'focus stays');
  }
  await cdp.send('Emulation.setPageScaleFactor', { pageScaleFactor: 1 });
  await until(async () => (await geometry()).height === PHONE.viewport.height, 'the panel to fill the screen again');
  await context.close();
});

test('touch targets are 44 px, inputs 16 px, the safe areas are kept clear', { timeout: 90_000 }, async () => {
  const { context, page, frame } = await openOnPhone();
  const measure = () => frame.evaluate(() => [...document.querySelectorAll('button, input, select, textarea, label.choice')]
    .filter((el) => el.getClientRects().length && !['checkbox', 'radio'].includes(el.type) && !el.closest('label.choice, [hidden]'))
    .map((el) => {
      const r = el.getBoundingClientRect();
      return { what: `${el.tagName}#${el.id} ${el.textContent.trim().slice(0, 20)}`, w: r.width, h: r.height, font: Number.parseFloat(getComputedStyle(el).fontSize) };
    }));
  const seen = [...await measure()];
  await frame.getByRole('button', { name: 'Send us a message' }).tap();
  await frame.locator('#buoy-name:focus').waitFor();
  seen.push(...await measure());
  assert.ok(seen.length > 15, `${seen.length} controls measured`);
  for (const c of seen) {
    assert.ok(c.w >= 44 && c.h >= 44, `${c.what}: ${c.w}×${c.h}`);
    if (/^(INPUT|SELECT|TEXTAREA)/.test(c.what)) assert.ok(c.font >= 16, `${c.what}: ${c.font}px text`);
  }
  // Chromium has no notch to emulate: the rule that keeps the safe areas clear is checked as written.
  const rules = await page.evaluate(() => [...document.body.lastElementChild.shadowRoot.adoptedStyleSheets[0].cssRules].map((r) => r.cssText).join('\n'));
  for (const side of ['top', 'right', 'bottom', 'left']) assert.ok(rules.includes(`env(safe-area-inset-${side})`), side);
  assert.match(rules, /height: 100dvh/);
  await context.close();
});

test('nothing overflows sideways at 320 px', { timeout: 90_000 }, async () => {
  const { context, frame } = await openOnPhone({ ...PHONE, viewport: { width: 320, height: 640 } });
  const wide = () => frame.evaluate(() => ({ width: innerWidth, scroll: document.documentElement.scrollWidth,
    over: [...document.querySelectorAll('.panel *')].filter((el) => el.getClientRects().length && el.getBoundingClientRect().right > innerWidth + 0.5).map((el) => el.tagName + '#' + el.id) }));
  const screens = [];
  screens.push(['home', await wide()]);
  await frame.getByLabel('Search help articles').fill('invoice');
  await frame.locator('#buoy-docs button[data-article]').first().waitFor();
  screens.push(['search', await wide()]);
  await frame.locator('#buoy-docs button[data-article]').first().tap();
  await frame.locator('section.article .body p').first().waitFor();
  screens.push(['article', await wide()]);
  await frame.getByRole('button', { name: 'Back' }).tap();
  await frame.getByRole('button', { name: 'Send us a message' }).tap();
  await frame.getByRole('button', { name: 'Send message' }).tap();
  await frame.getByText('Please correct the fields marked below.').waitFor();
  screens.push(['form with errors', await wide()]);
  for (const [screen, w] of screens) assert.deepEqual(w, { width: 320, scroll: 320, over: [] }, screen);
  await context.close();
});
