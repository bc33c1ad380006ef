// Suggested articles: for the open ticket, the knowledge-base articles
// that match its subject and first message, as the worker found them
// with the widget's own search, in the requester's language
// (`GET /v1/agent/tickets/{id}/articles`; the rules are buoy-shared's
// `suggested`). "Insert link" puts an article's link into the reply
// box at the cursor: in the requester's panel it opens the article
// there, in mail it is the article's page. Text only: every value is
// set with textContent.
import { $, el } from './dom.js';

let deps;
let shown = null; // the ticket whose suggestions show (a late answer for another is dropped)

/** Wires the list: `api` fetches, `typed` tells the console the reply box changed. */
export function initSuggest(d) {
  deps = d;
}

/** Loads and draws the suggestions of ticket `id`. */
export async function showSuggestions(id) {
  shown = id;
  $('suggestions').replaceChildren();
  $('suggest-empty').hidden = true;
  $('suggest-note').textContent = 'Looking for articles…';
  let answer;
  try {
    answer = await deps.api(`/v1/agent/tickets/${encodeURIComponent(id)}/articles`);
  } catch (e) {
    if (shown === id) $('suggest-note').textContent = 'Articles could not be looked up.';
    return;
  }
  if (shown !== id) return;
  $('suggest-note').textContent = '';
  $('suggest-empty').hidden = answer.articles.length > 0;
  $('suggestions').replaceChildren(...answer.articles.map((a) => item(a, answer.locale)));
}

/** One suggestion; an article not yet translated into the requester's language names its own. */
function item(article, locale) {
  const insert = el('button', 'quiet', 'Insert link');
  insert.type = 'button';
  insert.setAttribute('aria-label', `Insert link to “${article.title}”`);
  insert.addEventListener('click', () => insertLink(article));
  const title = el('p', 'suggest-title', article.title);
  const lang = article.locale !== locale ? el('span', 'hint', ` (not translated: ${article.locale})`) : null;
  if (lang) title.append(lang);
  return el('li', 'suggestion', title, el('p', 'hint', article.snippet), insert);
}

/** Puts “Title: link” into the reply box at the cursor, on a line of its own, and focuses the box. */
function insertLink(article) {
  const reply = $('reply');
  const text = `${article.title}: ${article.url}`;
  const at = reply.selectionStart ?? reply.value.length;
  const end = reply.selectionEnd ?? at;
  const before = reply.value.slice(0, at);
  const after = reply.value.slice(end);
  const lead = before && !before.endsWith('\n') ? '\n' : '';
  const trail = after && !after.startsWith('\n') ? '\n' : '';
  reply.value = `${before}${lead}${text}${trail}${after}`;
  const caret = before.length + lead.length + text.length;
  reply.focus();
  reply.setSelectionRange(caret, caret);
  // As typing would: the reply's If-Match and the presence follow.
  reply.dispatchEvent(new Event('input', { bubbles: true }));
  deps.say(`Link to “${article.title}” inserted into the reply.`);
}
