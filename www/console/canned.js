// Canned replies in the console: the picker on an open ticket (`m`), and
// the Canned replies screen where leads and admins add, change and
// remove them. The rules (variables, fallbacks, limits, what the actions
// change) are buoy-shared's `canned`, applied by the API: the picker
// shows the body and the change as `GET …/canned/{cid}` renders them for
// this ticket, puts the text in the reply box, and keeps the change to
// send (`POST …/changes`, with If-Match) once the reply is sent through
// the ordinary reply path. Text only: every value is set as text.

import { $, el } from './dom.js';

let host = null; // { api, say, human, problemText, me, ticket, post }
const picker = { replies: [], shown: [], active: 0, rendered: new Map(), request: 0 };
let chosen = null; // { ticket, title, change }: the actions to apply with the next reply
let editing = null; // the id of the reply the form edits, if any
let screenRequest = 0;

/** Wires the picker and the screen; `options` lends the console's network, status line and state. */
export function initCanned(options) {
  host = options;
  $('canned-filter').addEventListener('input', () => filter());
  $('canned-filter').addEventListener('keydown', onPickerKey);
  $('canned-picker').addEventListener('keydown', (event) => {
    // The dialog closes itself; the console must not also leave the ticket.
    if (event.key === 'Escape') {
      event.preventDefault();
      closePicker();
    }
  });
  $('canned-list').addEventListener('click', (event) => {
    const option = event.target.closest('[role=option]');
    if (!option) return;
    activate(Number(option.dataset.index));
    $('canned-filter').focus();
  });
  $('canned-insert').addEventListener('click', () => insert());
  $('canned-cancel').addEventListener('click', () => closePicker());
  $('canned-chip-remove').addEventListener('click', () => {
    clearCanned();
    host.say('The canned reply’s actions will not be applied.');
    $('reply').focus();
  });
  $('canned-form').addEventListener('submit', onSave);
  $('canned-form-cancel').addEventListener('click', () => resetForm());
}

/** Whether the agent may edit canned replies (leads and admins). */
export const mayEditCanned = (me) => me?.role === 'lead' || me?.role === 'admin';

// ---------------------------------------------------------------- the picker

/** Opens the picker on the open ticket (the `m` key). */
export async function openPicker() {
  const ticket = host.ticket();
  if (!ticket || $('canned-picker').open) return;
  const mine = ++picker.request;
  try {
    const listing = await host.api('/v1/agent/canned');
    if (mine !== picker.request || host.ticket()?.id !== ticket.id) return;
    Object.assign(picker, { replies: listing.replies, rendered: new Map(), active: 0 });
  } catch (e) {
    host.say(host.problemText(e), true);
    return;
  }
  $('canned-filter').value = '';
  $('canned-picker').showModal();
  $('canned-filter').focus();
  filter();
}

function closePicker() {
  picker.request += 1;
  if ($('canned-picker').open) $('canned-picker').close();
  $('reply').focus();
}

/** Narrows the list to the replies whose title or body holds every typed word. */
function filter() {
  const words = $('canned-filter').value.toLowerCase().split(/\s+/).filter(Boolean);
  picker.shown = picker.replies.filter((r) => {
    const text = `${r.title}\n${r.body}`.toLowerCase();
    return words.every((w) => text.includes(w));
  });
  const options = picker.shown.map((r, i) => {
    const option = el('li', 'canned-option', el('span', 'canned-title', r.title), el('span', 'canned-snippet', r.body));
    option.id = `canned-option-${i}`;
    option.setAttribute('role', 'option');
    option.dataset.index = String(i);
    return option;
  });
  $('canned-list').replaceChildren(...options);
  $('canned-list').hidden = options.length === 0; // a listbox without options is no listbox
  $('canned-none').hidden = picker.shown.length > 0;
  $('canned-none').textContent = picker.replies.length ? 'No canned reply matches.' : 'No canned replies yet.';
  activate(0);
}

function activate(index) {
  const count = picker.shown.length;
  picker.active = count ? Math.min(Math.max(index, 0), count - 1) : -1;
  for (const option of $('canned-list').children) {
    const on = Number(option.dataset.index) === picker.active;
    option.setAttribute('aria-selected', String(on));
    if (on) option.scrollIntoView({ block: 'nearest' });
  }
  const input = $('canned-filter');
  if (picker.active >= 0) input.setAttribute('aria-activedescendant', `canned-option-${picker.active}`);
  else input.removeAttribute('aria-activedescendant');
  $('canned-insert').disabled = picker.active < 0;
  preview();
}

