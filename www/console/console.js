// Buoy's agent console: plain DOM, no framework, no build step.
//
// Two rules hold throughout this file:
// - Every ticket field is untrusted text. It reaches the page through
//   `textContent`, `append(string)` (text nodes) and `createElement` only,
//   never as markup, and a URL from a ticket is shown as text, never as a
//   link.
// - The rules live in the API. The queue's order, the allowed values of
//   every control and a ticket's current state come from the responses;
//   this file draws them and sends what the agent picks.
//
// The metrics page lives in metrics.js; this file routes to it and lends it
// the network and the status line.

import { $, el, saveBlob } from './dom.js';
import { initMetrics, showMetrics, clearMetrics, metricsHash } from './metrics.js';
import { initSearch, searchQuery, focusSearch, runSearch, leaveSearch } from './search.js';
import { initAgents, showAgents, clearAgents } from './agents.js';
import { initPrivacy, clearPrivacy } from './privacy.js';
import { initCanned, openPicker, clearCanned, applyCanned, showCanned, clearCannedScreen, mayEditCanned } from './canned.js';
import { initSuggest, showSuggestions } from './suggest.js';

const TOKEN_KEY = 'buoy.agent';
const ACCESS_KEY = 'buoy.access'; // set while Cloudflare Access signs this tab's requests
const PAGE = 50;
const REFRESH_MS = 15_000;
const FILTERS = ['status', 'segment', 'type', 'tier', 'assignee', 'channel', 'group', 'tag', 'field'];
const METRICS = { first_response: 'First response', next_response: 'Next response', resolution: 'Resolution' };

