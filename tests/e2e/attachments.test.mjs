// Attachments under workerd with wrangler's local R2 (the `BUOY_FILES`
// bucket): uploads streamed to R2 and judged from their bytes, attached by
// reference to a new ticket and to an agent's reply, downloaded
// byte-identical by the other side with the headers that keep a browser
// from running them; every refusal with its error and nothing stored;
// another token or site is a 404. Under Miniflare (a known secret, a
// scheduled time of the test's choosing): a polyglot GIF that is also
// JavaScript, opened by its signed link as a script from another origin in
// Chromium, never runs; the sweep deletes an upload left unattached for
// 24 hours and keeps an attached one.
// `cargo xtask test` passes BUOY_WORKER_URL, BUOY_AGENT_TOKEN,
// BUOY_OTHER_AGENT_TOKEN and BUOY_TEST_WORKER.
import { test, after } from 'node:test';
import http from 'node:http';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { call, fileLink } from '../api.mjs';
import { startWorker } from '../miniflare.mjs';
import { launchChromium } from '../chromium.mjs';

const WORKER = process.env.BUOY_WORKER_URL;
const AGENT = process.env.BUOY_AGENT_TOKEN;
const OTHER = process.env.BUOY_OTHER_AGENT_TOKEN;

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** A real PNG of `width`×`height` (one grey pixel row each, stored, not compressed). */
function png(width, height) {
  const crc = (buf) => {
    let c = ~0;
    for (const b of buf) { c ^= b; for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1)); }
    return ~c >>> 0;
  };
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type), data]);
    const out = Buffer.alloc(8 + data.length + 4);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  return Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), chunk('IHDR', ihdr), chunk('IDAT', randomBytes(64)), chunk('IEND', Buffer.alloc(0))]);
}

/** POSTs raw `bytes` as an upload named `name` (the requester's route, or the agent's with `token`). */
export async function upload(bytes, name, { site = 'demo', token, type, key, length } = {}) {
  const headers = { 'buoy-file-name': encodeURIComponent(name) };
  if (type) headers['content-type'] = type;
  if (token) headers.authorization = `Bearer ${token}`;
  if (key) headers['idempotency-key'] = key;
  if (length != null) headers['content-length'] = String(length);
  const path = token ? '/v1/agent/uploads' : `/v1/uploads?site=${site}`;
  const response = await fetch(`${WORKER}${path}`, { method: 'POST', headers, body: bytes });
  return { status: response.status, json: await response.json() };
}

async function download(path, headers) {
  const response = await fetch(`${WORKER}${path}`, { headers });
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

function newTicket(attachments) {
  return call('/v1/tickets', { body: { site: 'demo', email: 'ada@example.com', type: 'bug', subject: 'The chart is empty', message: 'Screenshot and report attached.', attachments } });
}

test('a screenshot and a PDF sent with a new ticket reach the agent byte-identical', async () => {
  const shot = png(640, 480);
  const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(300_000), Buffer.from('\n%%EOF\n')]);
  const a = await upload(shot, 'Screenshot 2026-01-02 at 10.15.png', { type: 'image/png' });
  const b = await upload(pdf, 'report.pdf');
  assert.equal(a.status, 201, JSON.stringify(a.json));
  assert.equal(b.status, 201, JSON.stringify(b.json));
  assert.deepEqual([a.json.file.kind, a.json.file.width, a.json.file.height, a.json.file.sha256], ['png', 640, 480, sha256(shot)]);
  assert.deepEqual([b.json.file.type, b.json.file.size, b.json.file.sha256], ['application/pdf', pdf.length, sha256(pdf)], 'workerd hashed it as it streamed');
  const created = await newTicket([a.json.upload, b.json.upload]);
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const view = await call(`/v1/agent/tickets/${created.json.id}`, { token: AGENT });
  assert.deepEqual(view.json.attachments.map((f) => f.name), ['Screenshot 2026-01-02 at 10.15.png', 'report.pdf']);
  for (const [file, bytes, disposition] of [[a.json.file, shot, 'inline'], [b.json.file, pdf, 'attachment']]) {
    const got = await download(`/v1/agent/tickets/${created.json.id}/files/${file.id}`, { authorization: `Bearer ${AGENT}` });
    assert.equal(got.status, 200);
    assert.equal(sha256(got.bytes), sha256(bytes), `${file.name} is byte-identical`);
    assert.equal(got.headers.get('content-type'), file.type);
    assert.equal(got.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(got.headers.get('content-security-policy'), "sandbox; default-src 'none'");
    assert.equal(got.headers.get('cache-control'), 'private');
    assert.ok(got.headers.get('content-disposition').startsWith(`${disposition}; filename*=UTF-8''`), got.headers.get('content-disposition'));
  }
  // The wrong token, and another site's agent, get the same 404 as a missing file.
  const path = `/v1/tickets/${created.json.id}/files/${a.json.file.id}`;
  assert.equal((await download(path, { 'buoy-requester-token': created.json.requester_token })).status, 200);
  assert.equal((await download(path, { 'buoy-requester-token': '0'.repeat(64) })).status, 404);
  assert.equal((await download(`/v1/agent/tickets/${created.json.id}/files/${a.json.file.id}`, { authorization: `Bearer ${OTHER}` })).status, 404);
  assert.equal((await download(`/v1/agent/tickets/${created.json.id}/files/${'0'.repeat(32)}`, { authorization: `Bearer ${AGENT}` })).status, 404);
});

