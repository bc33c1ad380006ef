// One Chromium per end-to-end test file (node:test hooks; the benchmarks
// launch theirs from chromium.mjs directly).
import assert from 'node:assert/strict';
import { before, after } from 'node:test';
import { launchChromium } from './chromium.mjs';

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
