// Attachments on the agents' side and over email, end to end under
// workerd with the local R2 (`cargo xtask test` starts the worker with
// the `BUOY_FILES` bucket, the mail view at /dev/mail and the sweep at
// /__scheduled):
// - an agent attaches files to a reply in the console (button, drop);
//   the requester's mail links to each, and its link downloads the same
//   bytes; a refused file says why and sends nothing;
// - a mail with a PNG and a PDF: the console shows the image's thumbnail
//   and downloads both byte-identical;
// - a mail with an SVG: refused and noted, the answer still joins the thread;
// - a file link past its 7 days (signed here with an old expiry, under
//   Miniflare with a known secret) is refused and says it expired.
// `cargo xtask test` passes BUOY_WORKER_URL, BUOY_MAIL_AGENT_TOKEN (the
// agent of tests/buoy.toml's `mail` site, which takes files) and BUOY_CHROMIUM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { deflateSync, crc32 } from 'node:zlib';
import { browserFor, keepChoosersIntercepted, recordProblems } from '../browser.mjs';
import { call, deliver, fileLink } from '../api.mjs';
import { until } from '../wait.mjs';
import { mailed } from '../mailview.mjs';
import { violations } from '../axe.mjs';
import { startWorker } from '../miniflare.mjs';

const WORKER = process.env.BUOY_WORKER_URL;
const TOKEN = process.env.BUOY_MAIL_AGENT_TOKEN;
// An agent of `other`, a site without attachments.
const OTHER = process.env.BUOY_OTHER_AGENT_TOKEN;
const chrome = browserFor(WORKER, TOKEN, OTHER);

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** A real PNG of `width` × `height` (a gradient), as an image decoder reads it. */
function png(width, height) {
  const chunk = (type, data) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const rows = [];
  for (let y = 0; y < height; y += 1) {
    rows.push(0); // no filter
    for (let x = 0; x < width; x += 1) rows.push((x * 4) & 255, (y * 5) & 255, 160);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.from(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A small PDF, with bytes of every value so any re-encoding would show. */
function pdf() {
  return Buffer.concat([
    Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n', 'latin1'),
    randomBytes(256),
    Buffer.from('\ntrailer << /Root 1 0 R >>\n%%EOF\n', 'latin1'),
  ]);
}

const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>\n');

/** A ticket on the `mail` site from `email`, with its reply address as the console reads it. */
async function ticketFrom(email, subject) {
  const created = await call('/v1/tickets', { body: { site: 'mail', email, name: 'Ada', type: 'bug', subject, message: 'The export stops at 99%.' } });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const view = await call(`/v1/agent/tickets/${created.json.id}`, { token: TOKEN });
  return { id: created.json.id, token: created.json.requester_token, reply: view.json.reply_address, subject };
}

/** A mail with `text` and `files` ([name, content type, bytes]) as a mail client writes it. */
function mailWith({ from, to, subject, text, files }) {
  const boundary = `b-${randomBytes(6).toString('hex')}`;
  const lines = [
    `From: Ada <${from}>`, `To: ${to}`, `Subject: Re: ${subject}`, `Date: ${new Date().toUTCString()}`,
    `Message-ID: <${randomBytes(8).toString('hex')}@mail.example.net>`, 'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundary}"`, '',
    `--${boundary}`, 'Content-Type: text/plain; charset=utf-8', '', text, '',
  ];
  for (const [name, type, bytes] of files) {
    lines.push(`--${boundary}`, `Content-Type: ${type}; name="${name}"`, `Content-Disposition: attachment; filename="${name}"`,
      'Content-Transfer-Encoding: base64', '', ...bytes.toString('base64').match(/.{1,76}/g), '');
  }
  lines.push(`--${boundary}--`, '');
  return lines.join('\r\n');
}

/** The console signed in as the mail agent, on ticket `id`, recording
 * errors and CSP violations; with `clock`, its timers are Playwright's. */
async function consoleOn(id, { clock = false } = {}) {
  const context = await chrome.browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  keepChoosersIntercepted(page);
  const problems = await recordProblems(page);
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  if (clock) await page.clock.install();
  await page.goto(`${WORKER}/console/#ticket=${id}`);
  await page.getByLabel('Agent token').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#thread li.message').first().waitFor();
  return { page, context, problems, requests };
}

/** The bytes of what clicking `button` downloads, and the file name the browser got. */
async function downloaded(page, button) {
  const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
  return { name: download.suggestedFilename(), bytes: await readFile(await download.path()) };
}

test("an agent's files go with a reply from the console; the requester's mail links to each, and the link gives the same bytes", { timeout: 120_000 }, async () => {
  const email = `ada.${randomBytes(4).toString('hex')}@example.com`;
  const t = await ticketFrom(email, `Files from the console ${Date.now()}`);
  const { page, context, problems, requests } = await consoleOn(t.id);
  const report = pdf();
  const shot = png(64, 48);

  // One file by the keyboard (Tab from the reply box to the button, Enter opens the chooser), one dropped on the reply box.
  await page.locator('#reply').focus();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Attach files');
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Enter')]);
  await chooser.setFiles([{ name: 'report.pdf', mimeType: 'application/pdf', buffer: report }]);
  const drop = await page.evaluateHandle(({ bytes }) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([new Uint8Array(bytes)], 'screen shot.png', { type: 'image/png' }));
    return transfer;
  }, { bytes: [...shot] });
  await page.locator('#reply').dispatchEvent('dragover', { dataTransfer: drop });
  await page.locator('#reply').dispatchEvent('drop', { dataTransfer: drop });
  const pending = page.locator('#reply-files li');
  await until(async () => (await pending.locator('.upload-state').allTextContents()).join() === 'Uploaded,Uploaded', 'both uploads');
  assert.deepEqual(await pending.locator('.file-name').allTextContents(), ['report.pdf', 'screen shot.png']);

  // A file the server refuses says why, and holds the reply until it is removed.
  const [again] = await Promise.all([page.waitForEvent('filechooser'), page.getByRole('button', { name: 'Attach files' }).click()]);
  await again.setFiles([{ name: 'page.png', mimeType: 'image/png', buffer: Buffer.from('<!doctype html><script>alert(1)</script>') }]);
  const refused = pending.filter({ hasText: 'page.png' });
  await refused.locator('.upload-state', { hasText: 'Refused' }).waitFor();
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    assert.deepEqual(await violations(page), [], `axe: files being attached, one refused (${scheme})`);
  }
  await page.getByLabel('Reply to the requester').fill('Here is the report and a screenshot.');
  await page.getByRole('button', { name: 'Send reply' }).click();
  await page.locator('#status', { hasText: 'Not sent: a file was not uploaded' }).waitFor();
  assert.equal((await call(`/v1/agent/tickets/${t.id}`, { token: TOKEN })).json.events.filter((e) => e.kind === 'message').length, 0, 'nothing sent');
  await page.getByRole('button', { name: 'Remove page.png' }).click();
  assert.equal(await pending.count(), 2);

  await page.getByRole('button', { name: 'Send reply' }).click();
  const sent = page.locator('#thread li.message.public', { hasText: 'Here is the report' });
  await sent.waitFor();
  assert.equal(await pending.count(), 0, 'the list empties once sent');
  await sent.locator('img.thumb[alt="Preview of screen shot.png"]').waitFor();
  await until(() => sent.locator('img.thumb').evaluate((img) => img.complete && img.naturalWidth === 64), 'the thumbnail drawn from its bytes');
  assert.match(await sent.locator('img.thumb').getAttribute('src'), /^blob:/, 'a blob: URL, never a token in a URL');
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    assert.deepEqual(await violations(page), [], `axe: a reply with its files (${scheme})`);
  }
  for (const [name, bytes] of [['report.pdf', report], ['screen shot.png', shot]]) {
    const got = await downloaded(page, sent.getByRole('button', { name: `Download ${name}` }));
    assert.equal(got.name, name);
    assert.equal(sha256(got.bytes), sha256(bytes), `${name} byte-identical`);
  }
  assert.ok(!requests.some((u) => u.includes(TOKEN)), 'the token is in no URL the console asked for');
  // The browser logs the refused upload's 415 itself; nothing else went wrong.
  assert.deepEqual(problems.filter((p) => !/status of 415/.test(p)), []);
  await context.close();

  // The requester's mail names both files, each with its own signed link; none carries the requester token.
  const [{ raw: mail }] = await mailed(email, 1);
  assert.match(mail, /Files attached to this reply \(each link opens its file for 7 days\):/);
  assert.ok(!mail.includes(t.token), 'never the requester token');
  const links = Object.fromEntries([...mail.matchAll(/^(report\.pdf|screen shot\.png) \([^)]*\): (http\S+)\r?$/gm)].map((m) => [m[1], m[2]]));
  assert.deepEqual(Object.keys(links).sort(), ['report.pdf', 'screen shot.png'], mail);
  for (const [name, bytes] of [['report.pdf', report], ['screen shot.png', shot]]) {
    assert.match(links[name], new RegExp(`^${WORKER}/v1/files/`), 'a link to the signed-file route');
    const response = await fetch(links[name]);
    assert.equal(response.status, 200, name);
    assert.equal(sha256(Buffer.from(await response.arrayBuffer())), sha256(bytes), `${name}: the link gives the same bytes`);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(response.headers.get('content-security-policy'), "sandbox; default-src 'none'");
  }
  assert.match((await fetch(links['report.pdf'])).headers.get('content-disposition'), /^attachment/);
  // A link opens its one file: altered by a character, it opens nothing.
  const altered = links['report.pdf'].replace(/.$/, (c) => (c === '0' ? '1' : '0'));
  assert.equal((await fetch(altered)).status, 404);
});

