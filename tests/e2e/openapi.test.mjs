// The OpenAPI document (www/openapi.json, served by the worker at
// /openapi.json) against the real API: every operation is called, with
// its successes and its errors, and every answer's status, media type,
// headers and body are checked against what the document says for that
// operation, with the small JSON Schema validator below. The document's
// schemas are closed (`additionalProperties: false`), so a field the
// server sends and the document does not name fails here.
// Also: every route of `route()` in worker/src/api.rs is documented and
// nothing else is; a wrong method on each documented path is a 405 whose
// `Allow` lists exactly the documented method; every documented operation
// and (but for 403 and 500, which these tests cannot cause) every
// documented status was seen.
// The sweep's events (escalations, breaches) only exist after a cron run,
// and the abuse limits are raised for the shared worker, so a part of this
// file drives the built worker under Miniflare, as sla.test.mjs and
// limits.test.mjs do, with its own KV and low limits (for the 429s); the
// pages behind the links in mail need a mail, so another part runs it
// with a send_email binding, as email.test.mjs does.
// `cargo xtask test` passes BUOY_WORKER_URL, BUOY_AGENT_TOKEN,
// BUOY_SECOND_AGENT_TOKEN, BUOY_OTHER_AGENT_TOKEN, BUOY_IDENTITY_SECRET and BUOY_TEST_WORKER.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { randomBytes, randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { freshWindow, startWorker } from '../miniflare.mjs';
import { fileLink, identityOf, signIdentity } from '../api.mjs';
import { MailLog, mailsAfter, unbracket } from '../mail.mjs';
import { ADMIN, startJwks } from '../access.mjs';

const WORKER = process.env.BUOY_WORKER_URL;
const TOKEN = process.env.BUOY_AGENT_TOKEN;
const OTHER = process.env.BUOY_OTHER_AGENT_TOKEN;
const SECOND = process.env.BUOY_SECOND_AGENT_TOKEN;
const IDENTITY_SECRET = process.env.BUOY_IDENTITY_SECRET;
const MAIN = process.env.BUOY_TEST_WORKER;
const ROOT = new URL('../../', import.meta.url);
const ORIGIN = 'http://127.0.0.1:4321'; // allowed by tests/buoy.toml (http://127.0.0.1:*)
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const PUBLIC = (path) => path === '/v1/tickets' || path.startsWith('/v1/tickets/') || path === '/v1/deflections' || path === '/v1/uploads';
/** Statuses the document lists that these tests cannot cause (a 503 needs
 * Turnstile's siteverify down: turnstile.test.mjs causes it with its stand-in). */
const UNREACHABLE = new Set(['403', '500', '503']);

let doc;
/** "METHOD /template" → statuses seen. */
const seen = new Map();
let mf;

before(async () => {
  assert.ok(WORKER && TOKEN && OTHER && IDENTITY_SECRET && MAIN, 'run through `cargo xtask test`, which starts the worker');
  const response = await fetch(`${WORKER}/openapi.json`);
  assert.equal(response.status, 200, 'the worker serves /openapi.json');
  assert.match(response.headers.get('content-type') ?? '', /^application\/json\b/);
  doc = await response.json();
});

after(async () => {
  await mf?.dispose();
});

// ------------------------------------------------------------ the validator

const KEYWORDS = new Set([
  '$ref', 'type', 'properties', 'required', 'additionalProperties', 'minProperties', 'items', 'prefixItems', 'minItems', 'maxItems',
  'enum', 'const', 'oneOf', 'anyOf', 'allOf', 'format', 'minimum', 'maximum', 'minLength', 'maxLength', 'pattern',
  // Annotations: no effect on validation.
  'description', 'examples', 'default', 'discriminator', 'title',
]);

