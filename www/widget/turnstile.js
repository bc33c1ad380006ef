// Cloudflare Turnstile, for a site whose buoy.toml asks for it: the worker
// adds this script to that site's widget page (with the site key and the
// Turnstile script's URL, which tests point at a local stand-in), and
// allows that one origin in the page's CSP. It renders the check above the
// form's send button and hands each token to the panel on the root's
// `data-turnstile` attribute; the inbox module sends it with the new
// ticket and, tokens being single-use, fires `buoy:turnstile-used` after
// every send, which asks the check for a fresh one. Sites without
// Turnstile never load this file or anything from Cloudflare.
(() => {
  const me = document.currentScript;
  const root = document.getElementById('buoy');
  const form = document.getElementById('buoy-form');
  if (!me || !root || !form || !me.dataset.sitekey || !me.dataset.api) return;
  // From now on the inbox waits for a token before sending a ticket.
  root.setAttribute('data-turnstile-site', '');
  const box = document.createElement('div');
  box.className = 'turnstile';
  form.insertBefore(box, document.getElementById('buoy-submit'));
  const hand = (token) => {
    if (token) root.setAttribute('data-turnstile', token);
    else root.removeAttribute('data-turnstile');
  };
  let widget;
  window.buoyTurnstile = () => {
    widget = window.turnstile.render(box, {
      sitekey: me.dataset.sitekey,
      action: 'ticket',
      language: document.documentElement.lang || 'auto',
      callback: hand,
      'expired-callback': () => hand(''),
      'error-callback': () => hand(''),
    });
  };
  root.addEventListener('buoy:turnstile-used', () => {
    hand('');
    if (widget !== undefined) window.turnstile.reset(widget);
  });
  const api = document.createElement('script');
  api.src = `${me.dataset.api}${me.dataset.api.includes('?') ? '&' : '?'}render=explicit&onload=buoyTurnstile`;
  api.async = true;
  document.head.append(api);
})();
