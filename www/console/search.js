// Finding tickets: the search box in the header (`/` focuses it), whose
// query lives in the URL hash (`#q=…`) like the queue's filters, and the
// results drawn as queue rows (so j/k/Enter work on them). The worker
// reads the query (a reference, an email address or words: the rules
// are buoy-shared's `search::tickets`); this module only shows what it
// answered. Text only: every value is set with textContent.
import { $ } from './dom.js';

let deps;

/** Wires the box: `navigate` takes the next hash's params. */
export function initSearch(d) {
  deps = d;
  $('search-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const q = $('search').value.trim();
    const params = new URLSearchParams();
    if (q) params.set('q', q);
    deps.navigate(params);
  });
  $('search-clear').addEventListener('click', () => {
    $('search').value = '';
    deps.navigate(new URLSearchParams());
  });
}

/** The query of the current hash, if the queue shows a search. */
export const searchQuery = (params) => params.get('q') || '';

/** `/` outside a field: to the search box, its text selected. */
export function focusSearch(event) {
  if (event.key !== '/' || $('search-form').hidden) return false;
  event.preventDefault();
  $('search').focus();
  $('search').select();
  return true;
}

const HOW = {
  reference: 'by reference',
  email: 'by email address, newest first',
  words: 'by words, best match first',
};

/** Runs the search `q` and gives the rows to draw (and says what it found). */
export async function runSearch(q) {
  $('search').value = q;
  const answer = await deps.api(`/v1/agent/search?q=${encodeURIComponent(q)}`);
  const count = answer.tickets.length;
  let text;
  if (answer.query === 'words' && !answer.word_search) {
    text = 'Word search is not set up on this deployment (it has no D1 database). Search by a reference or an email address.';
  } else if (count === 0) {
    text = `No ticket found for “${q}” ${HOW[answer.query]}.`;
  } else {
    text = `${count === 1 ? '1 ticket' : `${count} tickets`} found for “${q}” ${HOW[answer.query]}.`;
  }
  $('search-text').textContent = text;
  $('search-note').hidden = false;
  $('queue-title').textContent = 'Search results';
  deps.say(text);
  return answer.tickets;
}

/** Back to the queue's own look. */
export function leaveSearch() {
  $('search-note').hidden = true;
  $('queue-title').textContent = 'Queue';
}
