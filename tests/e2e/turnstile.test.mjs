// Turnstile, for a site that asks for it (site `guarded` in tests/buoy.toml):
// the worker verifies each new ticket's token server-side with siteverify,
// which `cargo xtask test` points at the stand-in this file serves on
// BUOY_TURNSTILE_PORT, and the widget page loads the stand-in's api.js in
// place of Cloudflare's. The stand-in issues single-use tokens that say
// which hostname and action they were solved for, as Turnstile's do.
// `cargo xtask test` passes BUOY_WORKER_URL, BUOY_TURNSTILE_PORT,
// BUOY_TURNSTILE_SECRET, BUOY_GUARDED_AGENT_TOKEN, BUOY_CHROMIUM.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { launchChromium, openPage } from '../chromium.mjs';
import { sleep, until } from '../wait.mjs';

const WORKER = process.env.BUOY_WORKER_URL;
const PORT = Number(process.env.BUOY_TURNSTILE_PORT);
const SECRET = process.env.BUOY_TURNSTILE_SECRET;
const AGENT = process.env.BUOY_GUARDED_AGENT_TOKEN;
const STAND_IN = `http://127.0.0.1:${PORT}`;

// The stand-in's state: tokens it issued and not yet spent, every
// verification it answered, and what the next ones should say.
const issued = new Set();
const verified = [];
const verdicts = [];
let server;
let browser;

// The fake api.js: `turnstile.render` and `reset` as Cloudflare's script
// has them; each solve hands out a token the stand-in issued, prefixed
// with the action and the page's hostname it was solved for.
const api = (tokens) => `(() => {
  const tokens = ${JSON.stringify(tokens)};
  const widgets = [];
  const solve = (w) => setTimeout(() => w.callback(w.action + '~' + location.hostname + '~' + tokens.shift()), 50);
  window.turnstile = {
    render(el, o) { el.textContent = 'Verified by the Turnstile stand-in'; widgets.push(o); solve(o); return widgets.length - 1; },
    reset(id) { solve(widgets[id]); },
  };
  const onload = new URL(document.currentScript.src).searchParams.get('onload');
  setTimeout(() => window[onload](), 0);
})();`;

function standIn(request, response) {
  const url = new URL(request.url, STAND_IN);
  if (url.pathname === '/api.js') {
    const tokens = Array.from({ length: 20 }, () => randomBytes(12).toString('hex'));
    tokens.forEach((t) => issued.add(t));
    response.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' });
    return response.end(api(tokens));
  }
  if (url.pathname === '/host.html') {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    return response.end(`<!doctype html><html lang="en"><head><title>Guarded host</title><link rel="icon" href="data:,">
<script async src="${WORKER}/buoy.js" data-site="guarded"></script></head><body><h1>Guarded Co</h1></body></html>`);
  }
  if (url.pathname === '/siteverify' && request.method === 'POST') {
    let body = '';
    request.on('data', (chunk) => { body += chunk; });
    request.on('end', () => {
      const form = new URLSearchParams(body);
      const [action, hostname, nonce] = (form.get('response') ?? '').split('~');
      const verdict = verdicts.shift() ?? 'pass';
      verified.push({ form: Object.fromEntries(form), action, hostname, verdict });
      if (verdict === 'down') {
        response.writeHead(500);
        return response.end('upstream trouble');
      }
      let answer;
      if (form.get('secret') !== SECRET) answer = { success: false, 'error-codes': ['invalid-input-secret'] };
      else if (!issued.delete(nonce) || verdict === 'reject') answer = { success: false, 'error-codes': ['invalid-input-response'] };
      else answer = { success: true, hostname, action, challenge_ts: new Date().toISOString(), 'error-codes': [] };
      response.writeHead(200, { 'content-type': 'application/json' });
      return response.end(JSON.stringify(answer));
    });
    return undefined;
  }
  response.writeHead(404);
  return response.end();
}

before(async () => {
  assert.ok(WORKER && PORT && SECRET && AGENT, 'run through `cargo xtask test`, which starts the worker');
  server = createServer(standIn);
  await new Promise((resolve) => server.listen(PORT, '127.0.0.1', resolve));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
});

async function guardedTickets(subject) {
  const queue = await (await fetch(`${WORKER}/v1/agent/tickets?limit=100`, { headers: { authorization: `Bearer ${AGENT}` } })).json();
  return queue.tickets.filter((t) => t.subject === subject);
}

function post(headers, subject) {
  return fetch(`${WORKER}/v1/tickets`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ site: 'guarded', email: 'ada@example.com', type: 'bug', subject, message: 'Help.' }),
  });
}