function onPickerKey(event) {
  if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
    event.preventDefault();
    activate(picker.active + (event.key === 'ArrowDown' ? 1 : -1));
  } else if (event.key === 'Enter') {
    event.preventDefault();
    insert();
  }
}

/** The active reply as the API renders it for the open ticket (fetched once per opening). */
function renderedActive() {
  const reply = picker.shown[picker.active];
  const ticket = host.ticket();
  if (!reply || !ticket) return null;
  if (!picker.rendered.has(reply.id)) {
    const path = `/v1/agent/tickets/${encodeURIComponent(ticket.id)}/canned/${encodeURIComponent(reply.id)}`;
    const answer = host.api(path);
    answer.catch(() => picker.rendered.delete(reply.id)); // tried again at the next look
    picker.rendered.set(reply.id, answer);
  }
  return picker.rendered.get(reply.id);
}

async function preview() {
  const pending = renderedActive();
  if (!pending) {
    $('canned-preview').replaceChildren();
    $('canned-preview-actions').replaceChildren();
    return;
  }
  const active = picker.active;
  $('canned-preview').replaceChildren(el('span', 'hint', 'Loading the preview…'));
  try {
    const rendered = await pending;
    if (active !== picker.active) return;
    $('canned-preview').replaceChildren(rendered.body);
    $('canned-preview-actions').replaceChildren(describeActions(rendered.change) || 'No actions: only the text.');
  } catch (e) {
    if (active === picker.active) $('canned-preview').replaceChildren(el('span', 'error', host.problemText(e)));
  }
}

