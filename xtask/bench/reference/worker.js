// A reference worker in idiomatic JavaScript that does the same work as
// Buoy's create path and agent queue, for `cargo xtask bench` to compare
// against: the same limits and validation, SLA stamping, keyed hashes, and
// the same KV writes and reads. Not part of Buoy.
const MAX_BODY = 64 * 1024;
const TYPES = new Set(['password_reset', 'billing', 'outage', 'bug', 'how_to', 'feature_request', 'account', 'other']);
const FIELDS = new Set(['site', 'name', 'email', 'type', 'subject', 'message', 'context']);
const CONTEXT_FIELDS = new Set(['url', 'title', 'locale', 'time_zone', 'user_agent']);
const HOUR = 3600 * 1000;
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const encoder = new TextEncoder();

const json = (status, body, headers = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers } });
const problem = (status, code, extra = {}) =>
  new Response(JSON.stringify({ type: 'about:blank', status, code, ...extra }), { status, headers: { 'content-type': 'application/problem+json' } });

const hex = (bytes) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');

async function hmac(secret, label, parts) {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const chunks = [encoder.encode(label)];
  for (const part of parts) {
    const bytes = typeof part === 'string' ? encoder.encode(part) : part;
    const length = new Uint8Array(8);
    new DataView(length.buffer).setBigUint64(0, BigInt(bytes.length));
    chunks.push(length, bytes);
  }
  const data = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) { data.set(c, at); at += c.length; }
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, data));
}

function reference(id) {
  let bits = 0n;
  for (const b of id.slice(0, 5)) bits = (bits << 8n) | BigInt(b);
  let out = '';
  for (let i = 0; i < 8; i++) {
    out += CROCKFORD[Number((bits >> BigInt(35 - 5 * i)) & 31n)];
    if (i === 3) out += '-';
  }
  return out;
}

const chars = (s) => [...s].length;
const hasControl = (s) => /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/.test(s);

function validate(t) {
  const errors = [];
  const text = (field, value, max, required) => {
    if (typeof value !== 'string') return errors.push({ field, code: 'invalid' });
    if (required && value.trim() === '') errors.push({ field, code: 'required' });
    else if (chars(value) > max) errors.push({ field, code: 'too_long' });
    else if (hasControl(value)) errors.push({ field, code: 'invalid_text' });
  };
  if (!/^[a-z0-9][a-z0-9-]{0,39}$/.test(t.site ?? '')) errors.push({ field: 'site', code: 'unknown_site' });
  text('name', t.name ?? '', 100, false);
  const email = (t.email ?? '').trim();
  if (email === '') errors.push({ field: 'email', code: 'required' });
  else if (chars(email) > 254) errors.push({ field: 'email', code: 'too_long' });
  else if (!/^[^\s@<>,]{1,64}@[^\s@<>,]+\.[^\s@<>,]+$/.test(email)) errors.push({ field: 'email', code: 'invalid_email' });
  if (!TYPES.has(t.type)) errors.push({ field: 'type', code: t.type ? 'unknown_type' : 'required' });
  text('subject', t.subject ?? '', 200, true);
  text('message', t.message ?? '', 10000, true);
  const c = t.context ?? {};
  text('context.url', c.url ?? '', 2048, false);
  for (const k of ['title', 'locale', 'time_zone', 'user_agent']) text('context', c[k] ?? '', 512, false);
  return errors;
}

async function create(request, env) {
  if ((request.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase() !== 'application/json') return problem(415, 'unsupported_media_type');
  const body = await request.text();
  if (body.length > MAX_BODY) return problem(413, 'payload_too_large');
  let input;
  try { input = JSON.parse(body); } catch { return problem(400, 'malformed_json'); }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return problem(400, 'invalid_request');
  if (Object.keys(input).some((k) => !FIELDS.has(k)) || Object.keys(input.context ?? {}).some((k) => !CONTEXT_FIELDS.has(k))) return problem(400, 'invalid_request');
  const errors = validate(input);
  if (errors.length) return problem(422, 'validation_failed', { errors });
  if (input.site !== 'demo') return problem(422, 'validation_failed', { errors: [{ field: 'site', code: 'unknown_site' }] });
  const key = request.headers.get('idempotency-key');
  const id = key ? (await hmac(env.BUOY_SECRET, 'buoy/ticket-id/v1', [input.site, key])).slice(0, 16) : crypto.getRandomValues(new Uint8Array(16));
  const idText = hex(id);
  if (key) {
    const existing = await env.BUOY_KV.get(`t/${idText}`);
    if (existing) return json(200, JSON.parse(existing));
  }
  const now = Date.now();
  const ticket = {
    id: idText, reference: reference(id), site: input.site,
    requester: { name: (input.name ?? '').trim(), email: input.email.trim(), verified: false },
    segment: 'free', type: input.type, priority: 'normal', status: 'new', tier: 1,
    subject: input.subject.trim(), message: input.message.trim(), context: input.context ?? {},
    created_at: new Date(now).toISOString(),
    sla: { first_response: new Date(now + 24 * HOUR).toISOString(), resolution: new Date(now + 72 * HOUR).toISOString() },
  };
  await env.BUOY_KV.put(`t/${idText}`, JSON.stringify(ticket));
  await env.BUOY_KV.put(`q/${ticket.site}/${String(now + 24 * HOUR).padStart(15, '0')}/${idText}`, '');
  const token = hex(await hmac(env.BUOY_SECRET, 'buoy/requester-token/v1', [id]));
  return json(201, { id: idText, reference: ticket.reference, requester_token: token, status: 'new', created_at: ticket.created_at },
    { location: `/v1/tickets/${idText}` });
}

async function queue(request, env) {
  const given = encoder.encode((request.headers.get('authorization') ?? '').replace(/^Bearer /i, ''));
  const expected = encoder.encode(env.BUOY_AGENT_TOKEN);
  if (given.length !== expected.length || !crypto.subtle.timingSafeEqual(given, expected)) return problem(401, 'unauthorized');
  const limit = Number(new URL(request.url).searchParams.get('limit') ?? 50);
  const page = await env.BUOY_KV.list({ prefix: 'q/demo/', limit });
  const ids = [...new Set(page.keys.map((k) => k.name.split('/').pop()))];
  const tickets = (await Promise.all(ids.map((id) => env.BUOY_KV.get(`t/${id}`, 'json')))).filter(Boolean);
  tickets.sort((a, b) => a.sla.first_response.localeCompare(b.sla.first_response));
  return json(200, { tickets, cursor: page.list_complete ? null : page.cursor });
}

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname === '/v1/tickets' && request.method === 'POST') return create(request, env);
    if (pathname === '/v1/agent/tickets' && request.method === 'GET') return queue(request, env);
    if (pathname === '/buoy.js') return new Response('// reference worker', { headers: { 'content-type': 'text/javascript' } });
    return problem(404, 'not_found');
  },
};