test('only a Turnstile site loads the check, and its CSP lets in that one origin', async () => {
  const guarded = await fetch(`${WORKER}/widget/guarded/`);
  const csp = guarded.headers.get('content-security-policy');
  assert.match(csp, new RegExp(`script-src 'self' 'wasm-unsafe-eval' ${STAND_IN};`));
  assert.match(csp, new RegExp(`frame-src ${STAND_IN};`));
  const page = await guarded.text();
  assert.ok(page.includes(`<script src="/widget/turnstile.js" data-sitekey="0x4AAAAAAAtest" data-api="${STAND_IN}/api.js" defer></script>`));
  const demo = await fetch(`${WORKER}/widget/demo/`);
  assert.ok(!demo.headers.get('content-security-policy').includes(STAND_IN), 'no third party for a site without Turnstile');
  assert.ok(!(await demo.text()).includes('turnstile'));
});

test('a ticket goes with a fresh token; a refused check keeps the text, and sending again makes one ticket', { timeout: 120_000 }, async () => {
  const { page, problems, context } = await openPage(browser, `${STAND_IN}/host.html`);
  await page.getByRole('button', { name: 'Help' }).click();
  const panel = page.frameLocator('iframe[title="Help"]');
  await panel.getByRole('button', { name: 'Send us a message' }).click();
  await panel.getByText('Verified by the Turnstile stand-in').waitFor();
  const subject = `Export stuck ${Date.now()}`;
  const message = 'The CSV export stops at 99 %.\nEvery time, since Monday.';
  await panel.getByLabel('Email').fill('ada@example.com');
  await panel.getByLabel('Topic').selectOption('bug');
  await panel.getByLabel('Subject').fill(subject);
  await panel.getByLabel('Message').fill(message);

  // The first check is refused by siteverify: the requester is told, the text stays, nothing is stored.
  verdicts.push('reject');
  const before = verified.length;
  await panel.getByRole('button', { name: 'Send message' }).click();
  await panel.getByText('The check that you are a person did not pass.').waitFor();
  assert.equal(await panel.getByLabel('Message').inputValue(), message);
  assert.equal(await panel.getByLabel('Subject').inputValue(), subject);
  assert.deepEqual(await guardedTickets(subject), []);

  // Sending again goes with a new token (the used one was reset) and makes exactly one ticket.
  await panel.getByRole('button', { name: 'Send message' }).click();
  await panel.getByText('Thanks, we have your message').waitFor();
  const calls = verified.slice(before);
  assert.equal(calls.length, 2, 'one verification per send');
  assert.notEqual(calls[0].form.response, calls[1].form.response, 'a token is never sent twice');
  for (const call of calls) {
    assert.equal(call.form.secret, SECRET);
    assert.equal(call.action, 'ticket', 'solved for the action the worker checks');
    assert.equal(call.hostname, new URL(WORKER).hostname, 'solved on the worker’s own page');
  }
  await until(async () => (await guardedTickets(subject)).length === 1, 'the ticket');
  const [row] = await guardedTickets(subject);
  const ticket = await (await fetch(`${WORKER}/v1/agent/tickets/${row.id}`, { headers: { authorization: `Bearer ${AGENT}` } })).json();
  assert.equal(ticket.message, message);
  // The refused send is the one failed load; nothing else, no CSP violation.
  assert.deepEqual(problems, ['Failed to load resource: the server responded with a status of 403 (Forbidden)']);
  await context.close();
});

test('the API refuses a missing, forged or spent token, and says so when siteverify is down', async () => {
  const subject = `Direct ${Date.now()}`;
  const code = async (response) => [response.status, (await response.json()).code];
  assert.deepEqual(await code(await post({}, subject)), [403, 'turnstile_failed']);
  assert.deepEqual(await code(await post({ 'buoy-turnstile': 'ticket~127.0.0.1~forged' }, subject)), [403, 'turnstile_failed']);
  // A token issued for this page and action passes once, and only once.
  const token = randomBytes(12).toString('hex');
  issued.add(token);
  const pass = `ticket~${new URL(WORKER).hostname}~${token}`;
  assert.equal((await post({ 'buoy-turnstile': pass }, subject)).status, 201);
  assert.deepEqual(await code(await post({ 'buoy-turnstile': pass }, subject)), [403, 'turnstile_failed']);
  // Solved for another action, or on another hostname: refused even though siteverify says success.
  for (const [action, host] of [['login', new URL(WORKER).hostname], ['ticket', 'evil.example']]) {
    const other = randomBytes(12).toString('hex');
    issued.add(other);
    assert.deepEqual(await code(await post({ 'buoy-turnstile': `${action}~${host}~${other}` }, subject)), [403, 'turnstile_failed']);
  }
  // siteverify unreachable: a 503 with a code the panel retries, never a ticket without a check.
  verdicts.push('down');
  const fresh = randomBytes(12).toString('hex');
  issued.add(fresh);
  assert.deepEqual(await code(await post({ 'buoy-turnstile': `ticket~${new URL(WORKER).hostname}~${fresh}` }, subject)), [503, 'turnstile_unavailable']);
  assert.equal((await guardedTickets(subject)).length, 1, 'only the one good token made a ticket');
});