/** One line for a change: `Sets status to Pending · tags: billing, refund · assigns to Sam`. */
function describeActions(change) {
  if (!change) return '';
  const parts = [];
  if (change.status) parts.push(`sets status to ${host.human(change.status)}`);
  if (change.tags) parts.push(`tags: ${change.tags.join(', ')}`);
  if (change.assignee !== undefined) parts.push(change.assignee ? `assigns to ${change.assignee}` : 'unassigns');
  const text = parts.join(' · ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

async function insert() {
  const pending = renderedActive();
  if (!pending) return;
  const ticket = host.ticket();
  let rendered;
  try {
    rendered = await pending;
  } catch (e) {
    host.say(host.problemText(e), true);
    return;
  }
  closePicker();
  const reply = $('reply');
  reply.value = reply.value.trim() ? `${reply.value.trimEnd()}\n\n${rendered.body}` : rendered.body;
  reply.dispatchEvent(new Event('input', { bubbles: true })); // the reply's If-Match and presence, as typing does
  reply.focus();
  if (rendered.change) {
    chosen = { ticket: ticket.id, title: rendered.title, change: rendered.change };
    $('canned-chip-text').textContent = `With “${rendered.title}”: ${describeActions(rendered.change)}.`;
    $('canned-chip').hidden = false;
  } else {
    clearCanned();
  }
  host.say(`“${rendered.title}” inserted into the reply.`);
}

/** Forgets the remembered actions (another ticket, or the agent removed them). */
export function clearCanned() {
  chosen = null;
  $('canned-chip').hidden = true;
  $('canned-chip-text').textContent = '';
}

/** After a reply is sent: the inserted reply's actions, as one change with If-Match. */
export async function applyCanned() {
  const ticket = host.ticket();
  if (!chosen || !ticket || chosen.ticket !== ticket.id) return;
  const { title, change } = chosen;
  clearCanned();
  await host.post('changes', change, `Reply sent; “${title}” applied its actions.`);
}

// ---------------------------------------------------------------- the screen (leads and admins)

/** Forgets the screen's list (on sign-out). */
export function clearCannedScreen() {
  screenRequest += 1;
  $('canned-rows').replaceChildren();
  clearCanned();
  resetForm();
}

/** Draws the site's canned replies and the form (called by the router). */
export async function showCanned() {
  const mine = ++screenRequest;
  drawFormChoices();
  try {
    const listing = await host.api('/v1/agent/canned');
    if (mine !== screenRequest) return;
    drawList(listing);
  } catch (e) {
    host.say(host.problemText(e), true);
  }
}

function drawFormChoices() {
  const me = host.me();
  const statuses = me?.options?.status || [];
  const key = JSON.stringify([statuses, me?.agents]);
  if ($('k-status').dataset.drawn === key) return;
  $('k-status').dataset.drawn = key;
  const option = (value, label) => {
    const o = el('option', null, label);
    o.value = value;
    return o;
  };
  $('k-status').replaceChildren(option('', 'Leave as it is'), ...statuses.map((s) => option(s, host.human(s))));
  $('k-assign').replaceChildren(option('', 'Leave as it is'), option('me', 'The agent who uses it'), ...(me?.agents || []).map((a) => option(a, a)));
}

function drawList(listing) {
  $('canned-count').textContent = `${listing.replies.length} of ${listing.max}. Variables: ${listing.variables.map((v) => `{{${v}}}`).join(', ')}.`;
  $('canned-empty').hidden = listing.replies.length > 0;
  $('canned-rows').replaceChildren(...listing.replies.map((reply) => {
    const title = el('th', null, reply.title);
    title.scope = 'row';
    const edit = el('button', 'quiet', 'Edit');
    edit.type = 'button';
    edit.setAttribute('aria-label', `Edit ${reply.title}`);
    edit.addEventListener('click', () => startEdit(reply));
    const remove = el('button', 'quiet', 'Remove');
    remove.type = 'button';
    remove.setAttribute('aria-label', `Remove ${reply.title}`);
    remove.addEventListener('click', () => removeReply(reply));
    const a = reply.actions || {};
    const actions = [a.status && `status ${host.human(a.status)}`, a.add_tags?.length && `tags ${a.add_tags.join(', ')}`, a.assign && `assign ${a.assign === 'me' ? 'to the agent' : a.assign}`].filter(Boolean);
    return el('tr', null, title, el('td', 'canned-body', reply.body), el('td', null, actions.join(' · ') || '—'), el('td', 'canned-row-actions', edit, ' ', remove));
  }));
}

function startEdit(reply) {
  editing = reply.id;
  $('k-title').value = reply.title;
  $('k-body').value = reply.body;
  $('k-status').value = reply.actions?.status || '';
  $('k-tags').value = (reply.actions?.add_tags || []).join(', ');
  $('k-assign').value = reply.actions?.assign || '';
  $('canned-form-title').textContent = `Edit “${reply.title}”`;
  $('canned-save').textContent = 'Save changes';
  $('canned-form-cancel').hidden = false;
  $('canned-error').textContent = '';
  $('k-title').focus();
}

function resetForm() {
  editing = null;
  $('canned-form').reset();
  $('canned-form-title').textContent = 'Add a canned reply';
  $('canned-save').textContent = 'Add canned reply';
  $('canned-form-cancel').hidden = true;
  $('canned-error').textContent = '';
}

async function onSave(event) {
  event.preventDefault();
  const actions = {};
  if ($('k-status').value) actions.status = $('k-status').value;
  const tags = $('k-tags').value.split(',').map((t) => t.trim()).filter(Boolean);
  if (tags.length) actions.add_tags = tags;
  if ($('k-assign').value) actions.assign = $('k-assign').value;
  const body = { title: $('k-title').value, body: $('k-body').value, actions };
  $('canned-error').textContent = '';
  try {
    const path = editing ? `/v1/agent/canned/${encodeURIComponent(editing)}` : '/v1/agent/canned';
    const saved = await host.api(path, { body });
    host.say(`“${saved.title}” saved.`);
    resetForm();
    await showCanned();
  } catch (e) {
    // The API names each wrong field and says what is wrong (an unknown variable, say).
    $('canned-error').textContent = e.status === 422 && e.problem?.detail ? `Not saved: ${e.problem.detail}.` : host.problemText(e);
  }
}

async function removeReply(reply) {
  try {
    await host.api(`/v1/agent/canned/${encodeURIComponent(reply.id)}/remove`, { body: {} });
    host.say(`“${reply.title}” removed.`);
    if (editing === reply.id) resetForm();
  } catch (e) {
    host.say(host.problemText(e), true);
  }
  await showCanned();
}
