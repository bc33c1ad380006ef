// A corpus of XSS payloads through every field a requester or an agent
// can fill, shown in the requester's panel and in the agents' console:
// each is drawn as the literal text it is, and none of it runs.
// `cargo xtask test` passes BUOY_WORKER_URL, BUOY_DEMO_URL, BUOY_AGENT_TOKEN, BUOY_CHROMIUM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage } from '../chromium.mjs';
import { browserFor } from '../browser.mjs';
import { call } from '../api.mjs';

const WORKER = process.env.BUOY_WORKER_URL;
const DEMO = process.env.BUOY_DEMO_URL;
const TOKEN = process.env.BUOY_AGENT_TOKEN;

const CORPUS = [
  '<script>window.__xss=1</script>',
  '<img src=x onerror="window.__xss=1">',
  '"><svg onload=window.__xss=1>',
  '<svg><script>window.__xss=1</script></svg>',
  'javascript:window.__xss=1',
  '<a href="javascript:window.__xss=1">click</a>',
  '<iframe src="data:text/html,<script>parent.__xss=1</script>"></iframe>',
  '<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=1>',
  '<noscript><p title="</noscript><img src=x onerror=window.__xss=1>">',
  '<details open ontoggle=window.__xss=1>',
  '{{constructor.constructor("window.__xss=1")()}}',
  '&lt;img src=x onerror=window.__xss=1&gt;',
];

const chrome = browserFor(WORKER, DEMO, TOKEN);

/** A call that must succeed: its JSON. */
async function ok(path, options) {
  const { status, json } = await call(path, options);
  assert.ok(status < 300, `${path}: ${status}`);
  return json;
}

test('XSS payloads in every field stay text in the panel and in the console', { timeout: 120_000 }, async () => {
  const tickets = [];
  for (const [i, payload] of CORPUS.entries()) {
    const created = await ok('/v1/tickets', {
      body: {
        site: 'demo',
        name: payload.slice(0, 100),
        email: `xss${i}@example.com`,
        type: 'bug',
        subject: `${i}: ${payload}`.slice(0, 200),
        message: `message ${payload}`,
        context: { url: payload, title: payload, locale: payload.slice(0, 60), time_zone: payload.slice(0, 60), user_agent: payload },
      },
    });
    await ok(`/v1/agent/tickets/${created.id}/messages`, { token: TOKEN, body: { body: `reply ${payload}` } });
    await ok(`/v1/agent/tickets/${created.id}/messages`, { token: TOKEN, body: { body: `note ${payload}`, public: false } });
    await ok(`/v1/tickets/${created.id}/messages`, { requester: created.requester_token, body: { body: `answer ${payload}` } });
    tickets.push({ ...created, payload, subject: `${i}: ${payload}`.slice(0, 200) });
  }

  // The requester's panel: the tickets, as if sent from this device.
  const requester = await openPage(chrome.browser, DEMO);
  await requester.page.getByRole('button', { name: 'Help' }).click();
  const panel = requester.page.frameLocator('iframe[title="Help"]');
  await panel.getByRole('button', { name: 'Send us a message' }).waitFor();
  const frame = requester.page.frames().find((f) => f.url().includes('/widget/'));
  await frame.evaluate((list) => {
    for (const [n, t] of list.entries()) localStorage.setItem(`buoy:demo:${t.id}`, JSON.stringify([t.requester_token, t.reference, t.subject, 0, n]));
    localStorage.setItem('buoy:demo', '1');
  }, tickets);
  await requester.page.reload();
  await requester.page.getByRole('button', { name: 'Help' }).click();
  const again = requester.page.frameLocator('iframe[title="Help"]');
  await again.getByRole('button', { name: 'Your tickets' }).first().click();
  for (const t of tickets) {
    await again.locator('#buoy-mine button', { hasText: t.reference }).click();
    const thread = again.locator('#buoy-msgs');
    await thread.locator('.msg.agent .text', { hasText: 'reply' }).waitFor();
    assert.equal(await again.locator('#buoy-thread-title').textContent(), t.subject);
    const texts = await thread.locator('.text').allTextContents();
    assert.deepEqual(texts, [`message ${t.payload}`, `reply ${t.payload}`, `answer ${t.payload}`], 'as typed, and no internal note');
    await again.getByRole('button', { name: 'Back' }).click();
    await again.getByRole('button', { name: 'Your tickets' }).first().click();
  }
  const widget = requester.page.frames().find((f) => f.url().includes('/widget/'));
  assert.equal(await widget.evaluate(() => window.__xss), undefined);
  assert.equal(await requester.page.evaluate(() => window.__xss), undefined);
  assert.equal(await widget.evaluate(() => document.querySelectorAll('#buoy-msgs img, #buoy-msgs script, #buoy-msgs svg, #buoy-msgs iframe').length), 0);

  // The agents' console: each ticket's thread and context.
  const agent = await openPage(chrome.browser, `${WORKER}/console/`);
  await agent.page.getByLabel('Agent token').fill(TOKEN);
  await agent.page.getByRole('button', { name: 'Sign in' }).click();
  await agent.page.locator('#queue button.ticket').first().waitFor();
  for (const t of tickets) {
    await agent.page.goto(`${WORKER}/console/#ticket=${t.id}`);
    await agent.page.locator('#subject', { hasText: t.subject.slice(0, 20) }).waitFor();
    assert.equal(await agent.page.locator('#subject').textContent(), t.subject);
    const bodies = await agent.page.locator('#thread .body').allTextContents();
    assert.deepEqual(bodies, [`message ${t.payload}`, `reply ${t.payload}`, `note ${t.payload}`, `answer ${t.payload}`]);
    const context = await agent.page.locator('#context').textContent();
    assert.ok(context.includes(t.payload), 'the page URL, title and browser as text');
    assert.equal(await agent.page.locator('#context a, #thread a, main img, main iframe, main svg:not(.chart svg)').count(), 0);
  }
  assert.equal(await agent.page.evaluate(() => window.__xss), undefined);
  const unexpected = (list) => list.filter((p) => !/Failed to load resource/.test(p));
  assert.deepEqual(unexpected(requester.problems), []);
  assert.deepEqual(unexpected(agent.problems), []);
  await requester.context.close();
  await agent.context.close();
});
