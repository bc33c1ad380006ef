// The conversation loop end to end, in two browser contexts at once: a
// requester in the widget on the demo host page (a second origin) and an
// agent in the console, both against the worker under workerd with local
// KV. `cargo xtask test` starts the servers and passes:
//   BUOY_WORKER_URL, BUOY_DEMO_URL, BUOY_AGENT_TOKEN,
//   BUOY_OTHER_AGENT_TOKEN (an agent of another site), BUOY_CHROMIUM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage } from '../chromium.mjs';
import { browserFor } from '../browser.mjs';
import { call } from '../api.mjs';

const WORKER = process.env.BUOY_WORKER_URL;
const DEMO = process.env.BUOY_DEMO_URL;
const TOKEN = process.env.BUOY_AGENT_TOKEN;
const OTHER = process.env.BUOY_OTHER_AGENT_TOKEN;
const XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>';

const chrome = browserFor(WORKER, DEMO, TOKEN, OTHER);

/** The launcher's unread badge, read through its open shadow root ('' when hidden). */
function badge(page) {
  return page.evaluate(() => {
    const b = document.body.lastElementChild?.shadowRoot?.querySelector('.b');
    return b && !b.hidden ? b.textContent : '';
  });
}

test('a requester and an agent hold a whole conversation, and the rating reaches the agent', { timeout: 150_000 }, async () => {
  // The requester, on the customer's site, listening to the widget's events.
  const requester = await openPage(chrome.browser, DEMO);
  const host = requester.page;
  const urls = [];
  requester.context.on('request', (r) => urls.push(r.url()));
  await host.evaluate(() => {
    window.__events = [];
    for (const name of ['ticket:created', 'message:received', 'csat:submitted']) {
      window.Buoy('on', name, (detail) => window.__events.push(`${name} ${detail.reference}`));
    }
  });
  await host.getByRole('button', { name: 'Help' }).click();
  const panel = host.frameLocator('iframe[title="Help"]');
  await panel.getByRole('button', { name: 'Send us a message' }).click();
  const subject = `Cannot change my email ${Date.now()} ${XSS}`;
  await panel.getByLabel('Email').fill('lin@example.com');
  await panel.getByLabel('Topic').selectOption('account');
  await panel.getByLabel('Subject').fill(subject);
  await panel.getByLabel('Message').fill(`The settings page refuses my new address. ${XSS}`);
  await panel.getByRole('button', { name: 'Send message' }).click();
  await panel.getByText('Thanks, we have your message').waitFor();
  const reference = (await panel.locator('.ref').textContent()).trim();

  // The agent signs in to the console and finds it at the top of the account queue.
  const agent = await openPage(chrome.browser, `${WORKER}/console/#type=account`);
  const desk = agent.page;
  agent.context.on('request', (r) => urls.push(r.url()));
  await desk.getByLabel('Agent token').fill(TOKEN);
  await desk.getByRole('button', { name: 'Sign in' }).click();
  const first = desk.locator('#queue button.ticket').first();
  await first.locator('.subject', { hasText: subject }).waitFor();
  assert.equal(await first.locator('.subject').textContent(), subject, 'the subject is text, payload and all');
  // Keyboard: j selects the first ticket, Enter opens it, r goes to the reply box.
  await desk.locator('body').press('j');
  await desk.keyboard.press('Enter');
  await desk.locator('#subject', { hasText: subject }).waitFor();
  await desk.keyboard.press('r');
  assert.equal(await desk.evaluate(() => document.activeElement.id), 'reply');
  const reply = `Try signing out and in again, then change it. ${XSS}`;
  await desk.keyboard.type(reply);
  await desk.locator('#reply-send').click();
  await desk.locator('#thread .message.public .body', { hasText: 'Try signing out' }).waitFor();
  await desk.locator('#c-status').selectOption('pending');
  await desk.locator('#summary', { hasText: /pending/i }).waitFor();

  // The requester sees it without reloading: an unread count on the launcher and on the list.
  await panel.getByRole('button', { name: 'Your tickets' }).first().click();
  await panel.locator('#buoy-mine .count', { hasText: '1 new' }).waitFor({ timeout: 30_000 });
  assert.equal(await badge(host), '1');
  await panel.locator('#buoy-mine button', { hasText: reference }).click();
  const thread = panel.locator('#buoy-msgs');
  await thread.locator('.msg.agent .text', { hasText: 'Try signing out' }).waitFor();
  assert.equal(await thread.locator('.msg.agent .text').first().textContent(), reply, 'the reply is text');
  assert.equal(await panel.locator('#buoy-thread-title').textContent(), subject, 'the subject is text in the widget too');
  assert.equal(await thread.locator('.msg.you .text').first().textContent(), `The settings page refuses my new address. ${XSS}`);
  await panel.locator('#buoy-thread-status', { hasText: 'Waiting for your reply' }).waitFor({ timeout: 30_000 });
  await host.waitForFunction(() => {
    const b = document.body.lastElementChild?.shadowRoot?.querySelector('.b');
    return b && b.hidden;
  });
  // … and answers, which moves the pending ticket back to open.
  await panel.getByLabel('Your reply').fill('Signing out did it, thanks!');
  await panel.getByRole('button', { name: 'Send reply' }).click();
  await thread.locator('.msg.you .text', { hasText: 'Signing out did it' }).waitFor();
  assert.equal(await panel.getByLabel('Your reply').inputValue(), '', 'the box empties once the reply is taken');
  await panel.locator('#buoy-thread-status', { hasText: 'Open' }).waitFor();

  // The agent sees the answer and solves the ticket.
  await desk.reload();
  await desk.locator('#thread .message.requester .body', { hasText: 'Signing out did it' }).waitFor();
  await desk.locator('#c-status').selectOption('solved');
  await desk.locator('#summary', { hasText: /solved/i }).waitFor();

  // The requester is asked to rate it, once.
  await panel.getByText('How was the help you got?').waitFor({ timeout: 30_000 });
  await panel.getByRole('button', { name: 'Send rating' }).click();
  await panel.getByText('Please choose satisfied or not satisfied.').waitFor();
  await panel.getByLabel('Satisfied', { exact: true }).check();
  await panel.getByLabel('Anything to add? (optional)').fill('Quick and kind.');
  await panel.getByRole('button', { name: 'Send rating' }).click();
  await panel.getByText('Thank you for your rating.').waitFor();
  assert.ok(await panel.locator('#buoy-rate').isHidden(), 'the prompt goes once rated');

  // Every step is visible to agents, through the API and in the console.
  const { json: queue } = await call('/v1/agent/tickets?type=account&limit=100', { token: TOKEN });
  const listed = queue.tickets.find((t) => t.reference === reference);
  assert.ok(listed, 'listed');
  const { status, json: view } = await call(`/v1/agent/tickets/${listed.id}`, { token: TOKEN });
  assert.equal(status, 200);
  assert.equal(view.state.status, 'solved');
  assert.deepEqual({ satisfied: view.state.csat.satisfied, comment: view.state.csat.comment }, { satisfied: true, comment: 'Quick and kind.' });
  const steps = view.events.map((e) => (e.kind === 'changed' ? `changed:${e.status}` : e.kind === 'message' ? `message:${e.agent ? 'agent' : 'requester'}` : e.kind));
  assert.deepEqual(steps, ['message:agent', 'changed:pending', 'message:requester', 'changed:solved', 'rated']);
  assert.ok(view.events.every((e) => e.at && (e.kind === 'rated' || e.by)), 'each event says when, and who');
  await desk.reload();
  await desk.locator('#csat', { hasText: 'Satisfied' }).waitFor();
  assert.match(await desk.locator('#csat').textContent(), /Quick and kind\./);
  const history = await desk.locator('#history li').allTextContents();
  for (const step of ['changed status to pending', 'changed status to solved', 'rated the help: satisfied']) {
    assert.ok(history.some((line) => line.toLowerCase().includes(step)), `the console's history shows "${step}": ${history.join(' | ')}`);
  }
  assert.equal(await desk.locator('#thread .message').count(), 3, 'the first message, the reply and the answer');

  const events = await host.evaluate(() => window.__events);
  assert.deepEqual(events, [`ticket:created ${reference}`, `message:received ${reference}`, `csat:submitted ${reference}`]);
  // Nothing ran from the payloads, on either side.
  assert.equal(await host.evaluate(() => window.__xss), undefined);
  assert.equal(await desk.evaluate(() => window.__xss), undefined);
  const frame = host.frames().find((f) => f.url().includes('/widget/'));
  assert.equal(await frame.evaluate(() => window.__xss), undefined);
  // The requester's access lives in the panel's storage (the worker's origin), never in a URL.
  const stored = await frame.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('buoy:demo:')).map((k) => [k, JSON.parse(localStorage.getItem(k))]));
  assert.equal(stored.length, 1, 'one ticket, and nothing left in the outbox');
  const [key, [requesterToken, storedReference]] = stored[0];
  assert.deepEqual([key, storedReference], [`buoy:demo:${listed.id}`, reference]);
  // The host page keeps one flag (this browser asked for help here) and no token.
  assert.deepEqual(await host.evaluate(() => ({ ...localStorage })), { 'buoy:demo': '1' }, "nothing of the ticket in the host page's storage");
  assert.ok(urls.length > 10);
  assert.deepEqual(urls.filter((u) => u.includes(requesterToken) || u.includes(TOKEN)), [], 'no token in any URL');
  assert.deepEqual(requester.problems, []);
  assert.deepEqual(agent.problems, []);
  await requester.context.close();
  await agent.context.close();
});

