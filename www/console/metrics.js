// The console's metrics page: KPI tiles against the previous period,
// charts drawn as inline SVG, breakdown tables and a CSV export.
//
// The same rules as console.js hold here:
// - Text reaches the page through `textContent`, text nodes and
//   `createElement`/`createElementNS` only, never as markup. Topics and
//   examples of feature requests come from tickets: they are untrusted.
// - The figures are the API's. This file formats and draws them; it
//   computes nothing but shares of a whole to size a bar.
//
// Every chart is a `<figure>` with a caption, an SVG with `role="img"` and
// a name that says what it shows, and a `<details>` holding a real table of
// the same numbers, for screen readers and for anyone who wants the figures.

import { $, el, saveBlob } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const DAY_MS = 86_400_000;
const DEFAULT_DAYS = 28;
const TARGETS = { first_response: 'First response', next_response: 'Next response', resolution: 'Resolution' };

/** What console.js lends this module (set once by `initMetrics`). */
let host = null;
/** Sequence number of the newest metrics request; older answers are dropped. */
let request = 0;
/** The period now shown, for the CSV export: `{ from, to, tz }`. */
let shown = null;

/** An SVG element with attributes (never `style`: the CSP forbids it). */
function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  node.append(...children);
  return node;
}

// ---------------------------------------------------------------- formatting

const count = (n) => (n === null || n === undefined ? 'no data' : Number(n).toLocaleString());
const percent = (p) => (p === null || p === undefined ? 'no data' : `${Number(p).toFixed(1)}%`);
const plural = (n, one, many = `${one}s`) => `${count(n)} ${n === 1 ? one : many}`;

/**
 * Seconds as human text: `3 h 12 m`, `2 d 4 h`, `45 m`, `12 m 5 s`, `40 s`.
 * The two largest units, the second left out when it is zero.
 */
function humanDuration(seconds) {
  if (seconds === null || seconds === undefined) return 'no data';
  const s = Math.round(Math.abs(seconds));
  const units = [['d', Math.floor(s / 86400)], ['h', Math.floor((s % 86400) / 3600)], ['m', Math.floor((s % 3600) / 60)], ['s', s % 60]];
  const first = units.findIndex(([, n]) => n > 0);
  if (first < 0) return '0 s';
  const parts = units.slice(first, first + 2).filter(([, n]) => n > 0);
  return parts.map(([unit, n]) => `${n} ${unit}`).join(' ');
}

/** `2026-11-03` as the agent's medium date (`3 Nov 2026`); the day is a date, not an instant. */
function longDay(day) {
  const date = new Date(`${day}T00:00:00Z`);
  return Number.isNaN(date.getTime()) ? String(day) : date.toLocaleDateString(undefined, { timeZone: 'UTC', dateStyle: 'medium' });
}

/** `2026-11-03` as `3 Nov`, for axis labels. */
function shortDay(day) {
  const date = new Date(`${day}T00:00:00Z`);
  return Number.isNaN(date.getTime()) ? String(day) : date.toLocaleDateString(undefined, { timeZone: 'UTC', day: 'numeric', month: 'short' });
}

// ---------------------------------------------------------------- the period

const isDay = (text) => /^\d{4}-\d{2}-\d{2}$/.test(text ?? '') && !Number.isNaN(Date.parse(`${text}T00:00:00Z`));

function addDays(day, n) {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + n);
  return date.toISOString().slice(0, 10);
}

const daysBetween = (from, to) => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);

