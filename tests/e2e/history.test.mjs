// A verified user's tickets on another device, end to end: device A (a
// browser context) files a ticket while signed in; an agent replies; device
// B (a fresh context, the same signed identity) sees it in "Your tickets",
// reply and all; a different signed user, and an unsigned claim of the same
// id, see nothing; after Buoy('logout') device B forgets it.
// `cargo xtask test` passes BUOY_WORKER_URL, BUOY_DEMO_URL,
// BUOY_AGENT_TOKEN, BUOY_IDENTITY_SECRET and BUOY_CHROMIUM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { openPage } from '../chromium.mjs';
import { browserFor } from '../browser.mjs';
import { identityOf } from '../api.mjs';

const WORKER = process.env.BUOY_WORKER_URL;
const DEMO = process.env.BUOY_DEMO_URL;
const TOKEN = process.env.BUOY_AGENT_TOKEN;
const SECRET = process.env.BUOY_IDENTITY_SECRET;
const HISTORY = '/v1/tickets/mine';

const chrome = browserFor(WORKER, DEMO, TOKEN, SECRET);

/** What the product's backend does (README, "Verified identity"): HMAC over every field it vouches for, with an exp. */
const signed = (fields) => identityOf(SECRET, fields);

/** A device: a fresh browser context on the demo page, told who the user is, with every request it makes recorded. */
async function device(who) {
  const opened = await openPage(chrome.browser, DEMO);
  const requests = [];
  opened.context.on('request', (r) => requests.push({ url: r.url(), method: r.method(), body: r.postData() ?? '' }));
  if (who) await opened.page.evaluate((w) => window.Buoy('identify', w), who);
  return { ...opened, requests, panel: opened.page.frameLocator('iframe[title="Help"]') };
}

/** The widget frame's own storage (the worker's origin), as [key, value] pairs. */
async function widgetStorage(page) {
  const frame = page.frames().find((f) => f.url().includes('/widget/'));
  return frame ? frame.evaluate(() => Object.keys(localStorage).sort().map((k) => [k, localStorage.getItem(k)])) : [];
}

/** Opens the panel and waits for the history call's answer. */
async function openAndWaitForHistory(d) {
  const answered = d.page.waitForResponse((r) => r.url().endsWith(HISTORY), { timeout: 30_000 });
  await d.page.getByRole('button', { name: 'Help' }).click();
  return answered;
}