test('a requester and an agent writing at the same moment are both kept', { timeout: 60_000 }, async () => {
  const { json: created } = await call('/v1/tickets', {
    body: { site: 'demo', email: 'sam@example.com', type: 'bug', subject: 'Both at once', message: 'Race me.' },
  });
  const writes = [];
  for (let i = 0; i < 5; i++) {
    writes.push(call(`/v1/tickets/${created.id}/messages`, { requester: created.requester_token, body: { body: `requester ${i}` } }));
    writes.push(call(`/v1/agent/tickets/${created.id}/messages`, { token: TOKEN, body: { body: `agent ${i}` } }));
  }
  const answers = await Promise.all(writes);
  assert.deepEqual(answers.map((a) => a.status), Array(10).fill(201));
  const { json: thread } = await call(`/v1/tickets/${created.id}`, { requester: created.requester_token });
  const bodies = thread.messages.map((m) => m.body).sort();
  assert.deepEqual(bodies, [0, 1, 2, 3, 4].flatMap((i) => [`agent ${i}`, `requester ${i}`]).sort());
});

test("a requester cannot read another requester's ticket, nor an agent another site's", { timeout: 60_000 }, async () => {
  const file = (subject) => call('/v1/tickets', { body: { site: 'demo', email: 'kim@example.com', type: 'bug', subject, message: 'Mine.' } });
  const { json: a } = await file('Ticket A');
  const { json: b } = await file('Ticket B');
  assert.equal((await call(`/v1/tickets/${a.id}`, { requester: a.requester_token })).status, 200);
  for (const attempt of [
    call(`/v1/tickets/${b.id}`, { requester: a.requester_token }),
    call(`/v1/tickets/${b.id}/messages`, { requester: a.requester_token, body: { body: 'Let me in' } }),
    call(`/v1/tickets/${b.id}/csat`, { requester: a.requester_token, body: { satisfied: false } }),
    call(`/v1/agent/tickets/${a.id}`, { token: OTHER }),
    call(`/v1/agent/tickets/${a.id}/messages`, { token: OTHER, body: { body: 'Hello from another site' } }),
    call(`/v1/agent/tickets/${a.id}/changes`, { token: OTHER, body: { status: 'closed' } }),
  ]) {
    const { status, json } = await attempt;
    assert.deepEqual([status, json.code], [404, 'not_found']);
  }
  const { json: theirs } = await call('/v1/agent/tickets?limit=100', { token: OTHER });
  assert.deepEqual(theirs.tickets, [], "the other site's queue holds none of demo's tickets");
  const { json: untouched } = await call(`/v1/tickets/${a.id}`, { requester: a.requester_token });
  assert.deepEqual([untouched.status, untouched.messages], ['new', []], 'nothing got through');
});
