// The worker's API as the end-to-end tests call it (BUOY_WORKER_URL), and
// an identity signed as a product's backend signs it (README, "Verified
// identity": HMAC-SHA256 over `buoy-identity-v2` and one
// `{key}:{UTF-8 length}:{value}` line per vouched-for field, sorted by key).
import { createHmac } from 'node:crypto';

/** GET `path`, or POST `body` as JSON; with an agent `token` or a `requester` token. */
export async function call(path, { token, requester, body } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (requester) headers['buoy-requester-token'] = requester;
  if (body) headers['content-type'] = 'application/json';
  const response = await fetch(`${process.env.BUOY_WORKER_URL}${path}`, { method: body ? 'POST' : 'GET', headers, body: body && JSON.stringify(body) });
  return { status: response.status, json: await response.json() };
}

/** A ticket on the demo site, filed as a requester would: a bug report
 * from Grace Hopper with a unique subject, `fields` over it; the answer
 * (id, reference, requester token…) with its subject. */
export async function fileTicket(fields = {}) {
  const subject = `Sync lost ${crypto.randomUUID()}`;
  const body = { site: 'demo', name: 'Grace Hopper', email: 'grace@example.com', type: 'bug', subject, message: 'My changes vanished.', ...fields };
  const { status, json } = await call('/v1/tickets', { body });
  if (status !== 201) throw new Error(`POST /v1/tickets: ${status} ${JSON.stringify(json)}`);
  return { ...json, subject: body.subject };
}

/** Delivers `raw` mail from envelope sender `from` to `to` as Email
 * Routing would (wrangler's local simulation): its status and text. */
export async function deliver(raw, from, to) {
  const url = `${process.env.BUOY_WORKER_URL}/cdn-cgi/handler/email?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
  const response = await fetch(url, { method: 'POST', body: raw });
  return { status: response.status, text: await response.text() };
}

/** A file link as mail carries it (`email::token::file_link`), signed
 * with the worker's `secret`: HMAC-SHA256 under its label, each part
 * length-prefixed (u64, big-endian), 32 hex digits kept. */
export function fileLink(secret, site, ticket, file, expiresSecs) {
  const parts = [site, ticket, file, String(expiresSecs)];
  const mac = createHmac('sha256', secret).update('buoy/file-link/v1');
  for (const part of parts) {
    const length = Buffer.alloc(8);
    length.writeBigUInt64BE(BigInt(Buffer.byteLength(part)));
    mac.update(length).update(part);
  }
  return `${parts.join('.')}.${mac.digest('hex').slice(0, 32)}`;
}

/** The hex v2 signature of `fields` (with their `exp`, if any) under the site's identity `secret`. */
export function signIdentity(secret, fields) {
  const canonical = 'buoy-identity-v2\n' + Object.keys(fields).filter((k) => fields[k] != null).sort()
    .map((k) => `${k}:${Buffer.byteLength(String(fields[k]))}:${fields[k]}\n`).join('');
  return createHmac('sha256', secret).update(canonical).digest('hex');
}

/** The v1 signature of `fields` (`key=value` lines, no `exp`): what products signed before v2. */
export function signIdentityV1(secret, fields) {
  const canonical = ['id', 'email', 'name', 'segment', 'account_manager'].filter((k) => fields[k] != null).map((k) => `${k}=${fields[k]}\n`).join('');
  return createHmac('sha256', secret).update(canonical).digest('hex');
}

/** An identity as `Buoy('identify', …)` takes it: `fields`, an `exp` an hour ahead, and their v2 signature. */
export function identityOf(secret, fields) {
  const claim = { ...fields, exp: Math.floor(Date.now() / 1000) + 3600 };
  return { ...claim, signature: signIdentity(secret, claim) };
}
