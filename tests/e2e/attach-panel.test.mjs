// Attachments in the panel, under workerd with the local R2: a pasted
// screenshot and a dropped PDF go with a new ticket and reach the agent
// byte-identical; an agent's file in a reply opens in the requester's
// thread (an image larger, in the panel); files chosen while uploads fail
// wait in IndexedDB through a reload and go once, with their ticket; a
// refused file shows its error and the message stays; a site without
// attachments offers none.
// `cargo xtask test` passes BUOY_WORKER_URL, BUOY_DEMO_URL, BUOY_AGENT_TOKEN, BUOY_CHROMIUM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { openPage } from '../chromium.mjs';
import { browserFor, widgetFrame } from '../browser.mjs';
import { call } from '../api.mjs';
import { sleep, until } from '../wait.mjs';
import { png, offer } from '../files.mjs';

const WORKER = process.env.BUOY_WORKER_URL;
const DEMO = process.env.BUOY_DEMO_URL;
const AGENT = process.env.BUOY_AGENT_TOKEN;

const chrome = browserFor(WORKER, DEMO, AGENT);

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

const pdf = () => Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(200_000), Buffer.from('\n%%EOF\n')]);

/** The files a form lists: name, whether its upload is still on its way, its error. */
function listed(frame, form) {
  return frame.evaluate((form) => [...document.querySelectorAll(`#${form} .files li`)].map((li) => ({
    name: li.querySelector('.name')?.textContent,
    uploading: !!li.querySelector('progress'),
    note: li.querySelector('.error, .hint + .hint')?.textContent ?? null,
    remove: li.querySelector('.remove')?.getAttribute('aria-label'),
    thumbnail: li.querySelector('img.thumb')?.getAttribute('src')?.startsWith('blob:') ?? false,
  })), form);
}

async function openForm(page) {
  await page.getByRole('button', { name: 'Help' }).click();
  const panel = page.frameLocator('iframe[title="Help"]');
  await panel.getByRole('button', { name: 'Send us a message' }).click();
  const frame = await widgetFrame(page);
  // The form takes files: the upload module loads with it and lists them.
  await until(() => frame.evaluate(() => !!document.querySelector('#buoy-form .files')), 'the upload module');
  return { panel, frame };
}

async function fill(panel, subject, message) {
  await panel.getByLabel('Email').fill('mei@example.com');
  await panel.getByLabel('Topic').selectOption('bug');
  await panel.getByLabel('Subject').fill(subject);
  await panel.getByLabel('Message').fill(message);
}

async function agentTicket(subject) {
  let found;
  await until(async () => {
    const queue = await call('/v1/agent/tickets?limit=100', { token: AGENT });
    found = queue.json.tickets.filter((t) => t.subject === subject);
    return found.length > 0;
  }, `the ticket "${subject}"`);
  return found;
}

async function agentDownload(ticket, file) {
  const response = await fetch(`${WORKER}/v1/agent/tickets/${ticket}/files/${file}`, { headers: { authorization: `Bearer ${AGENT}` } });
  return Buffer.from(await response.arrayBuffer());
}

let shared = null;

test('a pasted screenshot and a dropped PDF go with a new ticket; the agent downloads both byte-identical', { timeout: 90_000 }, async () => {
  const { page, problems, context } = await openPage(chrome.browser, DEMO);
  const { panel, frame } = await openForm(page);
  assert.equal(await frame.evaluate(() => localStorage.length), 0, 'nothing stored before a file or a word');
  const subject = `Chart is empty ${Date.now()}`;
  await fill(panel, subject, 'The dashboard chart is empty. Screenshot and export attached.');
  const shot = await png(frame, 320, 200);
  const report = pdf();
  assert.ok(await offer(frame, '#buoy-message', 'paste', [{ name: 'image.png', type: 'image/png', bytes: shot }]), 'the paste is taken');
  assert.ok(await offer(frame, '#buoy-form', 'drop', [{ name: 'export.pdf', type: 'application/pdf', bytes: report }]), 'the drop is taken');
  await until(async () => {
    const files = await listed(frame, 'buoy-form');
    return files.length === 2 && files.every((f) => !f.uploading && f.note === null);
  }, 'both uploaded');
  const files = await listed(frame, 'buoy-form');
  assert.deepEqual(files.map((f) => [f.name, f.remove, f.thumbnail]), [['image.png', 'Remove image.png', true], ['export.pdf', 'Remove export.pdf', false]]);
  await panel.getByRole('button', { name: 'Send message' }).click();
  await panel.getByText('Your reference').waitFor();

  const [ticket] = await agentTicket(subject);
  const view = await call(`/v1/agent/tickets/${ticket.id}`, { token: AGENT });
  assert.deepEqual(view.json.attachments.map((f) => [f.name, f.kind, f.size]), [['image.png', 'png', shot.length], ['export.pdf', 'pdf', report.length]]);
  for (const [file, bytes] of [[view.json.attachments[0], shot], [view.json.attachments[1], report]]) {
    assert.equal(sha256(await agentDownload(ticket.id, file.id)), sha256(bytes), `${file.name} byte-identical`);
  }
  assert.equal(await frame.evaluate(() => document.querySelectorAll('#buoy-form .files li').length), 0, 'sent files leave the form');
  assert.deepEqual(problems, []);
  shared = { context, page, ticket: ticket.id, subject };
});

