// End to end: a site's custom fields and the host page's context
// (tests/buoy.toml's `fields` site: `app_version` host-filled, `plan` a
// required select, `accepts_contact` a checkbox; a routing rule on
// `when.fields`). The form draws the requester fields with their labels,
// the API refuses a bad value naming the field, a ticket keeps the page's
// context apart from what an identity signed, is routed by its plan, is
// filtered by it in the queue, and is counted by it in the metrics CSV.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage } from '../chromium.mjs';
import { browserFor } from '../browser.mjs';
import { signIdentity } from '../api.mjs';

const WORKER = process.env.BUOY_WORKER_URL;
const TOKEN = process.env.BUOY_FIELDS_AGENT_TOKEN;
const IDENTITY = process.env.BUOY_IDENTITY_SECRET;

const chrome = browserFor(WORKER, TOKEN, IDENTITY);

async function api(path, body) {
  const headers = { authorization: `Bearer ${TOKEN}` };
  if (body) headers['content-type'] = 'application/json';
  const response = await fetch(`${WORKER}${path}`, { method: body ? 'POST' : 'GET', headers, body: body && JSON.stringify(body) });
  return { status: response.status, json: await response.json().catch(() => null), response };
}

const ticket = (extra) => ({
  site: 'fields', email: 'ada@example.com', type: 'bug', subject: `Export fails ${Date.now()}`, message: 'It stops at 99%.', ...extra,
});

test('a bad field value or context is a 422 naming it, and nothing is stored', async () => {
  const cases = [
    [{}, [['fields.plan', 'required']]],
    [{ fields: { plan: 'gold' } }, [['fields.plan', 'unknown_value']]],
    [{ fields: { plan: 'pro', colour: 'red' } }, [['fields.colour', 'unknown_field']]],
    [{ fields: { plan: 'pro' }, context: { reported: { account_id: 'x'.repeat(201) } } }, [['context.reported.account_id', 'too_long']]],
  ];
  for (const [extra, expected] of cases) {
    const { status, json } = await api('/v1/tickets', ticket(extra));
    assert.equal(status, 422, JSON.stringify(extra));
    assert.deepEqual(json.errors.map((e) => [e.field, e.code]), expected);
  }
});

test('fields and both contexts are stored, routed, filtered and counted', async () => {
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const signature = signIdentity(IDENTITY, { id: 'u_fields', exp, 'context.account_id': 'acc_9' });
  const identity = { id: 'u_fields', exp, context: { account_id: 'acc_9' }, signature };
  const { status, json: created } = await api('/v1/tickets', ticket({
    fields: { plan: 'enterprise', accepts_contact: 'true' },
    context: { reported: { app_version: '4.2.1', account_id: 'acc_claimed' } },
    identity,
  }));
  assert.equal(status, 201, JSON.stringify(created));
  const { json: view } = await api(`/v1/agent/tickets/${created.id}`);
  assert.deepEqual(view.fields, { accepts_contact: 'true', app_version: '4.2.1', plan: 'enterprise' }, 'the host field took the context of its key');
  assert.deepEqual(view.context.reported, { account_id: 'acc_claimed', app_version: '4.2.1' });
  assert.deepEqual(view.context.verified, { account_id: 'acc_9' });
  assert.equal(view.group, 'vip', 'routed by when.fields');

  const { json: pro } = await api('/v1/tickets', ticket({ fields: { plan: 'pro' } }));
  const ids = async (query) => (await api(`/v1/agent/tickets?${query}`)).json.tickets.map((t) => t.id);
  assert.ok((await ids('field=plan:enterprise')).includes(created.id));
  assert.ok(!(await ids('field=plan:enterprise')).includes(pro.id));
  assert.ok((await ids('field=plan:pro')).includes(pro.id));

  const day = new Date().toISOString().slice(0, 10);
  const next = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  const csv = await fetch(`${WORKER}/v1/agent/metrics.csv?from=${day}&to=${next}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(csv.status, 200);
  const lines = (await csv.text()).split(/\r?\n/);
  assert.ok(lines.some((l) => l.startsWith('volume_by_field,plan=enterprise,')), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith('volume_by_field,plan=pro,')));
});

test('the form draws the requester fields with their labels and sends them', { timeout: 60_000 }, async () => {
  const { page } = await openPage(chrome.browser, `${WORKER}/widget/fields/de/`);
  await page.locator('#buoy').getByRole('button').first().waitFor();
  await page.locator('[data-act="contact"]').first().click();
  // Labelled in the page's language; the host field is never shown.
  const plan = page.getByLabel('Tarif');
  assert.deepEqual(await plan.locator('option').allTextContents(), ['', 'Kostenlos', 'Pro', 'Enterprise']);
  assert.equal(await plan.getAttribute('required'), '');
  assert.equal(await page.getByLabel('Sie dürfen mich anrufen').getAttribute('type'), 'checkbox');
  assert.equal(await page.locator('[data-field="app_version"]').getAttribute('type'), 'hidden');
  assert.equal(await page.getByText('App-Version').count(), 0);

  const subject = `Form fields ${Date.now()}`;
  const sent = page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/tickets' && r.request().method() === 'POST');
  await page.locator('#buoy-email').fill('ada@example.com');
  await page.locator('#buoy-type').selectOption('bug');
  await page.locator('#buoy-subject').fill(subject);
  await page.locator('#buoy-message').fill('From the form.');
  await plan.selectOption('pro');
  await page.getByLabel('Sie dürfen mich anrufen').check();
  await page.locator('#buoy-submit').click();
  const response = await sent;
  assert.equal(response.status(), 201);
  const { id } = await response.json();
  const { json: view } = await api(`/v1/agent/tickets/${id}`);
  assert.deepEqual(view.fields, { accepts_contact: 'true', plan: 'pro' });
  await page.close();
});
