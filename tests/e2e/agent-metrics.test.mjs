// Per-agent and per-group metrics, end to end under workerd: on the
// `team` site (no other test writes to it), two agents answer and solve
// tickets in two groups (billing tickets are routed to `finance`, the rest
// to none) and a requester rates one. The lead sees both agents' rows and
// the groups' with the right counts, first responses and CSAT, in JSON,
// CSV and the console (axe finds nothing); each agent sees only their own
// row, and is refused another's.
// `cargo xtask test` starts the worker and passes:
//   BUOY_WORKER_URL, BUOY_TEAM_ANA_TOKEN, BUOY_TEAM_BEN_TOKEN,
//   BUOY_TEAM_LEAD_TOKEN, BUOY_CHROMIUM.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium } from '../chromium.mjs';
import { violations } from '../axe.mjs';
import { call } from '../api.mjs';

const WORKER = process.env.BUOY_WORKER_URL;
const ANA = process.env.BUOY_TEAM_ANA_TOKEN;
const BEN = process.env.BUOY_TEAM_BEN_TOKEN;
const LEAD = process.env.BUOY_TEAM_LEAD_TOKEN;
const ANA_NAME = 'Team agent Ana';
const BEN_NAME = 'Team agent Ben';

const DAY_MS = 86_400_000;
const utcDay = (offset = 0) => new Date(Date.now() + offset * DAY_MS).toISOString().slice(0, 10);
const PERIOD = new URLSearchParams({ from: utcDay(-1), to: utcDay(1), tz: 'UTC' }).toString();

let browser;
/** How long, in whole seconds rounded up, the seeding took: no duration measured can be longer. */
let longest = 0;