test("an agent's file in a reply shows in the requester's thread, the image opens larger in the panel; a reply may be a file alone", { timeout: 90_000 }, async () => {
  assert.ok(shared, 'runs after the first test');
  const { page, ticket, subject } = shared;
  const image = await png(await widgetFrame(page), 480, 300);
  const uploaded = await fetch(`${WORKER}/v1/agent/uploads`, {
    method: 'POST',
    headers: { authorization: `Bearer ${AGENT}`, 'buoy-file-name': encodeURIComponent('where-to-click.png'), 'content-type': 'image/png' },
    body: image,
  });
  const up = await uploaded.json();
  assert.equal(uploaded.status, 201, JSON.stringify(up));
  const reply = await call(`/v1/agent/tickets/${ticket}/messages`, { token: AGENT, body: { body: 'Click here, as in the picture.', public: true, attachments: [up.upload] } });
  assert.ok(reply.status < 300, JSON.stringify(reply.json));

  const panel = page.frameLocator('iframe[title="Help"]');
  await panel.getByRole('button', { name: 'Your tickets' }).first().click();
  await panel.getByRole('button', { name: new RegExp(subject) }).click();
  const frame = await widgetFrame(page);
  // The requester's own files, and the agent's.
  const opener = panel.getByRole('button', { name: /where-to-click\.png/ });
  await opener.waitFor();
  await panel.getByRole('button', { name: /export\.pdf/ }).waitFor();
  await opener.click();
  const shown = panel.locator('.viewer img');
  await shown.waitFor();
  const size = await shown.evaluate(async (img) => {
    await img.decode();
    return { src: img.getAttribute('src').slice(0, 5), alt: img.alt, width: img.naturalWidth, height: img.naturalHeight };
  });
  assert.deepEqual(size, { src: 'blob:', alt: 'where-to-click.png', width: 480, height: 300 }, 'fetched with the token, shown from a blob: URL');
  assert.equal(await frame.evaluate(() => document.activeElement?.hasAttribute('data-close')), true, 'focus on Close');
  // The panel polls while it shows and redraws the thread: a new reply joins it, and the open image and focus stay.
  const more = await call(`/v1/agent/tickets/${ticket}/messages`, { token: AGENT, body: { body: 'One more thing: try it in a private window.', public: true } });
  assert.ok(more.status < 300, JSON.stringify(more.json));
  await panel.locator('#buoy-msgs .msg.agent .text', { hasText: 'One more thing' }).waitFor({ timeout: 30_000 });
  assert.equal(await shown.count(), 1, 'the image stays open through the redraw');
  assert.equal(await frame.evaluate(() => document.activeElement?.hasAttribute('data-close')), true, 'focus stays on Close through the redraw');
  assert.equal(await panel.getByRole('button', { name: /export\.pdf/ }).count(), 1, "the requester's files stay drawn once");
  await panel.locator('.viewer').getByRole('button', { name: 'Close' }).click();
  assert.equal(await frame.evaluate(() => document.activeElement?.getAttribute('data-name')), 'where-to-click.png', 'focus back on the file');

  // The requester answers with a file alone: dropped on the reply box, sent without text.
  const log = Buffer.from('2026-12-06 10:00:01 clicked, nothing happened\n');
  await offer(frame, '#buoy-reply-form', 'drop', [{ name: 'reply-log.txt', type: 'text/plain', bytes: log }]);
  await until(async () => {
    const files = await listed(frame, 'buoy-reply-form');
    return files.length === 1 && !files[0].uploading && files[0].note === null;
  }, 'the reply\'s file uploaded');
  await panel.getByRole('button', { name: 'Send reply' }).click();
  const attached = (value) => (Array.isArray(value) ? value.flatMap(attached)
    : value && typeof value === 'object' ? Object.entries(value).flatMap(([k, v]) => (k === 'attachments' ? v.map((f) => f.name) : attached(v))) : []);
  await until(async () => attached((await call(`/v1/agent/tickets/${ticket}`, { token: AGENT })).json).includes('reply-log.txt'), 'the reply with its file');
  await until(async () => (await listed(frame, 'buoy-reply-form')).length === 0, 'the sent file leaves the reply box');
  await shared.context.close();
});