/** Today's date in `tz` (UTC when the browser does not know the zone). */
function today(tz) {
  let parts;
  try {
    parts = new Intl.DateTimeFormat('en-US', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(new Date());
  } catch {
    return new Date().toISOString().slice(0, 10);
  }
  const part = (type) => parts.find((p) => p.type === type)?.value;
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/** The zone figures are shown in by default: the business calendar's (the worker can count days in it). */
function defaultZone() {
  return host?.zone?.() || 'UTC';
}

/** The last `days` days, today included, in `tz`: `to` is exclusive, as the API takes it. */
function lastDays(days, tz) {
  const to = addDays(today(tz), 1);
  return { from: addDays(to, -days), to, tz };
}

/** The period the hash names, completed with the defaults. */
function periodOf(params) {
  const tz = (params.get('tz') || '').trim() || defaultZone();
  const from = params.get('from');
  const to = params.get('to');
  if (isDay(from) && isDay(to)) return { from, to, tz };
  return lastDays(DEFAULT_DAYS, tz);
}

/** The hash of the metrics page for a period. */
function hashOf({ from, to, tz }) {
  return new URLSearchParams({ view: 'metrics', from, to, tz });
}

const query = ({ from, to, tz }) => new URLSearchParams({ from, to, tz }).toString();

// ---------------------------------------------------------------- entry points

/**
 * Wires the period form. `options` lends what console.js owns:
 * `api(path, opts)`, `say(text, isError)`,
 * `navigate(params)`, `human(value)` and `typeLabel(value)`.
 */
export function initMetrics(options) {
  host = options;
  $('period').addEventListener('submit', onPeriod);
  for (const button of $('period').querySelectorAll('button[data-days]')) {
    button.addEventListener('click', () => {
      const tz = $('m-tz').value.trim() || defaultZone();
      host.navigate(hashOf(lastDays(Number(button.dataset.days), tz)));
    });
  }
  $('m-csv').addEventListener('click', downloadCsv);
}

/** The hash that opens the metrics page (the default period, in the browser's zone). */
export function metricsHash() {
  return hashOf(lastDays(DEFAULT_DAYS, defaultZone()));
}

/** Forgets every figure (on sign-out: nothing of a site stays on the page). */
export function clearMetrics() {
  request += 1;
  shown = null;
  for (const id of ['m-kpis', 'm-charts', 'm-tables']) $(id).replaceChildren();
  $('m-period').textContent = '';
  $('m-body').hidden = true;
}

/** Shows the metrics of the period the hash names (called by the router). */
export async function showMetrics(params) {
  fillZones();
  const period = periodOf(params);
  drawForm(period);
  if (period.from >= period.to) {
    host.say('The first day must come before the last one.', true);
    return;
  }
  await load(period);
}

async function load(period) {
  const mine = ++request;
  host.say('Loading metrics…');
  $('m-body').setAttribute('aria-busy', 'true');
  try {
    const data = await host.api(`/v1/agent/metrics?${query(period)}`);
    if (mine !== request) return;
    shown = { from: data.from ?? period.from, to: data.to ?? period.to, tz: data.tz ?? period.tz };
    draw(data);
    host.say(`Metrics for ${periodText(shown)}.`);
  } catch (e) {
    if (mine !== request || e.status === 401) return;
    if (e.status === 400 && period.tz !== 'UTC') {
      // Most likely a zone the worker does not know (the dates were checked
      // here). Say why, then show UTC; if the dates were the problem after
      // all, the UTC request says so in turn.
      const why = e.problem?.detail || e.problem?.title || `The time zone ${period.tz} was not accepted.`;
      // "The last N days" stays that: today may be another day in UTC.
      const recent = period.to === addDays(today(period.tz), 1);
      const utc = recent ? lastDays(daysBetween(period.from, period.to), 'UTC') : { ...period, tz: 'UTC' };
      history.replaceState(null, '', `#${hashOf(utc)}`);
      drawForm(utc);
      await load(utc);
      const sentence = /[.!?]$/.test(why) ? why : `${why}.`;
      if (mine + 1 === request && !$('status').classList.contains('error')) host.say(`${sentence} Showing UTC instead.`, true);
      return;
    }
    // Figures of another period must not stand under this one's form.
    shown = null;
    $('m-body').hidden = true;
    host.say(problem(e), true);
  } finally {
    if (mine === request) $('m-body').removeAttribute('aria-busy');
  }
}

/** What to tell the agent about a failed metrics call. */
function problem(error) {
  if (error.status === 404) return 'This server does not offer metrics.';
  return error.message || 'Something went wrong.';
}

function onPeriod(event) {
  event.preventDefault();
  const from = $('m-from').value;
  const through = $('m-through').value;
  const tz = $('m-tz').value.trim() || 'UTC';
  if (!isDay(from) || !isDay(through)) {
    host.say('Pick a first and a last day.', true);
    return;
  }
  if (through < from) {
    host.say('The last day must not come before the first one.', true);
    return;
  }
  host.navigate(hashOf({ from, to: addDays(through, 1), tz }));
}

/** The form shows the period with its last day included (the API's `to` is the day after). */
function drawForm({ from, to, tz }) {
  $('m-from').value = from;
  $('m-through').value = addDays(to, -1);
  if (document.activeElement !== $('m-tz')) $('m-tz').value = tz;
  const days = daysBetween(from, to);
  const isToday = to === addDays(today(tz), 1);
  for (const button of $('period').querySelectorAll('button[data-days]')) {
    button.setAttribute('aria-pressed', String(isToday && Number(button.dataset.days) === days));
  }
}

function fillZones() {
  const list = $('m-zones');
  if (list.childElementCount) return;
  let zones = [];
  try {
    zones = Intl.supportedValuesOf('timeZone');
  } catch {
    // An older browser: the field still takes any zone typed in.
  }
  const options = ['UTC', ...zones.filter((z) => z !== 'UTC')].map((zone) => {
    const option = document.createElement('option');
    option.value = zone;
    return option;
  });
  list.replaceChildren(...options);
}

function periodText({ from, to, tz }) {
  const last = addDays(to, -1);
  const days = daysBetween(from, to);
  const span = from === last ? longDay(from) : `${longDay(from)} – ${longDay(last)}`;
  return `${span} (${plural(days, 'day')}, ${tz})`;
}

// ---------------------------------------------------------------- drawing

function draw(data) {
  const previous = data.previous || null;
  const days = daysBetween(data.from, data.to);
  document.title = 'Metrics — Buoy console';
  $('m-period').textContent = `${periodText(shown)}, compared with the ${plural(days, 'day')} before.`;
  $('m-kpis').replaceChildren(...kpis(data, previous, days));
  $('m-charts').replaceChildren(
    volumeChart(data.volume?.by_day || []),
    histogramChart('frt', 'First response times', 'first response', data.first_response),
    histogramChart('ttr', 'Times to resolution', 'resolution', data.resolution),
    csatChart(data.csat?.by_segment || []),
    slaChart(data.sla?.targets || []),
  );
  $('m-tables').replaceChildren(...breakdowns(data));
  $('m-body').hidden = false;
}

// ---------------------------------------------------------------- KPI tiles

/**
 * The tiles. `better` says which way is good news (`up`, `down`, or
 * nothing for plain volume); `kind` how the change is told.
 */
function kpis(data, previous, days) {
  const p = previous || {};
  const fr = data.first_response || {};
  const res = data.resolution || {};
  const targets = data.sla?.targets || [];
  const met = targets.reduce((sum, t) => sum + (t.met || 0), 0);
  const judged = targets.reduce((sum, t) => sum + (t.met || 0) + (t.breached || 0), 0);
  const timing = (m) => `p90 ${humanDuration(m.calendar?.p90)} · business hours: median ${humanDuration(m.business?.median)}, p90 ${humanDuration(m.business?.p90)}`;
  const tiles = [
    { key: 'csat', name: 'CSAT', kind: 'percent', better: 'up', now: data.csat?.percent, before: p.csat?.percent,
      detail: `${count(data.csat?.satisfied)} of ${plural(data.csat?.rated, 'rating')} satisfied` },
    { key: 'response_rate', name: 'Survey response rate', kind: 'percent', better: 'up', now: data.csat?.response_rate, before: p.csat?.response_rate,
      detail: `${count(data.csat?.rated)} of ${plural(data.csat?.offered, 'survey')} answered` },
    { key: 'first_response', name: 'Median first response', kind: 'duration', better: 'down', now: fr.calendar?.median, before: p.first_response?.calendar?.median,
      detail: `${timing(fr)} · ${plural(fr.count, 'ticket')}` },
    { key: 'resolution', name: 'Median time to resolution', kind: 'duration', better: 'down', now: res.calendar?.median, before: p.resolution?.calendar?.median,
      detail: `${timing(res)} · ${plural(res.count, 'ticket')}` },
    { key: 'sla', name: 'SLA attainment', kind: 'percent', better: 'up', now: data.sla?.percent, before: p.sla?.percent,
      detail: `${count(met)} of ${plural(judged, 'target')} met` },
    { key: 'escalation', name: 'Escalation rate', kind: 'percent', better: 'down', now: data.escalation?.percent, before: p.escalation?.percent,
      detail: `${count(data.escalation?.escalated)} of ${plural(data.escalation?.tickets, 'ticket')} escalated` },
    { key: 'fcr', name: 'First-contact resolution', kind: 'percent', better: 'up', now: data.first_contact_resolution?.percent, before: p.first_contact_resolution?.percent,
      detail: `${count(data.first_contact_resolution?.one_reply)} of ${plural(data.first_contact_resolution?.solved, 'solved ticket')} with one reply` },
    { key: 'deflection', name: 'Deflection', kind: 'percent', better: 'up', now: data.deflection?.percent, before: p.deflection?.percent,
      detail: `${count(data.deflection?.fixed)} of ${plural(data.deflection?.started, 'guided fix', 'guided fixes')} solved the problem` },
    { key: 'article_links', name: 'Replies linking an article', kind: 'percent', better: 'up', now: data.article_links?.percent, before: p.article_links?.percent,
      detail: `${count(data.article_links?.linked)} of ${plural(data.article_links?.replies, 'public reply', 'public replies')} linked a help article` },
    { key: 'tickets', name: 'Ticket volume', kind: 'count', better: null, now: data.tickets, before: p.tickets,
      detail: 'tickets created' },
  ];
  const vs = previous ? `vs the previous ${plural(days, 'day')}` : '';
  return tiles.map((t) => {
    const value = t.kind === 'percent' ? percent(t.now) : t.kind === 'duration' ? humanDuration(t.now) : count(t.now);
    const tile = el('div', 'tile',
      el('dt', 'name', t.name),
      el('dd', t.now === null || t.now === undefined ? 'value none' : 'value', value),
      el('dd', 'detail', t.detail),
      change(t, vs, previous !== null));
    tile.dataset.kpi = t.key;
    return tile;
  });
}

/** `▲ 2.5 pts`, `▼ 1 h 5 m`, `▲ 20%`: the change against the previous period, and whether it is good news. */
function change(tile, vs, hasPrevious) {
  const node = el('dd', 'change');
  const { now, before, kind, better } = tile;
  if (!hasPrevious) {
    node.append('no previous period to compare');
    return node;
  }
  if (now === null || now === undefined || before === null || before === undefined) {
    node.classList.add('none');
    node.append(`no data to compare ${vs}`.trim());
    return node;
  }
  const diff = now - before;
  if (diff === 0 || (kind === 'percent' && Math.abs(diff) < 0.05)) {
    node.append(`no change ${vs}`.trim());
    return node;
  }
  const up = diff > 0;
  let amount;
  if (kind === 'percent') amount = `${Math.abs(diff).toFixed(1)} pts`;
  else if (kind === 'duration') amount = humanDuration(diff);
  else if (before === 0) amount = `${count(Math.abs(diff))} (from none)`;
  else amount = `${Math.round((Math.abs(diff) / before) * 100)}%`;
  if (better) node.classList.add(up === (better === 'up') ? 'better' : 'worse');
  node.append(
    el('span', 'arrow', up ? '▲' : '▼'),
    ' ',
    el('span', 'sr-only', up ? 'up ' : 'down '),
    amount,
    ` ${vs}`,
  );
  node.querySelector('.arrow').setAttribute('aria-hidden', 'true');
  return node;
}

// ---------------------------------------------------------------- charts

/** A table with a caption, a header row and body rows of text (or nodes). */
function table(caption, head, rows) {
  const t = el('table', 'figures');
  if (caption) t.append(el('caption', null, caption));
  const tr = el('tr', null, ...head.map((h) => {
    const th = el('th', null, h);
    th.scope = 'col';
    return th;
  }));
  t.append(el('thead', null, tr), el('tbody', null, ...rows.map((cells) => el('tr', null, ...cells.map((c, i) => {
    const cell = el(i === 0 ? 'th' : 'td', null, String(c));
    if (i === 0) cell.scope = 'row';
    return cell;
  })))));
  return t;
}

/** A chart: caption, the SVG named by `summary`, and the table of the same numbers. */
function figure(key, caption, summary, chart, figures) {
  chart.setAttribute('role', 'img');
  chart.setAttribute('aria-label', summary);
  chart.prepend(svg('title', {}, summary));
  const details = el('details', 'table-view', el('summary', null, 'Show as table'), figures);
  const fig = el('figure', 'chart', el('figcaption', null, caption), chart, details);
  fig.dataset.chart = key;
  return fig;
}

/** The smallest "round" number (1, 2 or 5 times a power of ten) at or above `n`, at least 2. */
function niceCeiling(n) {
  if (n <= 2) return 2;
  const power = 10 ** Math.floor(Math.log10(n));
  return [1, 2, 5, 10].map((m) => m * power).find((c) => c >= n);
}

/**
 * Vertical bars: one `rect.bar` per datum (`{label, value, tip}`), an axis
 * with 0, half and the top of the scale, and at most `maxLabels` labels
 * under the bars.
 */
function columns(data, { width = 560, height = 220, maxLabels = 12 } = {}) {
  const margin = { top: 12, right: 8, bottom: 30, left: 40 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const top = niceCeiling(Math.max(0, ...data.map((d) => d.value || 0)));
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'columns' });
  const y = (v) => margin.top + plotH - (v / top) * plotH;
  for (const tick of [0, top / 2, top].filter(Number.isInteger)) {
    chart.append(
      svg('line', { class: 'grid', x1: margin.left, x2: width - margin.right, y1: y(tick), y2: y(tick) }),
      svg('text', { class: 'tick', x: margin.left - 6, y: y(tick) + 4, 'text-anchor': 'end' }, count(tick)),
    );
  }
  const band = plotW / Math.max(1, data.length);
  const every = Math.ceil(data.length / maxLabels);
  data.forEach((d, i) => {
    const v = d.value || 0;
    const x = margin.left + i * band;
    const barW = Math.max(1, band * (data.length > 40 ? 0.9 : 0.75));
    chart.append(svg('rect', { class: 'bar', x: x + (band - barW) / 2, y: y(v), width: barW, height: y(0) - y(v) }, svg('title', {}, d.tip)));
    if (i % every === 0) {
      chart.append(svg('text', { class: 'label', x: x + band / 2, y: height - margin.bottom + 16, 'text-anchor': 'middle' }, d.label));
    }
  });
  return chart;
}

/**
 * Horizontal bars on a 0–100 scale: one `rect.bar` per datum
 * (`{label, value, text}`), the value written after the bar.
 */
function rows(data, { width = 560 } = {}) {
  const row = 30;
  const margin = { top: 8, right: 140, bottom: 8, left: 110 };
  const height = margin.top + margin.bottom + row * Math.max(1, data.length);
  const plotW = width - margin.left - margin.right;
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'rows' });
  chart.append(svg('line', { class: 'grid', x1: margin.left + plotW, x2: margin.left + plotW, y1: margin.top, y2: height - margin.bottom }));
  data.forEach((d, i) => {
    const y = margin.top + i * row;
    const w = ((d.value ?? 0) / 100) * plotW;
    chart.append(
      svg('text', { class: 'label', x: margin.left - 8, y: y + row / 2 + 4, 'text-anchor': 'end' }, d.label),
      svg('rect', { class: 'bar', x: margin.left, y: y + 5, width: Math.max(0, w), height: row - 10 }, svg('title', {}, `${d.label}: ${d.text}`)),
      svg('text', { class: 'value', x: margin.left + plotW + 8, y: y + row / 2 + 4 }, d.text),
    );
  });
  return chart;
}