test('a screenshot pasted into the reply box goes with an internal note, which the requester never sees', { timeout: 60_000 }, async () => {
  const t = await ticketFrom(`ada.${randomBytes(4).toString('hex')}@example.com`, `A pasted screenshot ${Date.now()}`);
  const { page, context, problems } = await consoleOn(t.id);
  const shot = png(32, 24);
  await page.getByLabel('Internal note (agents only)').check();
  await page.locator('#reply').evaluate((box, bytes) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([new Uint8Array(bytes)], 'image.png', { type: 'image/png' }));
    box.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
  }, [...shot]);
  await page.locator('#reply-files .upload-state', { hasText: 'Uploaded' }).waitFor();
  assert.equal(await page.locator('#reply').inputValue(), '', 'the file is not pasted as text');
  await page.getByRole('button', { name: 'Add internal note' }).click();
  const note = page.locator('#thread li.message.internal');
  await note.locator('img.thumb[alt="Preview of image.png"]').waitFor();
  await until(() => note.locator('img.thumb').evaluate((img) => img.complete && img.naturalWidth === 32), 'the thumbnail');
  assert.equal(await note.locator('.body').count(), 0, 'a note of a file alone has no text');
  const { json } = await call(`/v1/tickets/${t.id}`, { requester: t.token });
  assert.deepEqual(json.messages, [], 'the requester sees neither the note nor its file');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a site without attachments offers no file control in the console', { timeout: 60_000 }, async () => {
  assert.equal((await call('/v1/agent/me', { token: OTHER })).json.attachments, undefined);
  assert.ok((await call('/v1/agent/me', { token: TOKEN })).json.attachments.max_files >= 1);
  for (const [token, offered] of [[OTHER, false], [TOKEN, true]]) {
    const context = await chrome.browser.newContext();
    const page = await context.newPage();
    const problems = await recordProblems(page);
    await page.goto(`${WORKER}/console/`);
    await page.getByLabel('Agent token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    assert.equal(await page.locator('#attach-bar').evaluate((bar) => !bar.hidden), offered, 'the attach control only where the site takes files');
    assert.equal(await page.locator('#reply').getAttribute('aria-describedby'), offered ? 'attach-hint' : null, 'and the hint about them');
    assert.deepEqual(problems, []);
    await context.close();
  }
});

