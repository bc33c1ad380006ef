// The console's metrics page, end to end: tickets, replies, solves,
// ratings and guided fixes go in through the API; Chromium opens
// /console/ on the worker (under workerd with local KV), signs in and
// checks that what an agent sees is what GET /v1/agent/metrics answers:
// tiles, SVG charts with accessible names and table views, breakdowns, and
// a CSV download fetched with the bearer token. The split by channel is
// seen on the `mail` site (its agent's token), which takes mail at its
// intake address: a ticket from the form and one mailed in.
// Other test files write to the same site at the same time, so figures are
// compared with the answer the page itself received (and with a direct
// fetch of the same URL when nothing was written in between).
// `cargo xtask test` starts the worker and passes:
//   BUOY_WORKER_URL, BUOY_AGENT_TOKEN, BUOY_MAIL_AGENT_TOKEN, BUOY_CHROMIUM.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import { launchChromium } from '../chromium.mjs';

const WORKER = process.env.BUOY_WORKER_URL;
const TOKEN = process.env.BUOY_AGENT_TOKEN;
const MAIL_TOKEN = process.env.BUOY_MAIL_AGENT_TOKEN;
const INTAKE = 'support@mail.example';
const CONSOLE = `${WORKER}/console/`;
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' blob:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";
const XSS = '<img src=x onerror=window.__xss=1>';

let browser;
let me;
const seeded = { tickets: 0 };

// ---------------------------------------------------------------- helpers

