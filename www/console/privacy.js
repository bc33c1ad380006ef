// The console's privacy requests, a section of the Agents screen (admins
// only, as the screen is): export everything Buoy holds about a requester
// as a JSON download, or erase it after typing their email or user id
// again. The rules (whose tickets, what the export holds, what an erase
// takes, the confirmation) live in the API; this file sends what the
// admin typed and says what came back.

import { $, saveBlob } from './dom.js';

let host = null; // { api, problemText, refresh }

/** Wires the section's forms; `options` lends the console's network and the Agents screen's refresh. */
export function initPrivacy(options) {
  host = options;
  $('privacy-form').addEventListener('submit', onExport);
  $('p-erase').addEventListener('click', askToErase);
  $('privacy-confirm').addEventListener('submit', onErase);
  $('p-cancel').addEventListener('click', () => {
    hideConfirm();
    $('p-erase').focus();
  });
}

/** Forgets what was typed and said (on sign-out). */
export function clearPrivacy() {
  $('privacy-form').reset();
  hideConfirm();
  tell('');
}

function hideConfirm() {
  $('privacy-confirm').reset();
  $('privacy-confirm').hidden = true;
}

function tell(text, isError = false) {
  $('privacy-status').textContent = isError ? '' : text;
  $('privacy-error').textContent = isError ? text : '';
}

const tickets = (n) => `${n} ticket${n === 1 ? '' : 's'}`;

/** The request body: the requester by the kind chosen, and `extra`. */
function asked(extra = {}) {
  const who = $('p-who').value.trim();
  return { [$('p-kind').value]: who, ...extra };
}

async function onExport(event) {
  event.preventDefault();
  tell('Exporting…');
  try {
    const doc = await host.api('/v1/agent/privacy/export', { body: asked() });
    const day = (doc.exported_at || '').slice(0, 10);
    saveBlob(new Blob([JSON.stringify(doc, null, 2)], { type: 'application/json' }), `buoy-export-${doc.site}-${day}.json`);
    tell(`Exported ${tickets(doc.tickets.length)}: the JSON file is downloaded.`);
    await host.refresh();
  } catch (e) {
    tell(host.problemText(e), true);
  }
}

function askToErase() {
  if (!$('p-who').value.trim()) {
    tell('Enter the email address or user id first.', true);
    $('p-who').focus();
    return;
  }
  tell('');
  $('privacy-confirm').hidden = false;
  $('p-confirm').focus();
}

async function onErase(event) {
  event.preventDefault();
  const confirm = $('p-confirm').value;
  let total = 0;
  tell('Erasing…');
  try {
    // The API erases a bounded number of tickets a request and says when more are left.
    for (;;) {
      const done = await host.api('/v1/agent/privacy/erase', { body: asked({ confirm }) });
      total += done.tickets;
      if (!done.more) break;
    }
    hideConfirm();
    $('privacy-form').reset();
    tell(`Erased ${tickets(total)} and everything held with them.`);
    await host.refresh();
  } catch (e) {
    tell(total ? `Erased ${tickets(total)}, then: ${host.problemText(e)} Erase again to finish.` : host.problemText(e), true);
  }
}