test('a mail with a PNG and a PDF: the console shows the thumbnail and downloads both byte-identical', { timeout: 90_000 }, async () => {
  const email = `ada.${randomBytes(4).toString('hex')}@example.com`;
  const t = await ticketFrom(email, `Files by mail ${Date.now()}`);
  const shot = png(120, 80);
  const report = pdf();
  const raw = mailWith({ from: email, to: t.reply, subject: t.subject, text: 'Screenshot and log attached.',
    files: [['error.png', 'image/png', shot], ['log.pdf', 'application/pdf', report]] });
  const first = await deliver(raw, email, t.reply);
  assert.equal(first.status, 200, first.text);
  assert.equal((await deliver(raw, email, t.reply)).status, 200, 'a redelivery is taken');

  // The requester's own view: one answer, with both files, once.
  const { json } = await call(`/v1/tickets/${t.id}`, { requester: t.token });
  assert.deepEqual(json.messages.map((m) => [m.from, m.body, (m.attachments ?? []).map((f) => [f.name, f.type, f.size])]), [
    ['you', 'Screenshot and log attached.', [['error.png', 'image/png', shot.length], ['log.pdf', 'application/pdf', report.length]]],
  ]);
  const files = json.messages[0].attachments;
  assert.deepEqual([files[0].width, files[0].height, files[0].sha256], [120, 80, sha256(shot)]);

  const { page, context, problems } = await consoleOn(t.id, { clock: true });
  const answer = page.locator('#thread li.message.requester', { hasText: 'Screenshot and log attached.' });
  await until(() => answer.locator('img.thumb').evaluate((img) => img.complete && img.naturalWidth === 120), 'the thumbnail');
  assert.equal(await answer.locator('img.thumb').count(), 1, 'a thumbnail for the image only');
  for (const [name, bytes] of [['error.png', shot], ['log.pdf', report]]) {
    const got = await downloaded(page, answer.getByRole('button', { name: `Download ${name}` }));
    assert.equal(sha256(got.bytes), sha256(bytes), `${name} byte-identical`);
  }
  // The console's refresh (every 15 s) leaves the thread, and the focus on a file, as they are.
  await answer.getByRole('button', { name: 'Download log.pdf' }).focus();
  const refreshed = page.waitForResponse((r) => r.url().endsWith(`/v1/agent/tickets/${t.id}`));
  await page.clock.fastForward(16_000);
  await refreshed;
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Download log.pdf');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a mail with an SVG: the file is refused and noted, and the answer still joins the thread', { timeout: 60_000 }, async () => {
  const email = `ada.${randomBytes(4).toString('hex')}@example.com`;
  const t = await ticketFrom(email, `An SVG by mail ${Date.now()}`);
  const raw = mailWith({ from: email, to: t.reply, subject: t.subject, text: 'The logo looks wrong.', files: [['logo.svg', 'image/svg+xml', SVG]] });
  const delivered = await deliver(raw, email, t.reply);
  assert.equal(delivered.status, 200, delivered.text);
  const view = await call(`/v1/agent/tickets/${t.id}`, { token: TOKEN });
  const messages = view.json.events.filter((e) => e.kind === 'message');
  assert.equal(messages.length, 1, 'the answer joined the thread');
  assert.match(messages[0].body, /^The logo looks wrong\.\n\n\[Attachment not stored: logo\.svg \(\d+ bytes\): .+\]$/);
  assert.deepEqual(messages[0].attachments ?? [], [], 'nothing stored');
  assert.equal(view.json.events.filter((e) => e.kind === 'attachment').length, 0);
});

test('a file link opens its file for 7 days, and after them says the link expired', { timeout: 60_000 }, async () => {
  const secret = randomBytes(32).toString('hex');
  const agentToken = randomBytes(32).toString('hex');
  const mf = await startWorker({ bindings: { BUOY_SECRET: secret, BUOY_MAIL_AGENT_TOKEN: agentToken }, files: true });
  try {
    const origin = 'http://buoy.test';
    const json = async (path, init) => {
      const response = await mf.dispatchFetch(`${origin}${path}`, init);
      assert.ok(response.status < 300, `${path}: ${response.status} ${await response.clone().text()}`);
      return response.json();
    };
    const created = await json('/v1/tickets', { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ site: 'mail', email: 'ada@example.com', name: 'Ada', type: 'bug', subject: 'Old links', message: 'Please send the fix.' }) });
    const bytes = pdf();
    const auth = { authorization: `Bearer ${agentToken}` };
    const uploaded = await json('/v1/agent/uploads', { method: 'POST', headers: { ...auth, 'buoy-file-name': 'fix.pdf', 'content-length': String(bytes.length) }, body: bytes });
    await json(`/v1/agent/tickets/${created.id}/messages`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ body: 'The fix.', attachments: [uploaded.upload] }) });
    const now = Math.floor(Date.now() / 1000);
    const open = (expires) => mf.dispatchFetch(`${origin}/v1/files/${fileLink(secret, 'mail', created.id, uploaded.file.id, expires)}`);
    const fresh = await open(now + 7 * 24 * 3600);
    assert.equal(fresh.status, 200, 'a link within its 7 days opens the file');
    assert.equal(sha256(Buffer.from(await fresh.arrayBuffer())), sha256(bytes));
    const old = await open(now - 1);
    assert.equal(old.status, 404, 'a link past its expiry opens nothing');
    assert.match(await old.text(), /expired/i, 'and says the link expired');
    const otherFile = await mf.dispatchFetch(`${origin}/v1/files/${fileLink(secret, 'mail', created.id, 'f'.repeat(32), now + 3600)}`);
    assert.equal(otherFile.status, 404, 'a link opens only the file it names');
  } finally {
    await mf.dispose();
  }
});