function ref(pointer) {
  assert.ok(pointer.startsWith('#/'), `only local references: ${pointer}`);
  let node = doc;
  for (const part of pointer.slice(2).split('/')) {
    node = node?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  assert.ok(node !== undefined, `${pointer} does not resolve`);
  return node;
}

function typeOf(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function hasType(value, type) {
  const actual = typeOf(value);
  return actual === type || (type === 'number' && actual === 'integer');
}

const FORMATS = {
  'date-time': (v) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v) && !Number.isNaN(Date.parse(v)),
  date: (v) => /^\d{4}-\d{2}-\d{2}$/.test(v) && new Date(`${v}T00:00:00Z`).toISOString().slice(0, 10) === v,
};

/** Every way `value` fails `schema`, as "path: reason" lines (none when it passes). */
function check(schema, value, at = '$') {
  if (schema === true) return [];
  if (schema === false) return [`${at}: nothing is allowed here`];
  const errors = [];
  for (const key of Object.keys(schema)) {
    if (!KEYWORDS.has(key)) errors.push(`${at}: the validator does not know the keyword "${key}"`);
  }
  if (schema.$ref) errors.push(...check(ref(schema.$ref), value, at));
  if (schema.type !== undefined) {
    const types = [].concat(schema.type);
    if (!types.some((t) => hasType(value, t))) return [...errors, `${at}: ${JSON.stringify(value)?.slice(0, 80)} is ${typeOf(value)}, not ${types.join(' or ')}`];
  }
  if ('const' in schema && !isDeepStrictEqual(value, schema.const)) errors.push(`${at}: ${JSON.stringify(value)} is not ${JSON.stringify(schema.const)}`);
  if (schema.enum && !schema.enum.some((e) => isDeepStrictEqual(e, value))) errors.push(`${at}: ${JSON.stringify(value)} is not one of ${schema.enum.join(', ')}`);
  if (typeof value === 'string') {
    const length = [...value].length;
    if (schema.minLength !== undefined && length < schema.minLength) errors.push(`${at}: shorter than ${schema.minLength}`);
    if (schema.maxLength !== undefined && length > schema.maxLength) errors.push(`${at}: longer than ${schema.maxLength}`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) errors.push(`${at}: ${JSON.stringify(value).slice(0, 80)} does not match ${schema.pattern}`);
    if (schema.format && FORMATS[schema.format] && !FORMATS[schema.format](value)) errors.push(`${at}: ${JSON.stringify(value)} is not a ${schema.format}`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) errors.push(`${at}: ${value} < ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) errors.push(`${at}: ${value} > ${schema.maximum}`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) errors.push(`${at}: fewer than ${schema.minItems} items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) errors.push(`${at}: more than ${schema.maxItems} items`);
    const prefix = schema.prefixItems ?? [];
    value.forEach((item, i) => {
      const itemSchema = i < prefix.length ? prefix[i] : schema.items;
      if (itemSchema !== undefined) errors.push(...check(itemSchema, item, `${at}[${i}]`));
    });
  }
  if (typeOf(value) === 'object') {
    const keys = Object.keys(value);
    if (schema.minProperties !== undefined && keys.length < schema.minProperties) errors.push(`${at}: fewer than ${schema.minProperties} properties`);
    for (const name of schema.required ?? []) {
      if (!(name in value)) errors.push(`${at}: "${name}" is required`);
    }
    const properties = schema.properties ?? {};
    for (const key of keys) {
      if (key in properties) errors.push(...check(properties[key], value[key], `${at}.${key}`));
      else if (schema.additionalProperties !== undefined) {
        const extra = check(schema.additionalProperties, value[key], `${at}.${key}`);
        if (extra.length) errors.push(schema.additionalProperties === false ? `${at}: "${key}" is not documented` : extra.join('; '));
      }
    }
  }
  for (const sub of schema.allOf ?? []) errors.push(...check(sub, value, at));
  if (schema.anyOf) {
    const results = schema.anyOf.map((sub) => check(sub, value, at));
    if (!results.some((r) => r.length === 0)) errors.push(`${at}: matches none of anyOf (${results.map((r) => r[0]).join(' | ')})`);
  }
  if (schema.oneOf) {
    const results = schema.oneOf.map((sub) => check(sub, value, at));
    const passing = results.filter((r) => r.length === 0).length;
    if (passing !== 1) {
      const closest = results.reduce((a, b) => (b.length < a.length ? b : a));
      errors.push(`${at}: matches ${passing} of oneOf, not exactly 1${passing === 0 ? ` (closest: ${closest.join('; ')})` : ''}`);
    }
  }
  return errors;
}

function assertValid(schema, value, what) {
  const errors = check(schema, value);
  assert.deepEqual(errors, [], `${what}:\n  ${errors.slice(0, 12).join('\n  ')}\n${JSON.stringify(value).slice(0, 600)}`);
}

const resolve = (node) => (node?.$ref ? resolve(ref(node.$ref)) : node);

// ------------------------------------------------ calls checked against it

/** The documented path template a concrete path falls under, if any. */
function templateOf(path) {
  for (const template of Object.keys(doc.paths)) {
    const pattern = new RegExp(`^${template.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`);
    if (pattern.test(path)) return template;
  }
  return undefined;
}

const documentedMethods = (template) => Object.keys(doc.paths[template]).filter((k) => METHODS.includes(k.toUpperCase())).map((m) => m.toUpperCase());

/**
 * Sends one request and checks the answer against the document: the
 * status is listed for the operation, the media type and body match the
 * documented content, required headers are there and every documented
 * header that is there matches its schema. A method the path does not
 * list must be a 405 (or, on a requesters' path, an OPTIONS preflight);
 * a path the document does not list must be a 404.
 */
async function call(method, path, { token, requester, body, raw, contentType, headers = {}, origin, base = WORKER, dispatch } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  if (requester) h['buoy-requester-token'] = requester;
  if (origin) h.origin = origin;
  let payload;
  if (raw !== undefined) payload = raw;
  else if (body !== undefined) payload = JSON.stringify(body);
  if (payload !== undefined) h['content-type'] = contentType ?? 'application/json';
  const init = { method, headers: h, body: payload };
  // A streamed body goes chunked, with no Content-Length.
  if (payload instanceof ReadableStream) init.duplex = 'half';
  const response = dispatch ? await dispatch(`${base}${path}`, init) : await fetch(`${base}${path}`, init);
  const text = await response.text();
  const answer = { status: response.status, headers: response.headers, text, json: undefined };
  const [pathname, query = ''] = path.split('?');
  const template = templateOf(pathname);
  const what = `${method} ${path} → ${answer.status}`;
  const media = (response.headers.get('content-type') ?? '').split(';')[0].trim();
  if (media.endsWith('json') && text) answer.json = JSON.parse(text);
  if (!template) {
    assert.equal(answer.status, 404, `${what}: a path the document does not list must not exist`);
    assertValid(resolve({ $ref: '#/components/responses/NotFound' }).content['application/problem+json'].schema, answer.json, what);
    record('unlisted', answer.status);
    return answer;
  }
  const operation = doc.paths[template][method.toLowerCase()];
  if (!operation) {
    if (method === 'OPTIONS' && PUBLIC(pathname)) {
      assert.equal(answer.status, 204, `${what}: a CORS preflight`);
      assert.equal(text, '');
      record(`OPTIONS ${template}`, answer.status);
      return answer;
    }
    assert.equal(answer.status, answer.status === 413 ? 413 : 405, `${what}: ${method} is not documented on ${template}`);
    checkResponse(resolve(doc.components.responses[answer.status === 413 ? 'PayloadTooLarge' : 'MethodNotAllowed']), answer, media, what);
    record(`${method} ${template} (undocumented)`, answer.status);
    return answer;
  }
  const documented = operation.responses[String(answer.status)] ?? operation.responses.default;
  assert.ok(documented, `${what}: the document does not list ${answer.status} for ${method} ${template} (${text.slice(0, 300)})`);
  checkResponse(resolve(documented), answer, media, what);
  record(`${method} ${template}`, answer.status);
  // What the server accepted, the document must accept too.
  if (answer.status < 300) {
    const params = [...(doc.paths[template].parameters ?? []), ...(operation.parameters ?? [])].map(resolve);
    for (const [name, value] of new URLSearchParams(query)) {
      const param = params.find((p) => p.in === 'query' && p.name === name);
      assert.ok(param, `${what}: the query parameter ${name} is not documented`);
      const typed = param.schema.type === 'integer' ? Number(value) : value;
      assertValid(param.schema, typed, `${what}: query ${name}`);
    }
    if (payload !== undefined && raw === undefined) {
      const schema = resolve(operation.requestBody)?.content?.['application/json']?.schema;
      assert.ok(schema, `${what}: a body was accepted, but none is documented`);
      assertValid(schema, body, `${what}: the request body the server accepted`);
    }
  }
  return answer;
}

function checkResponse(documented, answer, media, what) {
  for (const [name, header] of Object.entries(documented.headers ?? {})) {
    const spec = resolve(header);
    const value = answer.headers.get(name);
    if (spec.required) assert.ok(value !== null, `${what}: the ${name} header is documented as required`);
    if (value !== null) assertValid(spec.schema, value, `${what}: header ${name}`);
  }
  if (!documented.content) {
    assert.equal(answer.text, '', `${what}: no body is documented`);
    return;
  }
  const content = documented.content[media];
  assert.ok(content, `${what}: the media type ${media || '(none)'} is not documented (${Object.keys(documented.content).join(', ')})`);
  const value = media.endsWith('json') ? answer.json : answer.text;
  assertValid(content.schema, value, what);
}

function record(key, status) {
  if (!seen.has(key)) seen.set(key, new Set());
  seen.get(key).add(String(status));
}

/** An agent call that must answer `status`. */
async function expect(status, method, path, options) {
  const answer = await call(method, path, options);
  assert.equal(answer.status, status, `${method} ${path}: ${answer.text.slice(0, 400)}`);
  return answer;
}

function newTicket(fields = {}) {
  return { site: 'demo', name: 'Ada Lovelace', email: 'ada@example.com', type: 'bug', subject: `OpenAPI ${randomUUID()}`, message: 'Checking the document.', ...fields };
}

async function createTicket(fields = {}, options = {}) {
  return (await expect(201, 'POST', '/v1/tickets', { body: newTicket(fields), ...options })).json;
}

/** HMAC over every field vouched for, as the product's backend signs (README, "Verified identity"). */
const sign = (fields) => signIdentity(IDENTITY_SECRET, fields);

const big = () => 'x'.repeat(70 * 1024);

// ------------------------------------------------------------------ tests

test('the document is OpenAPI 3.1: references resolve, operations are complete, keywords are ones the validator knows', () => {
  assert.match(doc.openapi, /^3\.1\.\d+$/);
  const ids = new Set();
  const walk = (node, at) => {
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${at}[${i}]`));
    if (!node || typeof node !== 'object') return;
    if (typeof node.$ref === 'string') ref(node.$ref);
    for (const [k, v] of Object.entries(node)) walk(v, `${at}.${k}`);
  };
  walk(doc, '#');
  for (const [template, item] of Object.entries(doc.paths)) {
    const names = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const method of documentedMethods(template)) {
      const op = item[method.toLowerCase()];
      const where = `${method} ${template}`;
      assert.ok(op.operationId && !ids.has(op.operationId), `${where}: a unique operationId`);
      ids.add(op.operationId);
      assert.ok(Array.isArray(op.security), `${where}: security is stated`);
      for (const requirement of op.security) {
        for (const scheme of Object.keys(requirement)) assert.ok(doc.components.securitySchemes[scheme], `${where}: scheme ${scheme}`);
      }
      const params = [...(item.parameters ?? []), ...(op.parameters ?? [])].map(resolve);
      assert.deepEqual(params.filter((p) => p.in === 'path').map((p) => p.name).sort(), names.sort(), `${where}: path parameters`);
      assert.ok(Object.keys(op.responses).length > 0, `${where}: responses`);
      // A JSON body, or an upload's raw bytes.
      if (op.requestBody) assert.ok((resolve(op.requestBody).content['application/json'] ?? resolve(op.requestBody).content['*/*']).schema, `${where}: a body schema`);
    }
  }
  // Every schema uses only keywords the validator implements, so nothing documented goes unchecked.
  const schemas = [];
  const collect = (node, key) => {
    if (Array.isArray(node)) return node.forEach((n) => collect(n));
    if (!node || typeof node !== 'object') return;
    if (key === 'schema') schemas.push(node);
    for (const [k, v] of Object.entries(node)) collect(v, k);
  };
  collect(doc);
  schemas.push(...Object.values(doc.components.schemas));
  const keywords = (schema, at) => {
    if (typeof schema !== 'object' || schema === null) return;
    for (const [k, v] of Object.entries(schema)) {
      assert.ok(KEYWORDS.has(k), `${at}: unknown keyword ${k}`);
      if (['properties'].includes(k)) Object.entries(v).forEach(([n, s]) => keywords(s, `${at}.${n}`));
      if (['items', 'additionalProperties'].includes(k)) keywords(v, `${at}.${k}`);
      if (['prefixItems', 'oneOf', 'anyOf', 'allOf'].includes(k)) v.forEach((s, i) => keywords(s, `${at}.${k}[${i}]`));
    }
  };
  schemas.forEach((s, i) => keywords(s, `schema ${i}`));
});

test("the problem codes and field errors are exactly shared's", async () => {
  const problem = await readFile(new URL('shared/src/problem.rs', ROOT), 'utf8');
  const codes = [...problem.slice(problem.indexOf('pub const fn code')).split('pub fn parse')[0].matchAll(/=> "([a-z_]+)"/g)].map((m) => m[1]);
  assert.ok(codes.length >= 15, 'read the codes of problem.rs');
  assert.deepEqual([...doc.components.schemas.ProblemCode.enum].sort(), [...codes].sort());
  // Each code is documented, in some response, with the status problem.rs gives it, and under no other.
  const variants = Object.fromEntries([...problem.slice(problem.indexOf('pub const fn code')).split('pub fn parse')[0].matchAll(/Self::(\w+) => "([a-z_]+)"/g)].map((m) => [m[1], m[2]]));
  const statusOf = {};
  for (const [, names, status] of problem.slice(problem.indexOf('pub const fn status')).split('pub const fn title')[0].matchAll(/((?:Self::\w+\s*\|\s*)*Self::\w+)\s*=>\s*(\d{3})/g)) {
    for (const name of names.split('|')) statusOf[variants[name.trim().replace('Self::', '')]] = Number(status);
  }
  assert.deepEqual(Object.keys(statusOf).sort(), [...codes].sort(), 'read the statuses of problem.rs');
  const documented = {};
  for (const [name, response] of Object.entries(doc.components.responses)) {
    const overlay = response.content['application/problem+json'].schema.allOf.find((s) => s.properties?.status);
    for (const code of overlay.properties.code.enum ?? [overlay.properties.code.const]) {
      assert.equal(overlay.properties.status.const, statusOf[code], `${name}: ${code} is a ${statusOf[code]}`);
      documented[code] = true;
    }
  }
  assert.deepEqual(codes.filter((c) => !documented[c]), [], 'every code has a documented response');
  const ticket = await readFile(new URL('shared/src/ticket.rs', ROOT), 'utf8');
  const section = (from, to) => ticket.slice(ticket.indexOf(from)).split(to)[0];
  // The fields are a `string_enum!` of the vocabulary: `Site = "site",`.
  const vocab = await readFile(new URL('shared/src/vocab.rs', ROOT), 'utf8');
  const fields = [...vocab.slice(vocab.indexOf('\n    Field {\n')).split('\n    }\n')[0].matchAll(/= "([a-z_.]+)"/g)].map((m) => m[1]);
  const fieldCodes = [...section('pub const fn code(self)', '}\n    }').matchAll(/=> "([a-z_]+)"/g)].map((m) => m[1]);
  assert.ok(fields.length >= 14 && fieldCodes.length >= 6, 'read the fields of vocab.rs and the codes of ticket.rs');
  const error = doc.components.schemas.FieldError.properties;
  // The wire names, then (for a custom field or a context key) a pattern.
  assert.deepEqual([...(error.field.enum ?? error.field.anyOf[0].enum)].sort(), [...fields].sort());
  assert.deepEqual([...error.code.enum].sort(), [...fieldCodes].sort());
});

test("every route of the worker's route() is documented, and the document lists no other", async () => {
  const source = await readFile(new URL('worker/src/api.rs', ROOT), 'utf8');
  const body = source.slice(source.indexOf('async fn route<')).split('\n}\n')[0];
  const routes = [...body.matchAll(/\(Method::(\w+), \[([^\]]*)\]\)\s*=>/g)].map(([, method, parts]) => {
    const segments = parts.split(',').map((p) => p.trim()).map((p) => (p.startsWith('"') ? p.slice(1, -1) : `{${p}}`));
    return `${method.toUpperCase()} /${segments.join('/')}`;
  });
  assert.ok(routes.length >= 13, `read route() (found ${routes.length})`);
  const documented = Object.keys(doc.paths).flatMap((t) => documentedMethods(t).map((m) => `${m} ${t}`));
  assert.deepEqual([...documented].sort(), [...routes].sort());
});

test('a requester creates, reads, answers and rates a ticket; idempotency replays', { timeout: 60_000 }, async () => {
  const key = randomUUID();
  const body = newTicket({
    type: 'billing',
    context: { url: 'https://app.example.com/billing', title: 'Billing', locale: 'en-GB', time_zone: 'Europe/London', user_agent: 'node' },
  });
  const created = await expect(201, 'POST', '/v1/tickets', { body, headers: { 'idempotency-key': key }, origin: ORIGIN });
  assert.equal(created.headers.get('access-control-allow-origin'), ORIGIN, 'CORS echoes an allowed origin');
  assert.equal(created.headers.get('vary'), 'Origin');
  const replay = await expect(200, 'POST', '/v1/tickets', { body, headers: { 'idempotency-key': key } });
  assert.equal(replay.headers.get('idempotent-replayed'), 'true');
  assert.deepEqual(replay.json, created.json);
  // When a first reply is due, from the ticket's stamp: an anonymous (free)
  // ticket of normal priority gets 24 business hours, and the tests'
  // calendar never closes, so it is a plain sum.
  assert.equal(Date.parse(created.json.first_response_due) - Date.parse(created.json.created_at), 24 * 3600 * 1000);
  assert.deepEqual([created.json.first_response_hours, created.json.first_response_seconds], ['business', 86400]);
  await expect(422, 'POST', '/v1/tickets', { body: { ...body, subject: 'Another body' }, headers: { 'idempotency-key': key } });
  await expect(400, 'POST', '/v1/tickets', { body, headers: { 'idempotency-key': 'has space' } });
  const { id, requester_token: requester } = created.json;

  const read = await expect(200, 'GET', `/v1/tickets/${id}`, { requester });
  assert.deepEqual([read.json.status, read.json.messages], ['new', []]);
  await expect(404, 'GET', `/v1/tickets/${id}`, { requester: 'f'.repeat(64) });
  await expect(404, 'GET', `/v1/tickets/${id}`);
  await expect(404, 'GET', `/v1/tickets/${id.toUpperCase()}`, { requester });
  await expect(409, 'POST', `/v1/tickets/${id}/csat`, { requester, body: { satisfied: true } });
  // An answer with an Idempotency-Key: recorded once; a retry is answered
  // as the first was, and the key with another body is refused.
  const answerKey = { 'idempotency-key': randomUUID() };
  const more = await expect(201, 'POST', `/v1/tickets/${id}/messages`, { requester, body: { body: 'More detail.' }, headers: answerKey });
  const again = await expect(201, 'POST', `/v1/tickets/${id}/messages`, { requester, body: { body: 'More detail.' }, headers: answerKey });
  assert.deepEqual([again.headers.get('idempotent-replayed'), again.json.messages], ['true', more.json.messages]);
  const reused = await expect(422, 'POST', `/v1/tickets/${id}/messages`, { requester, body: { body: 'Other words.' }, headers: answerKey });
  assert.equal(reused.json.code, 'idempotency_key_reused');

  // The agent answers and solves it; the requester rates it, once.
  await expect(201, 'POST', `/v1/agent/tickets/${id}/messages`, { token: TOKEN, body: { body: 'Refunded.' } });
  await expect(200, 'POST', `/v1/agent/tickets/${id}/changes`, { token: TOKEN, body: { status: 'solved' } });
  const rated = await expect(201, 'POST', `/v1/tickets/${id}/csat`, { requester, body: { satisfied: true, comment: 'Quick.' } });
  assert.deepEqual([rated.json.status, rated.json.csat.comment, rated.json.messages.map((m) => m.from)], ['solved', 'Quick.', ['you', 'Test agent']]);
  await expect(409, 'POST', `/v1/tickets/${id}/csat`, { requester, body: { satisfied: false } });
  const answered = await expect(201, 'POST', `/v1/tickets/${id}/messages`, { requester, body: { body: 'One more thing.' } });
  assert.equal(answered.json.status, 'open', 'an answer reopens a solved ticket');

  // Another solved ticket, rated without a comment, and one with too long a comment.
  const plain = await createTicket();
  await expect(200, 'POST', `/v1/agent/tickets/${plain.id}/changes`, { token: TOKEN, body: { status: 'closed' } });
  await expect(422, 'POST', `/v1/tickets/${plain.id}/csat`, { requester: plain.requester_token, body: { satisfied: true, comment: 'y'.repeat(2001) } });
  const noComment = await expect(201, 'POST', `/v1/tickets/${plain.id}/csat`, { requester: plain.requester_token, body: { satisfied: false, comment: '  ' } });
  assert.equal('comment' in noComment.json.csat, false, 'an empty comment is left out');
});

test('a verified requester: the signed identity reaches the record', { timeout: 30_000 }, async () => {
  const fields = { id: 'u_openapi', email: 'grace@lumen.example', name: 'Grace', segment: 'enterprise', account_manager: 'Test agent' };
  const ticket = await createTicket({ identity: identityOf(IDENTITY_SECRET, fields) });
  const view = (await expect(200, 'GET', `/v1/agent/tickets/${ticket.id}`, { token: TOKEN })).json;
  const { typed, signed } = view.requester;
  assert.deepEqual(signed, { user_id: 'u_openapi', email: 'grace@lumen.example', name: 'Grace', account_manager: 'Test agent' });
  assert.equal(typeof typed.email, 'string', 'what the form said, kept apart');
  assert.equal(view.segment, 'enterprise');
});

test("a verified requester's tickets on another device: only a valid identity lists them, and only its own", { timeout: 30_000 }, async () => {
  const user = `u_history_${randomUUID()}`;
  const identity = identityOf(IDENTITY_SECRET, { id: user });
  const first = await createTicket({ identity });
  await new Promise((r) => setTimeout(r, 5));
  const second = await createTicket({ identity });
  await createTicket({ identity: { id: user } }); // unsigned: anonymous, never listed
  const mine = await expect(200, 'POST', '/v1/tickets/mine', { body: { site: 'demo', identity }, origin: ORIGIN });
  assert.equal(mine.headers.get('access-control-allow-origin'), ORIGIN, 'a requesters\' endpoint: CORS');
  assert.deepEqual(mine.json.tickets.map((t) => [t.id, t.requester_token, t.status]), [
    [second.id, second.requester_token, 'new'],
    [first.id, first.requester_token, 'new'],
  ]);
  const stranger = identityOf(IDENTITY_SECRET, { id: `${user}_2` });
  assert.deepEqual((await expect(200, 'POST', '/v1/tickets/mine', { body: { site: 'demo', identity: stranger } })).json.tickets, []);
  for (const body of [{ site: 'demo' }, { site: 'demo', identity: { id: user } }, { site: 'demo', identity: { id: user, signature: sign({ id: 'u_other' }) } }, { site: 'other', identity }]) {
    const refused = await expect(403, 'POST', '/v1/tickets/mine', { body });
    assert.equal(refused.json.code, 'identity_required');
  }
  const good = { site: 'demo', identity };
  await expect(415, 'POST', '/v1/tickets/mine', { raw: JSON.stringify(good), contentType: 'text/plain' });
  await expect(413, 'POST', '/v1/tickets/mine', { raw: JSON.stringify({ ...good, pad: big() }) });
  await expect(400, 'POST', '/v1/tickets/mine', { raw: '{' });
  await expect(400, 'POST', '/v1/tickets/mine', { body: { ...good, surprise: 1 } });
  const unknown = await expect(422, 'POST', '/v1/tickets/mine', { body: { ...good, site: 'nowhere' } });
  assert.deepEqual(unknown.json.errors, [{ field: 'site', code: 'unknown_site' }]);
});

test('requesters: every error the document lists for their operations', { timeout: 60_000 }, async () => {
  const ticket = await createTicket();
  const requester = ticket.requester_token;
  const posts = [
    ['/v1/tickets', {}, newTicket()],
    [`/v1/tickets/${ticket.id}/messages`, { requester }, { body: 'Hi' }],
    [`/v1/tickets/${ticket.id}/csat`, { requester }, { satisfied: true }],
    ['/v1/deflections', {}, { site: 'demo', type: 'password_reset', outcome: 'fixed' }],
  ];
  for (const [path, auth, good] of posts) {
    await expect(415, 'POST', path, { ...auth, raw: JSON.stringify(good), contentType: 'text/plain' });
    await expect(413, 'POST', path, { ...auth, raw: JSON.stringify({ ...good, pad: big() }) });
    const malformed = await expect(400, 'POST', path, { ...auth, raw: '{' });
    assert.equal(malformed.json.code, 'malformed_json');
    const unknown = await expect(400, 'POST', path, { ...auth, raw: JSON.stringify({ ...good, surprise: 1 }) });
    assert.deepEqual([unknown.json.code, /surprise/.test(unknown.json.detail)], ['invalid_request', true]);
  }
  await expect(404, 'GET', '/v1/tickets/nope', { requester });
  for (const path of [`/v1/tickets/${'0'.repeat(32)}/messages`, `/v1/tickets/${'0'.repeat(32)}/csat`]) {
    await expect(404, 'POST', path, { requester, body: { body: 'x', satisfied: true } });
  }
  const invalid = await expect(422, 'POST', '/v1/tickets', { body: newTicket({ email: 'not an email', type: 'refund', subject: ' ', site: 'nowhere' }) });
  assert.deepEqual(invalid.json.errors.map((e) => `${e.field}:${e.code}`), ['email:invalid_email', 'type:unknown_type', 'subject:required']);
  const unknownSite = await expect(422, 'POST', '/v1/tickets', { body: newTicket({ site: 'nowhere' }) });
  assert.deepEqual(unknownSite.json.errors, [{ field: 'site', code: 'unknown_site' }]);
  await expect(400, 'POST', '/v1/tickets', { body: { email: 'a@b.co' } }); // no site: the shape is wrong
  const spam = await expect(422, 'POST', '/v1/tickets', { body: newTicket({ website: 'https://spam.example' }) });
  assert.equal(spam.json.code, 'spam_suspected');
  // A site with Turnstile (tests/buoy.toml's `guarded`) and no token.
  const unchecked = await expect(403, 'POST', '/v1/tickets', { body: newTicket({ site: 'guarded' }) });
  assert.equal(unchecked.json.code, 'turnstile_failed');
  await expect(422, 'POST', `/v1/tickets/${ticket.id}/messages`, { requester, body: { body: '   ' } });
  const fixed = await expect(201, 'POST', '/v1/deflections', { body: { site: 'demo', type: 'password_reset', outcome: 'fixed' }, origin: ORIGIN });
  assert.equal(fixed.json.outcome, 'fixed');
  await expect(201, 'POST', '/v1/deflections', { body: { site: 'demo', type: 'billing', outcome: 'need_help' } });
  const bad = await expect(422, 'POST', '/v1/deflections', { body: { site: 'Demo!', type: 'refund', outcome: 'maybe' } });
  assert.deepEqual(bad.json.errors.map((e) => e.field), ['site', 'type', 'outcome']);
  await expect(422, 'POST', '/v1/deflections', { body: { site: 'nowhere', type: 'billing', outcome: 'fixed' } });
  await expect(400, 'POST', '/v1/deflections', { body: { site: 'demo', outcome: 'fixed' } });
});

test('an agent works a ticket: view, reply, note, changes, segment', { timeout: 60_000 }, async () => {
  const ticket = await createTicket({ type: 'billing' }, { headers: { 'idempotency-key': randomUUID() } });
  const path = `/v1/agent/tickets/${ticket.id}`;
  const view = (await expect(200, 'GET', path, { token: TOKEN })).json;
  assert.deepEqual([view.group, view.tags, typeof view.request_hash, view.next_due !== null], ['finance', ['billing'], 'string', true]);
  await expect(201, 'POST', `${path}/messages`, { token: TOKEN, body: { body: 'Looking.' } });
  const note = (await expect(201, 'POST', `${path}/messages`, { token: TOKEN, body: { body: 'Internal.', public: false } })).json;
  assert.equal(note.events.find((e) => e.body === 'Internal.').public, false);
  const changed = await expect(200, 'POST', `${path}/changes`, {
    token: TOKEN,
    body: { status: 'pending', priority: 'high', tier: 2, assignee: 'Second agent', tags: ['vip', 'billing'] },
  });
  const change = changed.json.events.find((e) => e.kind === 'changed');
  assert.equal(change.priority[0], 'high', 'a priority change carries its new stamp');
  assert.deepEqual([changed.json.state.status, changed.json.state.assignee, changed.json.state.tier], ['pending', 'Second agent', 2]);
  assert.ok(changed.json.clocks.some((c) => c.state === 'paused'), 'pending pauses a clock');
  const unassigned = await expect(200, 'POST', `${path}/changes`, { token: TOKEN, body: { assignee: '', status: null } });
  assert.equal(unassigned.json.state.assignee, null);
  const segment = await expect(200, 'POST', `${path}/segment`, { token: TOKEN, body: { segment: 'enterprise' } });
  assert.equal(segment.json.state.segment, 'enterprise');
  await expect(200, 'POST', `${path}/changes`, { token: TOKEN, body: { status: 'solved' } });
  // The requester's rating shows in the agent's state.
  await expect(201, 'POST', `/v1/tickets/${ticket.id}/csat`, { requester: ticket.requester_token, body: { satisfied: true, comment: 'Good.' } });
  const rated = (await expect(200, 'GET', path, { token: TOKEN })).json;
  assert.equal(rated.state.csat.comment, 'Good.');
  assert.ok(rated.events.some((e) => e.kind === 'rated' && e.id === 'csat'));
});

test('agents: every error the document lists for their operations', { timeout: 60_000 }, async () => {
  const ticket = await createTicket();
  const path = `/v1/agent/tickets/${ticket.id}`;
  const missing = `/v1/agent/tickets/${'0'.repeat(32)}`;
  for (const [method, p] of [
    ['GET', '/v1/agent/me'],
    ['GET', '/v1/agent/tickets'],
    ['GET', path],
    ['POST', `${path}/messages`],
    ['POST', `${path}/changes`],
    ['POST', `${path}/segment`],
    ['GET', '/v1/agent/metrics'],
    ['GET', '/v1/agent/metrics.csv'],
  ]) {
    const none = await expect(401, method, p, { body: method === 'POST' ? {} : undefined });
    assert.equal(none.json.code, 'unauthorized');
    await expect(401, method, p, { token: 'not-a-token' });
    await expect(401, method, p, { headers: { authorization: `Basic ${TOKEN}` } });
  }
  const posts = [
    [`${path}/messages`, { body: 'Hi' }, { body: '' }],
    [`${path}/changes`, { tier: 1 }, { tier: 7 }],
    [`${path}/segment`, { segment: 'free' }, null],
  ];
  for (const [p, good, invalid] of posts) {
    await expect(415, 'POST', p, { token: TOKEN, raw: JSON.stringify(good), contentType: 'text/plain' });
    await expect(413, 'POST', p, { token: TOKEN, raw: JSON.stringify({ ...good, pad: big() }) });
    await expect(400, 'POST', p, { token: TOKEN, raw: '{' });
    await expect(400, 'POST', p, { token: TOKEN, body: { ...good, surprise: true } });
    await expect(404, 'POST', p.replace(path, missing), { token: TOKEN, body: good });
    await expect(404, 'POST', p, { token: OTHER, body: good });
    if (invalid) await expect(422, 'POST', p, { token: TOKEN, body: invalid });
  }
  await expect(404, 'GET', missing, { token: TOKEN });
  await expect(404, 'GET', path, { token: OTHER });
  await expect(404, 'GET', '/v1/agent/tickets/not-an-id', { token: TOKEN });
  const nothing = await expect(400, 'POST', `${path}/changes`, { token: TOKEN, body: {} });
  assert.equal(nothing.json.code, 'invalid_request');
  await expect(400, 'POST', `${path}/changes`, { token: TOKEN, body: { status: null } });
  const wrong = await expect(422, 'POST', `${path}/changes`, { token: TOKEN, body: { tier: 0, assignee: 'Nobody', tags: ['Not A Slug'] } });
  assert.deepEqual(wrong.json.errors, [{ field: 'tier', code: 'unknown_value' }, { field: 'assignee', code: 'unknown_value' }, { field: 'tags', code: 'invalid_text' }]);
  await expect(400, 'POST', `${path}/segment`, { token: TOKEN, body: { segment: 'platinum' } });
  await expect(400, 'POST', `${path}/changes`, { token: TOKEN, body: { priority: 'asap' } });
});

test('agents on one ticket: If-Match and its 409, presence, bulk changes, and their errors', { timeout: 60_000 }, async () => {
  const ticket = await createTicket();
  const path = `/v1/agent/tickets/${ticket.id}`;
  const seen = { 'if-match': '"created"' };
  // Each write on the view of a new ticket: the first holds, the others are 409s saying what changed.
  const replied = (await expect(201, 'POST', `${path}/messages`, { token: TOKEN, body: { body: 'First.' }, headers: seen })).json;
  const conflict = await expect(409, 'POST', `${path}/changes`, { token: SECOND, body: { tier: 2 }, headers: seen });
  assert.equal(conflict.json.code, 'edit_conflict');
  assert.deepEqual(conflict.json.since.map((e) => e.body), ['First.']);
  assert.equal(conflict.json.latest, replied.events.at(-1).id);
  await expect(409, 'POST', `${path}/messages`, { token: SECOND, body: { body: 'Second.' }, headers: seen });
  await expect(409, 'POST', `${path}/segment`, { token: SECOND, body: { segment: 'business' }, headers: seen });
  await expect(200, 'POST', `${path}/changes`, { token: SECOND, body: { tier: 2 }, headers: { 'if-match': `"${conflict.json.latest}"` } });
  await expect(400, 'POST', `${path}/messages`, { token: TOKEN, body: { body: 'Hi' }, headers: { 'if-match': '"msg-none"' } });

  const presence = `${path}/presence`;
  await expect(200, 'POST', presence, { token: SECOND, body: { activity: 'replying' } });
  const beat = await expect(200, 'POST', presence, { token: TOKEN, body: { activity: 'viewing' } });
  assert.deepEqual(beat.json.present.map((p) => [p.agent, p.activity]), [['Second agent', 'replying']]);
  await expect(200, 'POST', presence, { token: SECOND, body: { activity: 'gone' } });
  await expect(400, 'POST', presence, { token: TOKEN, body: { activity: 'lurking' } });
  await expect(404, 'POST', '/v1/agent/tickets/not-an-id/presence', { token: TOKEN, body: { activity: 'viewing' } });

  const other = await createTicket();
  const bulk = await expect(200, 'POST', '/v1/agent/bulk', { token: TOKEN, body: { tickets: [ticket.id, other.id, '0'.repeat(32)], status: 'pending', add_tags: ['bulk'] } });
  assert.deepEqual(bulk.json.results.map((r) => r.status), [200, 200, 404]);
  await expect(400, 'POST', '/v1/agent/bulk', { token: TOKEN, body: { tickets: [], status: 'pending' } });
  await expect(400, 'POST', '/v1/agent/bulk', { token: TOKEN, body: { tickets: [ticket.id] } });
  for (const [p, good] of [[presence, { activity: 'viewing' }], ['/v1/agent/bulk', { tickets: [ticket.id], status: 'open' }]]) {
    await expect(401, 'POST', p, { body: good });
    await expect(415, 'POST', p, { token: TOKEN, raw: JSON.stringify(good), contentType: 'text/plain' });
    await expect(413, 'POST', p, { token: TOKEN, raw: JSON.stringify({ ...good, pad: big() }) });
    await expect(400, 'POST', p, { token: TOKEN, raw: '{' });
  }
});

test("an agent's queue, with every filter, and pages", { timeout: 60_000 }, async () => {
  const me = (await expect(200, 'GET', '/v1/agent/me', { token: TOKEN })).json;
  assert.deepEqual([me.agent, me.site, me.time_zone, me.agents.includes('Second agent')], ['Test agent', 'demo', 'UTC', true]);
  assert.equal((await expect(200, 'GET', '/v1/agent/me', { token: OTHER })).json.site, 'other');
  await createTicket();
  await createTicket();
  const all = await expect(200, 'GET', '/v1/agent/tickets', { token: TOKEN });
  assert.ok(all.json.tickets.length > 0);
  const filtered = await expect(200, 'GET', `/v1/agent/tickets?${new URLSearchParams({
    status: 'new,open', segment: 'free,enterprise', type: 'bug,billing', tier: '1,2', assignee: 'none,Second agent', limit: '20',
  })}`, { token: TOKEN });
  for (const t of filtered.json.tickets) {
    assert.ok(['new', 'open'].includes(t.state.status) && ['bug', 'billing'].includes(t.type), 'the filters apply');
  }
  const first = await expect(200, 'GET', '/v1/agent/tickets?limit=1', { token: TOKEN });
  assert.equal(first.json.tickets.length, 1);
  assert.equal(typeof first.json.cursor, 'string', 'more than one ticket: a cursor');
  await expect(200, 'GET', `/v1/agent/tickets?limit=1&cursor=${encodeURIComponent(first.json.cursor)}`, { token: TOKEN });
  await expect(200, 'GET', '/v1/agent/tickets?status=&segment=', { token: TOKEN });
  const empty = await expect(200, 'GET', '/v1/agent/tickets', { token: OTHER });
  assert.deepEqual(empty.json, { tickets: [], cursor: null });
  for (const query of ['limit=0', 'limit=101', 'limit=ten', 'status=lost', 'segment=gold', 'type=refund', 'tier=4']) {
    const bad = await expect(400, 'GET', `/v1/agent/tickets?${query}`, { token: TOKEN });
    assert.equal(bad.json.code, 'invalid_request');
  }
});

test('metrics, as JSON and as CSV', { timeout: 60_000 }, async () => {
  await createTicket({ type: 'feature_request', subject: 'Please add a dark mode' });
  const report = await expect(200, 'GET', '/v1/agent/metrics', { token: TOKEN });
  assert.ok(report.json.feature_requests.some((r) => r.topic === 'dark mode'), 'a feature request is counted');
  assert.deepEqual([report.json.site, report.json.tz, report.json.volume.by_day.length], ['demo', 'UTC', 28]);
  const today = new Date().toISOString().slice(0, 10);
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  for (const tz of ['UTC', 'Z', '+05:30', '-08', '+0530']) {
    await expect(200, 'GET', `/v1/agent/metrics?${new URLSearchParams({ from: today, to: tomorrow, tz })}`, { token: TOKEN });
  }
  const csv = await expect(200, 'GET', `/v1/agent/metrics.csv?${new URLSearchParams({ from: today, to: tomorrow })}`, { token: TOKEN });
  assert.match(csv.headers.get('content-disposition'), new RegExp(`buoy-metrics-${today}-${tomorrow}\\.csv`));
  await expect(200, 'GET', '/v1/agent/metrics.csv', { token: TOKEN });
  for (const query of [{ tz: 'Mars/Olympus' }, { from: today }, { from: tomorrow, to: today }, { from: '2020-01-01', to: '2026-01-01' }, { from: 'yesterday', to: today }]) {
    for (const p of ['/v1/agent/metrics', '/v1/agent/metrics.csv']) {
      const bad = await expect(400, 'GET', `${p}?${new URLSearchParams(query)}`, { token: TOKEN });
      assert.ok(bad.json.detail, 'a query problem says what is wrong');
    }
  }
});

test('search by reference, email and words, and the rebuild of its indexes', { timeout: 60_000 }, async () => {
  const word = `zz${randomBytes(5).toString('hex')}`;
  const ticket = await createTicket({ subject: `Search ${word}`, email: `${word}@example.com` });
  for (const [q, kind] of [[ticket.reference, 'reference'], [`${word}@example.com`, 'email'], [word, 'words']]) {
    const found = await expect(200, 'GET', `/v1/agent/search?${new URLSearchParams({ q })}`, { token: TOKEN });
    assert.equal(found.json.query, kind);
    assert.deepEqual(found.json.tickets.map((t) => t.id), [ticket.id], q);
  }
  const bad = await expect(400, 'GET', '/v1/agent/search?q=', { token: TOKEN });
  assert.match(bad.json.detail, /^q: /);
  await expect(401, 'GET', `/v1/agent/search?q=${word}`, {});
  const page = await expect(200, 'POST', '/v1/agent/search/rebuild', { token: SECOND });
  assert.equal(page.json.word_search, true);
  if (page.json.cursor) await expect(200, 'POST', `/v1/agent/search/rebuild?${new URLSearchParams({ cursor: page.json.cursor })}`, { token: SECOND });
  await expect(401, 'POST', '/v1/agent/search/rebuild', {});
  await expect(403, 'POST', '/v1/agent/search/rebuild', { token: TOKEN });
});

test('privacy requests: an admin exports, then erases, a requester', { timeout: 30_000 }, async () => {
  const email = `privacy.${randomUUID()}@example.com`;
  const ticket = await createTicket({ email });
  const exported = await expect(200, 'POST', '/v1/agent/privacy/export', { token: SECOND, body: { email } });
  assert.deepEqual(exported.json.tickets.map((t) => t.record.id), [ticket.id]);
  await expect(422, 'POST', '/v1/agent/privacy/export', { token: SECOND, body: {} });
  await expect(422, 'POST', '/v1/agent/privacy/erase', { token: SECOND, body: { email } });
  for (const path of ['/v1/agent/privacy/export', '/v1/agent/privacy/erase']) {
    await expect(400, 'POST', path, { token: SECOND, raw: '{"mail":"a@b.example"}' });
    await expect(415, 'POST', path, { token: SECOND, raw: JSON.stringify({ email }), contentType: 'text/plain' });
    await expect(401, 'POST', path, { body: { email } });
    await expect(403, 'POST', path, { token: TOKEN, body: { email, confirm: true } });
  }
  const erased = await expect(200, 'POST', '/v1/agent/privacy/erase', { token: SECOND, body: { email, confirm: true } });
  assert.equal(erased.json.tickets, 1);
  const trail = await expect(200, 'GET', '/v1/agent/audit', { token: SECOND });
  assert.ok(trail.json.events.some((e) => e.kind === 'privacy_erase'));
});

test("suggested articles for a ticket, and an article link's page", { timeout: 60_000 }, async () => {
  const ticket = await createTicket({ type: 'account', subject: 'Forgot my password', message: 'How do I reset my password?' });
  const found = await expect(200, 'GET', `/v1/agent/tickets/${ticket.id}/articles`, { token: TOKEN });
  const reset = found.json.articles.find((a) => a.id === 'reset-your-password');
  assert.ok(reset, JSON.stringify(found.json));
  await expect(401, 'GET', `/v1/agent/tickets/${ticket.id}/articles`, {});
  await expect(404, 'GET', `/v1/agent/tickets/${ticket.id}/articles`, { token: OTHER });
  const page = await expect(200, 'GET', new URL(reset.url).pathname, {});
  assert.match(page.text, /<h1>Reset your password<\/h1>/);
  await expect(404, 'GET', '/v1/articles/en/no-such-article', {});
});

test('a wrong method on each documented path is a 405 that allows exactly the documented methods; other paths are 404', { timeout: 60_000 }, async () => {
  const ticket = await createTicket();
  for (const template of Object.keys(doc.paths)) {
    const path = template.replace('{id}', ticket.id);
    const allowed = documentedMethods(template);
    for (const method of METHODS.filter((m) => !allowed.includes(m))) {
      const answer = await call(method, path, { token: TOKEN, body: method === 'GET' ? undefined : {}, origin: ORIGIN });
      if (method === 'OPTIONS' && PUBLIC(path)) {
        assert.equal(answer.headers.get('access-control-allow-methods'), 'GET, POST');
        assert.equal(answer.headers.get('access-control-allow-origin'), ORIGIN);
        continue;
      }
      assert.equal(answer.status, 405, `${method} ${template}`);
      assert.deepEqual(answer.headers.get('allow').split(',').map((m) => m.trim()).sort(), [...allowed].sort(), `${method} ${template}: Allow`);
    }
  }
  const other = await call('OPTIONS', '/v1/tickets', { origin: 'https://evil.example' });
  assert.equal(other.headers.get('access-control-allow-origin'), null, 'no CORS for an origin that is not allowed');
  for (const path of ['/v1', '/v1/', '/v1/agent', '/v1/ticket', `/v1/tickets/${ticket.id}/events`, `/v1/agent/tickets/${ticket.id}/csat`,
    `/v1/agent/tickets/${ticket.id}/messages/1`, '/v1/deflections/1', '/v1/agent/metrics.json', '/v1/agent/me/']) {
    for (const method of ['GET', 'POST']) await call(method, path, { token: TOKEN, body: method === 'POST' ? {} : undefined });
  }
});

test("the sweep's events (escalations, breaches), under Miniflare, match the document; a filtered queue page can exceed its limit", { timeout: 90_000 }, async (t) => {
  const token = randomBytes(32).toString('hex');
  mf = await startWorker({
    ratelimits: {
      BUOY_CLIENT_LIMIT: { simple: { limit: 3, period: 60 } },
      BUOY_SITE_LIMIT: { simple: { limit: 1000, period: 60 } },
    },
    bindings: { BUOY_AGENT_TOKEN: token, BUOY_SECRET: randomBytes(32).toString('hex') },
  });
  const options = { base: 'http://buoy.test', dispatch: (url, init) => mf.dispatchFetch(url, init), token };
  // Every client its own address, so that only the 429 checks below meet the (low) limit.
  const address = () => `203.0.113.${1 + Math.floor(Math.random() * 250)}`;
  const create = async (type) => {
    const answer = await call('POST', '/v1/tickets', { ...options, token: undefined, body: newTicket({ type }), headers: { 'cf-connecting-ip': address() } });
    assert.equal(answer.status, 201, answer.text);
    return answer.json;
  };
  const outage = await create('outage');
  const reset = await create('password_reset');
  const worker = await mf.getWorker();
  const result = await worker.scheduled({ scheduledTime: new Date(Date.now() + 200 * 3600 * 1000), cron: '* * * * *' });
  assert.equal(result.outcome, 'ok');
  for (const ticket of [outage, reset]) {
    const view = (await call('GET', `/v1/agent/tickets/${ticket.id}`, options)).json;
    const kinds = view.events.map((e) => e.kind);
    assert.ok(kinds.includes('escalated') && kinds.includes('breached'), `escalated and breached: ${kinds}`);
  }
  const queue = await call('GET', '/v1/agent/tickets', options);
  assert.equal(queue.status, 200);

  // Four tickets in due order; the first stays new, the others are opened.
  await freshWindow();
  const four = [];
  for (let i = 0; i < 4; i++) {
    four.push(await create('how_to'));
    await new Promise((r) => setTimeout(r, 5));
  }
  for (const ticket of four.slice(1)) await call('POST', `/v1/agent/tickets/${ticket.id}/messages`, { ...options, body: { body: 'Hello.' } });
  const page = await call('GET', '/v1/agent/tickets?type=how_to&status=open&limit=2', options);
  assert.equal(page.status, 200);
  // Over the client limit (3 writes a minute here), each of the widget's writes (and /mine) is a 429 with Retry-After.
  const target = four[0];
  const writes = [
    ['/v1/tickets', newTicket()],
    [`/v1/tickets/${target.id}/messages`, { body: 'Hello?' }],
    [`/v1/tickets/${target.id}/csat`, { satisfied: true }],
    ['/v1/deflections', { site: 'demo', type: 'bug', outcome: 'fixed' }],
    // A verified user's history hands out requester tokens: limited like a write.
    ['/v1/tickets/mine', { site: 'demo' }],
  ];
  for (const [i, [path, body]] of writes.entries()) {
    const headers = { 'cf-connecting-ip': `198.51.100.${i + 1}` };
    for (let n = 0; n < 3; n++) {
      const spent = await call('POST', '/v1/deflections', { ...options, token: undefined, headers, body: { site: 'demo', type: 'bug', outcome: 'need_help' } });
      assert.equal(spent.status, 201);
    }
    const refused = await call('POST', path, { ...options, token: undefined, requester: target.requester_token, headers, body });
    assert.deepEqual([refused.status, refused.json.code, refused.headers.get('retry-after')], [429, 'rate_limited', '60'], path);
  }

  t.diagnostic(`limit=2 with filters answered ${page.json.tickets.length} ticket(s) (the document allows up to 2 × limit − 1)`);
  assert.ok(page.json.tickets.length <= 3, 'at most 2 × limit − 1');
});

test('the pages behind the links in mail (rating, unsubscribe), under Miniflare with a send_email binding, match the document', { timeout: 90_000 }, async () => {
  const log = new MailLog();
  const token = randomBytes(32).toString('hex');
  const mail = await startWorker({
    bindings: { BUOY_MAIL_AGENT_TOKEN: token, BUOY_SECRET: randomBytes(32).toString('hex') },
    email: { send_email: [{ name: 'BUOY_MAIL' }] },
    log,
  });
  try {
    const options = { base: 'http://buoy.test', dispatch: (url, init) => mail.dispatchFetch(url, init) };
    const form = (raw) => ({ ...options, raw, contentType: 'application/x-www-form-urlencoded' });
    const ticket = (await expect(201, 'POST', '/v1/tickets', { ...options, body: newTicket({ site: 'mail' }) })).json;
    await expect(200, 'POST', `/v1/agent/tickets/${ticket.id}/changes`, { ...options, token, body: { status: 'solved' } });
    const result = await (await mail.getWorker()).scheduled({ scheduledTime: new Date(), cron: '* * * * *' });
    assert.equal(result.outcome, 'ok');
    const [solved] = await mailsAfter(log, 0, 1);
    const rate = /http:\/\/buoy\.test(\/v1\/email\/rate\?t=[A-Za-z0-9.]+)&r=good/.exec(solved.text)?.[1];
    assert.ok(rate, solved.text);
    const unsubscribe = unbracket(solved.headers['list-unsubscribe']).replace('http://buoy.test', '');
    const forged = (path) => path.replace(/t=[A-Za-z0-9]/, 't=x');
    await expect(200, 'GET', `${rate}&r=good`, options);
    await expect(400, 'GET', `${forged(rate)}&r=good`, options);
    await expect(200, 'POST', `${rate}&r=good`, form(''));
    await expect(409, 'POST', `${rate}&r=bad`, form(''));
    await expect(400, 'POST', `${forged(rate)}&r=bad`, form(''));
    await expect(200, 'GET', unsubscribe, options);
    await expect(400, 'GET', forged(unsubscribe), options);
    await expect(200, 'POST', unsubscribe, form('List-Unsubscribe=One-Click'));
    await expect(400, 'POST', forged(unsubscribe), form('List-Unsubscribe=One-Click'));
  } finally {
    await mail.dispose();
  }
});

test('a received mail is kept for agents as it came, as a download', async () => {
  const MAIL = process.env.BUOY_MAIL_AGENT_TOKEN;
  assert.ok(MAIL, 'run through `cargo xtask test`');
  const subject = `OpenAPI mail ${randomUUID()}`;
  const raw = ['From: <grace@example.org>', 'To: support@mail.example', `Subject: ${subject}`, `Message-ID: <${randomUUID()}@example.org>`, '', 'Checking the document.', ''].join('\r\n');
  const delivered = await fetch(`${WORKER}/cdn-cgi/handler/email?from=grace%40example.org&to=support%40mail.example`, { method: 'POST', body: raw });
  assert.equal(delivered.status, 200, await delivered.text());
  const queue = await expect(200, 'GET', '/v1/agent/tickets?channel=email&limit=100', { token: MAIL });
  const row = queue.json.tickets.find((t) => t.subject === subject);
  const ticket = (await expect(200, 'GET', `/v1/agent/tickets/${row.id}`, { token: MAIL })).json;
  assert.equal(ticket.first_mail.original, Buffer.byteLength(raw));
  const original = await expect(200, 'GET', `/v1/agent/tickets/${ticket.id}/originals/first`, { token: MAIL });
  assert.equal(original.text, raw);
  assert.equal(original.headers.get('content-disposition'), `attachment; filename="${ticket.reference}-first.eml"`);
  await expect(401, 'GET', `/v1/agent/tickets/${ticket.id}/originals/first`, {});
  await expect(404, 'GET', `/v1/agent/tickets/${ticket.id}/originals/mail-0`, { token: MAIL });
  await expect(404, 'GET', `/v1/agent/tickets/${ticket.id}/originals/first`, { token: TOKEN });
});

/** A 2×1 PNG's first bytes: all the sniffer reads. */
const PNG = Buffer.from('89504e470d0a1a0a0000000d494844520000000200000001080200000090', 'hex');

/** An upload through `call`: raw bytes with their name. */
function uploadOptions(bytes, name, extra = {}) {
  const { headers = {}, ...rest } = extra;
  return { raw: bytes, contentType: 'application/octet-stream', headers: { 'buoy-file-name': encodeURIComponent(name), ...headers }, ...rest };
}

test('attachments: uploads, files on both sides of a ticket, downloads, and every error', { timeout: 60_000 }, async () => {
  const shot = await expect(201, 'POST', '/v1/uploads?site=demo', { ...uploadOptions(PNG, 'shot.png', { headers: { 'idempotency-key': randomUUID() } }), origin: ORIGIN });
  assert.equal(shot.headers.get('access-control-allow-origin'), ORIGIN);
  const key = { 'idempotency-key': randomUUID() };
  const log = await expect(201, 'POST', '/v1/uploads?site=demo', uploadOptions(Buffer.from('export failed\n'), 'export.log', { headers: key }));
  const replay = await expect(200, 'POST', '/v1/uploads?site=demo', uploadOptions(Buffer.from('export failed\n'), 'export.log', { headers: key }));
  assert.deepEqual(replay.json, log.json);
  const ticket = await createTicket({ attachments: [shot.json.upload] });
  const { id, requester_token: requester } = ticket;
  await expect(201, 'POST', `/v1/tickets/${id}/messages`, { requester, body: { body: '', attachments: [log.json.upload] } });
  const note = await expect(201, 'POST', '/v1/agent/uploads', { ...uploadOptions(Buffer.from('%PDF-1.7\n%%EOF\n'), 'steps.pdf'), token: TOKEN });
  const replayNoteKey = { 'idempotency-key': randomUUID() };
  await expect(201, 'POST', '/v1/agent/uploads', { ...uploadOptions(PNG, 'a.png', { headers: replayNoteKey }), token: TOKEN });
  await expect(200, 'POST', '/v1/agent/uploads', { ...uploadOptions(PNG, 'a.png', { headers: replayNoteKey }), token: TOKEN });
  await expect(201, 'POST', `/v1/agent/tickets/${id}/messages`, { token: TOKEN, body: { body: 'Internal', public: false, attachments: [note.json.upload] } });
  const read = await expect(200, 'GET', `/v1/tickets/${id}`, { requester });
  assert.deepEqual([read.json.attachments.map((f) => f.name), read.json.messages.flatMap((m) => m.attachments).map((f) => f.name)], [['shot.png'], ['export.log']]);
  const view = await expect(200, 'GET', `/v1/agent/tickets/${id}`, { token: TOKEN });
  assert.deepEqual(view.json.events.filter((e) => e.kind === 'attachment').map((e) => e.file.name).sort(), ['export.log', 'shot.png', 'steps.pdf']);
  // Downloads, with the headers the document requires.
  const image = await expect(200, 'GET', `/v1/tickets/${id}/files/${shot.json.file.id}`, { requester });
  assert.equal(image.headers.get('content-type'), 'image/png');
  await expect(200, 'GET', `/v1/tickets/${id}/files/${log.json.file.id}`, { requester });
  await expect(404, 'GET', `/v1/tickets/${id}/files/${note.json.file.id}`, { requester });
  await expect(404, 'GET', `/v1/tickets/${id}/files/${shot.json.file.id}`, { requester: 'f'.repeat(64) });
  await expect(200, 'GET', `/v1/agent/tickets/${id}/files/${note.json.file.id}`, { token: TOKEN });
  await expect(404, 'GET', `/v1/agent/tickets/${id}/files/${note.json.file.id}`, { token: OTHER });
  await expect(401, 'GET', `/v1/agent/tickets/${id}/files/${note.json.file.id}`, {});
  await expect(404, 'GET', `/v1/files/demo.${id}.${note.json.file.id}.9999999999.${'0'.repeat(32)}`, {});
  // Every error of both upload operations.
  const chunked = () => new ReadableStream({ start(c) { c.enqueue(new Uint8Array(PNG)); c.close(); } });
  for (const [path, auth] of [['/v1/uploads?site=demo', {}], ['/v1/agent/uploads', { token: TOKEN }]]) {
    const refusals = [
      [400, 'invalid_idempotency_key', uploadOptions(PNG, 'a.png', { headers: { 'idempotency-key': 'has space' } })],
      [404, 'attachments_off', uploadOptions(PNG, 'a.png', { ...(auth.token ? { token: OTHER } : {}) })],
      [411, 'length_required', uploadOptions(chunked(), 'a.png')],
      [413, 'file_too_large', uploadOptions(Buffer.alloc(10_000_001), 'big.zip')],
      [415, 'unsupported_file_type', uploadOptions(Buffer.from('<svg><script>alert(1)</script></svg>'), 'logo.svg')],
      [422, 'validation_failed', uploadOptions(PNG, '../a.png')],
      [422, 'idempotency_key_reused', uploadOptions(Buffer.from('other'), 'export.log', { headers: key })],
    ];
    for (const [status, code, options] of refusals) {
      const target = status === 404 && !auth.token ? '/v1/uploads?site=other' : path;
      const answer = await expect(status, 'POST', target, { ...auth, ...options });
      assert.equal(answer.json.code, code, `${target} ${status}`);
    }
  }
  await expect(401, 'POST', '/v1/agent/uploads', uploadOptions(PNG, 'a.png'));
  const unknown = await expect(422, 'POST', '/v1/tickets', { body: newTicket({ attachments: ['up_' + '0'.repeat(32)] }) });
  assert.deepEqual(unknown.json.errors, [{ field: 'attachments', code: 'unknown_upload' }]);
});

test('attachments under Miniflare: a signed file link opens its file until it expires; uploads over the limit are 429', { timeout: 60_000 }, async () => {
  const secret = randomBytes(32).toString('hex');
  await freshWindow();
  const files = await startWorker({ files: true, ratelimits: { BUOY_UPLOAD_LIMIT: { simple: { limit: 2, period: 60 } } }, bindings: { BUOY_SECRET: secret } });
  try {
    const options = { base: 'http://buoy.test', dispatch: (url, init) => files.dispatchFetch(url, init) };
    // Miniflare's dispatchFetch sends a buffer without a length: state it, as browsers do.
    const client = { 'cf-connecting-ip': '203.0.113.77', 'content-length': String(PNG.length) };
    const up = await expect(201, 'POST', '/v1/uploads?site=demo', { ...options, ...uploadOptions(PNG, 'shot.png', { headers: client }) });
    const created = await expect(201, 'POST', '/v1/tickets', { ...options, body: newTicket({ attachments: [up.json.upload] }) });
    const now = Math.floor(Date.now() / 1000);
    const link = fileLink(secret, 'demo', created.json.id, up.json.file.id, now + 7 * 24 * 3600);
    const opened = await expect(200, 'GET', `/v1/files/${link}`, options);
    assert.equal(opened.headers.get('content-disposition'), "inline; filename*=UTF-8''shot.png");
    const expired = await expect(404, 'GET', `/v1/files/${fileLink(secret, 'demo', created.json.id, up.json.file.id, now - 1)}`, options);
    assert.equal(expired.json.code, 'file_link_expired');
    const gone = await expect(404, 'GET', `/v1/files/${fileLink(secret, 'demo', created.json.id, '0'.repeat(32), now + 60)}`, options);
    assert.equal(gone.json.code, 'not_found');
    await expect(201, 'POST', '/v1/uploads?site=demo', { ...options, ...uploadOptions(PNG, 'b.png', { headers: client }) });
    const limited = await expect(429, 'POST', '/v1/uploads?site=demo', { ...options, ...uploadOptions(PNG, 'c.png', { headers: client }) });
    assert.equal(limited.headers.get('retry-after'), '60');
  } finally {
    await files.dispose();
  }
});

test('the roster and the audit trail, under Miniflare signed in through a stand-in Access, match the document', { timeout: 60_000 }, async () => {
  const jwks = await startJwks();
  const access = await startWorker({ bindings: { BUOY_SECRET: randomBytes(32).toString('hex'), BUOY_ACCESS_CERTS_URL: jwks.url } });
  try {
    const base = 'http://buoy.test';
    const as = (jwt) => ({ base, dispatch: (url, init) => access.dispatchFetch(url, init), headers: { 'cf-access-jwt-assertion': jwt } });
    const admin = as(jwks.token());
    const stranger = { base, dispatch: (url, init) => access.dispatchFetch(url, init) };
    const sam = { email: 'sam@access.example', name: 'Sam', sites: ['demo'], role: 'agent' };
    const path = `/v1/agent/agents/${encodeURIComponent(sam.email)}`;
    const configured = `/v1/agent/agents/${encodeURIComponent(ADMIN)}`;

    const roster = await expect(200, 'GET', '/v1/agent/agents', admin);
    assert.ok(roster.json.agents.some((a) => a.email === ADMIN && a.role === 'admin'));
    await expect(401, 'GET', '/v1/agent/agents', stranger);
    await expect(401, 'GET', '/v1/agent/agents', as('not-a-token'));

    await expect(201, 'POST', '/v1/agent/agents', { ...admin, body: sam });
    await expect(409, 'POST', '/v1/agent/agents', { ...admin, body: sam });
    await expect(422, 'POST', '/v1/agent/agents', { ...admin, body: { ...sam, email: 'sam', sites: ['nowhere'] } });
    await expect(400, 'POST', '/v1/agent/agents', { ...admin, raw: '{"email":' });
    await expect(401, 'POST', '/v1/agent/agents', { ...stranger, body: sam });

    await expect(200, 'POST', path, { ...admin, body: { role: 'lead' } });
    await expect(422, 'POST', path, { ...admin, body: { name: '' } });
    await expect(400, 'POST', path, { ...admin, raw: '{"role":"boss"}' });
    await expect(404, 'POST', '/v1/agent/agents/nobody%40access.example', { ...admin, body: { role: 'lead' } });
    await expect(409, 'POST', configured, { ...admin, body: { role: 'agent' } });
    await expect(401, 'POST', path, { ...stranger, body: { role: 'admin' } });

    await expect(401, 'POST', `${path}/remove`, stranger);
    await expect(409, 'POST', `${configured}/remove`, admin);
    await expect(204, 'POST', `${path}/remove`, admin);
    await expect(404, 'POST', `${path}/remove`, admin);

    const trail = await expect(200, 'GET', '/v1/agent/audit', admin);
    assert.deepEqual(
      trail.json.events.filter((e) => e.agent === sam.email).map((e) => e.kind).sort(),
      ['agent_added', 'agent_changed', 'agent_removed'],
    );
    await expect(401, 'GET', '/v1/agent/audit', stranger);
  } finally {
    await access.dispose();
    await jwks.close();
  }
});

test('canned replies: listed by agents, edited by leads and admins, rendered for a ticket, and every error', { timeout: 60_000 }, async () => {
  const ticket = await createTicket();
  const reply = { title: `OpenAPI ${randomUUID()}`, body: 'Hi {{requester.first_name}}, about {{ticket.reference}}.', actions: { status: 'pending', add_tags: ['openapi'], assign: 'me' } };
  // The Second agent is an admin (tests/buoy.toml); the Test agent is an agent.
  const added = (await expect(201, 'POST', '/v1/agent/canned', { token: SECOND, body: reply })).json;
  const path = `/v1/agent/canned/${added.id}`;
  await expect(403, 'POST', '/v1/agent/canned', { token: TOKEN, body: reply });
  const unknown = await expect(422, 'POST', '/v1/agent/canned', { token: SECOND, body: { ...reply, body: 'Hi {{requester.phone}}' } });
  assert.deepEqual(unknown.json.errors, [{ field: 'body', code: 'unknown_variable' }]);
  await expect(400, 'POST', '/v1/agent/canned', { token: SECOND, raw: '{"title":' });
  await expect(401, 'POST', '/v1/agent/canned', { body: reply });

  const listed = (await expect(200, 'GET', '/v1/agent/canned', { token: TOKEN })).json;
  assert.equal(listed.editable, false);
  assert.ok(listed.replies.some((r) => r.id === added.id));
  await expect(401, 'GET', '/v1/agent/canned', {});

  await expect(200, 'POST', path, { token: SECOND, body: { ...reply, title: `${reply.title} (edited)` } });
  await expect(422, 'POST', path, { token: SECOND, body: { ...reply, title: '' } });
  await expect(400, 'POST', path, { token: SECOND, raw: '{"title":' });
  await expect(404, 'POST', '/v1/agent/canned/cnothing', { token: SECOND, body: reply });
  await expect(401, 'POST', path, { body: reply });

  const rendered = (await expect(200, 'GET', `/v1/agent/tickets/${ticket.id}/canned/${added.id}`, { token: TOKEN })).json;
  assert.equal(rendered.body, `Hi Ada, about ${ticket.reference}.`);
  assert.deepEqual(rendered.change, { status: 'pending', assignee: 'Test agent', tags: ['openapi'] });
  await expect(404, 'GET', `/v1/agent/tickets/${ticket.id}/canned/cnothing`, { token: TOKEN });
  await expect(401, 'GET', `/v1/agent/tickets/${ticket.id}/canned/${added.id}`, {});

  await expect(401, 'POST', `${path}/remove`, {});
  await expect(204, 'POST', `${path}/remove`, { token: SECOND });
  await expect(404, 'POST', `${path}/remove`, { token: SECOND });
});

test('every documented operation was exercised, and every status it lists seen (but 403 and 500)', () => {
  const missing = [];
  for (const template of Object.keys(doc.paths)) {
    for (const method of documentedMethods(template)) {
      const key = `${method} ${template}`;
      const statuses = seen.get(key) ?? new Set();
      if (![...statuses].some((s) => s.startsWith('2'))) missing.push(`${key}: no success`);
      for (const status of Object.keys(doc.paths[template][method.toLowerCase()].responses)) {
        if (!UNREACHABLE.has(status) && !statuses.has(status)) missing.push(`${key}: ${status} never seen`);
      }
    }
  }
  assert.deepEqual(missing, []);
  const all = new Set([...seen.values()].flatMap((s) => [...s]));
  for (const status of ['400', '401', '404', '405', '409', '413', '415', '422']) assert.ok(all.has(status), `some answer was a ${status}`);
});
