// The console's Agents screen, for admins: the roster (agents from
// buoy.toml, read-only, and the ones added here), adding an agent,
// changing a role, removing an agent, and the audit trail. The rules
// (who may, what a record holds, never without an admin) live in the
// API; this file draws its answers and sends what the admin picks.

import { $, el } from './dom.js';

let host = null; // { api, say, human, problemText }
let request = 0;

/** Wires the screen's form; `options` lends the console's network and status line. */
export function initAgents(options) {
  host = options;
  $('agent-form').addEventListener('submit', onAdd);
}

/** Forgets the roster and the trail (on sign-out). */
export function clearAgents() {
  request += 1;
  $('agents-list').replaceChildren();
  $('audit').replaceChildren();
}

/** Draws the roster and the audit trail (called by the router). */
export async function showAgents() {
  const mine = ++request;
  try {
    const [roster, trail] = await Promise.all([host.api('/v1/agent/agents'), host.api('/v1/agent/audit')]);
    if (mine !== request) return;
    drawForm(roster);
    drawRoster(roster);
    drawAudit(trail.events || []);
  } catch (e) {
    host.say(host.problemText(e), true);
  }
}

function drawForm(roster) {
  const sites = $('a-sites');
  if (sites.dataset.drawn === roster.sites.join(',')) return;
  sites.dataset.drawn = roster.sites.join(',');
  const legend = el('legend', null, 'Sites');
  sites.replaceChildren(legend, ...roster.sites.map((site, i) => {
    const box = el('input');
    box.type = 'checkbox';
    box.name = 'sites';
    box.value = site;
    box.id = `a-site-${i}`;
    const label = el('label', 'check', box, ` ${site}`);
    return label;
  }));
  $('a-role').replaceChildren(...roster.roles.map((r) => {
    const option = el('option', null, host.human(r));
    option.value = r;
    return option;
  }));
}

function drawRoster(roster) {
  const rows = roster.agents.map((agent) => {
    const who = agent.email || agent.name;
    const role = el('td', null);
    const actions = el('td', null);
    if (agent.source === 'console') {
      const select = el('select');
      select.setAttribute('aria-label', `Role of ${who}`);
      for (const r of roster.roles) {
        const option = el('option', null, host.human(r));
        option.value = r;
        select.append(option);
      }
      select.value = agent.role;
      select.addEventListener('change', () => change(agent.email, { role: select.value }));
      role.append(select);
      const remove = el('button', 'quiet', 'Remove');
      remove.type = 'button';
      remove.setAttribute('aria-label', `Remove ${who}`);
      remove.addEventListener('click', () => removeAgent(agent.email));
      actions.append(remove);
    } else {
      role.append(host.human(agent.role));
      actions.append(el('span', 'hint', 'Set in buoy.toml'));
    }
    const name = el('th', null, agent.name);
    name.scope = 'row';
    const row = el('tr', null, name, el('td', null, agent.email || '—'), el('td', null, agent.sites.join(', ')), role, actions);
    row.dataset.email = agent.email || '';
    return row;
  });
  $('agents-list').replaceChildren(...rows);
}

function drawAudit(events) {
  const text = (e) => {
    switch (e.kind) {
      case 'sign_in': return `${e.by} signed in (${e.via})`;
      case 'agent_added': return `${e.by} added ${e.agent} as ${e.role}`;
      case 'agent_changed': return `${e.by} changed ${e.agent}: ${e.was} → ${e.role}`;
      case 'agent_removed': return `${e.by} removed ${e.agent} (${e.was})`;
      case 'privacy_export': return `${e.by} exported ${e.tickets} ticket(s) of requester ${e.requester}`;
      case 'privacy_erase': return `${e.by} erased ${e.tickets} ticket(s) of requester ${e.requester}`;
      case 'canned_added': return `${e.by} added the canned reply “${e.agent}”`;
      case 'canned_changed': return `${e.by} changed the canned reply “${e.agent}”`;
      case 'canned_removed': return `${e.by} removed the canned reply “${e.agent}”`;
      default: return `${e.by}: ${host.human(e.kind)}`;
    }
  };
  const items = events.map((e) => {
    const when = el('time', null, new Date(e.at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }));
    when.dateTime = e.at;
    return el('li', null, when, ' ', text(e));
  });
  $('audit').replaceChildren(...items);
  $('audit-empty').hidden = events.length > 0;
}

async function onAdd(event) {
  event.preventDefault();
  const form = $('agent-form');
  const body = {
    email: $('a-email').value.trim(),
    name: $('a-name').value.trim(),
    sites: [...form.querySelectorAll('input[name=sites]:checked')].map((b) => b.value),
    role: $('a-role').value,
  };
  $('agent-error').textContent = '';
  try {
    await host.api('/v1/agent/agents', { body });
    form.reset();
    host.say(`${body.email} added.`);
    await showAgents();
  } catch (e) {
    $('agent-error').textContent = host.problemText(e);
  }
}

async function change(email, body) {
  try {
    await host.api(`/v1/agent/agents/${encodeURIComponent(email)}`, { body });
    host.say(`${email} changed.`);
  } catch (e) {
    host.say(host.problemText(e), true);
  }
  await showAgents();
}

async function removeAgent(email) {
  try {
    await host.api(`/v1/agent/agents/${encodeURIComponent(email)}/remove`, { body: {} });
    host.say(`${email} removed.`);
  } catch (e) {
    host.say(host.problemText(e), true);
  }
  await showAgents();
}
