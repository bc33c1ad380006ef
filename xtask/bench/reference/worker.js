// A reference worker in idiomatic JavaScript that does Buoy's work for
// the endpoints `cargo xtask bench` measures, for a fair comparison: the
// same validation, routing (rules and the urgency and tone lexicons), SLA
// stamp with business hours, keyed hashes and idempotency check, the same
// KV keys written and read, the same fold of events into state and clocks.
// Its configuration and lexicons are Buoy's own, handed over by the bench
// as JSON (`env.BUOY_REFERENCE_DATA`). Not part of Buoy.
//
// Under `BUOY_BENCH` it does what Buoy does under that variable: every
// answer says the KV operations it spent (`buoy-kv-operations`), and with
// `memory` the tickets are kept in the isolate's memory instead of KV.
//
// Business hours are hand arithmetic over the weekly hours and holidays in
// a fixed-offset zone (`UTC` or `+02:00`): no time-zone database, so a zone
// with daylight saving time is refused at start.

const encoder = new TextEncoder();
const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TYPES = ['password_reset', 'billing', 'outage', 'bug', 'how_to', 'feature_request', 'account', 'other'];
const TICKET_FIELDS = new Set(['site', 'name', 'email', 'type', 'subject', 'message', 'context', 'identity', 'website', 'email_replies', 'attachments']);
const CONTEXT_FIELDS = new Set(['url', 'title', 'locale', 'time_zone', 'user_agent']);
const PRIORITY_RANK = { low: 0, normal: 1, high: 2, urgent: 3 };
const SOLVED = new Set(['solved', 'closed']);
const MAX_BODY = { '/v1/tickets': 64 * 1024 };
const NEWEST_FIRST = 999999999999999;

// ---- responses ------------------------------------------------------------

const json = (status, body, headers = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers } });
class Problem extends Error {
  constructor(status, code, extra = {}) { super(code); this.status = status; this.code = code; this.extra = extra; }
  response() {
    return new Response(JSON.stringify({ type: 'about:blank', status: this.status, code: this.code, ...this.extra }),
      { status: this.status, headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store' } });
  }
}
const invalid = (errors) => new Problem(422, 'validation_failed', { errors });

// ---- KV: counted, and in memory under BUOY_BENCH=memory -------------------

class MemoryKv {
  constructor() { this.values = new Map(); this.sorted = []; }
  async get(key) { return this.values.get(key)?.value ?? null; }
  async put(key, value, options = {}) {
    if (!this.values.has(key)) {
      let lo = 0, hi = this.sorted.length;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (this.sorted[mid] < key) lo = mid + 1; else hi = mid; }
      this.sorted.splice(lo, 0, key);
    }
    this.values.set(key, { value, metadata: options.metadata ?? null });
  }
  async delete(key) {
    if (this.values.delete(key)) this.sorted.splice(this.sorted.indexOf(key), 1);
  }
  async list({ prefix = '', limit = 1000, cursor } = {}) {
    const after = cursor ?? '';
    let lo = 0, hi = this.sorted.length;
    const from = after > prefix ? after : prefix;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (this.sorted[mid] < from) lo = mid + 1; else hi = mid; }
    const keys = [];
    for (let i = lo; i < this.sorted.length && this.sorted[i].startsWith(prefix); i++) {
      if (this.sorted[i] === after) continue;
      if (keys.length === limit) return { keys, list_complete: false, cursor: keys[keys.length - 1].name };
      keys.push({ name: this.sorted[i], metadata: this.values.get(this.sorted[i]).metadata });
    }
    return { keys, list_complete: true };
  }
}
const isolateMemory = new MemoryKv();

function counted(kv) {
  const spent = { get: 0, put: 0, list: 0, delete: 0 };
  return {
    spent,
    get: (key, type) => { spent.get++; return kv.get(key, type); },
    put: (key, value, options) => { spent.put++; return kv.put(key, value, options); },
    list: (options) => { spent.list++; return kv.list(options); },
    delete: (key) => { spent.delete++; return kv.delete(key); },
  };
}

// ---- keys and hashes ------------------------------------------------------

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const keyCache = new Map();
async function hmacKey(secret) {
  let key = keyCache.get(secret);
  if (!key) {
    key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    keyCache.set(secret, key);
  }
  return key;
}
async function mac(secret, bytes) { return new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(secret), bytes)); }
async function keyedHash(secret, label, parts) {
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
  return mac(secret, data);
}
const fromHex = (text) => Uint8Array.from(text.match(/../g) ?? [], (h) => parseInt(h, 16));
const requesterToken = async (secret, id) => hex(await keyedHash(secret, 'buoy/requester-token/v1', [fromHex(id)]));
const userKey = async (secret, site, user) => hex((await keyedHash(secret, 'buoy/user-index/v1', [site, user])).slice(0, 16));
const requestHash = async (body) => hex(new Uint8Array(await crypto.subtle.digest('SHA-256', body)));
function secretsEqual(a, b) {
  const x = encoder.encode(a), y = encoder.encode(b);
  return x.length === y.length && crypto.subtle.timingSafeEqual(x, y);
}

function reference(id) {
  const bytes = fromHex(id);
  let bits = 0n;
  for (const b of bytes.slice(0, 5)) bits = (bits << 8n) | BigInt(b);
  let out = '';
  for (let i = 0; i < 8; i++) {
    out += CROCKFORD[Number((bits >> BigInt(35 - 5 * i)) & 31n)];
    if (i === 3) out += '-';
  }
  return out;
}
const pad15 = (n) => String(n).padStart(15, '0');
const iso = (ms) => new Date(ms).toISOString();
const utcDay = (ms) => iso(ms).slice(0, 10);

// ---- validation (buoy_shared::ticket) --------------------------------------