function volumeChart(byDay) {
  const total = byDay.reduce((sum, d) => sum + (d.count || 0), 0);
  let summary = `No tickets from ${longDay(byDay[0]?.day)} to ${longDay(byDay.at(-1)?.day)}.`;
  if (!byDay.length) summary = 'No days in this period.';
  else if (total > 0) {
    const busiest = byDay.reduce((best, d) => (d.count > best.count ? d : best));
    const average = (total / byDay.length).toFixed(1);
    summary = `${plural(total, 'ticket')} over ${plural(byDay.length, 'day')}, ${average} a day on average; the busiest day was ${longDay(busiest.day)} with ${count(busiest.count)}.`;
  }
  const chart = columns(byDay.map((d) => ({ label: shortDay(d.day), value: d.count, tip: `${longDay(d.day)}: ${plural(d.count, 'ticket')}` })), { width: 1100, maxLabels: 10 });
  const figures = table(null, ['Day', 'Tickets'], byDay.map((d) => [longDay(d.day), count(d.count)]));
  const fig = figure('volume', 'Ticket volume by day', summary, chart, figures);
  fig.classList.add('wide');
  return fig;
}

/**
 * The buckets' labels from their upper bounds: `under 1 h`, `1 h – 4 h`,
 * …, `over 3 d` (or, for a sentence, `from 1 h to 4 h`).
 */
