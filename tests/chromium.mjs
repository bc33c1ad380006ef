// Debian's Chromium, headless, as every browser test and benchmark here
// starts it: no sandbox (root in CI), and no background networking (this
// machine reaches nothing but loopback).
import { chromium } from 'playwright-core';

export function launchChromium(executablePath = process.env.BUOY_CHROMIUM || '/usr/bin/chromium') {
  return chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

/** A fresh context on `url` that records every console error, CSP violation and uncaught exception. */
export async function openPage(browser, url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  await page.goto(url);
  return { page, problems, context };
}