const chars = (s) => [...s].length;
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
function checkText(errors, field, value, max, required) {
  if (required && value.trim() === '') errors.push({ field, code: 'required' });
  else if (chars(value) > max) errors.push({ field, code: 'too_long' });
  else if (CONTROL.test(value)) errors.push({ field, code: 'invalid_text' });
}
function plausibleEmail(email) {
  const at = email.indexOf('@');
  if (at < 0) return false;
  const local = email.slice(0, at), domain = email.slice(at + 1);
  return local.length > 0 && encoder.encode(local).length <= 64 && domain.includes('.') && !domain.includes('@')
    && domain.split('.').every((l) => l !== '' && !l.startsWith('-') && !l.endsWith('-'))
    && !/[\s<>,\u0000-\u001f\u007f-\u009f]/.test(email);
}
const siteId = (s) => typeof s === 'string' && /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/.test(s);
function validate(t) {
  const errors = [];
  const c = t.context ?? {};
  for (const [k, v] of [['name', t.name], ['email', t.email], ['type', t.type], ['subject', t.subject], ['message', t.message]]) {
    if (v !== undefined && typeof v !== 'string') throw new Problem(400, 'invalid_request', { detail: `${k}: a string` });
  }
  if (!siteId(t.site ?? '')) errors.push({ field: 'site', code: 'unknown_site' });
  checkText(errors, 'name', t.name ?? '', 100, false);
  const email = (t.email ?? '').trim();
  if (email === '') errors.push({ field: 'email', code: 'required' });
  else if (chars(email) > 254) errors.push({ field: 'email', code: 'too_long' });
  else if (!plausibleEmail(email)) errors.push({ field: 'email', code: 'invalid_email' });
  if (!TYPES.includes(t.type)) errors.push({ field: 'type', code: t.type ? 'unknown_type' : 'required' });
  checkText(errors, 'subject', t.subject ?? '', 200, true);
  checkText(errors, 'message', t.message ?? '', 10000, true);
  checkText(errors, 'context.url', c.url ?? '', 2048, false);
  for (const k of ['title', 'locale', 'time_zone', 'user_agent']) checkText(errors, 'context', c[k] ?? '', 512, false);
  return errors;
}

// ---- routing (buoy_shared::routing) ----------------------------------------

function charClass(ch) {
  const c = ch.codePointAt(0);
  if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57)) return 'w';
  if (c === 0x27 || c === 0x2019 || c === 0x2bc) return 'a';
  if ('.,;:!?\n\u2026\u00a1\u00bf\u060c\u061b\u061f\u06d4\u3001\u3002\uff01\uff0c\uff1f\uff1b'.includes(ch)) return 'b';
  if (c <= 0xbf || c === 0xd7 || c === 0xf7 || (c >= 0x2000 && c <= 0x206f) || (c >= 0x2190 && c <= 0x2bff)
    || (c >= 0x3000 && c <= 0x303f) || (c >= 0xfe00 && c <= 0xfe0f) || c === 0xfeff || (c >= 0x1f000 && c <= 0x1faff)) return 's';
  return 'w';
}
function words(text) {
  const out = [];
  const cs = [...text];
  let i = 0, brk = false;
  while (i < cs.length) {
    const k = charClass(cs[i]);
    if (k !== 'w') { if (k === 'b') brk = true; i++; continue; }
    let j = i + 1;
    while (j < cs.length) {
      const kj = charClass(cs[j]);
      if (kj === 'w' || (kj === 'a' && j + 1 < cs.length && charClass(cs[j + 1]) === 'w')) j++;
      else break;
    }
    out.push({ text: cs.slice(i, j).join(''), brk });
    brk = false;
    i = j;
  }
  return out;
}
function fold(word) {
  let out = '';
  for (const ch of word) {
    const c = ch.codePointAt(0);
    if (c === 0x640 || (c >= 0x64b && c <= 0x652) || c === 0x670) continue;
    if (c === 0x622 || c === 0x623 || c === 0x625 || c === 0x671) out += '\u0627';
    else if (c === 0x649) out += '\u064a';
    else if (c === 0x629) out += '\u0647';
    else if (charClass(ch) === 'a') out += "'";
    else out += c < 128 ? ch.toLowerCase() : ch;
  }
  return out;
}
const ELIDES = new Set(['c', 'd', 'j', 'l', 'm', 'n', 'qu', 's', 't']);
function elided(word) {
  const m = /^([^'\u2019\u02bc]*)['\u2019\u02bc](.+)$/.exec(word);
  return m && ELIDES.has(m[1].toLowerCase()) ? m[2] : word;
}
const isJapanese = (entry) => { const c = entry.codePointAt(0); return c >= 0x3040 && c <= 0x9fff; };

function prepareLexicons(lexicons, japaneseNegations) {
  const entry = (text) => ({ text, japanese: isJapanese(text), words: words(text).map((w) => fold(w.text)) });
  return {
    japaneseNegations,
    lexicons: lexicons.map((l) => ({
      urgent: l.urgent.map(entry),
      negative: l.negative.map(([w, n]) => ({ ...entry(w), weight: n })),
      negatedPositive: l.negated_positive.map(([w, n]) => ({ ...entry(w), weight: n })),
    })),
    urgencyNegators: new Set(lexicons.flatMap((l) => l.urgency_negators.map(fold))),
    negators: new Set(lexicons.flatMap((l) => l.negators.map(fold))),
  };
}
function tokens(subject, message) {
  const s = words(subject), m = words(message);
  if (m.length) m[0].brk = true;
  return [...s, ...m].map((t) => ({ ...t, folded: fold(t.text), bare: fold(elided(t.text)) }));
}
function phraseAt(toks, at, entry) {
  if (entry.japanese) return toks[at]?.text.includes(entry.text) ?? false;
  let n = 0;
  for (const w of entry.words) {
    const t = toks[at + n];
    if (!t || (t.folded !== w && t.bare !== w) || (n > 0 && t.brk)) return false;
    n++;
  }
  return n > 0;
}
function negated(toks, at, set) {
  for (let k = at, i = 0; i < 2; i++, k--) {
    const current = toks[k], before = toks[k - 1];
    if (!current || !before || current.brk) return false;
    if (set.has(before.folded)) return true;
  }
  return false;
}
function detect(lex, toks, exclamations) {
  const urgent = [];
  let score = 0;
  for (let at = 0; at < toks.length; at++) {
    for (const l of lex.lexicons) {
      for (const e of l.urgent) {
        if (urgent.includes(e.text)) continue;
        const hit = e.japanese
          ? [...toks[at].text.matchAll(new RegExp(e.text, 'g'))].some((m) => !lex.japaneseNegations.some((n) => toks[at].text.startsWith(n, m.index + e.text.length)))
          : phraseAt(toks, at, e) && !negated(toks, at, lex.urgencyNegators);
        if (hit) urgent.push(e.text);
      }
      for (const e of l.negative) if (phraseAt(toks, at, e) && !negated(toks, at, lex.negators)) score += e.weight;
      for (const e of l.negatedPositive) if (phraseAt(toks, at, e) && negated(toks, at, lex.negators)) score += e.weight;
    }
  }
  let run = 0;
  for (const t of toks) {
    if (/[a-z]/.test(t.text)) run = 0;
    else if ((t.text.match(/[A-Z]/g) ?? []).length >= 3 && ++run >= 3) { score += 2; break; }
  }
  if (exclamations) score += 1;
  return { urgent, score };
}
function route(data, input) {
  const toks = tokens(input.subject, input.message);
  const language = input.locale?.trim().split(/[-_]/)[0] || null;
  let group = null, priority = null;
  const tags = [];
  for (const rule of data.config.routing) {
    const w = rule.when ?? {};
    const matches = (!w.type?.length || w.type.includes(input.kind))
      && (!w.segment?.length || w.segment.includes(input.segment))
      && (!w.language?.length || (language && w.language.some((l) => l.trim().toLowerCase() === language.toLowerCase())))
      && (!w.keywords?.length || w.keywords.some((k) => { const e = { text: k, japanese: isJapanese(k), words: words(k).map((x) => fold(x.text)) }; return toks.some((_, at) => phraseAt(toks, at, e)); }));
    if (!matches) continue;
    group ??= rule.then.group ?? null;
    if (rule.then.priority && (!priority || PRIORITY_RANK[rule.then.priority] > PRIORITY_RANK[priority])) priority = rule.then.priority;
    for (const tag of rule.then.tags ?? []) if (!tags.includes(tag)) tags.push(tag);
  }
  priority ??= 'normal';
  const found = detect(data.lexicon, toks, input.subject.includes('!!') || input.message.includes('!!'));
  const urgent = found.urgent.length > 0, negative = found.score >= 4;
  const floor = urgent && negative ? 'urgent' : urgent ? (input.kind === 'outage' ? 'urgent' : 'high') : negative ? 'high' : null;
  if (floor && PRIORITY_RANK[floor] > PRIORITY_RANK[priority]) priority = floor;
  return { group, priority, tags };
}

// ---- SLA and business hours (buoy_shared::sla, calendar) -------------------

function span(text) {
  let secs = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)([dhms])/g)) secs += Number(n) * { d: 86400, h: 3600, m: 60, s: 1 }[unit];
  return secs;
}
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
function prepareCalendar(calendar) {
  const zone = calendar.time_zone;
  const m = /^(?:UTC|Z|([+-])(\d\d):?(\d\d))$/.exec(zone);
  if (!m) throw new Error(`the reference worker counts business hours in UTC or a fixed offset, not ${zone}`);
  const offset = m[1] ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60000 : 0;
  const minutes = (hhmm) => { const [h, mm] = hhmm.split(':').map(Number); return (h * 60 + mm) * 60000; };
  const week = WEEKDAYS.map((d) => (calendar.open[d] ? calendar.open[d].split(',').map((w) => w.trim().split('-').map(minutes)) : []));
  return { offset, week, holidays: new Set(calendar.holidays ?? []) };
}
// The open intervals (ms) from `from` on, in order. With a fixed offset no
// two overlap, so they need no merging; ten years closed ends the search.
function* runs(cal, from) {
  let day = Math.floor((from + cal.offset) / DAY) * DAY;
  for (let closed = 0; closed < 3660; day += DAY) {
    const date = new Date(day);
    const windows = cal.holidays.has(date.toISOString().slice(0, 10)) ? [] : cal.week[date.getUTCDay()];
    closed = windows.length ? 0 : closed + 1;
    for (const [open, close] of windows) {
      const a = Math.max(day + open - cal.offset, from), b = day + close - cal.offset;
      if (b > a) yield [a, b];
    }
  }
}
function deadline(cal, start, secs) {
  if (!cal) return start + secs * 1000;
  let remaining = Math.max(secs, 0) * 1000, cursor = start;
  for (const [open, close] of runs(cal, start)) {
    if (remaining <= close - open) return open + remaining;
    remaining -= close - open;
    cursor = close;
  }
  return cursor + remaining;
}
function elapsed(cal, from, to) {
  if (to <= from) return 0;
  if (!cal) return Math.floor((to - from) / 1000);
  let total = 0;
  for (const [open, close] of runs(cal, from)) {
    if (open >= to) break;
    total += Math.min(close, to) - open;
  }
  return Math.floor(total / 1000);
}
function stamp(config, segment, priority, started) {
  const policy = config.policies[segment];
  const target = (metric, spec) => ({ metric, hours: spec.hours, span: spec[priority] });
  const targets = [target('first_response', policy.first_response)];
  if (policy.next_response) targets.push(target('next_response', policy.next_response));
  targets.push(target('resolution', policy.resolution));
  return { started: iso(started), segment, priority, targets };
}
const calendarOf = (data, hours) => (hours === 'business' ? data.calendar : null);