function bucketLabels(histogram, prose = false) {
  return histogram.map((b, i) => {
    const lower = i > 0 ? histogram[i - 1].upto : null;
    if (b.upto === null || b.upto === undefined) return lower === null ? 'at any time' : `over ${humanDuration(lower)}`;
    if (lower === null) return `under ${humanDuration(b.upto)}`;
    return prose ? `from ${humanDuration(lower)} to ${humanDuration(b.upto)}` : `${humanDuration(lower)} – ${humanDuration(b.upto)}`;
  });
}

function histogramChart(key, caption, what, metric) {
  const histogram = metric?.histogram || [];
  const labels = bucketLabels(histogram);
  const phrases = bucketLabels(histogram, true);
  const total = histogram.reduce((sum, b) => sum + (b.count || 0), 0);
  const summary = total === 0
    ? `No ${what} times in this period.`
    : `${caption} of ${plural(total, 'ticket')}: ${histogram.map((b, i) => `${count(b.count)} ${phrases[i]}`).join(', ')}. Median ${humanDuration(metric.calendar?.median)}, p90 ${humanDuration(metric.calendar?.p90)}.`;
  const share = (n) => (total ? `${((n / total) * 100).toFixed(1)}%` : '—');
  const chart = columns(histogram.map((b, i) => ({ label: labels[i], value: b.count, tip: `${labels[i]}: ${plural(b.count, 'ticket')}` })));
  const figures = table(null, ['Time', 'Tickets', 'Share'], histogram.map((b, i) => [labels[i], count(b.count), share(b.count)]));
  return figure(key, `${caption} (calendar time)`, summary, chart, figures);
}