test('an agent attaches a file to a reply and the requester opens it', async () => {
  const created = await newTicket([]);
  const log = Buffer.from('2026-01-02T10:00:00Z export started\n2026-01-02T10:00:09Z export failed: timeout\n');
  const up = await upload(log, 'export.log', { token: AGENT });
  assert.equal(up.status, 201, JSON.stringify(up.json));
  const reply = await call(`/v1/agent/tickets/${created.json.id}/messages`, { token: AGENT, body: { body: 'Here is our log.', attachments: [up.json.upload] } });
  assert.equal(reply.status, 201, JSON.stringify(reply.json));
  const thread = await call(`/v1/tickets/${created.json.id}`, { requester: created.json.requester_token });
  const files = thread.json.messages.flatMap((m) => m.attachments);
  assert.deepEqual(files.map((f) => [f.name, f.type]), [['export.log', 'text/plain; charset=utf-8']]);
  const got = await download(`/v1/tickets/${created.json.id}/files/${files[0].id}`, { 'buoy-requester-token': created.json.requester_token });
  assert.equal(got.status, 200);
  assert.equal(got.bytes.toString(), log.toString());
  assert.equal(got.headers.get('content-disposition'), "attachment; filename*=UTF-8''export.log");
});

test('refused files each get their error, and nothing is stored', async () => {
  const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
  const html = Buffer.from('<!DOCTYPE html><html><script>alert(1)</script></html>');
  const shot = png(2, 2);
  for (const [bytes, name, status, code] of [
    [svg, 'logo.svg', 415, 'unsupported_type'],
    [html, 'shot.png', 415, 'unsupported_type'],
    [Buffer.alloc(0), 'empty.txt', 422, 'empty_file'],
    [shot, '../shot.png', 422, 'invalid_name'],
    [shot, 'a\\b.png', 422, 'invalid_name'],
    [shot, 'line\nbreak.png', 422, 'invalid_name'],
    [shot, 'invoice\u202Egnp.exe', 422, 'invalid_name'],
  ]) {
    const refused = await upload(bytes, name);
    assert.deepEqual([refused.status, refused.json.errors?.[0]?.field, refused.json.errors?.[0]?.code], [status, 'file', code], `${JSON.stringify(name)}: ${JSON.stringify(refused.json)}`);
  }
  // 10 MB + 1 byte: refused by its Content-Length before the body is read.
  const started = Date.now();
  const big = await upload(Buffer.alloc(10_000_001, 0x61), 'big.txt');
  assert.deepEqual([big.status, big.json.code, big.json.errors[0].code], [413, 'file_too_large', 'file_too_large']);
  assert.ok(Date.now() - started < 5_000);
  // A sixth file: the message is refused and no ticket is made.
  const six = [];
  for (let i = 0; i < 6; i++) six.push((await upload(png(1, 1), `${i}.png`)).json.upload);
  const refused = await newTicket(six);
  assert.deepEqual([refused.status, refused.json.errors[0].field, refused.json.errors[0].code], [422, 'attachments', 'too_many_files']);
  const unknown = await newTicket(['up_00000000000000000000000000000000']);
  assert.deepEqual([unknown.status, unknown.json.errors[0].code], [422, 'unknown_upload']);
  // The five still attach: none was spent by the refusals.
  assert.equal((await newTicket(six.slice(0, 5))).status, 201);
});

// A GIF header that is also JavaScript: GIF89a, a comment over the size bytes, then `=1;window.buoyPwned=1;`.
const POLYGLOT = Buffer.concat([Buffer.from('GIF89a/*', 'latin1'), Buffer.from([0, 0, 0, 0]), Buffer.from('*/=1;window.buoyPwned=1;//')]);