async function call(path, { body, token = TOKEN, headers = {} } = {}) {
  const response = await fetch(`${WORKER}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // CSV, or an empty body.
  }
  return { status: response.status, json, text, headers: response.headers };
}

/** An agent API call that must succeed (the demo site's agent, unless `token` says otherwise). */
async function agentApi(path, body, token = TOKEN) {
  const answer = await call(path, { body, token });
  assert.ok(answer.status >= 200 && answer.status < 300, `${path}: ${answer.status} ${answer.text}`);
  return answer.json;
}

async function fileTicket(fields = {}) {
  const body = { site: 'demo', name: 'Ada Lovelace', email: 'ada@example.com', type: 'bug', subject: `Figures wanted ${crypto.randomUUID()}`, message: 'Numbers, please.', ...fields };
  const answer = await call('/v1/tickets', { body, token: null });
  assert.equal(answer.status, 201, answer.text);
  seeded.tickets += 1;
  return answer.json;
}

async function rate(ticket, satisfied) {
  const answer = await call(`/v1/tickets/${ticket.id}/csat`, { body: { satisfied }, token: null, headers: { 'buoy-requester-token': ticket.requester_token } });
  assert.equal(answer.status, 201, answer.text);
}

async function deflection(outcome) {
  const answer = await call('/v1/deflections', { body: { site: 'demo', type: 'password_reset', outcome }, token: null });
  assert.equal(answer.status, 201, answer.text);
}

const DAY_MS = 86_400_000;
const utcDay = (offset = 0) => new Date(Date.now() + offset * DAY_MS).toISOString().slice(0, 10);
const metricsQuery = ({ from, to, tz }) => new URLSearchParams({ from, to, tz }).toString();
/** Drops what may differ between two answers for the same data. */
const figures = ({ kv_operations: _, ...rest }) => rest;

/** The same text the console shows for a duration in seconds. */
function humanDuration(seconds) {
  if (seconds === null || seconds === undefined) return 'no data';
  const s = Math.round(Math.abs(seconds));
  const units = [['d', Math.floor(s / 86400)], ['h', Math.floor((s % 86400) / 3600)], ['m', Math.floor((s % 3600) / 60)], ['s', s % 60]];
  const first = units.findIndex(([, n]) => n > 0);
  if (first < 0) return '0 s';
  return units.slice(first, first + 2).filter(([, n]) => n > 0).map(([u, n]) => `${n} ${u}`).join(' ');
}
const percent = (p) => (p === null ? 'no data' : `${p.toFixed(1)}%`);
const human = (v) => { const t = String(v).replace(/_/g, ' '); return t.charAt(0).toUpperCase() + t.slice(1); };
const longDay = (day) => new Date(`${day}T00:00:00Z`).toLocaleDateString('en-US', { timeZone: 'UTC', dateStyle: 'medium' });

/** The console in a fresh context, recording console errors, uncaught exceptions and CSP violations. */
async function openConsole(hash = '', { timezoneId = 'UTC' } = {}) {
  const context = await browser.newContext({ locale: 'en-US', timezoneId, acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  const urls = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('request', (r) => urls.push(r.url()));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.goto(`${CONSOLE}${hash}`);
  return { page, problems, context, urls };
}

async function signIn(page, token = TOKEN) {
  await page.getByLabel('Agent token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** The next metrics answer the page receives, as JSON. */
function nextMetrics(page) {
  return page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/agent/metrics').then(async (r) => ({ status: r.status(), url: r.url(), json: await r.json() }));
}

/** Texts of a table's body rows, cell by cell. */
const tableRows = (locator) => locator.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));

/** A field of the period form (chart names mention "from" too). */
const field = (page, label) => page.locator('#period').getByLabel(label, { exact: true });
const tile = (page, key) => page.locator(`#m-kpis [data-kpi="${key}"]`);
const chart = (page, key) => page.locator(`#m-charts figure[data-chart="${key}"]`);

// ---------------------------------------------------------------- setup

before(async () => {
  assert.ok(WORKER && TOKEN, 'run through `cargo xtask test`, which starts the worker');
  browser = await launchChromium();
  me = await agentApi('/v1/agent/me');
  // Two tickets answered and solved, one rated satisfied and one not; one
  // with two replies (so not a first-contact resolution); a feature
  // request whose subject is markup; one left new. Two guided fixes.
  const quick = await fileTicket({ type: 'bug' });
  await agentApi(`/v1/agent/tickets/${quick.id}/messages`, { body: 'Fixed on our side.' });
  await agentApi(`/v1/agent/tickets/${quick.id}/changes`, { status: 'solved' });
  await rate(quick, true);
  const slow = await fileTicket({ type: 'billing' });
  await agentApi(`/v1/agent/tickets/${slow.id}/messages`, { body: 'Looking into it.' });
  await agentApi(`/v1/agent/tickets/${slow.id}/messages`, { body: 'Refunded.' });
  await agentApi(`/v1/agent/tickets/${slow.id}/changes`, { status: 'solved' });
  await rate(slow, false);
  await fileTicket({ type: 'feature_request', subject: `Please add a dark mode ${XSS}` });
  await fileTicket({ type: 'how_to' });
  await deflection('fixed');
  await deflection('need_help');
});

after(async () => {
  await browser?.close();
});

// ---------------------------------------------------------------- tests

test('the metrics script is served with the console\'s CSP and draws no HTML from strings', async () => {
  const response = await fetch(`${WORKER}/console/metrics.js`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-security-policy'), CSP);
  assert.match(response.headers.get('content-type') ?? '', /javascript/);
  const source = await readFile(new URL('../../www/console/metrics.js', import.meta.url), 'utf8');
  for (const sink of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'eval(', 'new Function', '.href', "'style'", 'import(']) {
    assert.ok(!source.includes(sink), `metrics.js must not use ${sink}`);
  }
  // It makes no link itself: the CSV is saved through dom.js's saveBlob,
  // whose one link is an object URL minted from the response.
  assert.equal(source.match(/setAttribute\('href'/g), null);
  assert.match(source, /saveBlob\(blob, `buoy-metrics-/);
  const dom = await readFile(new URL('../../www/console/dom.js', import.meta.url), 'utf8');
  assert.deepEqual(dom.match(/setAttribute\('href', [^)]*\)/g), ["setAttribute('href', url)"]);
  assert.match(dom, /const url = URL\.createObjectURL\(blob\);/);
});

test('the tiles, charts and tables show what the API answers for a period that includes today', { timeout: 90_000 }, async () => {
  const period = { from: utcDay(-6), to: utcDay(1), tz: 'UTC' };
  const url = `/v1/agent/metrics?${metricsQuery(period)}`;
  const before = figures(await agentApi(url));
  const { page, problems, context } = await openConsole(`#view=metrics&${metricsQuery(period)}`);
  const answered = nextMetrics(page);
  await signIn(page);
  const answer = await answered;
  assert.equal(answer.status, 200);
  assert.equal(new URL(answer.url).search, `?${metricsQuery(period)}`, 'the page asks for the period in its URL');
  const data = answer.json;
  const after = figures(await agentApi(url));
  // Nothing else wrote in between: the page got exactly what a direct fetch gets.
  if (isDeepStrictEqual(before, after)) assert.deepEqual(figures(data), after);
  assert.equal(data.from, period.from);
  assert.equal(data.to, period.to);
  assert.ok(data.tickets >= seeded.tickets, `${data.tickets} tickets`);
  assert.ok(data.csat.rated >= 2 && data.deflection.started >= 2 && data.first_response.count >= 2, JSON.stringify(data));

  await tile(page, 'tickets').waitFor();
  await page.getByRole('heading', { name: 'Metrics' }).waitFor();
  assert.equal(await page.title(), 'Metrics — Buoy console');
  assert.equal(await page.getByRole('button', { name: 'Metrics', exact: true }).getAttribute('aria-current'), 'page');
  assert.equal(await field(page, 'From').inputValue(), period.from);
  assert.equal(await field(page, 'Through').inputValue(), utcDay(0), 'the last day shown is included');
  assert.equal(await field(page, 'Time zone').inputValue(), 'UTC');

  // Tiles: the figures of the answer, formatted, and the change against the
  // previous week (empty in a fresh KV: nothing is filed in the past).
  const value = (key) => tile(page, key).locator('.value').textContent();
  const expected = {
    csat: percent(data.csat.percent),
    response_rate: percent(data.csat.response_rate),
    first_response: humanDuration(data.first_response.calendar.median),
    resolution: humanDuration(data.resolution.calendar.median),
    sla: percent(data.sla.percent),
    escalation: percent(data.escalation.percent),
    fcr: percent(data.first_contact_resolution.percent),
    deflection: percent(data.deflection.percent),
    article_links: percent(data.article_links.percent),
    tickets: String(data.tickets),
  };
  for (const [key, text] of Object.entries(expected)) assert.equal(await value(key), text, key);
  assert.match(expected.first_response, /^\d+ [dhms]( \d+ [hms])?$/);
  const names = await page.locator('#m-kpis dt').allTextContents();
  assert.deepEqual(names, ['CSAT', 'Survey response rate', 'Median first response', 'Median time to resolution', 'SLA attainment', 'Escalation rate', 'First-contact resolution', 'Deflection', 'Replies linking an article', 'Ticket volume']);
  assert.equal(await tile(page, 'csat').locator('.detail').textContent(), `${data.csat.satisfied} of ${data.csat.rated} ratings satisfied`);
  assert.equal(await tile(page, 'deflection').locator('.detail').textContent(), `${data.deflection.fixed} of ${data.deflection.started} guided fixes solved the problem`);
  assert.equal(data.previous.tickets, 0);
  assert.equal(await tile(page, 'tickets').locator('.change').textContent(), `▲ up ${data.tickets} (from none) vs the previous 7 days`);
  assert.equal(await tile(page, 'csat').locator('.change').textContent(), 'no data to compare vs the previous 7 days');

  // Charts: an SVG each, with a name, one bar per figure, and a table of the same numbers.
  const bars = { volume: data.volume.by_day.length, frt: data.first_response.histogram.length, ttr: data.resolution.histogram.length, csat: data.csat.by_segment.length, sla: data.sla.targets.length };
  assert.equal(bars.volume, 7);
  assert.deepEqual(await page.locator('#m-charts figure').evaluateAll((fs) => fs.map((f) => f.dataset.chart)), Object.keys(bars));
  for (const [key, n] of Object.entries(bars)) {
    const figure = chart(page, key);
    const svg = figure.locator('svg');
    assert.equal(await svg.getAttribute('role'), 'img', key);
    const label = await svg.getAttribute('aria-label');
    assert.ok(label && label.length > 20, `${key}: ${label}`);
    assert.equal(await svg.locator('title').first().textContent(), label, key);
    assert.ok(await page.getByRole('img', { name: label }).isVisible(), key);
    assert.ok((await figure.locator('figcaption').textContent()).length > 0, key);
    assert.equal(await svg.locator('rect.bar').count(), n, key);
    await figure.getByText('Show as table').click();
    assert.ok(await figure.locator('table').isVisible(), key);
    assert.equal(await figure.locator('table tbody tr').count(), n, key);
  }
  // Bars are as tall as their figures.
  const heights = await chart(page, 'volume').locator('rect.bar').evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('height'))));
  const counts = data.volume.by_day.map((d) => d.count);
  const top = Math.max(...counts);
  assert.ok(top >= seeded.tickets && counts.at(-1) >= seeded.tickets, 'today has the tickets filed here');
  heights.forEach((h, i) => assert.ok(Math.abs(h / heights[counts.indexOf(top)] - counts[i] / top) < 1e-6, `bar ${i}`));
  assert.ok((await chart(page, 'volume').locator('svg').getAttribute('aria-label')).includes(`${data.tickets} tickets over 7 days`));

  assert.deepEqual(await tableRows(chart(page, 'volume').locator('table')), data.volume.by_day.map((d) => [longDay(d.day), String(d.count)]));
  for (const [key, metric] of [['frt', data.first_response], ['ttr', data.resolution]]) {
    const rows = await tableRows(chart(page, key).locator('table'));
    assert.deepEqual(rows.map((r) => r[1]), metric.histogram.map((b) => String(b.count)), key);
    assert.equal(rows[0][0], `under ${humanDuration(metric.histogram[0].upto)}`, key);
    assert.equal(rows.at(-1)[0], `over ${humanDuration(metric.histogram.at(-2).upto)}`, key);
  }
  assert.deepEqual(await tableRows(chart(page, 'csat').locator('table')),
    data.csat.by_segment.map((s) => [human(s.segment), String(s.satisfied), String(s.rated), percent(s.percent)]));
  const targetNames = { first_response: 'First response', next_response: 'Next response', resolution: 'Resolution' };
  assert.deepEqual(await tableRows(chart(page, 'sla').locator('table')),
    data.sla.targets.map((t) => [targetNames[t.metric], String(t.met), String(t.breached), percent(t.percent)]));

  // Breakdowns: volume by type (with the API's labels) and segment, feature requests.
  const typeLabel = (v) => me.options.type.find((o) => o.value === v)?.label ?? v;
  assert.deepEqual(await tableRows(page.locator('[data-table="by-type"] table')), data.volume.by_type.map((t) => [typeLabel(t.type), String(t.count)]));
  assert.deepEqual(await tableRows(page.locator('[data-table="by-segment"] table')), data.volume.by_segment.map((s) => [human(s.segment), String(s.count)]));
  assert.ok(data.feature_requests.some((f) => f.example.includes(XSS)), JSON.stringify(data.feature_requests));
  assert.deepEqual(await tableRows(page.locator('[data-table="feature-requests"] table')), data.feature_requests.map((f) => [f.topic, String(f.count), f.example]));

  // A subject made of markup stays text.
  const report = await page.evaluate(() => ({ xss: window.__xss, images: document.querySelectorAll('img').length, links: document.querySelectorAll('a').length }));
  assert.deepEqual(report, { xss: undefined, images: 0, links: 0 });
  // Every control has a label; the page's headings are the console's and this view's.
  const a11y = await page.evaluate(() => ({
    unlabelled: [...document.querySelectorAll('input, select, textarea')].filter((c) => c.labels.length === 0).map((c) => c.id),
    headings: [...document.querySelectorAll('h1, h2')].filter((h) => h.offsetParent).map((h) => h.textContent),
  }));
  assert.deepEqual(a11y, { unlabelled: [], headings: ['Buoy console', 'Metrics'] });
  assert.deepEqual(problems, []);
  await context.close();
});

test('Download CSV fetches the figures with the bearer token and saves them as a file', { timeout: 60_000 }, async () => {
  const period = { from: utcDay(-6), to: utcDay(1), tz: 'UTC' };
  const { page, problems, context, urls } = await openConsole(`#view=metrics&${metricsQuery(period)}`);
  const answered = nextMetrics(page);
  await signIn(page);
  const { json: data } = await answered;
  await tile(page, 'tickets').waitFor();
  const fetched = page.waitForRequest((r) => new URL(r.url()).pathname === '/v1/agent/metrics.csv');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV', exact: true }).click()]);
  const request = await fetched;
  assert.equal(new URL(request.url()).search, `?${metricsQuery(period)}`);
  assert.equal(await request.headerValue('authorization'), `Bearer ${TOKEN}`);
  assert.match(download.suggestedFilename(), new RegExp(`^buoy-metrics-${period.from}-to-${utcDay(0)}-UTC\\.csv$`));
  assert.match(download.url(), /^blob:/);
  const text = Buffer.concat(await (await download.createReadStream()).toArray()).toString('utf8');
  const lines = text.split('\r\n');
  assert.equal(lines[0], `section,item,${period.from}_to_${period.to},${utcDay(-13)}_to_${period.from}`);
  const tickets = lines.find((l) => l.startsWith('volume,tickets,'));
  assert.ok(tickets, text);
  // The file holds the page's figures (more, if a ticket came in since).
  assert.ok(Number(tickets.split(',')[2]) >= data.tickets, `${tickets} vs ${data.tickets}`);
  assert.equal(tickets.split(',')[3], '0');
  assert.ok(lines.includes(`volume_by_day,${utcDay(-6)},0,`), text);
  await page.getByRole('status').filter({ hasText: 'CSV downloaded.' }).waitFor();
  // The token never travels in a URL, and no link is left behind.
  assert.deepEqual(urls.filter((u) => u.includes(TOKEN)), []);
  assert.equal(await page.locator('a').count(), 0);
  assert.deepEqual(problems, []);
  await context.close();
});

test('the period picker: presets, chosen days, an offset zone, and a zone the worker does not know falls back to UTC', { timeout: 90_000 }, async () => {
  // The browser says Paris, but the page asks in the business calendar's
  // zone (UTC for the test worker), the one the worker counts days in.
  const refused = await call(`/v1/agent/metrics?${metricsQuery({ from: utcDay(-27), to: utcDay(1), tz: 'Mars/Olympus' })}`);
  assert.equal(refused.status, 400, refused.text);
  assert.ok(refused.json.detail, refused.text);
  const { page, problems, context } = await openConsole('', { timezoneId: 'Europe/Paris' });
  await signIn(page);
  await page.getByRole('heading', { name: 'Queue' }).waitFor();
  const first = nextMetrics(page);
  await page.getByRole('button', { name: 'Metrics', exact: true }).click();
  const asked = await first;
  assert.equal(asked.status, 200);
  assert.equal(new URL(asked.url).searchParams.get('tz'), 'UTC', "the default zone is the business calendar's");
  // A zone the worker does not know: its message, and UTC instead.
  const paris = nextMetrics(page);
  const fallback = page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/agent/metrics' && new URL(r.url()).searchParams.get('tz') === 'UTC');
  fallback.catch(() => {}); // awaited below; a failure before then must not be reported twice
  await field(page, 'Time zone').fill('Mars/Olympus');
  await page.locator('#period').getByRole('button', { name: 'Show', exact: true }).click();
  assert.equal((await paris).status, 400);
  assert.equal((await fallback).status(), 200);
  const sentence = /[.!?]$/.test(refused.json.detail) ? refused.json.detail : `${refused.json.detail}.`;
  await page.getByRole('status').filter({ hasText: `${sentence} Showing UTC instead.` }).waitFor();
  assert.equal(await field(page, 'Time zone').inputValue(), 'UTC');
  const hash = new URLSearchParams(new URL(page.url()).hash.slice(1));
  assert.equal(hash.get('view'), 'metrics');
  assert.equal(hash.get('tz'), 'UTC');
  // The default period: the last 28 days, today included.
  assert.equal(await page.getByRole('button', { name: 'Last 28 days', exact: true }).getAttribute('aria-pressed'), 'true');
  await page.waitForFunction(() => document.querySelectorAll('[data-chart="volume"] rect.bar').length === 28);
  await page.getByRole('heading', { name: 'Metrics' }).waitFor();

  // A preset.
  let answered = nextMetrics(page);
  await page.getByRole('button', { name: 'Last 7 days', exact: true }).click();
  let answer = await answered;
  assert.equal(answer.status, 200);
  assert.deepEqual([answer.json.from, answer.json.to, answer.json.tz], [utcDay(-6), utcDay(1), 'UTC']);
  await page.waitForFunction(() => document.querySelectorAll('[data-chart="volume"] rect.bar').length === 7);
  assert.equal(await page.getByRole('button', { name: 'Last 7 days', exact: true }).getAttribute('aria-pressed'), 'true');
  assert.equal(await page.getByRole('button', { name: 'Last 28 days', exact: true }).getAttribute('aria-pressed'), 'false');

  // Days picked by hand, long before any ticket: every figure says so.
  answered = nextMetrics(page);
  await field(page, 'From').fill('2020-01-06');
  await field(page, 'Through').fill('2020-01-12');
  await page.getByRole('button', { name: 'Show', exact: true }).click();
  answer = await answered;
  assert.deepEqual([answer.json.from, answer.json.to, answer.json.tickets], ['2020-01-06', '2020-01-13', 0]);
  await page.locator('#m-period', { hasText: 'Jan 6, 2020 – Jan 12, 2020 (7 days, UTC)' }).waitFor();
  for (const key of ['csat', 'response_rate', 'first_response', 'resolution', 'sla', 'escalation', 'fcr', 'deflection']) {
    assert.equal(await tile(page, key).locator('.value').textContent(), 'no data', key);
  }
  assert.equal(await tile(page, 'tickets').locator('.value').textContent(), '0');
  assert.equal(await tile(page, 'tickets').locator('.change').textContent(), 'no change vs the previous 7 days');
  const heights = await chart(page, 'volume').locator('rect.bar').evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('height'))));
  assert.deepEqual(heights, [0, 0, 0, 0, 0, 0, 0]);
  assert.equal(await chart(page, 'volume').locator('svg').getAttribute('aria-label'), 'No tickets from Jan 6, 2020 to Jan 12, 2020.');
  assert.equal(await chart(page, 'frt').locator('svg').getAttribute('aria-label'), 'No first response times in this period.');
  assert.equal(await chart(page, 'csat').locator('svg').getAttribute('aria-label'), 'No ratings in this period.');
  assert.equal(await page.locator('[data-table="feature-requests"]').textContent(), 'Top feature requestsNo feature requests in this period.');

  // A fixed offset is a zone the worker takes.
  answered = nextMetrics(page);
  await field(page, 'Time zone').fill('+05:30');
  await page.getByRole('button', { name: 'Show', exact: true }).click();
  answer = await answered;
  assert.equal(answer.status, 200);
  assert.equal(answer.json.tz, '+05:30');
  await page.locator('#m-period', { hasText: '(7 days, +05:30)' }).waitFor();

  // The hash is the state: a reload shows the same period; the queue is one click away.
  await page.reload();
  await page.locator('#m-period', { hasText: 'Jan 6, 2020 – Jan 12, 2020 (7 days, +05:30)' }).waitFor();
  await page.getByRole('button', { name: 'Queue', exact: true }).click();
  await page.getByRole('heading', { name: 'Queue' }).waitFor();
  assert.equal(await page.getByRole('heading', { name: 'Metrics' }).isVisible(), false);
  assert.equal(await page.getByRole('button', { name: 'Queue', exact: true }).getAttribute('aria-current'), 'page');
  // Signing out leaves no figure on the page.
  await page.getByRole('button', { name: 'Sign out' }).click();
  assert.equal(await page.locator('#m-kpis > *, #m-charts > *').count(), 0);
  // The refused zone answered 400, which Chromium logs as a failed load; nothing else may be logged.
  assert.deepEqual(problems.filter((p) => !p.includes('400')), []);
  await context.close();
});