function csatChart(bySegment) {
  const rated = bySegment.filter((s) => s.percent !== null && s.percent !== undefined);
  const summary = rated.length
    ? `CSAT by segment: ${bySegment.map((s) => `${host.human(s.segment)} ${percent(s.percent)}`).join(', ')}.`
    : 'No ratings in this period.';
  const chart = rows(bySegment.map((s) => ({
    label: host.human(s.segment),
    value: s.percent,
    text: s.percent === null || s.percent === undefined ? 'no ratings' : `${percent(s.percent)} (${count(s.satisfied)} of ${count(s.rated)})`,
  })));
  const figures = table(null, ['Segment', 'Satisfied', 'Rated', 'CSAT'], bySegment.map((s) => [host.human(s.segment), count(s.satisfied), count(s.rated), percent(s.percent)]));
  return figure('csat', 'CSAT by segment', summary, chart, figures);
}

function slaChart(targets) {
  const name = (t) => TARGETS[t.metric] || host.human(t.metric);
  const judged = targets.filter((t) => t.percent !== null && t.percent !== undefined);
  const summary = judged.length
    ? `SLA targets met: ${targets.map((t) => `${name(t)} ${percent(t.percent)}`).join(', ')}.`
    : 'No SLA target was met or breached in this period.';
  const chart = rows(targets.map((t) => ({
    label: name(t),
    value: t.percent,
    text: t.percent === null || t.percent === undefined ? 'no data' : `${percent(t.percent)} (${count(t.met)} of ${count((t.met || 0) + (t.breached || 0))})`,
  })));
  const figures = table(null, ['Target', 'Met', 'Breached', 'Attainment'], targets.map((t) => [name(t), count(t.met), count(t.breached), percent(t.percent)]));
  return figure('sla', 'SLA attainment by target', summary, chart, figures);
}