/** `on_hold` → `On hold`: wire names made readable, nothing more. */
function human(value) {
  const text = String(value ?? '').replace(/_/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A `<time>` showing `at` in the agent's locale. */
function time(at) {
  const node = el('time', null);
  const date = new Date(at);
  node.textContent = Number.isNaN(date.getTime()) ? String(at ?? '') : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  if (at) node.dateTime = at;
  return node;
}

/** A span of milliseconds as `2d 3h`, `4h 12m`, `12m 5s` or `40s`. */
function duration(ms) {
  const s = Math.floor(Math.abs(ms) / 1000);
  const [d, h, m, sec] = [Math.floor(s / 86400), Math.floor((s % 86400) / 3600), Math.floor((s % 3600) / 60), s % 60];
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${sec}s`;
  return `${sec}s`;
}

function badge(text, kind) {
  return el('span', `badge ${kind}`, text);
}

// ---------------------------------------------------------------- state

const app = {
  me: null, // GET /v1/agent/me: the agent, their site, the other agents, allowed values
  tickets: [], // the queue, in the order the API gave
  cursor: null, // the next page's cursor, if any
  pages: 0, // how many pages are shown
  selected: -1, // index of the selected ticket in `tickets`
  selectedId: null, // and its id, so a refresh keeps the selection
  ticket: null, // the open ticket's view
  queueRequest: 0, // sequence number of the newest queue request
  queueHash: '', // the queue's hash (its filters), to come back to from the metrics
  files: new Map(), // the open ticket's fetched files: id → Promise of a blob: URL, revoked when another ticket opens
  pending: [], // files chosen for the next reply: { file, key, state, progress, upload, error, retry, done, row }
  own: new Map(), // this agent's changes, drawn in the queue until a listed row is as new: id → { row, at (the worker's clock), seen (this one's) }
  replySeen: null, // the last event the agent saw when they began the reply being typed (its If-Match)
  presence: null, // the open ticket's heartbeat: { id, timer, activity }
  picked: new Set(), // ids of the queue's tickets selected for a bulk change
};

/**
 * How long the queue may lag a change: its rows are written with each
 * change, but a listing can show a write up to a minute late, and the
 * sweep rebuilds a row a minute after the last change.
 */
const QUEUE_LAG_MS = 60_000;

// ---------------------------------------------------------------- network

class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `The server answered ${status}.`);
    this.status = status;
    this.problem = problem || {};
  }
}

/**
 * Calls the API with the stored token (or `options.token` while signing
 * in). A 401 on a stored token signs the agent out with a message. The
 * answer is parsed JSON, or a Blob with `options.blob` (the CSV export).
 */
async function api(path, options = {}) {
  const token = options.token ?? sessionStorage.getItem(TOKEN_KEY) ?? '';
  // Without a token, Cloudflare Access signs the request (its cookie, and
  // the header its edge adds); with one, the bearer token does.
  const init = { headers: token ? { authorization: `Bearer ${token}` } : {}, cache: 'no-store' };
  if (options.ifMatch) init.headers['if-match'] = `"${options.ifMatch}"`;
  if (options.keepalive) init.keepalive = true;
  if (options.body !== undefined) {
    init.method = 'POST';
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(options.body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, { title: 'The server cannot be reached. Check the connection and try again.' });
  }
  const data = options.blob && response.ok ? await response.blob() : await response.json().catch(() => null);
  if (response.status === 401 && options.token === undefined) {
    signOut('You have been signed out: the server no longer accepts your token. Sign in again.');
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** What to tell the agent about a failed call. */
function problemText(error) {
  const problem = error.problem || {};
  if (error.status === 422 && Array.isArray(problem.errors)) {
    return `Not saved: ${problem.errors.map((e) => `${e.field} is ${human(e.code).toLowerCase()}`).join('; ')}.`;
  }
  if (error.status === 404) return 'That ticket does not exist, or it belongs to another site.';
  return error.message || 'Something went wrong.';
}

/** Announces a status message (politely, through the live region). */
function say(text, isError = false) {
  const status = $('status');
  status.textContent = text;
  status.classList.toggle('error', isError);
}

// ---------------------------------------------------------------- signing in and out

function show(view) {
  if (view !== 'ticket') leaveTicket();
  $('sign-in').hidden = view !== 'sign-in';
  $('queue-view').hidden = view !== 'queue';
  $('ticket-view').hidden = view !== 'ticket';
  $('metrics-view').hidden = view !== 'metrics';
  $('agents-view').hidden = view !== 'agents';
  $('nav-agents').hidden = app.me?.role !== 'admin';
  $('canned-view').hidden = view !== 'canned';
  $('nav-canned').hidden = !mayEditCanned(app.me);
  const signedIn = view !== 'sign-in';
  $('views').hidden = !signedIn;
  // The queue's tab stays current while a ticket from it is open.
  const current = { metrics: 'nav-metrics', agents: 'nav-agents', canned: 'nav-canned' }[view] ?? 'nav-queue';
  for (const id of ['nav-queue', 'nav-metrics', 'nav-agents', 'nav-canned']) {
    if (id === current) $(id).setAttribute('aria-current', 'page');
    else $(id).removeAttribute('aria-current');
  }
  $('who').hidden = !signedIn;
  $('search-form').hidden = !signedIn;
  $('sign-out').hidden = !signedIn;
}

function signOut(message = '') {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(ACCESS_KEY);
  Object.assign(app, { me: null, tickets: [], cursor: null, pages: 0, selected: -1, selectedId: null, ticket: null, replySeen: null, picked: new Set() });
  app.queueRequest += 1; // answers still on their way are dropped
  $('queue').replaceChildren();
  // Nothing of the last ticket stays: its files, the draft's files, its thread.
  dropFiles();
  clearPending();
  $('thread').replaceChildren();
  delete $('thread').dataset.drawn;
  clearMetrics();
  clearAgents();
  clearPrivacy();
  clearCannedScreen();
  show('sign-in');
  document.title = 'Buoy console';
  $('sign-in-error').textContent = message;
  say(message ? '' : 'Signed out.');
  $('token').focus();
}

async function onSignIn(event) {
  event.preventDefault();
  const token = $('token').value.trim();
  const error = $('sign-in-error');
  if (!token) {
    error.textContent = 'Enter your agent token.';
    return;
  }
  const button = event.submitter || $('sign-in-form').querySelector('button');
  button.disabled = true;
  error.textContent = '';
  try {
    const me = await api('/v1/agent/me', { token });
    sessionStorage.setItem(TOKEN_KEY, token);
    $('token').value = '';
    await enter(me);
  } catch (e) {
    error.textContent = e.status === 401 ? 'That token was not accepted. Check it and try again.' : problemText(e);
  } finally {
    button.disabled = false;
  }
}

/** Signs in through Cloudflare Access: no token; the edge signs each request. */
async function onAccess() {
  const error = $('sign-in-error');
  error.textContent = '';
  try {
    const me = await api('/v1/agent/me', { token: '' });
    sessionStorage.setItem(ACCESS_KEY, '1');
    await enter(me);
  } catch (e) {
    error.textContent = e.status === 401 ? 'Cloudflare Access has not signed you in here. Use your agent token.' : problemText(e);
  }
}

function option(value, label) {
  const node = el('option', null, label);
  node.value = value;
  return node;
}

/** Fills a `<select>` with `[value, label]` pairs. */
function fillSelect(select, choices) {
  select.replaceChildren(...choices.map(([value, label]) => option(value, label)));
}

/** Sets a select's value, adding the option when the API knows one the list does not. */
function setSelect(select, value) {
  if (![...select.options].some((o) => o.value === value)) select.append(option(value, value));
  select.value = value;
}

/** Signed in: draws the allowed values from `me`, then the page the hash names. */
async function enter(me) {
  app.me = me;
  $('agent-name').textContent = me.agent;
  $('agent-site').textContent = me.site;
  const o = me.options || {};
  const plain = (values) => (values || []).map((v) => [String(v), human(v)]);
  const types = (o.type || []).map((t) => [t.value, t.label]);
  const tiers = (o.tier || []).map((t) => [String(t), `Tier ${t}`]);
  const agents = (me.agents || []).map((a) => [a, a]);
  fillSelect($('f-status'), [['', 'Any status'], ...plain(o.status)]);
  fillSelect($('f-segment'), [['', 'Any segment'], ...plain(o.segment)]);
  fillSelect($('f-type'), [['', 'Any type'], ...types]);
  fillSelect($('f-tier'), [['', 'Any tier'], ...tiers]);
  fillSelect($('f-assignee'), [['', 'Anyone'], ['none', 'Unassigned'], ...agents]);
  fillSelect($('f-channel'), [['', 'Any channel'], ...plain(o.channel)]);
  fillSelect($('f-group'), [['', 'Any group'], ['none', 'No group'], ...(o.group || []).map((g) => [g, g])]);
  fillSelect($('f-tag'), [['', 'Any tag'], ...(o.tag || []).map((t) => [t, t])]);
  // The site's select and checkbox fields filter the queue by value (`field=plan:pro`).
  const byField = (me.fields || []).flatMap((f) => {
    if (f.kind === 'select') return (f.options || []).map((o) => [`${f.id}:${o.id}`, `${fieldLabel(f)}: ${label(o.label, o.id)}`]);
    if (f.kind === 'checkbox') return [[`${f.id}:true`, `${fieldLabel(f)}: yes`], [`${f.id}:false`, `${fieldLabel(f)}: no`]];
    return [];
  });
  fillSelect($('f-field'), [['', 'Any field value'], ...byField]);
  $('f-field-wrap').hidden = byField.length === 0;
  fillSelect($('c-status'), plain(o.status));
  fillSelect($('c-priority'), plain(o.priority));
  fillSelect($('c-tier'), tiers);
  fillSelect($('c-assignee'), [['', 'Unassigned'], ...agents]);
  // Files only where the site takes them (the API says, with its limits).
  $('attach-bar').hidden = !me.attachments;
  if (me.attachments) $('reply').setAttribute('aria-describedby', 'attach-hint');
  else $('reply').removeAttribute('aria-describedby');
  say(`Signed in as ${me.agent}.`);
  await route();
}

// ---------------------------------------------------------------- routing (the URL hash)

/** The hash holds the filters and the open ticket: `#status=open&ticket=…`. */
const hashParams = () => new URLSearchParams(location.hash.slice(1));

function navigate(params) {
  const next = params.toString();
  if (next === location.hash.slice(1)) route();
  else location.hash = next;
}

// The screens beside the queue and a ticket, by their `view=`: who may
// open one, its title, and what fills it (its elements are `{view}-view`
// and `{view}-title`).
const SCREENS = new Map([
  ['agents', { may: (me) => me.role === 'admin', title: 'Agents', fill: () => showAgents() }],
  ['canned', { may: mayEditCanned, title: 'Canned replies', fill: () => showCanned() }],
  ['metrics', { may: () => true, title: 'Metrics', fill: (params) => showMetrics(params) }],
]);

async function route() {
  if (!app.me) return;
  const params = hashParams();
  const view = params.get('view');
  const screen = SCREENS.get(view);
  if (screen?.may(app.me)) {
    const opening = $(`${view}-view`).hidden;
    app.ticket = null;
    show(view);
    document.title = `${screen.title} — Buoy console`;
    if (opening) $(`${view}-title`).focus();
    await screen.fill(params);
    return;
  }
  const queue = new URLSearchParams(params);
  queue.delete('ticket');
  app.queueHash = queue.toString(); // the Queue tab comes back to these filters
  // A value the list lacks (`status=open,pending` from a shared link) is added.
  for (const name of FILTERS) setSelect($(`f-${name}`), params.get(name) ?? '');
  const id = params.get('ticket');
  if (id) {
    await openTicket(id);
  } else {
    const fromTicket = !$('ticket-view').hidden;
    app.ticket = null;
    show('queue');
    document.title = 'Queue — Buoy console';
    if (fromTicket) select(app.selected, true);
    await loadQueue();
  }
}

// ---------------------------------------------------------------- the queue

async function loadQueue(more = false) {
  const request = ++app.queueRequest;
  const params = hashParams();
  const q = searchQuery(params);
  if (q) return loadSearch(q, request);
  leaveSearch();
  const query = new URLSearchParams();
  for (const name of FILTERS) if (params.get(name)) query.set(name, params.get(name));
  query.set('limit', String(PAGE));
  if (more && app.cursor) query.set('cursor', app.cursor);
  try {
    const page = await api(`/v1/agent/tickets?${query}`);
    if (request !== app.queueRequest) return; // a newer request (other filters) won
    const known = new Set(more ? app.tickets.map((t) => t.id) : []);
    const rows = page.tickets.map(ownOrListed);
    app.tickets = more ? app.tickets.concat(rows.filter((t) => !known.has(t.id))) : rows;
    app.cursor = page.cursor;
    app.pages = more ? app.pages + 1 : 1;
    drawQueue();
  } catch (e) {
    if (e.status !== 401 && request === app.queueRequest) say(problemText(e), true);
  }
}

/** The queue shows what a search found instead of the queue. */
async function loadSearch(q, request) {
  try {
    const rows = await runSearch(q);
    if (request !== app.queueRequest) return;
    app.tickets = rows.map(ownOrListed);
    app.cursor = null;
    app.pages = 1;
    drawQueue();
    $('queue-empty').hidden = true; // the search note says it found nothing
  } catch (e) {
    if (e.status !== 401 && request === app.queueRequest) say(problemText(e), true);
  }
}

/**
 * A listed row, or this agent's own change to it when the row is older
 * than that change (the listing lags): the queue never shows an agent
 * their own change undone. Changes older than the lag are forgotten.
 */
function ownOrListed(row) {
  const now = Date.now();
  for (const [id, own] of app.own) if (now - own.seen > 2 * QUEUE_LAG_MS) app.own.delete(id);
  const own = app.own.get(row.id);
  if (!own || Date.parse(row.as_of) >= own.at) return row;
  return own.row;
}

/** The queue row of an agent's answer (a whole ticket): what the queue draws of it. */
function rowOf(view) {
  const requester = requesterLabel(view.requester);
  const running = view.clocks.filter((c) => c.running);
  return {
    id: view.id,
    reference: view.reference,
    subject: view.subject,
    requester,
    type: view.type,
    channel: view.channel,
    created_at: view.created_at,
    group: view.group,
    state: view.state,
    clocks: running,
    breached: view.clocks.some((c) => c.state === 'breached'),
    next_due: view.next_due,
  };
}

/** Draws the agent's own change in its queue row at once, whatever the next listing says. */
function drawOwnChange(view) {
  const row = rowOf(view);
  // The change's time by the worker's clock, which also stamps rows' `as_of`.
  const at = Math.max(Date.parse(view.created_at), ...view.events.map((e) => Date.parse(e.at)));
  app.own.set(view.id, { row, at, seen: Date.now() });
  const index = app.tickets.findIndex((t) => t.id === view.id);
  if (index < 0) return;
  app.tickets[index] = row;
  drawQueue();
}

function drawQueue() {
  drawBulk();
  const list = $('queue');
  const hadFocus = list.contains(document.activeElement);
  const index = app.tickets.findIndex((t) => t.id === app.selectedId);
  list.replaceChildren(...app.tickets.map(queueItem));
  $('queue-empty').hidden = app.tickets.length > 0;
  $('more').hidden = !app.cursor;
  // Keep the selection on the same ticket; if it left the queue, on the
  // ticket that took its place.
  select(index >= 0 || app.selected < 0 ? index : app.selected, hadFocus);
}

function queueItem(ticket, index) {
  const s = ticket.state;
  const button = el('button', 'ticket');
  button.type = 'button';
  button.addEventListener('click', () => {
    select(index);
    openSelected();
  });
  button.addEventListener('focus', () => select(index));
  const badges = el('span', 'badges');
  if (ticket.breached) badges.append(badge('SLA breached', 'breach'));
  if (s.csat) badges.append(badge(s.csat.satisfied ? 'CSAT: satisfied' : 'CSAT: unsatisfied', s.csat.satisfied ? 'good' : 'bad'));
  const who = ticket.requester;
  button.append(
    el('span', 'line', el('span', 'subject', ticket.subject), countdown(ticket.next_due)),
    el('span', 'meta', [ticket.reference, who, human(s.status), human(s.priority), `tier ${s.tier}`, human(s.segment), s.assignee || 'unassigned', ticket.group ? `group ${ticket.group}` : 'no group', `by ${human(ticket.channel)}`].join(' · ')),
    ...(s.tags?.length ? [el('span', 'meta-tags', `Tags: ${s.tags.join(', ')}`)] : []),
    badges,
  );
  const box = el('input');
  box.type = 'checkbox';
  box.checked = app.picked.has(ticket.id);
  box.tabIndex = -1; // the row's button is the list's tab stop; `x` or a click picks
  box.addEventListener('change', () => pick(ticket.id, box.checked));
  const pickLabel = el('label', 'pick', box, el('span', 'sr-only', `Select ${ticket.reference}: ${ticket.subject}`));
  return el('li', null, pickLabel, button);
}

/** Selects the queue's `index`-th ticket (clamped), optionally moving focus to it. */
function select(index, focus = false) {
  const buttons = [...$('queue').querySelectorAll('button.ticket')];
  app.selected = buttons.length && index >= 0 ? Math.min(index, buttons.length - 1) : -1;
  app.selectedId = app.tickets[app.selected]?.id ?? null;
  buttons.forEach((b, i) => {
    if (i === app.selected) b.setAttribute('aria-current', 'true');
    else b.removeAttribute('aria-current');
    // One tab stop for the whole list: the selected ticket (or the first).
    b.tabIndex = i === Math.max(app.selected, 0) ? 0 : -1;
  });
  const button = buttons[app.selected];
  if (button && focus && document.activeElement !== button) button.focus(); // and scrolls to it
}

function openSelected() {
  const ticket = app.tickets[app.selected];
  if (!ticket) return;
  const params = hashParams();
  params.set('ticket', ticket.id);
  navigate(params);
}

function onFilter() {
  const params = hashParams();
  for (const name of FILTERS) {
    const value = $(`f-${name}`).value;
    if (value) params.set(name, value);
    else params.delete(name);
  }
  params.delete('ticket');
  params.delete('q'); // filters narrow the queue, not a search
  navigate(params);
}

// ---------------------------------------------------------------- SLA countdowns

/** A live countdown to `due` (an RFC 3339 time), redrawn every second by `tick`. */
function countdown(due) {
  const at = Date.parse(due ?? '');
  if (Number.isNaN(at)) return el('span', 'due', 'no SLA running');
  const span = el('span', 'due');
  span.dataset.due = String(at);
  paint(span);
  return span;
}

function paint(span) {
  const left = Number(span.dataset.due) - Date.now();
  span.textContent = left >= 0 ? `due in ${duration(left)}` : `overdue ${duration(left)}`;
  span.classList.toggle('overdue', left < 0);
}

function tick() {
  for (const span of document.querySelectorAll('[data-due]')) paint(span);
}

// ---------------------------------------------------------------- the ticket

async function openTicket(id) {
  const opening = app.ticket?.id !== id;
  try {
    const view = await api(`/v1/agent/tickets/${encodeURIComponent(id)}`);
    if (hashParams().get('ticket') !== id || !app.me) return; // the agent moved on meanwhile
    if (opening) dropFiles();
    app.ticket = view;
    show('ticket');
    if (opening) {
      clearPending();
      $('reply').value = '';
      $('internal').checked = false;
      onInternalToggle();
      app.replySeen = null;
      hideConflict();
      clearCanned();
    }
    drawTicket();
    if (opening) showSuggestions(id);
    if (app.presence?.id !== id) joinTicket(id);
    if (opening) $('subject').focus();
  } catch (e) {
    if (e.status === 401) return;
    say(problemText(e), true);
    if (opening) {
      const params = hashParams();
      params.delete('ticket');
      history.replaceState(null, '', `#${params}`);
      route();
    }
  }
}

function drawTicket() {
  const t = app.ticket;
  const s = t.state;
  document.title = `${t.subject} — Buoy console`;
  $('subject').textContent = t.subject;
  const summary = [t.reference, human(s.status), `${human(s.priority)} priority`, `tier ${s.tier}`, s.assignee ? `assigned to ${s.assignee}` : 'unassigned'];
  $('summary').replaceChildren(summary.join(' · '));
  if (t.clocks.some((c) => c.state === 'breached')) $('summary').append(' ', badge('SLA breached', 'breach'));
  drawThread(t);
  drawHistory(t);
  drawControls(s);
  drawClocks(t);
  drawCsat(s.csat);
  drawContext(t);
}

const byTime = (a, b) => Date.parse(a.at) - Date.parse(b.at) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** A size in bytes as people read it. */
function bytes(n) {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${Math.round(n / 1024)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** A button that downloads a received mail as it came (`name`: `first` or its event id). */
function originalButton(t, name, size) {
  const button = el('button', 'original', `Original email (${bytes(size)})`);
  button.type = 'button';
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const blob = await api(`/v1/agent/tickets/${encodeURIComponent(t.id)}/originals/${encodeURIComponent(name)}`, { blob: true });
      saveBlob(blob, `${t.reference}-${name}.eml`);
    } catch (e) {
      if (e.status !== 401) say(problemText(e), true);
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

// ---------------------------------------------------------------- attachments shown
//
// A file is fetched with the bearer token and shown or saved through a
// blob: URL minted here: no token ever goes into a URL, and no URL from a
// ticket is ever loaded.

/** The files of message `m` (the ticket's own for its first message). */
const filesOf = (t, m) => (m.id === 'first' ? t.attachments : m.attachments) ?? [];

/** The path of one of the open ticket's files. */
const filePath = (t, file) => `/v1/agent/tickets/${encodeURIComponent(t.id)}/files/${encodeURIComponent(file.id)}`;

/** A blob: URL of the file's bytes, fetched once per opened ticket. */
function fileUrl(t, file) {
  let url = app.files.get(file.id);
  if (!url) {
    url = api(filePath(t, file), { blob: true }).then((blob) => URL.createObjectURL(blob));
    url.catch(() => app.files.delete(file.id)); // a failed fetch is tried again at the next redraw
    app.files.set(file.id, url);
  }
  return url;
}

/** Forgets the files of the ticket that was open. */
function dropFiles() {
  for (const url of app.files.values()) url.then((u) => URL.revokeObjectURL(u), () => {});
  app.files.clear();
}

async function download(t, file, button) {
  button.disabled = true;
  try {
    saveBlob(await api(filePath(t, file), { blob: true }), file.name);
    say(`Downloaded ${file.name}.`);
  } catch (e) {
    if (e.status !== 401) say(`${file.name} could not be downloaded: ${problemText(e)}`, true);
  } finally {
    button.disabled = false;
  }
}

/** One attachment: a thumbnail for a raster image, and a download button for every file. */
function attachmentItem(t, file) {
  const item = el('li', 'file');
  if (['png', 'jpeg', 'gif', 'webp'].includes(file.kind)) {
    const img = el('img', 'thumb');
    img.alt = `Preview of ${file.name}`;
    if (file.width && file.height) {
      img.width = file.width;
      img.height = file.height;
    }
    item.append(img);
    fileUrl(t, file).then((url) => { img.src = url; }, () => { img.alt = `${file.name}: the preview could not be loaded`; });
  }
  const button = el('button', 'download quiet', `Download ${file.name}`);
  button.type = 'button';
  button.addEventListener('click', () => download(t, file, button));
  const dims = file.width && file.height ? ` · ${file.width}×${file.height}` : '';
  item.append(button, el('span', 'file-meta', `${bytes(file.size)} · ${file.type}${dims}`));
  return item;
}

/** The requester's first message, then every message event in time order;
 * redrawn only when something in it changed, so a refresh never takes the
 * focus from a button the agent is on. */
function drawThread(t) {
  const requester = requesterLabel(t.requester);
  const first = { id: 'first', at: t.created_at, by: requester, agent: false, public: true, body: t.message, original: t.first_mail?.original };
  const messages = t.events.filter((e) => e.kind === 'message').sort(byTime);
  const drawn = JSON.stringify([t.id, requester, ...[first, ...messages].map((m) => [m.id, m.body, m.original, filesOf(t, m).map((f) => f.id)])]);
  if ($('thread').dataset.drawn === drawn) return;
  $('thread').dataset.drawn = drawn;
  $('thread').replaceChildren(...[first, ...messages].map((m) => {
    const kind = !m.agent ? 'requester' : m.public ? 'public' : 'internal';
    const label = { requester: 'Requester', public: 'Public reply', internal: 'Internal note' }[kind];
    const author = m.agent ? m.by : requester;
    const files = filesOf(t, m);
    return el('li', `message ${kind}`,
      el('p', 'head', el('strong', 'author', author), ' · ', el('span', 'kind', label), ' · ', time(m.at),
        m.original === undefined ? null : ' · ', m.original === undefined ? null : originalButton(t, m.id, m.original)),
      m.body ? el('p', 'body', m.body) : null,
      files.length ? el('ul', 'files', ...files.map((f) => attachmentItem(t, f))) : null);
  }));
}

/** Everything but messages, in one line each. */
function describe(e) {
  switch (e.kind) {
    case 'changed': {
      const parts = [];
      if (e.status) parts.push(`status to ${human(e.status)}`);
      if (e.priority) parts.push(`priority to ${human(e.priority[0])}`);
      if (e.tier !== undefined) parts.push(`tier to ${e.tier}`);
      if (e.assignee !== undefined) parts.push(`assignee to ${e.assignee || 'nobody'}`);
      if (e.tags) parts.push(e.tags.length ? `tags to ${e.tags.join(', ')}` : 'tags to none');
      return `${e.by} changed ${parts.join(', ')}`;
    }
    case 'escalated': {
      const moves = [e.tier ? `tier ${e.tier}` : '', e.assign ? `assigned to ${e.assign}` : ''].filter(Boolean);
      return `Escalated${moves.length ? ` (${moves.join(', ')})` : ''}: ${e.reason}`;
    }
    case 'breached':
      return `SLA breached: ${METRICS[e.metric] || human(e.metric)}`;
    case 'segment_changed':
      return `${e.by} set the segment to ${human(e.segment)}`;
    case 'rated':
      return `The requester rated the help: ${e.satisfied ? 'satisfied' : 'not satisfied'}${e.comment ? ` — “${e.comment}”` : ''}`;
    default:
      return human(e.kind);
  }
}

function drawHistory(t) {
  // Messages and their files are the thread's.
  const events = t.events.filter((e) => e.kind !== 'message' && e.kind !== 'attachment').sort(byTime);
  $('history').replaceChildren(...events.map((e) => el('li', e.kind === 'breached' ? 'breach' : null, time(e.at), ' ', describe(e))));
  if (!events.length) $('history').append(el('li', 'empty', 'Nothing has happened yet.'));
}

function drawControls(s) {
  setSelect($('c-status'), s.status);
  setSelect($('c-priority'), s.priority);
  setSelect($('c-tier'), String(s.tier));
  setSelect($('c-assignee'), s.assignee || '');
  // A refresh must not overwrite tags the agent is typing.
  if (document.activeElement !== $('c-tags')) $('c-tags').value = s.tags.join(', ');
}

function drawClocks(t) {
  $('clocks').replaceChildren(...t.clocks.map((c) => {
    const name = `${METRICS[c.metric] || human(c.metric)}${c.cycle > 0 ? ` (${c.cycle + 1})` : ''}`;
    const item = el('li', c.state === 'breached' ? 'clock breach' : 'clock', el('span', 'metric', name), ' ');
    if (c.state === 'breached') item.append(badge('Breached', 'breach'), ' ', c.at ? time(c.at) : '');
    else if (c.state === 'met') item.append('met ', c.at ? time(c.at) : '');
    else if (c.state === 'paused') item.append(`paused, ${duration(c.remaining_seconds * 1000)} left`);
    else if (c.due) item.append(countdown(c.due));
    else item.append(human(c.state));
    item.append(el('span', 'target', ` · target ${c.target}${c.hours === 'business' ? ', business hours' : ''}`));
    return item;
  }));
  if (!t.clocks.length) $('clocks').append(el('li', 'empty', 'No SLA on this ticket.'));
}

function drawCsat(csat) {
  const out = $('csat');
  if (!csat) {
    out.replaceChildren('Not rated yet.');
    return;
  }
  out.replaceChildren(badge(csat.satisfied ? 'Satisfied' : 'Not satisfied', csat.satisfied ? 'good' : 'bad'), ' ', time(csat.at));
  if (csat.comment) out.append(el('q', 'comment', csat.comment));
}

/**
 * What a signed identity vouched for and what the requester typed, on
 * rows of their own: a typed address never sits under a verified label.
 */
function requesterRows(r) {
  const signed = r.signed;
  const rows = [
    ['Verified', signed ? 'yes' : 'no'],
    ['Name (typed)', r.typed?.name],
    ['Email (typed)', r.typed?.email],
  ];
  if (signed) {
    rows.push(['User id (signed)', signed.user_id]);
    if (signed.name) rows.push(['Name (signed)', signed.name]);
    if (signed.email) rows.push(['Email (signed)', signed.email]);
    if (signed.account_manager) rows.push(['Account manager (signed)', signed.account_manager]);
  }
  return rows;
}

/** Who asked, for lists and the thread: a signed name or email before a typed one. */
function requesterLabel(r) {
  return r.signed?.name || r.typed?.name || r.signed?.email || r.typed?.email || '';
}

/** A ticket type's label, as the API names it (the value itself when unknown). */
function typeLabel(value) {
  return (app.me?.options?.type || []).find((o) => o.value === value)?.label ?? String(value ?? '');
}

/** A BCP 47 tag with its language's English name: "German (de)"; the tag alone when the browser cannot name it. */
function language(tag) {
  if (!tag) return '';
  try {
    const name = new Intl.DisplayNames(['en'], { type: 'language' }).of(tag);
    return name && name !== tag ? `${name} (${tag})` : tag;
  } catch {
    return tag;
  }
}

/** A label in English (the console's language), else any, else the id. */
function label(labels, id) {
  return (labels && (labels.en || Object.values(labels)[0])) || id;
}

const fieldLabel = (f) => label(f.label, f.id);

/**
 * The ticket's custom fields, labelled from the site's definitions (a
 * select's value by its option's label), then the host context: what the
 * page reported apart from what a verified identity signed.
 */
function fieldRows(t) {
  const defs = app.me?.fields || [];
  const c = t.context || {};
  const fields = Object.entries(t.fields || {}).map(([id, value]) => {
    const def = defs.find((d) => d.id === id);
    const option = def?.options?.find((o) => o.id === value);
    const shown = option ? label(option.label, value) : def?.kind === 'checkbox' ? (value === 'true' ? 'Yes' : 'No') : value;
    return [def ? fieldLabel(def) : id, shown];
  });
  const context = (values, how) => Object.entries(values || {}).map(([key, value]) => [`${key} (${how})`, value]);
  return [...fields, ...context(c.verified, 'verified'), ...context(c.reported, 'reported by the page')];
}

function drawContext(t) {
  const c = t.context || {};
  const rows = [
    ...requesterRows(t.requester),
    ['Segment', human(t.state.segment)],
    ['Type', typeLabel(t.type)],
    ['Group', t.group || 'No group'],
    ['Channel', human(t.channel)],
    ['Reply address', t.reply_address],
    ...(t.email_replies === false ? [['Email replies', 'Off: the requester unticked "Email me replies"']] : []),
    ...(t.mail_suppressed ? [['Mail to requester', `Stopped since ${new Date(t.mail_suppressed.at).toLocaleString()} (${t.mail_suppressed.why}); it resumes when they write again`]] : []),
    ['Page', c.url], // text only: a link built from ticket data could be javascript:
    ['Page title', c.title],
    ['Browser', c.user_agent],
    ['Locale', language(c.locale)], // the language the requester's panel spoke, which mail to them follows
    ['Time zone', c.time_zone],
    ...fieldRows(t),
    ['Created', time(t.created_at)],
    ['Reference', t.reference],
  ];
  $('context').replaceChildren(...rows.flatMap(([term, value]) => [el('dt', null, term), el('dd', null, value || '—')]));
}

// ---------------------------------------------------------------- changes

/**
 * Posts to one of the open ticket's endpoints and redraws from the answer.
 * Nothing is disabled on the way (a disabled select would drop the
 * keyboard focus); only the send button waits for its message.
 */
async function post(path, body, done, ifMatch = lastEvent(app.ticket)) {
  const id = app.ticket.id;
  try {
    const view = await api(`/v1/agent/tickets/${encodeURIComponent(id)}/${path}`, { body, ifMatch });
    if (app.ticket?.id === id) {
      app.ticket = view;
      drawTicket();
    }
    drawOwnChange(view);
    say(done);
    loadQueue();
    return true;
  } catch (e) {
    if (e.status === 409 && e.problem?.code === 'edit_conflict' && app.ticket?.id === id) {
      showConflict(e.problem, path, body, done);
      openTicket(id); // draws what changed in the thread too
    } else if (e.status !== 401) {
      say(problemText(e), true);
      if (app.ticket?.id === id) drawControls(app.ticket.state);
    }
    return false;
  }
}

function onControl(event) {
  const { name, value, labels } = event.target;
  const label = labels[0].textContent;
  const change = { [name]: name === 'tier' ? Number(value) : value };
  post('changes', change, `${label} saved.`);
}

function onTags(event) {
  event.preventDefault();
  const tags = $('c-tags').value.split(',').map((t) => t.trim()).filter(Boolean);
  $('c-tags').blur();
  post('changes', { tags }, 'Tags saved.');
}

// ---------------------------------------------------------------- attaching files to a reply
//
// Each chosen file uploads at once to `POST /v1/agent/uploads` (an
// XMLHttpRequest, for its progress) under an Idempotency-Key of its own,
// so trying it again never stores it twice; the reply then names the
// upload ids. A file the server refuses stays in the list with the
// server's reason until the agent removes it or tries again.

function uploadText(entry) {
  if (entry.state === 'uploading') return `Uploading… ${Math.round(entry.progress * 100)}%`;
  if (entry.state === 'ready') return 'Uploaded';
  return entry.error;
}

/** What the upload API's refusal says, in a sentence. */
function refusal(status, problem, retryAfter) {
  const field = Array.isArray(problem?.errors) ? problem.errors.find((e) => e.message) : null;
  if (status === 429) return `Too many uploads: try again${retryAfter ? ` in ${retryAfter} s` : ' in a moment'}.`;
  if (field) return `Refused: ${field.message}`;
  if (status === 0) return 'Not uploaded: the server cannot be reached.';
  return `Refused: ${problem?.detail || problem?.title || `the server answered ${status}`}.`;
}

function drawPending() {
  $('reply-files').replaceChildren(...app.pending.map((entry) => {
    if (!entry.row) {
      const progress = el('progress', null);
      progress.max = 1;
      progress.setAttribute('aria-label', `Upload of ${entry.file.name}`);
      const retry = el('button', 'quiet', 'Try again');
      retry.type = 'button';
      retry.setAttribute('aria-label', `Try again: upload ${entry.file.name}`);
      retry.addEventListener('click', () => startUpload(entry));
      const remove = el('button', 'quiet', 'Remove');
      remove.type = 'button';
      remove.setAttribute('aria-label', `Remove ${entry.file.name}`);
      remove.addEventListener('click', () => removePending(entry));
      entry.row = { item: el('li', 'file', el('span', 'file-name', entry.file.name), el('span', 'file-meta', bytes(entry.file.size)), progress, el('span', 'upload-state'), retry, remove), progress, retry };
    }
    const { item, progress, retry } = entry.row;
    progress.value = entry.state === 'uploading' ? entry.progress : 1;
    progress.hidden = entry.state !== 'uploading';
    retry.hidden = entry.state !== 'failed';
    item.classList.toggle('failed', entry.state === 'failed');
    item.querySelector('.upload-state').textContent = uploadText(entry);
    return item;
  }));
}

function startUpload(entry) {
  Object.assign(entry, { state: 'uploading', progress: 0, error: '' });
  drawPending();
  entry.done = new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/v1/agent/uploads?site=${encodeURIComponent(app.me.site)}`);
    xhr.setRequestHeader('authorization', `Bearer ${sessionStorage.getItem(TOKEN_KEY) ?? ''}`);
    xhr.setRequestHeader('buoy-file-name', encodeURIComponent(entry.file.name));
    xhr.setRequestHeader('idempotency-key', entry.key);
    // A claim only: the server decides the type from the bytes.
    if (entry.file.type) xhr.setRequestHeader('content-type', entry.file.type);
    xhr.upload.addEventListener('progress', (e) => {
      if (!e.lengthComputable || entry.state !== 'uploading') return;
      entry.progress = e.loaded / e.total;
      drawPending();
    });
    const finish = (state, fields) => {
      Object.assign(entry, { state }, fields);
      drawPending();
      if (state === 'failed') say(`${entry.file.name}: ${entry.error}`, true);
      resolve();
    };
    xhr.addEventListener('load', () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { /* not JSON: the status says enough */ }
      if (xhr.status === 401) signOut('You have been signed out: the server no longer accepts your token. Sign in again.');
      if (xhr.status >= 200 && xhr.status < 300 && data?.upload) finish('ready', { upload: data.upload });
      else finish('failed', { error: refusal(xhr.status, data, xhr.getResponseHeader('retry-after')) });
    });
    xhr.addEventListener('error', () => finish('failed', { error: refusal(0) }));
    xhr.send(entry.file);
  });
}

function addFiles(files) {
  if (!app.ticket || !app.me?.attachments || !files?.length) return;
  for (const file of files) {
    const entry = { file, key: crypto.randomUUID(), state: 'uploading', progress: 0 };
    app.pending.push(entry);
    startUpload(entry);
  }
  say(files.length === 1 ? `Attaching ${files[0].name}.` : `Attaching ${files.length} files.`);
}

function removePending(entry) {
  app.pending = app.pending.filter((e) => e !== entry);
  drawPending();
  say(`${entry.file.name} removed.`);
  $('attach').focus();
}

function clearPending() {
  app.pending = [];
  drawPending();
}

async function onReply(event) {
  event.preventDefault();
  const reply = $('reply');
  if (!reply.value.trim() && !app.pending.length) {
    say('Write a message first.', true);
    reply.focus();
    return;
  }
  const internal = $('internal').checked;
  const send = $('reply-send');
  send.disabled = true;
  reply.readOnly = true;
  const files = app.pending.slice();
  if (files.some((f) => f.state === 'uploading')) say('Waiting for the files to finish uploading…');
  await Promise.all(files.map((f) => f.done));
  let sent = false;
  if (files.some((f) => f.state !== 'ready')) {
    say('Not sent: a file was not uploaded. Remove it or try it again.', true);
  } else {
    const body = { body: reply.value, public: !internal };
    if (files.length) body.attachments = files.map((f) => f.upload);
    sent = await post('messages', body, internal ? 'Internal note added.' : 'Reply sent.', app.replySeen ?? lastEvent(app.ticket));
  }
  send.disabled = false;
  reply.readOnly = false;
  if (sent) await applyCanned();
  if (sent) {
    reply.value = '';
    app.replySeen = null;
    app.pending = app.pending.filter((e) => !files.includes(e));
    drawPending();
    beat();
  }
  if (sent || $('conflict').hidden) reply.focus();
}

function onDrop(event) {
  if (!event.dataTransfer?.types?.includes('Files')) return;
  event.preventDefault();
  $('reply-form').classList.remove('dropping');
  if (event.type === 'drop') addFiles([...event.dataTransfer.files]);
  else $('reply-form').classList.add('dropping');
}

function onPaste(event) {
  const files = [...(event.clipboardData?.files ?? [])];
  if (!files.length) return;
  event.preventDefault();
  addFiles(files);
}

/** One box for both: the toggle makes it an internal note, visibly. */
function onInternalToggle() {
  const internal = $('internal').checked;
  $('reply-form').classList.toggle('internal', internal);
  $('reply-label').textContent = internal ? 'Internal note (only agents see it)' : 'Reply to the requester';
  $('reply-send').textContent = internal ? 'Add internal note' : 'Send reply';
}

// ---------------------------------------------------------------- collisions
//
// Every reply and change carries the last event the agent saw
// (`If-Match`). A reply's is the last event shown when the agent began to
// type it, so a refresh that draws someone else's reply meanwhile does
// not make it "seen". When someone else wrote since, the API answers
// `409 edit_conflict` with what changed; the typed reply stays, and the
// agent sends it anyway (having seen that) or discards it.

/** The id of the last event of a ticket's view (`created` before any). */
function lastEvent(view) {
  const events = view?.events ?? [];
  return events.length ? events[events.length - 1].id : 'created';
}

function onReplyInput() {
  const typing = $('reply').value.trim() !== '';
  if (typing && app.replySeen === null) app.replySeen = lastEvent(app.ticket);
  if (!typing && !app.pending.length) app.replySeen = null;
  if ((typing ? 'replying' : 'viewing') !== app.presence?.activity) beat();
}

/** One line for an event in the conflict's list: a message's text, or its history line. */
function changeLine(e) {
  if (e.kind === 'message') {
    const who = e.agent ? e.by : 'The requester';
    return `${who} ${e.public ? 'replied' : 'added an internal note'}: “${e.body}”`;
  }
  if (e.kind === 'attachment') return `${e.by === 'requester' ? 'The requester' : e.by} attached ${e.file?.name ?? 'a file'}`;
  return describe(e);
}

function showConflict(problem, path, body, done) {
  const isReply = path === 'messages';
  const since = problem.since ?? [];
  app.conflict = {
    isReply,
    retry: async () => {
      // A reply goes as it reads now: the agent may have edited it after seeing the changes.
      const ok = await post(path, isReply ? { ...body, body: $('reply').value } : body, done, problem.latest);
      if (!ok) return;
      hideConflict();
      if (isReply) await applyCanned();
      if (isReply) emptyReply();
    },
  };
  $('conflict-title').textContent = isReply
    ? 'Not sent: someone else wrote on this ticket while you were typing.'
    : 'Not saved: someone else changed this ticket since you opened it.';
  $('conflict-list').replaceChildren(...since.map((e) => el('li', null, time(e.at), ' ', changeLine(e))));
  $('conflict-send').textContent = isReply ? 'Send mine anyway' : 'Apply mine anyway';
  $('conflict-discard').textContent = isReply ? 'Discard my reply' : 'Keep theirs';
  $('conflict').hidden = false;
  say(isReply ? 'Your reply was not sent: the ticket changed. It is kept below.' : 'Not saved: the ticket changed.', true);
  $('conflict-title').focus();
}

/** Empties the reply box once its reply is sent or discarded, and says so in the next beat. */
function emptyReply() {
  $('reply').value = '';
  app.replySeen = null;
  clearPending();
  beat();
  $('reply').focus();
}

function hideConflict() {
  app.conflict = null;
  $('conflict').hidden = true;
  $('conflict-list').replaceChildren();
}

function discardConflict() {
  const wasReply = app.conflict?.isReply;
  hideConflict();
  if (wasReply) {
    emptyReply();
    say('Your reply was discarded.');
  } else {
    say('Their change stays.');
  }
}

// ---------------------------------------------------------------- presence
//
// While a ticket is open, the console beats every HEARTBEAT_MS with what
// its agent does there (viewing, or replying while the reply box has
// text) and shows who else is on it; leaving sends `gone`. The beat's
// answer names the latest event the ticket's room knows: a view that has
// not drawn it is reloaded.

const HEARTBEAT_MS = 10_000;

function joinTicket(id) {
  leaveTicket();
  app.presence = { id, timer: setInterval(beat, HEARTBEAT_MS), activity: null };
  $('presence').replaceChildren();
  beat();
}

function leaveTicket() {
  const p = app.presence;
  if (!p) return;
  clearInterval(p.timer);
  app.presence = null;
  $('presence').replaceChildren();
  if (app.me) api(`/v1/agent/tickets/${encodeURIComponent(p.id)}/presence`, { body: { activity: 'gone' }, keepalive: true }).catch(() => {});
}

async function beat() {
  const p = app.presence;
  if (!p || !app.me) return;
  const activity = $('reply').value.trim() ? 'replying' : 'viewing';
  p.activity = activity;
  try {
    const seen = await api(`/v1/agent/tickets/${encodeURIComponent(p.id)}/presence`, { body: { activity } });
    if (app.presence !== p) return;
    drawPresence(seen.present ?? []);
    if (seen.latest && app.ticket?.id === p.id && !app.ticket.events.some((e) => e.id === seen.latest)) openTicket(p.id);
  } catch {
    // A lost beat is made up by the next one.
  }
}

function drawPresence(present) {
  const line = present.map((q) => `${q.agent} is ${q.activity === 'replying' ? 'replying' : 'viewing'}`).join(' · ');
  // Written only when it changes, so the live region speaks only then.
  if ($('presence').textContent !== line) $('presence').textContent = line;
}

// ---------------------------------------------------------------- bulk changes
//
// Tickets picked in the queue (a checkbox each, or `x` on the selected
// row) get one change: status, assignee, tags added. The API records it
// on each ticket as that ticket's own change, and answers each ticket's
// result: a refused one stays picked, with its reason.

function pick(id, on) {
  if (on) app.picked.add(id);
  else app.picked.delete(id);
  const index = app.tickets.findIndex((t) => t.id === id);
  const box = $('queue').querySelectorAll('.pick input')[index];
  if (box) box.checked = on;
  drawBulk();
}

function drawBulk() {
  const n = app.picked.size;
  $('bulk').hidden = n === 0 && !$('bulk-results').childElementCount;
  const text = n === 1 ? '1 ticket selected' : `${n} tickets selected`;
  if ($('bulk-count').textContent !== text) $('bulk-count').textContent = text;
  if (!$('b-status').options.length && app.me) {
    const o = app.me.options || {};
    fillSelect($('b-status'), [['', 'Keep status'], ...(o.status || []).map((v) => [v, human(v)])]);
    fillSelect($('b-assignee'), [['', 'Keep assignee'], ['-', 'Unassigned'], ...(app.me.agents || []).map((a) => [a, a])]);
  }
}

async function onBulk(event) {
  event.preventDefault();
  const tickets = [...app.picked];
  const body = { tickets };
  if ($('b-status').value) body.status = $('b-status').value;
  if ($('b-assignee').value) body.assignee = $('b-assignee').value === '-' ? '' : $('b-assignee').value;
  const tags = $('b-tags').value.split(',').map((t) => t.trim()).filter(Boolean);
  if (tags.length) body.add_tags = tags;
  if (!tickets.length || Object.keys(body).length === 1) {
    say('Pick tickets and a change first.', true);
    return;
  }
  const apply = $('bulk-apply');
  apply.disabled = true;
  try {
    const { results } = await api('/v1/agent/bulk', { body });
    const refused = results.filter((r) => r.status !== 200);
    for (const r of results) {
      if (r.status !== 200) continue;
      app.picked.delete(r.id);
      drawOwnChange(r.ticket);
    }
    const name = (id) => app.tickets.find((t) => t.id === id)?.reference ?? id;
    $('bulk-results').replaceChildren(...refused.map((r) => el('li', 'error', `${name(r.id)}: ${bulkReason(r)}`)));
    const changed = results.length - refused.length;
    say(`${changed} of ${results.length} tickets changed.${refused.length ? ` ${refused.length} not changed; see the list.` : ''}`, refused.length > 0);
    if (!refused.length) $('b-tags').value = '';
    drawQueue();
    loadQueue();
  } catch (e) {
    if (e.status !== 401) say(problemText(e), true);
  } finally {
    apply.disabled = false;
  }
}

function bulkReason(result) {
  const problem = result.problem || {};
  if (result.status === 404) return 'not found, or another site’s';
  if (Array.isArray(problem.errors)) return problem.errors.map((e) => `${e.field} is ${human(e.code).toLowerCase()}`).join('; ');
  return problem.title || `refused (${result.status})`;
}

// ---------------------------------------------------------------- keyboard

function onKey(event) {
  if (!app.me || event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
  // Never while the agent types (or picks in a list).
  if (event.target.closest?.('input, textarea, select, [contenteditable]')) return;
  if (focusSearch(event)) return;
  const inQueue = !$('queue-view').hidden;
  const inTicket = !$('ticket-view').hidden;
  if (inQueue && (event.key === 'j' || event.key === 'k')) {
    event.preventDefault();
    select(app.selected < 0 ? 0 : Math.max(0, app.selected + (event.key === 'j' ? 1 : -1)), true);
  } else if (inQueue && event.key === 'x' && app.tickets[app.selected]) {
    event.preventDefault();
    pick(app.tickets[app.selected].id, !app.picked.has(app.tickets[app.selected].id));
  } else if (inQueue && event.key === 'Enter' && !event.target.closest('button, a')) {
    // On a queue button, Enter clicks it anyway.
    event.preventDefault();
    openSelected();
  } else if (inTicket && event.key === 'm') {
    event.preventDefault();
    openPicker();
  } else if (inTicket && event.key === 'r') {
    event.preventDefault();
    $('reply').focus();
  } else if (inTicket && event.key === 'Escape') {
    event.preventDefault();
    backToQueue();
  }
}

function backToQueue() {
  const params = hashParams();
  params.delete('ticket');
  navigate(params);
}

// ---------------------------------------------------------------- start

function refresh() {
  if (!app.me || document.hidden || !$('metrics-view').hidden) return;
  // Pages the agent asked for stay until they change something.
  if (app.pages <= 1) loadQueue();
  if (app.ticket) openTicket(app.ticket.id);
}

async function start() {
  $('sign-in-form').addEventListener('submit', onSignIn);
  $('sign-out').addEventListener('click', () => signOut());
  $('filters').addEventListener('change', onFilter);
  $('filters').addEventListener('submit', (e) => e.preventDefault());
  $('more').addEventListener('click', () => loadQueue(true));
  $('back').addEventListener('click', backToQueue);
  $('controls').addEventListener('change', onControl);
  $('controls').addEventListener('submit', (e) => e.preventDefault());
  $('tags-form').addEventListener('submit', onTags);
  $('reply-form').addEventListener('submit', onReply);
  $('internal').addEventListener('change', onInternalToggle);
  $('attach').addEventListener('click', () => $('attach-input').click());
  $('attach-input').addEventListener('change', (e) => {
    addFiles([...e.target.files]);
    e.target.value = ''; // the same file can be chosen again
  });
  for (const type of ['dragover', 'drop']) $('reply-form').addEventListener(type, onDrop);
  $('reply-form').addEventListener('dragleave', () => $('reply-form').classList.remove('dropping'));
  $('reply').addEventListener('paste', onPaste);
  $('reply').addEventListener('input', onReplyInput);
  $('conflict-send').addEventListener('click', () => app.conflict?.retry());
  $('conflict-discard').addEventListener('click', discardConflict);
  $('bulk').addEventListener('submit', onBulk);
  $('bulk-clear').addEventListener('click', () => {
    app.picked.clear();
    $('bulk-results').replaceChildren();
    drawQueue();
    drawBulk();
  });
  window.addEventListener('pagehide', leaveTicket);
  $('nav-queue').addEventListener('click', () => navigate(new URLSearchParams(app.queueHash)));
  $('nav-metrics').addEventListener('click', () => navigate(metricsHash()));
  initMetrics({ api, say, navigate, human, typeLabel, zone: () => app.me?.time_zone });
  initSearch({ api, say, navigate });
  initSuggest({ api, say });
  $('nav-agents').addEventListener('click', () => navigate(new URLSearchParams('view=agents')));
  initAgents({ api, say, human, problemText });
  initPrivacy({ api, problemText, refresh: showAgents });
  $('nav-canned').addEventListener('click', () => navigate(new URLSearchParams('view=canned')));
  initCanned({ api, say, human, problemText, post, me: () => app.me, ticket: () => app.ticket });
  document.addEventListener('keydown', onKey);
  window.addEventListener('hashchange', route);
  setInterval(tick, 1000);
  setInterval(refresh, REFRESH_MS);

  $('sign-in-access').addEventListener('click', onAccess);
  if (!sessionStorage.getItem(TOKEN_KEY) && !sessionStorage.getItem(ACCESS_KEY)) {
    show('sign-in');
    $('token').focus();
    return;
  }
  try {
    await enter(await api('/v1/agent/me'));
  } catch (e) {
    if (e.status !== 401) {
      show('sign-in');
      $('sign-in-error').textContent = problemText(e);
    }
  }
}

start();