/** The CSV `path` answers `token` with: its status and text. */
async function csvOf(path, token) {
  const response = await fetch(`${WORKER}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, text: await response.text() };
}

async function ok(path, body, token) {
  const answer = await call(path, { body, token });
  assert.ok(answer.status >= 200 && answer.status < 300, `${path}: ${answer.status} ${JSON.stringify(answer.json)}`);
  return answer.json;
}

async function file(type) {
  const body = { site: 'team', name: 'Ada', email: 'ada@example.com', type, subject: `Team ${type} ${crypto.randomUUID()}`, message: 'Help, please.' };
  const answer = await call('/v1/tickets', { body });
  assert.equal(answer.status, 201, JSON.stringify(answer.json));
  return answer.json;
}

const reply = (ticket, token, pub = true) => ok(`/v1/agent/tickets/${ticket.id}/messages`, { body: pub ? 'On it.' : 'A note for the team.', public: pub }, token);
const solve = (ticket, token) => ok(`/v1/agent/tickets/${ticket.id}/changes`, { status: 'solved' }, token);

before(async () => {
  assert.ok(WORKER && ANA && BEN && LEAD, 'run through `cargo xtask test`, which starts the worker');
  const started = Date.now();
  // A billing ticket (group finance): Ana answers and solves it; rated satisfied.
  const invoice = await file('billing');
  assert.equal((await ok(`/v1/agent/tickets/${invoice.id}`, null, LEAD)).group, 'finance');
  await reply(invoice, ANA);
  await solve(invoice, ANA);
  const rated = await call(`/v1/tickets/${invoice.id}/csat`, { body: { satisfied: true }, requester: invoice.requester_token });
  assert.equal(rated.status, 201, JSON.stringify(rated.json));
  // A bug (no group): Ben answers first, Ana too, Ben solves it.
  const bug = await file('bug');
  await reply(bug, BEN);
  await reply(bug, ANA);
  await solve(bug, BEN);
  // A question nobody has answered: Ben's internal note handles nothing.
  const question = await file('how_to');
  await reply(question, BEN, false);
  longest = Math.ceil((Date.now() - started) / 1000);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

/** What a row says, durations as whether they were measured and fit the seeding time. */
function summary(row) {
  const measured = (d) => d.count && d.calendar.median !== null && d.calendar.median >= 0 && d.calendar.median <= longest;
  return {
    who: row.agent ?? row.group ?? null,
    tickets: row.tickets,
    replies: row.replies,
    solved: row.solved,
    first_responses: row.first_response.count,
    first_response_measured: Boolean(measured(row.first_response)),
    resolutions: row.resolution.count,
    rated: row.csat.rated,
    csat: row.csat.percent,
  };
}

const ANA_ROW = { who: ANA_NAME, tickets: 2, replies: 2, solved: 1, first_responses: 1, first_response_measured: true, resolutions: 1, rated: 1, csat: 100 };
const BEN_ROW = { who: BEN_NAME, tickets: 1, replies: 1, solved: 1, first_responses: 1, first_response_measured: true, resolutions: 1, rated: 0, csat: null };
const NO_AGENT = { who: null, tickets: 1, replies: 0, solved: 0, first_responses: 0, first_response_measured: false, resolutions: 0, rated: 0, csat: null };
const FINANCE = { who: 'finance', tickets: 1, replies: 1, solved: 1, first_responses: 1, first_response_measured: true, resolutions: 1, rated: 1, csat: 100 };
const NO_GROUP = { who: null, tickets: 2, replies: 2, solved: 1, first_responses: 1, first_response_measured: true, resolutions: 1, rated: 0, csat: null };

test('the lead sees every agent\'s row and every group\'s, with the counts, first responses and CSAT of what happened', async () => {
  const data = await ok(`/v1/agent/metrics?${PERIOD}`, null, LEAD);
  assert.equal(data.site, 'team');
  assert.equal(data.tickets, 3);
  assert.equal(data.all_agents, true);
  assert.deepEqual(data.by_agent.map(summary), [ANA_ROW, BEN_ROW, NO_AGENT], JSON.stringify(data.by_agent));
  assert.equal(data.by_agent[2].key, null, 'the no-agent row has no key');
  assert.match(data.by_agent[0].key, /^[0-9a-z]{1,7}$/);
  assert.deepEqual(data.by_group.map(summary), [FINANCE, NO_GROUP], JSON.stringify(data.by_group));
  // Ben's first response was measured on the bug, Ana's on the invoice: the group rows hold the same durations.
  assert.equal(data.by_group[0].first_response.calendar.median, data.by_agent[0].first_response.calendar.median);
  assert.equal(data.by_group[1].first_response.calendar.median, data.by_agent[1].first_response.calendar.median);
  assert.deepEqual(data.previous.by_agent, [], 'nothing in the days before');

  const one = await ok(`/v1/agent/metrics?${PERIOD}&agent=${encodeURIComponent(BEN_NAME)}`, null, LEAD);
  assert.deepEqual(one.by_agent.map(summary), [BEN_ROW]);
  assert.equal(one.all_agents, false);
  assert.equal(one.by_group.length, 2, 'a lead asking for one agent still sees the groups');

  const csv = await csvOf(`/v1/agent/metrics.csv?${PERIOD}`, LEAD);
  assert.equal(csv.status, 200);
  const lines = csv.text.split('\r\n');
  // The days before had no rows: their column is empty.
  for (const row of [`by_agent,${ANA_NAME}_tickets,2,`, `by_agent,${ANA_NAME}_csat_percent_satisfied,100.0,`, `by_agent,${BEN_NAME}_solved,1,`, `by_agent,${BEN_NAME}_csat_rated,0,`, 'by_agent,(no agent)_tickets,1,', 'by_agent,(no agent)_first_response_median_seconds,,', 'by_group,finance_tickets,1,', 'by_group,(no group)_replies,2,']) {
    assert.ok(lines.includes(row), `${row} in\n${csv.text}`);
  }
});

test('an agent sees only their own row, and asking for another agent\'s is refused', async () => {
  for (const [token, name, expected] of [[ANA, ANA_NAME, ANA_ROW], [BEN, BEN_NAME, BEN_ROW]]) {
    for (const asked of ['', `&agent=${encodeURIComponent(name)}`]) {
      const data = await ok(`/v1/agent/metrics?${PERIOD}${asked}`, null, token);
      assert.deepEqual(data.by_agent.map(summary), [expected], `${name}${asked}`);
      assert.deepEqual(data.by_group, [], 'no group rows for an agent');
      assert.equal(data.all_agents, false);
      assert.equal(data.tickets, 3, 'the overall figures stay the site\'s');
    }
  }
  const refused = await call(`/v1/agent/metrics?${PERIOD}&agent=${encodeURIComponent(BEN_NAME)}`, { token: ANA });
  assert.equal(refused.status, 403, JSON.stringify(refused.json));
  assert.equal(refused.json.code, 'forbidden');
  assert.match(refused.json.detail, /^agent: /);
  const refusedCsv = await csvOf(`/v1/agent/metrics.csv?${PERIOD}&agent=${encodeURIComponent(BEN_NAME)}`, ANA);
  assert.equal(refusedCsv.status, 403);
  const csv = await csvOf(`/v1/agent/metrics.csv?${PERIOD}`, ANA);
  // Her own row is always there, zeros and all: the days before show 0.
  assert.ok(csv.text.split('\r\n').includes(`by_agent,${ANA_NAME}_tickets,2,0`), csv.text);
  assert.ok(!csv.text.includes(BEN_NAME) && !csv.text.includes('by_group') && !csv.text.includes('(no agent)'), csv.text);
});

/** The console signed in with `token` on the metrics view of the period. */
async function metricsPage(token) {
  const context = await browser.newContext({ locale: 'en-US', timezoneId: 'UTC', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  await page.goto(`${WORKER}/console/#view=metrics&${PERIOD}`);
  const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/agent/metrics').then((r) => r.json());
  await page.getByLabel('Agent token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const data = await answered;
  await page.locator('#m-body:not([hidden])').waitFor();
  return { page, context, problems, data };
}

const tableRows = (locator) => locator.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
const HEAD = ['Tickets handled', 'Replies', 'Solved', 'First response median', 'Resolution median', 'CSAT'];

test('the console shows the lead a table per agent and per group, and axe finds nothing', { timeout: 90_000 }, async () => {
  const { page, context, problems, data } = await metricsPage(LEAD);
  const agents = page.locator('[data-table="by-agent"] table');
  assert.equal(await agents.locator('caption').textContent(), 'By agent');
  assert.deepEqual(await agents.locator('thead th').allTextContents(), ['Agent', ...HEAD]);
  assert.deepEqual(await agents.locator('thead th').evaluateAll((ths) => ths.map((th) => th.scope)), Array(7).fill('col'));
  const rows = await tableRows(agents);
  assert.deepEqual(rows.map((r) => r.slice(0, 4)), [[ANA_NAME, '2', '2', '1'], [BEN_NAME, '1', '1', '1'], ['No agent yet', '1', '0', '0']]);
  assert.deepEqual(rows.map((r) => r[6]), ['100.0% of 1 rating', 'no ratings', 'no ratings']);
  assert.equal(rows[2][4], 'no data', 'no first response without a reply');
  assert.match(rows[0][4], /^\d+ s$|^\d+ m( \d+ s)?$|^0 s$/, 'a first response of seconds');
  assert.deepEqual(await agents.locator('tbody th').evaluateAll((ths) => ths.map((th) => th.scope)), ['row', 'row', 'row']);
  const groups = page.locator('[data-table="by-group"] table');
  assert.equal(await groups.locator('caption').textContent(), 'By group');
  assert.deepEqual(await groups.locator('thead th').allTextContents(), ['Group', 'Tickets', ...HEAD.slice(1)]);
  assert.deepEqual((await tableRows(groups)).map((r) => [r[0], r[1], r[3], r[6]]), [['finance', '1', '1', '100.0% of 1 rating'], ['No group', '2', '1', 'no ratings']]);
  assert.equal(data.by_agent.length, 3);
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    assert.deepEqual(await violations(page), [], scheme);
  }
  assert.deepEqual(problems, []);
  await context.close();
});

test('the console shows an agent their own figures only', { timeout: 60_000 }, async () => {
  const { page, context, problems } = await metricsPage(BEN);
  const mine = page.locator('[data-table="by-agent"] table');
  assert.equal(await mine.locator('caption').textContent(), 'Your figures');
  assert.deepEqual((await tableRows(mine)).map((r) => r.slice(0, 4)), [[BEN_NAME, '1', '1', '1']]);
  assert.equal(await page.locator('[data-table="by-group"] table').count(), 0);
  assert.equal(await page.locator('[data-table="by-group"]').textContent(), 'Leads and admins see every agent’s figures and each group’s.');
  assert.equal(await page.locator('#metrics-view').getByText(ANA_NAME).count(), 0, 'nothing of Ana on his metrics page');
  assert.deepEqual(await violations(page), []);
  assert.deepEqual(problems, []);
  await context.close();
});
