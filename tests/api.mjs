// The worker's API as the end-to-end tests call it (BUOY_WORKER_URL), and
// an identity signed as a product's backend signs it (README, "Verified
// identity": HMAC-SHA256 over one `key=value` line per vouched-for field).
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

/** The hex signature of `fields` under the site's identity `secret`. */
export function signIdentity(secret, fields) {
  const canonical = ['id', 'email', 'name', 'segment', 'account_manager'].filter((k) => fields[k] != null).map((k) => `${k}=${fields[k]}\n`).join('');
  return createHmac('sha256', secret).update(canonical).digest('hex');
}
