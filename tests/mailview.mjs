// The mail the worker under `cargo xtask test` sends (wrangler dev, as
// `cargo xtask dev` runs it): the sweep at /__scheduled sends the outbox,
// and the development mail view at /dev/mail shows each mail sent.
import assert from 'node:assert/strict';
import { until, sleep } from './wait.mjs';

const WORKER = () => process.env.BUOY_WORKER_URL;

/** Runs the SLA sweep, which sends the outbox's mail. */
export async function sweep() {
  const response = await fetch(`${WORKER()}/__scheduled?cron=*+*+*+*+*`);
  assert.equal(response.status, 200, await response.text());
}

/** A mail as the mail view shows it: its headers as sent (unfolded into a
 * lowercase-keyed map, first value wins), a blank line, its text part. */
function parse(raw) {
  const at = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, at).replace(/\r\n[ \t]+/g, ' ');
  const headers = {};
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    if (colon > 0 && !(name in headers)) headers[name] = line.slice(colon + 1).trim();
  }
  return { raw, headers, text: raw.slice(at + 4) };
}

/** A header's address or id without its angle brackets. */
export const unbracket = (value) => (value ?? '').replace(/^<|>$/g, '');

/** The mails sent to `to` so far, oldest first, read from the mail view. */
export async function mailsTo(to) {
  const response = await fetch(`${WORKER()}/dev/mail`);
  assert.equal(response.status, 200, 'the test worker serves the mail view, as `cargo xtask dev` does');
  const text = await response.text();
  const mails = text.split(/\n={70}\n/).slice(1).map((raw) => parse(raw.replace(/\r?\n/g, '\r\n')));
  return mails.filter((m) => unbracket(m.headers.to) === to).reverse();
}

/** Sweeps until `count` mails reached `to`, and returns them. */
export async function mailed(to, count) {
  let mails = [];
  await until(async () => {
    await sweep();
    mails = await mailsTo(to);
    if (mails.length < count) await sleep(400);
    return mails.length >= count;
  }, `${count} mail(s) to ${to}`);
  assert.equal(mails.length, count, mails.map((m) => m.headers.subject).join(' | '));
  return mails;
}