// ---------------------------------------------------------------- tables

function breakdowns(data) {
  const byChannel = data.by_channel || [];
  const byType = data.volume?.by_type || [];
  const bySegment = data.volume?.by_segment || [];
  const requests = data.feature_requests || [];
  const section = (key, node) => {
    const wrap = el('div', 'breakdown', node);
    wrap.dataset.table = key;
    return wrap;
  };
  // Each channel's volume, and its first response and resolution as the
  // tiles show them (calendar median and p90); a row of its own, being wider.
  const channels = section('by-channel', or(byChannel, table('By channel',
    ['Channel', 'Tickets', 'First response median', 'First response p90', 'Resolution median', 'Resolution p90'],
    byChannel.map((c) => [host.human(c.channel), count(c.tickets),
      humanDuration(c.first_response?.calendar?.median), humanDuration(c.first_response?.calendar?.p90),
      humanDuration(c.resolution?.calendar?.median), humanDuration(c.resolution?.calendar?.p90)])), 'No tickets by channel in this period.'));
  channels.classList.add('wide');
  return [
    channels,
    ...people(data, section),
    section('by-type', or(byType, table('Tickets by type', ['Type', 'Tickets'], byType.map((t) => [host.typeLabel(t.type), count(t.count)])), 'No tickets by type in this period.')),
    section('by-segment', or(bySegment, table('Tickets by segment', ['Segment', 'Tickets'], bySegment.map((s) => [host.human(s.segment), count(s.count)])), 'No tickets by segment in this period.')),
    section('feature-requests', requests.length
      ? table('Top feature requests', ['Topic', 'Requests', 'Example'], requests.map((r) => [r.topic, count(r.count), r.example ?? '']))
      : el('div', null, el('h4', null, 'Top feature requests'), el('p', 'empty', 'No feature requests in this period.'))),
  ];
}

