// Verified identity end to end: only what the site's identity secret
// signs is trusted; everything else is anonymous and `free`.
// `cargo xtask test` passes BUOY_WORKER_URL, BUOY_DEMO_URL,
// BUOY_AGENT_TOKEN, BUOY_IDENTITY_SECRET and BUOY_CHROMIUM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { openPage } from '../chromium.mjs';
import { browserFor } from '../browser.mjs';
import { identityOf, signIdentity, signIdentityV1 } from '../api.mjs';

const WORKER = process.env.BUOY_WORKER_URL;
const DEMO = process.env.BUOY_DEMO_URL;
const TOKEN = process.env.BUOY_AGENT_TOKEN;
const SECRET = process.env.BUOY_IDENTITY_SECRET;
const HOUR = 3600 * 1000;

const chrome = browserFor(WORKER, DEMO, TOKEN, SECRET);

/** What the product's backend does (README, "Verified identity"): HMAC over every field it vouches for, with an exp. */
const signed = (fields) => identityOf(SECRET, fields);
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

/** An HS256 JWT, as any JWT library makes one. */
function jwt(claims) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${unsigned}.${createHmac('sha256', SECRET).update(unsigned).digest('base64url')}`;
}

async function ticketWith(identity, site = 'demo') {
  const body = { site, email: 'ada@example.com', type: 'bug', subject: 'Export fails', message: 'It stops at 99%.', identity };
  const created = await fetch(`${WORKER}/v1/tickets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(created.status, 201);
  const { id } = await created.json();
  return (await fetch(`${WORKER}/v1/agent/tickets/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json();
}

const firstResponseHours = (view) => (Date.parse(view.clocks.find((c) => c.metric === 'first_response').due) - Date.parse(view.created_at)) / HOUR;

test('an unsigned request claiming enterprise gets free SLA targets; a signed one gets enterprise', { timeout: 60_000 }, async () => {
  const unsigned = await ticketWith({ id: 'u_42', segment: 'enterprise' });
  assert.deepEqual([unsigned.segment, unsigned.requester.signed, firstResponseHours(unsigned)], ['free', undefined, 24]);
  const exp = inAnHour();
  const forged = await ticketWith({ id: 'u_42', segment: 'enterprise', exp, signature: signIdentity(SECRET, { id: 'u_42', exp }) });
  assert.equal(forged.segment, 'free', 'a signature over the id alone does not cover the segment');
  const stale = await ticketWith({ token: jwt({ sub: 'u_42', segment: 'enterprise', exp: Math.floor(Date.now() / 1000) - 60 }) });
  assert.equal(stale.segment, 'free', 'an expired token is anonymous');
  const fields = { id: 'u_42', email: 'ada@lumen.example', segment: 'enterprise' };
  const verified = await ticketWith(signed(fields));
  assert.deepEqual(
    [verified.segment, verified.requester.signed.email, verified.requester.typed.email, firstResponseHours(verified)],
    ['enterprise', 'ada@lumen.example', 'ada@example.com', 1],
  );
  const noExp = await ticketWith({ ...fields, signature: signIdentity(SECRET, fields) });
  assert.equal(noExp.segment, 'free', 'a v2 signature without exp is anonymous');
  const token = await ticketWith({ token: jwt({ sub: 'u_7', segment: 'business', exp: Math.floor(Date.now() / 1000) + 600 }) });
  assert.deepEqual([token.segment, token.requester.signed.user_id, firstResponseHours(token) > 1], ['business', 'u_7', true]);
});

test("the host page's Buoy('identify') reaches the worker, which trusts only the signed fields", { timeout: 60_000 }, async () => {
  const { page, problems, context } = await openPage(chrome.browser, DEMO);
  const fields = { id: 'u_99', email: 'grace@lumen.example', name: 'Grace', segment: 'enterprise' };
  await page.evaluate((who) => window.Buoy('identify', who), signed(fields));
  await page.getByRole('button', { name: 'Help' }).click();
  const panel = page.frameLocator('iframe[title="Help"]');
  await panel.getByRole('button', { name: 'Send us a message' }).click();
  const subject = `Signed in ${Date.now()}`;
  await panel.getByLabel('Email').fill('typed@example.com');
  await panel.getByLabel('Topic').selectOption('bug');
  await panel.getByLabel('Subject').fill(subject);
  await panel.getByLabel('Message').fill('Verified requester.');
  await panel.getByRole('button', { name: 'Send message' }).click();
  await panel.getByText('Thanks, we have your message').waitFor();
  const queue = await (await fetch(`${WORKER}/v1/agent/tickets?limit=100`, { headers: { authorization: `Bearer ${TOKEN}` } })).json();
  const row = queue.tickets.find((t) => t.subject === subject);
  assert.ok(row);
  const ticket = await (await fetch(`${WORKER}/v1/agent/tickets/${row.id}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json();
  assert.deepEqual(
    [ticket.segment, ticket.requester.signed, ticket.requester.typed.email],
    ['enterprise', { user_id: 'u_99', email: 'grace@lumen.example', name: 'Grace' }, 'typed@example.com'],
    'the host page passed exp on, and the typed email stays typed',
  );
  assert.deepEqual(problems, []);
  await context.close();
});

test('a v1 signature is accepted (and logged) on a site with identity_v1 on, refused where it is off', { timeout: 30_000 }, async () => {
  // tests/buoy.toml: demo keeps the default (on), strict sets identity_v1 = false.
  const fields = { id: 'u_v1', segment: 'enterprise' };
  const v1 = { ...fields, signature: signIdentityV1(SECRET, fields) };
  const mine = async (site, identity) => (await fetch(`${WORKER}/v1/tickets/mine`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ site, identity }),
  })).status;
  assert.equal((await ticketWith(v1)).segment, 'enterprise');
  assert.equal(await mine('demo', v1), 200);
  assert.equal(await mine('strict', v1), 403);
  assert.equal(await mine('strict', signed(fields)), 200, 'v2 with exp works where v1 is off');
});