test('the changes against the previous period are told with ▲/▼, in points, durations or percent', { timeout: 60_000 }, async () => {
  // Real periods here have an empty week before them, so this one answer
  // is the worker's, with the previous period's figures changed.
  const { page, problems, context } = await openConsole(`#view=metrics&${metricsQuery({ from: utcDay(-6), to: utcDay(1), tz: 'UTC' })}`);
  let body;
  await page.route(/\/v1\/agent\/metrics\?/, async (route) => {
    const response = await route.fetch();
    body = await response.json();
    const previous = structuredClone(body);
    delete previous.previous;
    previous.tickets = 4 * body.tickets;
    previous.csat.percent = body.csat.percent + 12.5;
    previous.first_response.calendar.median = 2 * 3600;
    previous.escalation.percent = 0;
    body.escalation.percent = 5;
    body.first_response.calendar.median = 3600 + 5 * 60;
    await route.fulfill({ response, json: { ...body, previous } });
  });
  await signIn(page);
  await tile(page, 'tickets').waitFor();
  assert.equal(await tile(page, 'tickets').locator('.change').textContent(), '▼ down 75% vs the previous 7 days');
  assert.equal(await tile(page, 'first_response').locator('.value').textContent(), '1 h 5 m');
  assert.equal(await tile(page, 'first_response').locator('.change').textContent(), '▼ down 55 m vs the previous 7 days');
  assert.ok(await tile(page, 'first_response').locator('.change.better').isVisible(), 'a faster first response is good news');
  assert.equal(await tile(page, 'escalation').locator('.change').textContent(), '▲ up 5.0 pts vs the previous 7 days');
  assert.ok(await tile(page, 'escalation').locator('.change.worse').isVisible(), 'more escalations are bad news');
  assert.equal(await tile(page, 'csat').locator('.change').textContent(), '▼ down 12.5 pts vs the previous 7 days');
  assert.ok(await tile(page, 'csat').locator('.change.worse').isVisible());
  assert.equal(await tile(page, 'csat').locator('.value').textContent(), percent(body.csat.percent));
  // The arrows are for the eye; screen readers get "up" and "down".
  assert.equal(await tile(page, 'tickets').locator('.arrow').getAttribute('aria-hidden'), 'true');
  assert.deepEqual(problems, []);
  await context.close();
});

