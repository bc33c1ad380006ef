// Suggested articles end to end: a requester files a ticket about a
// password reset in the widget on the demo host page; the agent's console
// lists the knowledge-base article that covers it (axe stays at zero with
// the list showing), the agent inserts its link with the keyboard and
// sends; the requester, in the real panel, sees the reply, and clicking
// the link opens the article in the panel; the same link is a readable
// page for mail; the metrics count one more reply that linked an article.
// `cargo xtask test` starts the servers and passes:
//   BUOY_WORKER_URL, BUOY_DEMO_URL, BUOY_AGENT_TOKEN, BUOY_CHROMIUM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage } from '../chromium.mjs';
import { browserFor } from '../browser.mjs';
import { call } from '../api.mjs';
import { violations } from '../axe.mjs';

const WORKER = process.env.BUOY_WORKER_URL;
const DEMO = process.env.BUOY_DEMO_URL;
const TOKEN = process.env.BUOY_AGENT_TOKEN;

const chrome = browserFor(WORKER, DEMO, TOKEN);

/** A UTC day `offset` days from today, as `YYYY-MM-DD`. */
const utcDay = (offset) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

/** Today's replies that linked an article, and all public replies, as the metrics report them. */
async function articleLinks() {
  const { status, json } = await call(`/v1/agent/metrics?from=${utcDay(-1)}&to=${utcDay(1)}&tz=UTC`, { token: TOKEN });
  assert.equal(status, 200, JSON.stringify(json));
  return json.article_links;
}

test('an agent inserts a suggested article, and the requester opens it in the panel', { timeout: 150_000 }, async () => {
  const before = await articleLinks();

  // The requester writes in about a password reset.
  const requester = await openPage(chrome.browser, DEMO);
  const host = requester.page;
  await host.getByRole('button', { name: 'Help' }).click();
  const panel = host.frameLocator('iframe[title="Help"]');
  await panel.getByRole('button', { name: 'Send us a message' }).click();
  const subject = `Forgot my password ${Date.now()}`;
  await panel.getByLabel('Email').fill('noor@example.com');
  await panel.getByLabel('Topic').selectOption('account');
  await panel.getByLabel('Subject').fill(subject);
  await panel.getByLabel('Message').fill('I forgot my password and need to reset it. The sign-in page does not take it.');
  await panel.getByRole('button', { name: 'Send message' }).click();
  await panel.getByText('Thanks, we have your message').waitFor();
  const reference = (await panel.locator('.ref').textContent()).trim();

  // The console lists the article that covers it, under the reply box.
  const agent = await openPage(chrome.browser, `${WORKER}/console/#type=account`);
  const desk = agent.page;
  await desk.getByLabel('Agent token').fill(TOKEN);
  await desk.getByRole('button', { name: 'Sign in' }).click();
  await desk.locator('#queue button.ticket .subject', { hasText: subject }).click();
  await desk.locator('#subject', { hasText: subject }).waitFor();
  const suggestion = desk.locator('#suggestions li', { hasText: 'Reset your password' });
  await suggestion.waitFor();
  assert.ok(await desk.locator('#suggest-empty').isHidden(), 'no "none matches" beside a match');
  assert.ok((await desk.locator('#suggestions li').count()) <= 5);
  assert.match(await suggestion.locator('.hint').first().textContent(), /\w+/, 'a snippet of the article');
  assert.deepEqual(await violations(desk), [], 'axe, with the suggestions showing');

  // Keyboard: the reply box, then Tab to the article's button, Enter.
  await desk.locator('#reply').fill('Hello Noor, this explains the steps:');
  const insert = desk.getByRole('button', { name: 'Insert link to “Reset your password”' });
  await insert.focus();
  await desk.keyboard.press('Enter');
  const url = `${WORKER}/v1/articles/en/reset-your-password`;
  assert.equal(await desk.locator('#reply').inputValue(), `Hello Noor, this explains the steps:\nReset your password: ${url}`);
  assert.equal(await desk.evaluate(() => document.activeElement.id), 'reply', 'back in the reply box, to go on typing');
  await desk.locator('#reply-send').click();
  await desk.locator('#thread .message.public .body', { hasText: url }).waitFor();

  // The requester sees the reply, and its link opens the article in the panel.
  await panel.getByRole('button', { name: 'Your tickets' }).first().click();
  await panel.locator('#buoy-mine button', { hasText: reference }).click({ timeout: 30_000 });
  const link = panel.locator('#buoy-msgs .msg.agent .text a', { hasText: url });
  await link.waitFor({ timeout: 30_000 });
  assert.equal(await link.getAttribute('href'), url, 'a plain web link too');
  assert.match(await panel.locator('#buoy-msgs .msg.agent .text').textContent(), /^Hello Noor, this explains the steps:\nReset your password: /);
  await link.click();
  await panel.locator('section.article h2', { hasText: 'Reset your password' }).waitFor();
  await panel.locator('section.article .body p').first().waitFor();
  assert.ok((await panel.locator('section.article .body').textContent()).length > 100, 'the article body shows in the panel');
  assert.ok(host.url().startsWith(DEMO), 'the host page stays where it was');

  // In mail, the same link is the article's page.
  const page = await fetch(url);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /^text\/html/);
  const html = await page.text();
  assert.match(html, /<h1>Reset your password<\/h1>/);
  assert.ok(!/<script/i.test(html));

  // The metrics count the reply that linked an article.
  const after = await articleLinks();
  assert.equal(after.linked, before.linked + 1, JSON.stringify({ before, after }));
  assert.equal(after.replies, before.replies + 1);
  await requester.context.close();
  await agent.context.close();
});

test('a ticket no article covers gets an empty list, and the console says so', { timeout: 90_000 }, async () => {
  const created = await fetch(`${WORKER}/v1/tickets`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: DEMO },
    body: JSON.stringify({ site: 'demo', name: 'Kai', email: 'kai@example.com', type: 'other', subject: `Zebras ${Date.now()}`, message: 'Quokkas quarrel quietly.' }),
  });
  assert.equal(created.status, 201);
  const { id } = await created.json();
  const { status, json } = await call(`/v1/agent/tickets/${id}/articles`, { token: TOKEN });
  assert.equal(status, 200);
  assert.deepEqual(json, { locale: 'en', articles: [] });

  const agent = await openPage(chrome.browser, `${WORKER}/console/#ticket=${id}`);
  const desk = agent.page;
  await desk.getByLabel('Agent token').fill(TOKEN);
  await desk.getByRole('button', { name: 'Sign in' }).click();
  await desk.locator('#suggest-empty').waitFor();
  assert.equal(await desk.locator('#suggest-empty').textContent(), "No article matches this ticket's subject and message.");
  assert.equal(await desk.locator('#suggestions li').count(), 0);
  await agent.context.close();
});