test('files chosen while uploads fail wait in IndexedDB through a reload, then go once with their ticket', { timeout: 120_000 }, async () => {
  const { page, problems, context } = await openPage(chrome.browser, DEMO);
  let refused = 0;
  const fail = (route) => { refused += 1; return route.abort('internetdisconnected'); };
  await context.route(`${WORKER}/v1/uploads*`, fail);
  const { panel, frame } = await openForm(page);
  const subject = `Export fails offline ${Date.now()}`;
  await fill(panel, subject, 'Export fails; logs attached.');
  const log = Buffer.from('2026-12-06 10:00:01 export started\n2026-12-06 10:00:09 export failed: timeout\n');
  const shot = await png(frame, 64, 48);
  await offer(frame, '#buoy-form', 'drop', [{ name: 'export.log', type: 'text/plain', bytes: log }, { name: 'error.png', type: 'image/png', bytes: shot }]);
  await until(async () => (await listed(frame, 'buoy-form')).some((f) => f.note?.includes('once you are back online')), 'a file waiting for the network');
  await panel.getByRole('button', { name: 'Send message' }).click();
  await until(() => frame.evaluate(() => Object.keys(localStorage).some((k) => k.includes(':out:'))), 'the ticket queued');
  await sleep(1500);
  assert.equal((await call('/v1/agent/tickets?limit=100', { token: AGENT })).json.tickets.filter((t) => t.subject === subject).length, 0, 'the ticket waits for its files');

  await page.reload();
  const again = await widgetFrame(page);
  await until(() => again.evaluate(() => !!document.getElementById('buoy-upload')), 'the upload module after the reload');
  const before = refused;
  await until(() => refused > before, 'the kept files tried again after the reload');
  await context.unroute(`${WORKER}/v1/uploads*`, fail);

  const found = await agentTicket(subject);
  await sleep(2500);
  const tickets = (await call('/v1/agent/tickets?limit=100', { token: AGENT })).json.tickets.filter((t) => t.subject === subject);
  assert.equal(tickets.length, 1, `one ticket (${found.length})`);
  const view = await call(`/v1/agent/tickets/${tickets[0].id}`, { token: AGENT });
  assert.deepEqual(view.json.attachments.map((f) => f.name).sort(), ['error.png', 'export.log']);
  const log2 = view.json.attachments.find((f) => f.name === 'export.log');
  assert.equal(sha256(await agentDownload(tickets[0].id, log2.id)), sha256(log));
  await until(() => again.evaluate(() => !Object.keys(localStorage).some((k) => k.includes(':out:') || k.endsWith(':files'))), 'nothing left waiting');
  assert.deepEqual(problems.filter((p) => !p.includes('ERR_INTERNET_DISCONNECTED') && !p.includes('Failed to load resource')), []);
  await context.close();
});

test('a refused file shows its error on that file; the message and the other file stay', { timeout: 90_000 }, async () => {
  const { page, context } = await openPage(chrome.browser, DEMO);
  const { panel, frame } = await openForm(page);
  const subject = `Refused file ${Date.now()}`;
  await fill(panel, subject, 'An SVG and a PNG.');
  const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>');
  await offer(frame, '#buoy-form', 'drop', [{ name: 'logo.svg', type: 'image/svg+xml', bytes: svg }, { name: 'ok.png', type: 'image/png', bytes: await png(frame, 10, 10) }]);
  await until(async () => {
    const files = await listed(frame, 'buoy-form');
    return files.length === 2 && files.every((f) => !f.uploading);
  }, 'both answered');
  const [bad, good] = await listed(frame, 'buoy-form');
  assert.equal(bad.note, 'Only images, PDF, text and ZIP files can be sent.');
  assert.equal(good.note, null);
  const described = await frame.evaluate(() => {
    const button = document.querySelector('#buoy-form .files li .remove');
    return document.getElementById(button.getAttribute('aria-describedby'))?.textContent;
  });
  assert.equal(described, 'Only images, PDF, text and ZIP files can be sent.', 'the error is tied to the file');
  assert.equal(await panel.getByLabel('Message').inputValue(), 'An SVG and a PNG.', 'the message is kept');
  // Removed by its button, named with the file's name.
  await panel.getByRole('button', { name: 'Remove logo.svg' }).click();
  assert.deepEqual((await listed(frame, 'buoy-form')).map((f) => f.name), ['ok.png']);
  await context.close();
});

test('a site without attachments offers none', async () => {
  const page = await (await fetch(`${WORKER}/widget/other/`)).text();
  assert.ok(page.includes('id="buoy-form"'), 'its page');
  assert.ok(!page.includes('data-act="attach"') && !page.includes('type="file"'), 'no attach control');
  const demo = await (await fetch(`${WORKER}/widget/demo/`)).text();
  assert.equal(demo.split('data-act="attach"').length - 1, 2, 'the demo site: the ticket form and the reply form');
});