test('volume, first response and resolution are split by channel: a ticket from the form and one mailed in', { timeout: 90_000 }, async () => {
  assert.ok(MAIL_TOKEN, 'the mail site\'s agent token');
  const period = { from: utcDay(-6), to: utcDay(1), tz: 'UTC' };
  const url = `/v1/agent/metrics?${metricsQuery(period)}`;
  const mailApi = (path, body) => agentApi(path, body, MAIL_TOKEN);
  const before = await mailApi(url);
  assert.deepEqual(before.by_channel.map((c) => c.channel), ['widget', 'email'], 'every channel is listed, in order');

  // One from the form, one mailed to the intake address; both answered, the mailed one solved.
  const filed = await call('/v1/tickets', { token: null, body: { site: 'mail', name: 'Ada', email: 'ada@example.com', type: 'bug', subject: `By form ${crypto.randomUUID()}`, message: 'Counted as widget.' } });
  assert.equal(filed.status, 201, filed.text);
  const subject = `Mailed in for metrics ${crypto.randomUUID()}`;
  const raw = readFileSync(new URL('../../shared/tests/mail/intake.eml', import.meta.url), 'utf8')
    .replace('To: support@reply.lumen.example', `To: ${INTAKE}`)
    .replace('Subject: Cannot export my invoices', `Subject: ${subject}`)
    .replace('Message-ID: <intake-0001@mail.example.org>', `Message-ID: <${crypto.randomUUID()}@mail.example.org>`);
  const delivered = await fetch(`${WORKER}/cdn-cgi/handler/email?${new URLSearchParams({ from: 'grace@example.org', to: INTAKE })}`, { method: 'POST', body: raw });
  assert.equal(delivered.status, 200, await delivered.text());
  const mailed = (await mailApi('/v1/agent/tickets?channel=email')).tickets.find((t) => t.subject === subject);
  assert.ok(mailed, `the mailed-in ticket is listed: ${subject}`);
  assert.equal(mailed.channel, 'email');
  for (const id of [filed.json.id, mailed.id]) await mailApi(`/v1/agent/tickets/${id}/messages`, { body: 'On it.' });
  await mailApi(`/v1/agent/tickets/${mailed.id}/changes`, { status: 'solved' });

  const after = await mailApi(url);
  const of = (report, channel) => report.by_channel.find((c) => c.channel === channel);
  const moved = (channel) => [
    of(after, channel).tickets - of(before, channel).tickets,
    of(after, channel).first_response.count - of(before, channel).first_response.count,
    of(after, channel).resolution.count - of(before, channel).resolution.count,
  ];
  // Other files may write to the mail site at the same time: the exact
  // split is checked when the overall figures moved by these two tickets
  // alone, and the channels always add up to the whole.
  const overall = [after.tickets - before.tickets, after.first_response.count - before.first_response.count, after.resolution.count - before.resolution.count];
  if (isDeepStrictEqual(overall, [2, 2, 1])) {
    assert.deepEqual(moved('widget'), [1, 1, 0], 'the form\'s ticket: counted, answered, not solved');
    assert.deepEqual(moved('email'), [1, 1, 1], 'the mailed-in ticket: counted, answered, solved');
  } else {
    assert.ok(moved('widget').every((n, i) => n >= [1, 1, 0][i]) && moved('email').every((n) => n >= 1), JSON.stringify(after.by_channel));
  }
  assert.equal(after.by_channel.reduce((sum, c) => sum + c.tickets, 0), after.tickets);
  for (const key of ['first_response', 'resolution']) assert.equal(after.by_channel.reduce((sum, c) => sum + c[key].count, 0), after[key].count, key);
  for (const channel of ['widget', 'email']) assert.ok(of(after, channel).first_response.calendar.median !== null, `${channel} has a first response time`);
  assert.ok(of(after, 'email').resolution.calendar.median !== null, 'the solved mailed-in ticket has a time to resolution');

  // The CSV carries the same rows.
  const csv = await call(`/v1/agent/metrics.csv?${metricsQuery(period)}`, { token: MAIL_TOKEN });
  assert.equal(csv.status, 200);
  const lines = csv.text.split('\r\n');
  for (const channel of ['widget', 'email']) {
    const row = lines.find((l) => l.startsWith(`volume_by_channel,${channel},`));
    assert.ok(row && Number(row.split(',')[2]) >= of(after, channel).tickets, `${row} in\n${csv.text}`);
    assert.ok(lines.some((l) => l.startsWith(`first_response_by_channel,${channel}_median_seconds,`)), channel);
  }

  // The console's metrics view draws the page's own answer as the "By channel" table.
  const { page, problems, context } = await openConsole(`#view=metrics&${metricsQuery(period)}`);
  const answered = nextMetrics(page);
  await signIn(page, MAIL_TOKEN);
  const { status, json: data } = await answered;
  assert.equal(status, 200);
  assert.ok(of(data, 'email').tickets >= 1 && of(data, 'email').resolution.count >= 1, JSON.stringify(data.by_channel));
  const byChannel = page.locator('[data-table="by-channel"] table');
  await byChannel.waitFor();
  assert.equal(await byChannel.locator('caption').textContent(), 'By channel');
  assert.deepEqual(await byChannel.locator('thead th').allTextContents(),
    ['Channel', 'Tickets', 'First response median', 'First response p90', 'Resolution median', 'Resolution p90']);
  const expected = data.by_channel.map((c) => [human(c.channel), String(c.tickets),
    humanDuration(c.first_response.calendar.median), humanDuration(c.first_response.calendar.p90),
    humanDuration(c.resolution.calendar.median), humanDuration(c.resolution.calendar.p90)]);
  assert.deepEqual(await tableRows(byChannel), expected);
  assert.deepEqual(expected.map((r) => r[0]), ['Widget', 'Email']);
  assert.ok(expected.every((r) => r[2] !== 'no data') && expected[1][4] !== 'no data', JSON.stringify(expected));
  assert.deepEqual(await page.locator('#m-tables > [data-table]').evaluateAll((ds) => ds.map((d) => d.dataset.table)), ['by-channel', 'by-agent', 'by-group', 'by-type', 'by-segment', 'feature-requests']);
  assert.deepEqual(problems, []);
  await context.close();
});