/** The test worker under Miniflare with a bucket and a secret the test knows. */
async function miniflare() {
  const secret = randomBytes(32).toString('hex');
  const mf = await startWorker({ files: true, bindings: { BUOY_SECRET: secret, BUOY_AGENT_TOKEN: AGENT } });
  const base = (await mf.ready).toString().replace(/\/$/, '');
  const send = async (path, init) => {
    const response = await mf.dispatchFetch(`${base}${path}`, init);
    return { status: response.status, json: await response.json() };
  };
  // dispatchFetch sends a buffer without a length: state it, as browsers do.
  const put = (bytes, name) => send('/v1/uploads?site=demo', { method: 'POST', headers: { 'buoy-file-name': encodeURIComponent(name), 'content-length': String(bytes.length) }, body: bytes });
  const create = (attachments) => send('/v1/tickets', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ site: 'demo', email: 'ada@example.com', type: 'bug', subject: 'Files', message: 'Attached.', attachments }) });
  return { mf, secret, base, put, create };
}

test('a polyglot GIF that is also JavaScript is stored as image/gif and never runs as a script from another origin', { timeout: 60_000 }, async () => {
  const { mf, secret, base, put, create } = await miniflare();
  const browser = await launchChromium();
  try {
    const up = await put(POLYGLOT, 'funny.gif');
    assert.equal(up.status, 201, JSON.stringify(up.json));
    assert.deepEqual([up.json.file.type, up.json.file.kind], ['image/gif', 'gif']);
    const created = await create([up.json.upload]);
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const link = `${base}/v1/files/${fileLink(secret, 'demo', created.json.id, up.json.file.id, Math.floor(Date.now() / 1000) + 3600)}`;
    const served = await mf.dispatchFetch(link);
    assert.deepEqual([served.status, served.headers.get('content-type'), served.headers.get('x-content-type-options')], [200, 'image/gif', 'nosniff']);
    assert.equal(sha256(Buffer.from(await served.arrayBuffer())), sha256(POLYGLOT));
    // A page of another origin, with no CSP of its own, loads the file as a script: nosniff refuses it.
    const other = http.createServer((_, res) => res.end('<!doctype html><title>other origin</title>'));
    await new Promise((ready) => other.listen(0, '127.0.0.1', ready));
    after(() => other.close());
    const page = await (await browser.newContext()).newPage();
    await page.goto(`http://127.0.0.1:${other.address().port}/`);
    const load = (src) => page.evaluate((url) => new Promise((done) => {
      const script = document.createElement('script');
      script.src = url;
      script.onload = () => done('loaded');
      script.onerror = () => done('refused');
      document.head.append(script);
    }), src);
    assert.equal(await load(link), 'refused');
    assert.equal(await page.evaluate(() => typeof window.buoyPwned), 'undefined', 'the polyglot did not run');
    // The same bytes served as JavaScript do run: only the headers stop them.
    const asScript = await page.evaluate((b64) => URL.createObjectURL(new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], { type: 'text/javascript' })), POLYGLOT.toString('base64'));
    assert.equal(await load(asScript), 'loaded');
    assert.equal(await page.evaluate(() => window.buoyPwned), 1);
  } finally {
    await browser.close();
    await mf.dispose();
  }
});

test('the sweep deletes an upload left unattached for 24 hours and keeps an attached one', { timeout: 60_000 }, async () => {
  const { mf, put, create } = await miniflare();
  try {
    const left = await put(png(2, 2), 'left.png');
    const kept = await put(png(3, 3), 'kept.png');
    const created = await create([kept.json.upload]);
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const bucket = await mf.getR2Bucket('BUOY_FILES');
    const names = async () => (await bucket.list({ include: ['customMetadata'] })).objects.map((o) => o.customMetadata?.name).sort();
    assert.deepEqual(await names(), ['kept.png', 'left.png']);
    const worker = await mf.getWorker();
    const sweep = async (hours) => assert.equal((await worker.scheduled({ scheduledTime: new Date(Date.now() + hours * 3600_000), cron: '* * * * *' })).outcome, 'ok');
    await sweep(23);
    assert.deepEqual(await names(), ['kept.png', 'left.png'], 'not before 24 hours');
    await sweep(24.1);
    assert.deepEqual(await names(), ['kept.png'], 'the unattached upload is gone; the attached one stays');
    const late = await create([left.json.upload]);
    assert.deepEqual([late.status, late.json.errors[0].code], [422, 'unknown_upload']);
  } finally {
    await mf.dispose();
  }
});

test('a site without attachments has no upload route', async () => {
  const refused = await upload(png(1, 1), 'a.png', { site: 'other' });
  assert.deepEqual([refused.status, refused.json.code], [404, 'attachments_off']);
  const agent = await upload(png(1, 1), 'a.png', { token: OTHER });
  assert.deepEqual([agent.status, agent.json.code], [404, 'attachments_off']);
});