// ---- events: fold, clocks, facts (buoy_shared::events, sla, metrics) -------

const byTime = (a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
function afterMessage(status, agent, isPublic) {
  if (status === 'new' && agent && isPublic) return 'open';
  if ((status === 'pending' || status === 'solved') && !agent) return 'open';
  return status;
}
function foldState(ticket, events) {
  const s = { segment: ticket.segment, priority: ticket.priority, status: ticket.status, tier: ticket.tier, assignee: null, tags: [...ticket.tags], stamp: ticket.sla, csat: null };
  for (const e of [...events].sort(byTime)) {
    switch (e.kind) {
      case 'segment_changed': s.segment = e.segment; s.stamp = e.stamp; break;
      case 'escalated': s.tier = e.tier ?? s.tier; s.assignee = e.assign ?? s.assignee; break;
      case 'rated': s.csat = { satisfied: e.satisfied, comment: e.comment, at: e.at }; break;
      case 'message': s.status = afterMessage(s.status, e.agent, e.public); break;
      case 'changed':
        s.status = e.status ?? s.status;
        if (e.priority) { s.priority = e.priority[0]; s.stamp = e.priority[1]; }
        s.tier = e.tier ?? s.tier;
        if (e.assignee !== undefined) s.assignee = e.assignee || null;
        if (e.tags) s.tags = e.tags;
        break;
      default:
    }
  }
  return s;
}
function clockEvents(events) {
  let status = 'new';
  const out = [];
  for (const e of [...events].sort(byTime)) {
    const at = Date.parse(e.at);
    let next = status;
    if (e.kind === 'message') {
      if (e.agent && e.public) out.push({ kind: 'agent', at });
      else if (!e.agent) out.push({ kind: 'requester', at });
      next = afterMessage(status, e.agent, e.public);
    } else if (e.kind === 'changed' && e.status) next = e.status;
    if (next !== status) { out.push({ kind: 'status', status: next, at }); status = next; }
  }
  return out;
}
function timeline(started, events) {
  const changes = [[started, 'new']];
  for (const e of events) if (e.kind === 'status') changes.push([Math.max(e.at, started), e.status]);
  return changes.sort((a, b) => a[0] - b[0]);
}
const statusAt = (changes, t) => { let s = 'new'; for (const [at, st] of changes) if (at <= t) s = st; return s; };
function reach(changes, from, secs, end, paused, cal) {
  let left = secs;
  for (let i = 0; i < changes.length; i++) {
    const [at, status] = changes[i];
    const next = changes[i + 1]?.[0];
    const start = Math.max(at, from);
    const stop = next !== undefined && end != null ? Math.min(next, end) : next ?? end ?? null;
    if ((stop !== null && stop <= start) || paused.includes(status)) continue;
    if (stop === null) return deadline(cal, start, left);
    const worked = elapsed(cal, start, stop);
    if (worked >= left) return deadline(cal, start, left);
    left -= worked;
  }
  return null;
}
function accrued(changes, from, to, paused, cal) {
  let total = 0;
  for (let i = 0; i < changes.length; i++) {
    const [at, status] = changes[i];
    const start = Math.max(at, from), stop = Math.min(changes[i + 1]?.[0] ?? to, to);
    if (stop > start && !paused.includes(status)) total += elapsed(cal, start, stop);
  }
  return total;
}
function run(data, target, cycle, changes, from, end, paused, now) {
  const cal = calendarOf(data, target.hours);
  const secs = span(target.span);
  const clock = { metric: target.metric, cycle, state: 'active', hours: target.hours, target: target.span, due: null, remaining_seconds: 0, at: null, running: end == null || end > now };
  const limit = end == null ? now : Math.min(end, now);
  const due = reach(changes, from, secs, end, paused, cal);
  if (due !== null && due <= limit) return { ...clock, state: 'breached', due: iso(due), at: iso(due) };
  if (end != null && end <= now) return { ...clock, state: 'met', at: iso(end), due: due === null ? null : iso(due) };
  clock.remaining_seconds = Math.max(secs - accrued(changes, from, now, paused, cal), 0);
  if (paused.includes(statusAt(changes, now))) clock.state = 'paused';
  else clock.due = due === null ? null : iso(due);
  return clock;
}
function clocks(data, ticket, events, now) {
  const state = foldState(ticket, events);
  const evs = clockEvents(events);
  const started = Date.parse(state.stamp.started);
  const changes = timeline(started, evs);
  const firstSolve = evs.find((e) => e.kind === 'status' && SOLVED.has(e.status))?.at;
  const firstReply = evs.find((e) => e.kind === 'agent')?.at;
  const out = [];
  for (const target of state.stamp.targets) {
    if (target.metric === 'first_response') {
      const end = firstReply != null && firstSolve != null ? Math.min(firstReply, firstSolve) : firstReply ?? firstSolve;
      out.push(run(data, target, 0, changes, started, end, ['pending'], now));
    } else if (target.metric === 'resolution') {
      const end = SOLVED.has(statusAt(changes, now)) ? [...changes].reverse().find(([, s]) => SOLVED.has(s))[0] : null;
      out.push(run(data, target, 0, changes, started, end, ['pending', 'solved', 'closed'], now));
    } else {
      let cycle = 0, waiting = null, replied = false;
      for (const e of evs) {
        if (e.kind === 'agent') { if (waiting !== null) { out.push(run(data, target, cycle++, changes, waiting, e.at, ['pending'], now)); waiting = null; } replied = true; }
        else if (e.kind === 'requester' && replied && waiting === null) waiting = e.at;
        else if (e.kind === 'status' && SOLVED.has(e.status) && waiting !== null) { out.push(run(data, target, cycle++, changes, waiting, e.at, ['pending'], now)); waiting = null; }
      }
      if (waiting !== null) out.push(run(data, target, cycle, changes, waiting, null, ['pending'], now));
    }
  }
  for (const e of events) {
    if (e.kind !== 'breached') continue;
    const c = out.find((x) => x.metric === e.metric && x.cycle === e.cycle);
    if (c) Object.assign(c, { state: 'breached', at: e.at, due: e.at, remaining_seconds: 0 });
  }
  return out;
}
const nextDue = (cs) => cs.filter((c) => c.running && (c.state === 'active' || c.state === 'breached') && c.due).map((c) => c.due).sort()[0] ?? null;
function initialDue(data, sla) {
  const started = Date.parse(sla.started);
  return Math.min(...sla.targets.filter((t) => t.metric !== 'next_response').map((t) => deadline(calendarOf(data, t.hours), started, span(t.span))));
}
function nextCheck(data, ticket, events, now) {
  const state = foldState(ticket, events);
  const due = clocks(data, ticket, events, now).filter((c) => c.state === 'active' && c.due).map((c) => Date.parse(c.due));
  if (!SOLVED.has(state.status)) {
    const received = Date.parse(ticket.created_at);
    for (const key of [ticket.type, 'any']) {
      (data.config.playbooks[key]?.escalate ?? []).forEach((rule, i) => {
        if (rule.segment?.length && !rule.segment.includes(state.segment)) return;
        if (!events.some((e) => e.id === `escalate-${key}.${i}`)) due.push(received + span(rule.after) * 1000);
      });
    }
  }
  return due.length ? Math.min(...due) : null;
}
function facts(data, ticket, events, now) {
  const state = foldState(ticket, events);
  const created = Date.parse(ticket.created_at);
  const spanOf = (at) => [Math.max(at - created, 0) / 1000 | 0, elapsed(data.calendar, created, at)];
  const replies = events.filter((e) => e.kind === 'message' && e.agent && e.public).map((e) => Date.parse(e.at));
  const solvedAt = SOLVED.has(state.status) ? clockEvents(events).reverse().find((c) => c.kind === 'status' && SOLVED.has(c.status))?.at : undefined;
  const f = { c: created, s: state.segment, k: ticket.type };
  if (ticket.channel !== 'widget') f.h = ticket.channel;
  if (replies.length) f.f = spanOf(Math.min(...replies));
  if (solvedAt !== undefined) f.r = spanOf(solvedAt);
  f.n = replies.length;
  if (events.some((e) => e.kind === 'escalated' || (e.kind === 'changed' && e.tier > ticket.tier))) f.e = true;
  const finished = clocks(data, ticket, events, now).filter((c) => c.state === 'met' || c.state === 'breached').map((c) => [c.metric, c.state === 'met']);
  if (finished.length) f.m = finished;
  if (state.csat) f.q = state.csat.satisfied;
  if (ticket.type === 'feature_request') f.x = [...ticket.subject].slice(0, 80).join('');
  if (events.some((e) => e.kind === 'attachment')) f.a = true;
  return f;
}

// ---- queue rows (buoy_shared::queue::QueueRow) -------------------------------

const ROW_FORMAT = 1;
const METRICS = ['first_response', 'next_response', 'resolution'];
const ELLIPSIS = '\u2026';
function cut(text, budget) {
  if (encoder.encode(JSON.stringify(text)).length <= budget) return [text, false];
  const room = budget - 2 - 3;
  let used = 0, out = '';
  for (const ch of text) {
    used += encoder.encode(JSON.stringify(ch)).length - 2;
    if (used > room) break;
    out += ch;
  }
  return [out + ELLIPSIS, true];
}
function buildRow(data, ticket, events, now) {
  const state = foldState(ticket, events);
  const cs = clocks(data, ticket, events, now);
  const created = Date.parse(ticket.created_at);
  const lastPublic = events.filter((e) => e.kind === 'message' && e.public).reduce((m, e) => Math.max(m, Date.parse(e.at)), created);
  const r = ticket.requester;
  const requester = r.signed?.name || r.typed.name || r.signed?.email || r.typed.email || '';
  const [assignee, assigneeCut] = state.assignee ? cut(state.assignee, 80) : [null, false];
  let used = 0;
  const tags = [];
  for (const tag of state.tags) { used += encoder.encode(JSON.stringify(tag)).length + 1; if (used > 200) break; tags.push(tag); }
  const flags = (tags.length < state.tags.length ? 1 : 0) + (assigneeCut ? 2 : 0) + (cs.some((c) => c.state === 'breached') ? 4 : 0);
  return [ROW_FORMAT, created, ticket.type, ticket.channel, state.status, state.priority, state.segment, state.tier, assignee,
    ticket.group ? cut(ticket.group, 80)[0] : null, tags, flags, state.csat ? state.csat.satisfied : null, lastPublic,
    cs.filter((c) => c.running).map((c) => [METRICS.indexOf(c.metric), c.hours === 'business' ? 1 : 0, c.state === 'paused' || !c.due ? null : Date.parse(c.due), c.remaining_seconds]),
    cut(ticket.subject, 200)[0], cut(requester, 100)[0], now];
}
const rowNextDue = (row) => row[14].map((c) => c[2]).filter((d) => d !== null).reduce((m, d) => (m === null || d < m ? d : m), null);
function rowView(data, id, row, now) {
  const [, created, type, channel, status, priority, segment, tier, assignee, group, tags, flags, csat, last, cs, subject, requester, built] = row;
  const next = rowNextDue(row);
  const clockViews = cs.map(([m, business, due, remaining]) => ({
    metric: METRICS[m], hours: business ? 'business' : 'calendar', state: due === null ? 'paused' : due <= now ? 'breached' : 'active',
    due: due === null ? null : iso(due), remaining_seconds: due === null ? remaining : elapsed(business ? data.calendar : null, now, due),
  }));
  return {
    id, reference: reference(id), subject, requester, type, channel, created_at: iso(created), ...(group ? { group } : {}),
    state: { status, priority, segment, tier, assignee, tags, ...(csat === null ? {} : { csat: { satisfied: csat } }) },
    ...(flags & 1 ? { more_tags: true } : {}), clocks: clockViews, breached: (flags & 4) !== 0 || clockViews.some((c) => c.state === 'breached'),
    next_due: next === null ? null : iso(next), last_public_at: iso(last), as_of: iso(built),
  };
}
const rowUrgency = (id, row) => { const next = rowNextDue(row); return [SOLVED.has(row[4]) ? 1 : 0, next === null ? 1 : 0, next ?? 0, row[1], id]; };

// ---- storage (the layout of worker/src/store.rs) ----------------------------

const queueKey = (data, ticket, finished) =>
  `q/${ticket.site}/${finished ? 'z/' : ''}${pad15(initialDue(data, ticket.sla))}/${ticket.id}`;
// The queue entry with its row as metadata; `moved`: the entry may sit in
// the other part, deleted after the new one is written.
async function putRow(kv, data, ticket, row, moved) {
  const finished = SOLVED.has(row[4]);
  const metadata = JSON.stringify(row);
  await kv.put(queueKey(data, ticket, finished), '', encoder.encode(metadata).length <= 1024 ? { metadata: row } : {});
  if (moved) await kv.delete(queueKey(data, ticket, !finished));
}
const putFacts = (kv, data, ticket, events, now) =>
  kv.put(`m/${ticket.site}/${utcDay(Date.parse(ticket.created_at))}/${pad15(Date.parse(ticket.created_at))}/${ticket.id}`, '',
    { metadata: facts(data, ticket, events, now) });
async function readEvents(kv, id) {
  const events = [];
  let cursor;
  do {
    const page = await kv.list({ prefix: `e/${id}/`, limit: 1000, cursor });
    for (const key of page.keys) {
      if (key.metadata) events.push(key.metadata);
      else { const text = await kv.get(key.name); if (text) events.push(JSON.parse(text)); }
    }
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return events.sort(byTime);
}
async function queueWebhooks(kv, data, now, type, eventId, body) {
  const puts = [];
  data.config.webhooks.forEach((hook, i) => {
    if (hook.events?.length && !hook.events.includes(type)) return;
    const delivery = { hook: i, event_id: eventId, event_type: type, body: body(hook.format ?? 'json'), attempts: 0 };
    puts.push(kv.put(`o/${pad15(now)}/${eventId}.${i}`, JSON.stringify(delivery)));
  });
  await Promise.all(puts);
}
const summary = (t) => ({ id: t.id, reference: t.reference, site: t.site, subject: t.subject, type: t.type, segment: t.segment, priority: t.priority });
const slack = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const WEBHOOK_TYPE = { message: 'message.created', changed: 'ticket.updated', rated: 'csat.submitted' };

// ---- handlers ---------------------------------------------------------------

function readJson(ctx, request) {
  if ((request.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase() !== 'application/json') throw new Problem(415, 'unsupported_media_type');
  const { body } = ctx;
  try {
    const value = JSON.parse(new TextDecoder().decode(body));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Problem(400, 'invalid_request');
    return { value, body };
  } catch (e) {
    if (e instanceof Problem) throw e;
    throw new Problem(400, 'malformed_json');
  }
}
function secret(env) {
  if (!env.BUOY_SECRET) throw new Problem(500, 'internal');
  return env.BUOY_SECRET;
}
const IDEMPOTENCY = /^[\x21-\x7e]{8,128}$/;

async function verifiedIdentity(data, env, site, claim, now) {
  const name = data.config.sites[site]?.identity_secret;
  const key = name && env[name];
  if (!key || !claim?.token) return null;
  const parts = claim.token.split('.');
  if (parts.length !== 3) return null;
  const b64 = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  try {
    if (JSON.parse(new TextDecoder().decode(b64(parts[0]))).alg !== 'HS256') return null;
    const expected = await mac(key, encoder.encode(`${parts[0]}.${parts[1]}`));
    const given = b64(parts[2]);
    if (given.length !== expected.length || !crypto.subtle.timingSafeEqual(given, expected)) return null;
    const c = JSON.parse(new TextDecoder().decode(b64(parts[1])));
    if (typeof c.exp !== 'number' || c.exp * 1000 < now || c.exp * 1000 > now + DAY || typeof c.sub !== 'string' || !c.sub) return null;
    return { id: c.sub, email: c.email ?? null, name: c.name ?? null, segment: c.segment ?? 'free', account_manager: c.account_manager ?? null };
  } catch { return null; }
}

async function create(ctx, request) {
  const { data, env, kv, now } = ctx;
  const { value: input, body } = readJson(ctx, request);
  if (Object.keys(input).some((k) => !TICKET_FIELDS.has(k)) || Object.keys(input.context ?? {}).some((k) => !CONTEXT_FIELDS.has(k))) throw new Problem(400, 'invalid_request');
  if (input.website) throw new Problem(422, 'spam_suspected');
  const errors = validate(input);
  if (errors.length) throw invalid(errors);
  if (!data.config.sites[input.site]) throw invalid([{ field: 'site', code: 'unknown_site' }]);
  const key = secret(env);
  const idem = request.headers.get('idempotency-key');
  let id;
  if (idem !== null) {
    if (!IDEMPOTENCY.test(idem)) throw new Problem(400, 'invalid_idempotency_key');
    id = hex((await keyedHash(key, 'buoy/ticket-id/v1', [input.site, idem])).slice(0, 16));
    const existing = await kv.get(`t/${id}`);
    if (existing) {
      const t = JSON.parse(existing);
      if (t.request_hash !== await requestHash(body) || now - Date.parse(t.created_at) > DAY) throw new Problem(422, 'idempotency_key_reused');
      return json(200, { id: t.id, reference: t.reference, requester_token: await requesterToken(key, t.id), status: t.status, created_at: t.created_at },
        { location: `/v1/tickets/${t.id}`, 'idempotent-replayed': 'true' });
    }
  } else {
    id = hex(crypto.getRandomValues(new Uint8Array(16)));
  }
  const verified = await verifiedIdentity(data, env, input.site, input.identity, now);
  if (!verified && data.config.sites[input.site].require_identity) throw new Problem(401, 'identity_required');
  const segment = verified?.segment ?? 'free';
  const routed = route(data, { kind: input.type, segment, locale: input.context?.locale, subject: input.subject, message: input.message });
  const context = Object.fromEntries(Object.entries(input.context ?? {}).filter(([, v]) => v != null));
  const ticket = {
    id, reference: reference(id), site: input.site,
    requester: { typed: { name: (input.name ?? '').trim(), email: input.email.trim() } },
    segment, type: input.type, priority: routed.priority, channel: 'widget', status: 'new', tier: 1,
    ...(routed.group ? { group: routed.group } : {}), tags: routed.tags,
    subject: input.subject.trim(), message: input.message.trim(), context,
    created_at: iso(now), sla: stamp(data.config, segment, routed.priority, now),
  };
  if (input.email_replies === false) ticket.email_replies = false;
  if (idem !== null) ticket.request_hash = await requestHash(body);
  if (verified) ticket.requester.signed = { user_id: verified.id, email: verified.email, name: verified.name, account_manager: verified.account_manager };
  // The record first, so no index names a ticket not written; then the
  // rest at once: none of it depends on another.
  await kv.put(`t/${id}`, JSON.stringify(ticket));
  const check = nextCheck(data, ticket, [], now);
  const row = buildRow(data, ticket, [], now);
  await Promise.all([
    putRow(kv, data, ticket, row, false),
    check !== null ? kv.put(`d/${pad15(check)}/${id}`, '') : null,
    verified ? userKey(key, input.site, verified.id).then((user) => kv.put(`u/${input.site}/${user}/${pad15(NEWEST_FIRST - now)}/${id}`, '')) : null,
    putFacts(kv, data, ticket, [], now),
    queueWebhooks(kv, data, now, 'ticket.created', `${id}.created`, (format) => (format === 'slack'
      ? JSON.stringify({ text: `[${slack(ticket.reference)}] New ${slack(ticket.type)} ticket (${slack(ticket.segment)}): ${slack(ticket.subject)}` })
      : JSON.stringify({ id: `${id}.created`, type: 'ticket.created', created: iso(now), data: { ticket } }))),
  ]);
  return json(201, { id, reference: ticket.reference, requester_token: await requesterToken(key, id), status: 'new', created_at: ticket.created_at },
    { location: `/v1/tickets/${id}` });
}

async function requesterOwned(ctx, request, id) {
  if (!/^[0-9a-f]{32}$/.test(id)) throw new Problem(404, 'not_found');
  const given = request.headers.get('buoy-requester-token') ?? '';
  if (!secretsEqual(await requesterToken(secret(ctx.env), id), given)) throw new Problem(404, 'not_found');
  const text = await ctx.kv.get(`t/${id}`);
  if (!text) throw new Problem(404, 'not_found');
  return JSON.parse(text);
}
function requesterView(ticket, events) {
  const files = (message) => events.filter((e) => e.kind === 'attachment' && e.message === message && e.public).map((e) => e.file);
  return {
    id: ticket.id, reference: ticket.reference, status: foldState(ticket, events).status,
    messages: events.filter((e) => e.kind === 'message' && e.public).map((e) => ({ from: e.agent ? e.by : 'you', body: e.body, at: e.at, attachments: files(e.id) })),
    type: ticket.type, subject: ticket.subject, message: ticket.message, name: ticket.requester.typed.name, email: ticket.requester.typed.email,
    created_at: ticket.created_at, attachments: files('first'), ...(foldState(ticket, events).csat ? { csat: foldState(ticket, events).csat } : {}),
  };
}
async function readTicket(ctx, request, id) {
  const ticket = await requesterOwned(ctx, request, id);
  return json(200, requesterView(ticket, await readEvents(ctx.kv, ticket.id)));
}
function agentView(data, ticket, events, now) {
  const cs = clocks(data, ticket, events, now);
  return { ...ticket, state: foldState(ticket, events), clocks: cs, next_due: nextDue(cs), events: events.map((e) => (e.kind === 'message' ? { ...e, attachments: [] } : e)), attachments: [] };
}
// Appends an event and does what Buoy's `record_hashed` does after it.
async function record(ctx, ticket, event) {
  const { data, kv, now } = ctx;
  await kv.put(`e/${ticket.id}/${event.id}`, JSON.stringify(event), { metadata: event });
  const type = WEBHOOK_TYPE[event.kind];
  if (type) {
    const eventId = `${ticket.id}.${event.id}`;
    await queueWebhooks(kv, data, now, type, eventId, (format) => (format === 'slack'
      ? JSON.stringify({ text: `[${slack(ticket.reference)}] ${slack(ticket.subject)} (${slack(ticket.segment)}): ${event.kind === 'message' ? `New message from ${slack(event.by)}` : 'Updated'}` })
      : JSON.stringify({ id: eventId, type, created: iso(now), data: { ticket: summary(ticket), event } })));
  }
  const events = await readEvents(kv, ticket.id);
  const before = events.filter((e) => e.id !== event.id);
  const was = SOLVED.has(foldState(ticket, before).status);
  if (!events.some((e) => e.id === event.id)) events.push(event);
  const check = nextCheck(data, ticket, events, now);
  if (check !== null) await kv.put(`d/${pad15(check)}/${ticket.id}`, '');
  // The list may have missed another writer's event: a check a minute on
  // rebuilds the row from the whole log.
  await kv.put(`d/${pad15(now + 60000)}/${ticket.id}`, '');
  await putFacts(kv, data, ticket, events, now);
  const row = buildRow(data, ticket, events, now);
  await putRow(kv, data, ticket, row, was !== SOLVED.has(row[4]));
  const view = agentView(data, ticket, events, now);
  return { view, events };
}
const freshEventId = (prefix, now) => `${prefix}-${pad15(now)}-${hex(crypto.getRandomValues(new Uint8Array(16)))}`;
async function answer(ctx, request, id) {
  const ticket = await requesterOwned(ctx, request, id);
  const { value } = readJson(ctx, request);
  if (Object.keys(value).some((k) => k !== 'body' && k !== 'attachments')) throw new Problem(400, 'invalid_request');
  const errors = [];
  checkText(errors, 'body', typeof value.body === 'string' ? value.body : '', 10000, true);
  if (errors.length) throw invalid(errors);
  const event = { id: freshEventId('msg', ctx.now), at: iso(ctx.now), kind: 'message', by: 'requester', agent: false, public: true, body: value.body.trim() };
  const { events } = await record(ctx, ticket, event);
  return json(201, requesterView(ticket, events));
}
async function rate(ctx, request, id) {
  const ticket = await requesterOwned(ctx, request, id);
  const { value } = readJson(ctx, request);
  const events = await readEvents(ctx.kv, ticket.id);
  const state = foldState(ticket, events);
  if (await ctx.kv.get(`e/${ticket.id}/csat`)) throw new Problem(409, 'already_rated');
  if (!SOLVED.has(state.status)) throw new Problem(409, 'not_solved');
  if (typeof value.satisfied !== 'boolean') throw invalid([{ field: 'satisfied', code: 'required' }]);
  const errors = [];
  checkText(errors, 'comment', value.comment ?? '', 2000, false);
  if (errors.length) throw invalid(errors);
  const comment = (value.comment ?? '').trim();
  const event = { id: 'csat', at: iso(ctx.now), kind: 'rated', satisfied: value.satisfied, ...(comment ? { comment } : {}) };
  const { events: after } = await record(ctx, ticket, event);
  return json(201, requesterView(ticket, after));
}
async function deflection(ctx, request) {
  const { value } = readJson(ctx, request);
  if (Object.keys(value).some((k) => !['site', 'type', 'outcome'].includes(k))) throw new Problem(400, 'invalid_request');
  const errors = [];
  if (!siteId(value.site)) errors.push({ field: 'site', code: 'unknown_site' });
  if (!TYPES.includes(value.type)) errors.push({ field: 'type', code: 'unknown_type' });
  if (!['fixed', 'need_help'].includes(value.outcome)) errors.push({ field: 'outcome', code: 'invalid' });
  if (errors.length) throw invalid(errors);
  if (!ctx.data.config.sites[value.site]) throw invalid([{ field: 'site', code: 'unknown_site' }]);
  const fix = { site: value.site, type: value.type, outcome: value.outcome, at: iso(ctx.now) };
  const text = JSON.stringify(fix);
  await ctx.kv.put(`x/${fix.site}/${utcDay(ctx.now)}/${pad15(ctx.now)}/${hex(crypto.getRandomValues(new Uint8Array(16)))}`, text, { metadata: fix });
  return json(201, fix);
}
async function mine(ctx, request) {
  const { value } = readJson(ctx, request);
  if (!siteId(value.site) || !ctx.data.config.sites[value.site]) throw invalid([{ field: 'site', code: 'unknown_site' }]);
  const user = await verifiedIdentity(ctx.data, ctx.env, value.site, value.identity, ctx.now);
  if (!user) throw new Problem(401, 'identity_required');
  const key = secret(ctx.env);
  const page = await ctx.kv.list({ prefix: `u/${value.site}/${await userKey(key, value.site, user.id)}/`, limit: 50 });
  const ids = [...new Set(page.keys.map((k) => k.name.split('/').pop()))];
  const records = (await Promise.all(ids.map((id) => ctx.kv.get(`t/${id}`)))).filter(Boolean).map((t) => JSON.parse(t))
    .filter((t) => t.site === value.site && t.requester.signed?.user_id === user.id);
  const logs = await Promise.all(records.map((t) => readEvents(ctx.kv, t.id)));
  const tickets = await Promise.all(records.map(async (t, i) => ({
    id: t.id, reference: t.reference, subject: t.subject, status: foldState(t, logs[i]).status, created_at: t.created_at, requester_token: await requesterToken(key, t.id),
  })));
  return json(200, { tickets });
}
function agentOf(ctx, request) {
  const given = (request.headers.get('authorization') ?? '').replace(/^bearer /i, '').trim();
  const found = ctx.data.config.agents.filter((a) => ctx.env[a.token_secret] && secretsEqual(ctx.env[a.token_secret], given))[0];
  if (!given || !found) throw new Problem(401, 'unauthorized');
  return found;
}
async function agentOwned(ctx, agent, id) {
  if (!/^[0-9a-f]{32}$/.test(id)) throw new Problem(404, 'not_found');
  const text = await ctx.kv.get(`t/${id}`);
  const ticket = text && JSON.parse(text);
  if (!ticket || ticket.site !== agent.site) throw new Problem(404, 'not_found');
  return ticket;
}
async function agentTicket(ctx, request, id) {
  const ticket = await agentOwned(ctx, agentOf(ctx, request), id);
  return json(200, agentView(ctx.data, ticket, await readEvents(ctx.kv, ticket.id), ctx.now));
}
async function agentChange(ctx, request, id) {
  const agent = agentOf(ctx, request);
  const { value } = readJson(ctx, request);
  const ticket = await agentOwned(ctx, agent, id);
  const state = foldState(ticket, await readEvents(ctx.kv, ticket.id));
  if (!['new', 'open', 'pending', 'solved', 'closed'].includes(value.status) || value.status === state.status) throw invalid([{ field: 'status', code: 'invalid' }]);
  const event = { id: freshEventId('chg', ctx.now), at: iso(ctx.now), kind: 'changed', by: agent.name, status: value.status };
  return json(200, (await record(ctx, ticket, event)).view);
}
async function queue(ctx, request) {
  const agent = agentOf(ctx, request);
  const params = new URL(request.url).searchParams;
  const limit = Number(params.get('limit') ?? 50);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new Problem(400, 'invalid_request');
  const page = await ctx.kv.list({ prefix: `q/${agent.site}/`, limit, cursor: params.get('cursor') || undefined });
  const rows = new Map();
  const keep = (id, row) => { const old = rows.get(id); if (!old || old[17] < row[17]) rows.set(id, row); };
  const unread = [];
  for (const key of page.keys) {
    const id = key.name.split('/').pop();
    if (Array.isArray(key.metadata) && key.metadata[0] === ROW_FORMAT) keep(id, key.metadata);
    else if (!unread.includes(id)) unread.push(id);
  }
  // Entries from before rows: built from the ticket.
  await Promise.all(unread.filter((id) => !rows.has(id)).map(async (id) => {
    const text = await ctx.kv.get(`t/${id}`);
    const ticket = text && JSON.parse(text);
    if (ticket?.site === agent.site) keep(id, buildRow(ctx.data, ticket, await readEvents(ctx.kv, id), ctx.now));
  }));
  const sorted = [...rows].map(([id, row]) => [rowUrgency(id, row), id, row]).sort((a, b) => {
    for (let i = 0; i < a[0].length; i++) if (a[0][i] !== b[0][i]) return a[0][i] < b[0][i] ? -1 : 1;
    return 0;
  });
  return json(200, { tickets: sorted.map(([, id, row]) => rowView(ctx.data, id, row, ctx.now)), cursor: page.list_complete ? null : page.cursor });
}

// ---- the worker ---------------------------------------------------------------

// The abuse-limit counters a write spends (buoy_shared::limits::keys).
async function spendLimits(env, request, path, body) {
  const p = path.split('/').slice(1);
  const creates = path === '/v1/tickets' || path === '/v1/deflections';
  const writes = creates || path === '/v1/tickets/mine' || (p.length === 4 && p[1] === 'tickets' && (p[3] === 'messages' || p[3] === 'csat'));
  if (!writes) return;
  let site = null;
  try { site = JSON.parse(new TextDecoder().decode(body)).site ?? null; } catch { /* no site named */ }
  const client = request.headers.get('cf-connecting-ip') ?? 'unknown';
  const spends = [[env.BUOY_CLIENT_LIMIT, `client:${client}`]];
  if (creates && typeof site === 'string') spends.push([env.BUOY_SITE_LIMIT, `site:${site}`]);
  for (const [limiter, key] of spends) {
    if (limiter && !(await limiter.limit({ key })).success) throw new Problem(429, 'rate_limited');
  }
}

let prepared;
function prepare(env) {
  if (!prepared) {
    const raw = typeof env.BUOY_REFERENCE_DATA === 'string' ? JSON.parse(env.BUOY_REFERENCE_DATA) : env.BUOY_REFERENCE_DATA;
    prepared = { config: raw.config, lexicon: prepareLexicons(raw.lexicons, raw.japanese_negations), calendar: prepareCalendar(raw.config.calendar) };
  }
  return prepared;
}

async function route_(ctx, request, path) {
  const p = path.split('/').slice(1);
  const m = request.method;
  if (m === 'POST' && path === '/v1/tickets') return create(ctx, request);
  if (m === 'POST' && path === '/v1/tickets/mine') return mine(ctx, request);
  if (m === 'POST' && path === '/v1/deflections') return deflection(ctx, request);
  if (m === 'GET' && p.length === 3 && p[1] === 'tickets') return readTicket(ctx, request, p[2]);
  if (m === 'POST' && p.length === 4 && p[1] === 'tickets' && p[3] === 'messages') return answer(ctx, request, p[2]);
  if (m === 'POST' && p.length === 4 && p[1] === 'tickets' && p[3] === 'csat') return rate(ctx, request, p[2]);
  if (m === 'GET' && path === '/v1/agent/tickets') return queue(ctx, request);
  if (m === 'GET' && p.length === 4 && p[2] === 'tickets') return agentTicket(ctx, request, p[3]);
  if (m === 'POST' && p.length === 5 && p[2] === 'tickets' && p[4] === 'changes') return agentChange(ctx, request, p[3]);
  throw new Problem(404, 'not_found');
}

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (!pathname.startsWith('/v1/')) return new Response('// reference worker', { headers: { 'content-type': 'text/javascript' } });
    const kv = counted(env.BUOY_BENCH === 'memory' ? isolateMemory : env.BUOY_KV);
    const ctx = { data: prepare(env), env, kv, now: Date.now(), body: new Uint8Array(0) };
    let response;
    try {
      if (request.method === 'POST') {
        if (Number(request.headers.get('content-length') ?? 0) > (MAX_BODY[pathname] ?? 16 * 1024)) throw new Problem(413, 'payload_too_large');
        ctx.body = new Uint8Array(await request.arrayBuffer());
        if (ctx.body.length > (MAX_BODY[pathname] ?? 16 * 1024)) throw new Problem(413, 'payload_too_large');
        await spendLimits(env, request, pathname, ctx.body);
      }
      response = await route_(ctx, request, pathname);
    } catch (e) {
      response = e instanceof Problem ? e.response() : new Problem(500, 'internal').response();
      if (!(e instanceof Problem)) console.error(e);
    }
    response.headers.set('vary', 'Origin');
    if (env.BUOY_BENCH) response.headers.set('buoy-kv-operations', `get=${kv.spent.get} put=${kv.spent.put} list=${kv.spent.list} delete=${kv.spent.delete}`);
    return response;
  },
};