test("a signed-in user's ticket follows them to another device, and only them", { timeout: 150_000 }, async () => {
  const user = `u_history_${randomUUID()}`;
  const who = signed({ id: user, email: 'ada@lumen.example', name: 'Ada' });

  // Device A: signed in, files a ticket in the widget.
  const a = await device(who);
  await a.page.getByRole('button', { name: 'Help' }).click();
  await a.panel.getByRole('button', { name: 'Send us a message' }).click();
  const subject = `Export stops at 99% ${Date.now()}`;
  await a.panel.getByLabel('Email').fill('ada@example.com');
  await a.panel.getByLabel('Topic').selectOption('bug');
  await a.panel.getByLabel('Subject').fill(subject);
  await a.panel.getByLabel('Message').fill('Every time, on the big report.');
  await a.panel.getByRole('button', { name: 'Send message' }).click();
  await a.panel.getByText('Thanks, we have your message').waitFor();
  const reference = (await a.panel.locator('.ref').textContent()).trim();

  // The agent replies through the API.
  const queue = await (await fetch(`${WORKER}/v1/agent/tickets?limit=100`, { headers: { authorization: `Bearer ${TOKEN}` } })).json();
  const row = queue.tickets.find((t) => t.reference === reference);
  assert.ok(row, 'the ticket is in the queue');
  const ticket = await (await fetch(`${WORKER}/v1/agent/tickets/${row.id}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json();
  assert.equal(ticket.requester.signed.user_id, user);
  const reply = `Fixed in today's release. ${randomUUID()}`;
  const replied = await fetch(`${WORKER}/v1/agent/tickets/${ticket.id}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ body: reply }),
  });
  assert.equal(replied.status, 201);

  // Device B: the same signed identity, nothing stored yet.
  const b = await device(who);
  // The panel preloads on intent (a new device has no flag for idle).
  await b.page.getByRole('button', { name: /^Help/ }).hover();
  await b.page.waitForFunction(() => !!document.body.lastElementChild?.shadowRoot?.querySelector('.p iframe'));
  assert.deepEqual(await widgetStorage(b.page), [], 'nothing is stored before the user opens the panel');
  assert.equal(b.requests.filter((r) => r.url.endsWith(HISTORY)).length, 0, 'no history is asked for before the panel opens');
  const history = await openAndWaitForHistory(b);
  assert.equal(history.status(), 200);
  await b.panel.locator('#buoy-mine-link').waitFor();
  await b.panel.locator('#buoy-mine-link').click();
  const listed = b.panel.locator('#buoy-mine button', { hasText: reference });
  await listed.waitFor();
  assert.match(await listed.textContent(), new RegExp(subject.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  await listed.click();
  await b.panel.locator('#buoy-msgs .msg.agent .text', { hasText: reply }).waitFor({ timeout: 30_000 });
  assert.equal(await b.panel.locator('#buoy-thread-title').textContent(), subject);
  assert.equal(await b.panel.locator('#buoy-msgs .msg.you .text').first().textContent(), 'Every time, on the big report.');
  // It is kept like a ticket sent from this device: one key, with its token.
  const stored = await widgetStorage(b.page);
  const kept = stored.find(([k]) => k === `buoy:demo:${ticket.id}`);
  assert.ok(kept, `kept in the panel's storage: ${stored.map(([k]) => k).join(', ')}`);
  // The identity went in a POST body, and no signature or token in any URL.
  const asked = b.requests.filter((r) => r.url.endsWith(HISTORY));
  assert.deepEqual(asked.map((r) => [r.method, JSON.parse(r.body).identity.id]), [['POST', user]], 'asked once, in the body');
  const token = JSON.parse(kept[1])[0];
  assert.deepEqual(b.requests.filter((r) => r.url.includes(who.signature) || r.url.includes(token)), [], 'no secret in a URL');

  // Another signed user sees none of it.
  const other = await device(signed({ id: `${user}_other` }));
  const theirs = await openAndWaitForHistory(other);
  assert.deepEqual((await theirs.json()).tickets, []);
  await other.page.evaluate(() => window.Buoy('navigate', 'tickets'));
  await other.panel.locator('#buoy-mine-empty').waitFor();
  assert.equal(await other.panel.locator('#buoy-mine button').count(), 0);

  // The same id, unsigned: anonymous, so no history is even asked for.
  const claimed = await device({ id: user, email: 'ada@lumen.example', name: 'Ada' });
  await claimed.page.getByRole('button', { name: 'Help' }).click();
  await claimed.page.evaluate(() => window.Buoy('navigate', 'tickets'));
  await claimed.panel.locator('#buoy-mine-empty').waitFor();
  await claimed.page.waitForTimeout(1500);
  assert.equal(await claimed.panel.locator('#buoy-mine button').count(), 0);
  assert.equal(claimed.requests.filter((r) => r.url.endsWith(HISTORY)).length, 0);

  // Logout on device B: the ticket leaves its list and its storage, with
  // the answer half typed in its thread (a draft, once drafts are kept).
  await b.panel.getByLabel('Your reply').fill('Half a thought');
  await b.page.waitForTimeout(300);
  // …and a new message half typed in the form, their name and email in it.
  await b.page.evaluate(() => window.Buoy('navigate', 'contact'));
  await b.panel.getByLabel('Email').fill('shared-computer@example.com');
  await b.panel.getByLabel('Message').fill('Half a message');
  await b.page.waitForTimeout(300);
  await b.page.evaluate(() => window.Buoy('navigate', 'tickets'));
  await b.panel.locator('#buoy-mine button', { hasText: reference }).waitFor();
  await b.page.evaluate(() => window.Buoy('logout'));
  await b.panel.locator('#buoy-mine-empty').waitFor();
  await b.page.evaluate(() => window.Buoy('navigate', 'contact'));
  assert.deepEqual([await b.panel.getByLabel('Email').inputValue(), await b.panel.getByLabel('Message').inputValue()], ['', ''], 'the form forgets them too');
  assert.equal(await b.panel.locator('#buoy-mine button').count(), 0);
  assert.ok(await b.panel.locator('#buoy-mine-link').isHidden(), 'no "Your tickets" link left');
  assert.deepEqual(await widgetStorage(b.page), [], 'a shared computer keeps nothing of the last user');
  // Device A did not log out: it keeps the ticket it sent.
  assert.ok((await widgetStorage(a.page)).some(([k]) => k === `buoy:demo:${ticket.id}`));

  for (const d of [a, b, other, claimed]) {
    assert.deepEqual(d.problems, []);
    await d.context.close();
  }
});