/**
 * The per-agent and per-group tables. Leads and admins get every agent's
 * row and every group's (`all_agents`); an agent gets their own row only,
 * and no group table. The rows, their order and their names are the API's.
 */
function people(data, section) {
  const byAgent = data.by_agent || [];
  const byGroup = data.by_group || [];
  const everyone = data.all_agents === true;
  const csat = (c) => (c?.rated ? `${percent(c.percent)} of ${plural(c.rated, 'rating')}` : 'no ratings');
  const figures = (r) => [count(r.tickets), count(r.replies), count(r.solved),
    humanDuration(r.first_response?.calendar?.median), humanDuration(r.resolution?.calendar?.median), csat(r.csat)];
  const columns = ['Replies', 'Solved', 'First response median', 'Resolution median', 'CSAT'];
  const agentName = (r) => r.agent ?? (r.key ? `Former agent (${r.key})` : 'No agent yet');
  const agents = section('by-agent', or(byAgent,
    table(everyone ? 'By agent' : 'Your figures', ['Agent', 'Tickets handled', ...columns], byAgent.map((r) => [agentName(r), ...figures(r)])),
    'No agent figures in this period.'));
  agents.classList.add('wide');
  if (!everyone) return [agents, section('by-group', el('p', 'empty', 'Leads and admins see every agent’s figures and each group’s.'))];
  const groups = section('by-group', or(byGroup,
    table('By group', ['Group', 'Tickets', ...columns], byGroup.map((r) => [r.group ?? 'No group', ...figures(r)])),
    'No group figures in this period.'));
  groups.classList.add('wide');
  return [agents, groups];
}

/** `node`, or a note that says `empty` when `list` has nothing. */
function or(list, node, empty) {
  return list.length ? node : el('p', 'empty', empty);
}

// ---------------------------------------------------------------- CSV

/**
 * Fetches the CSV with the bearer token (it never goes in a URL) and saves
 * it through a temporary object URL on an `<a download>`.
 */
async function downloadCsv() {
  if (!shown) {
    host.say('Show a period first.', true);
    return;
  }
  const button = $('m-csv');
  button.disabled = true;
  try {
    const blob = await host.api(`/v1/agent/metrics.csv?${query(shown)}`, { blob: true });
    saveBlob(blob, `buoy-metrics-${shown.from}-to-${addDays(shown.to, -1)}-${shown.tz.replace(/[^A-Za-z0-9_-]+/g, '_')}.csv`);
    host.say('CSV downloaded.');
  } catch (e) {
    if (e.status !== 401) host.say(problem(e), true);
  } finally {
    button.disabled = false;
  }
}
