// The mail the worker sends under Miniflare: its `send_email` simulation
// saves each message as an .eml file and logs the path; `MailLog` keeps
// those paths (pass it as Miniflare's `log`), `mailsAfter` reads the
// files while Miniflare runs (they are deleted when it stops).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Log, LogLevel } from 'miniflare';

/** A Miniflare log that keeps the paths of the .eml files sent, in order. */
export class MailLog extends Log {
  constructor() {
    super(LogLevel.INFO);
    this.sent = [];
  }

  log(message) {
    for (const match of String(message).matchAll(/(\/\S+\.eml)/g)) this.sent.push(match[1]);
  }
}

/** Header lines unfolded into a lowercase-keyed map (first value wins), and the body. */
function split(text) {
  const crlf = text.indexOf('\r\n\r\n');
  const at = crlf >= 0 ? crlf : text.indexOf('\n\n');
  const head = text.slice(0, at).replace(/\r?\n[ \t]+/g, ' ');
  const headers = {};
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    if (colon > 0 && !(name in headers)) headers[name] = line.slice(colon + 1).trim();
  }
  return { headers, body: text.slice(at).replace(/^\r?\n\r?\n/, '') };
}

function decode(body, encoding = '7bit') {
  switch (encoding.toLowerCase()) {
    case 'base64': return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    case 'quoted-printable':
      return Buffer.from(body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
    default: return body;
  }
}

/** The text/plain and text/html parts of a message, decoded. */
function parts(message, out = {}) {
  const type = message.headers['content-type'] ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (type.toLowerCase().startsWith('multipart/') && boundary) {
    for (const chunk of message.body.split(`--${boundary}`).slice(1)) {
      if (chunk.startsWith('--')) break;
      parts(split(chunk.replace(/^\r?\n/, '')), out);
    }
  } else {
    const kind = type.toLowerCase().startsWith('text/html') ? 'html' : 'text';
    out[kind] ??= decode(message.body, message.headers['content-transfer-encoding']);
  }
  return out;
}

/** A sent .eml file: its raw text, headers (lowercase names), text and HTML parts. */
export function readMail(path) {
  const raw = readFileSync(path, 'utf8');
  const message = split(raw);
  return { raw, headers: message.headers, ...parts(message) };
}

/** Waits until `count` more mails than `since` were sent (10 s at most), and reads them. */
export async function mailsAfter(log, since, count) {
  const deadline = Date.now() + 10_000;
  while (log.sent.length < since + count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.equal(log.sent.length, since + count, `expected ${count} mail(s), got ${log.sent.length - since}`);
  return log.sent.slice(since).map(readMail);
}

/** An address or Message-ID without its angle brackets. */
export const unbracket = (value) => value.replace(/^<|>$/g, '');
