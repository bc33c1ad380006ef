/*! Buoy loader: the only script Buoy puts in a host page. It draws the
 * launcher at once, styles it through the CSSOM only (no <style>, no style
 * attribute: strict host CSPs stay happy), preloads the panel iframe on
 * intent (the pointer on the launcher, or focus), never at load (at idle
 * for a requester with tickets), and
 * talks to it by postMessage with a named target
 * origin. The placeholder string names in capitals are filled from the message catalog
 * in buoy-shared when the site is built. */
(function (w, d) {
  var me = d.currentScript;
  if (!me || (w.Buoy && w.Buoy.loaded)) return;
  var base = new URL(me.src).origin;
  var queued = (w.Buoy && w.Buoy.q) || [];
  var site = me.getAttribute('data-site');
  // The panel's language: init's or data-locale, then the page's, then the
  // browser's, the first the catalog speaks by its primary subtag
  // (buoy-shared's Locale::negotiate); none, and the site's default holds.
  // `shown`: the language the panel's page says it speaks (the site's
  // default, when the loader picked none).
  var want = me.getAttribute('data-locale'), locales = __BUOY_LOCALES__, labels = __BUOY_LABELS__, shown;
  // data-preload="off": fetch the panel only when it is first opened, not
  // on intent (a pointer over the launcher or its focus, which comes a
  // few hundred milliseconds before a click).
  var preload = me.getAttribute('data-preload') !== 'off';
  var handlers = {};
  var wrap, launcher, badge, panel, frame, ready = 0, opened = 0, outbox = [];
  // Phones: the panel fills the screen as a modal dialog, follows the
  // visual viewport (the on-screen keyboard) and locks the host page's
  // scroll, all through constructed stylesheets (`view` in the shadow
  // root, `lock` adopted by the document at the first open), never a style
  // attribute.
  var PHONE = '(max-width:640px)', view = new CSSStyleSheet(), lock = new CSSStyleSheet(), vv = w.visualViewport, sx = 0, sy = 0;

  function follow() {
    view.replaceSync(opened && vv ? '@media ' + PHONE + '{.p{top:' + vv.offsetTop + 'px;height:' + vv.height + 'px}}' : '');
  }

  function emit(name, detail) {
    (handlers[name] || []).slice().forEach(function (fn) {
      try { fn(detail); } catch (e) { setTimeout(function () { throw e; }); }
    });
  }

  // The last message of each type, in order: sent once the panel says it
  // is ready, and again each time it is ready anew (a panel whose page
  // reloaded because a deploy removed its files knows nothing).
  function post(message, first) {
    message.buoy = 1;
    outbox = outbox.filter(function (m) { return m.type !== message.type; });
    first ? outbox.unshift(message) : outbox.push(message);
    if (frame && ready) frame.contentWindow.postMessage(message, base);
  }

  function locale() {
    var tags = [want, d.documentElement.lang].concat(navigator.languages), i, j;
    for (i in tags) for (j in locales) if ((tags[i] + '').split(/[-_]/)[0].toLowerCase() == locales[j].split('-')[0]) return locales[j];
  }

  // The launcher's and the frame's name, in the panel's language.
  function label() {
    return labels[locales.indexOf(shown || locale())] || labels[0];
  }

  function mountFrame() {
    if (frame || !site || !panel) return;
    frame = d.createElement('iframe');
    frame.title = label();
    // The path names the page's locale (the server needs it); the fragment's
    // grammar is buoy-shared's `fragment` module: o = this page's origin.
    var l = locale();
    frame.src = base + '/widget/' + encodeURIComponent(site) + '/' + (l ? l + '/' : '') + '#o=' + encodeURIComponent(location.origin);
    panel.appendChild(frame);
  }

  function openPanel() {
    if (!panel) return;
    mountFrame();
    if (!opened) {
      sx = w.scrollX;
      sy = w.scrollY;
      // Adopted at the first open, not at load: a sheet added to the
      // document restyles the whole host page.
      if (d.adoptedStyleSheets.indexOf(lock) < 0) d.adoptedStyleSheets = d.adoptedStyleSheets.concat(lock);
      lock.replaceSync('@media ' + PHONE + '{html{overflow:hidden}body{position:fixed;left:0;right:0;top:' + -sy + 'px}}');
    }
    opened = 1;
    follow();
    panel.hidden = false;
    launcher.setAttribute('aria-expanded', 'true');
    if (ready) frame.focus();
    post({ type: 'open', url: location.href, title: d.title, modal: w.matchMedia(PHONE).matches ? '1' : '0' }, !ready);
    emit('open');
  }

  function closePanel() {
    if (!opened) return;
    opened = 0;
    follow();
    lock.replaceSync('');
    w.scrollTo(sx, sy);
    panel.hidden = true;
    launcher.setAttribute('aria-expanded', 'false');
    launcher.focus();
    post({ type: 'close' });
    emit('close');
  }

  function draw() {
    if (wrap || !d.body) return;
    wrap = d.createElement('div');
    var root = wrap.attachShadow({ mode: 'open' });
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(
      ':host{all:initial}' +
      '.l{position:fixed;inset-inline-end:20px;bottom:20px;z-index:2147483000;width:56px;height:56px;border:0;border-radius:50%;' +
      'background:#1d4ed8;color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);display:grid;place-items:center;padding:0}' +
      '.l:hover{background:#1e40af}.l:focus-visible{outline:3px solid #1d4ed8;outline-offset:2px;box-shadow:0 0 0 2px #fff}' +
      '.p{position:fixed;inset-inline-end:20px;bottom:88px;z-index:2147483000;width:380px;height:620px;max-height:calc(100vh - 108px);' +
      'border-radius:14px;overflow:hidden;box-shadow:0 10px 40px rgba(0,0,0,.3);background:#fff}' +
      '.b{position:absolute;top:-2px;inset-inline-end:-2px;min-width:20px;height:20px;border-radius:10px;background:#dc2626;color:#fff;' +
      'font:700 12px/20px system-ui,sans-serif;padding:0 5px;box-sizing:border-box}.b[hidden],.p[hidden]{display:none}iframe{border:0;width:100%;height:100%;display:block}' +
      '@media ' + PHONE + '{.p{inset:0 0 auto;width:auto;height:100vh;height:100dvh;max-height:none;border-radius:0;box-sizing:border-box;' +
      'padding:env(safe-area-inset-top) env(safe-area-inset-right) env(safe-area-inset-bottom) env(safe-area-inset-left)}}' +
      '@media (forced-colors:active){.l{border:2px solid ButtonText}}'
    );
    root.adoptedStyleSheets = [sheet, view];
    if (vv) {
      vv.addEventListener('resize', follow);
      vv.addEventListener('scroll', follow);
    }
    mirror();
    launcher = d.createElement('button');
    launcher.type = 'button';
    launcher.className = 'l';
    launcher.setAttribute('aria-label', label());
    launcher.setAttribute('aria-expanded', 'false');
    var svg = d.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('width', '28');
    svg.setAttribute('height', '28');
    svg.setAttribute('aria-hidden', 'true');
    var path = d.createElementNS('http://www.w3.org/2000/svg', 'path');
    path.setAttribute('fill', 'currentColor');
    path.setAttribute('d', 'M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm0 16.2a1.3 1.3 0 1 1 0-2.6 1.3 1.3 0 0 1 0 2.6zm1.3-5.1v.6h-2.5v-1c0-1.5 1-2.2 1.8-2.8.7-.5 1.1-.8 1.1-1.5 0-.8-.7-1.3-1.6-1.3-1 0-1.7.6-1.9 1.5L7.8 8C8.3 6.2 9.9 5 12.2 5c2.4 0 4 1.3 4 3.3 0 1.6-1 2.4-1.9 3-.6.5-1 .8-1 1.8z');
    svg.appendChild(path);
    launcher.appendChild(svg);
    badge = d.createElement('span');
    badge.className = 'b';
    badge.hidden = true;
    badge.setAttribute('aria-hidden', 'true');
    launcher.appendChild(badge);
    launcher.addEventListener('click', function () { opened ? closePanel() : openPanel(); });
    panel = d.createElement('div');
    panel.className = 'p';
    panel.hidden = true;
    root.appendChild(launcher);
    root.appendChild(panel);
    d.body.appendChild(wrap);
    // Nothing of the panel at load: a host page that nobody asks for help
    // on pays for the launcher alone. A requester with tickets gets it when
    // the browser is idle, so replies show on the launcher and what waits
    // in the panel's outbox goes. The flag is read at idle too: a page's
    // first touch of its storage waits for the browser to load it.
    if (preload) {
      ['pointerenter', 'focus'].forEach(function (e) { launcher.addEventListener(e, mountFrame); });
      (w.requestIdleCallback || setTimeout)(function () { remembered() && mountFrame(); });
    }
  }

  // Whether this browser asked for help on this site before: the panel's
  // inbox (it runs once the requester has a ticket or types) says so
  // with its first unread count. The host page's storage, never the panel's.
  function remembered(set) {
    try {
      return set ? w.localStorage.setItem('buoy:' + site, '1') : w.localStorage.getItem('buoy:' + site);
    } catch (e) { /* storage refused: on intent only */ }
  }

  // Right-to-left locales dock the launcher and the panel on the left.
  function mirror() {
    wrap.dir = __BUOY_RTL__.indexOf(shown || locale()) < 0 ? 'ltr' : 'rtl';
    if (launcher) launcher.setAttribute('aria-label', label());
    if (frame) frame.title = label();
  }

  w.addEventListener('message', function (e) {
    var m = e.data;
    if (e.origin !== base || !frame || e.source !== frame.contentWindow || !m || m.buoy !== 1) return;
    if (m.type === 'ready') {
      if (locales.indexOf(m.lang) >= 0) {
        shown = m.lang;
        mirror();
      }
      if (!ready) emit('ready');
      ready = 1;
      if (opened) frame.focus();
      outbox.forEach(function (message) { frame.contentWindow.postMessage(message, base); });
    } else if (m.type === 'close') {
      closePanel();
    } else if (m.type === 'unread' && /^\d{1,4}$/.test(m.count)) {
      remembered(1);
      // The count of agent replies not yet read, on the launcher.
      badge.textContent = m.count;
      badge.hidden = m.count === '0';
      launcher.setAttribute('aria-label', label() + (m.count === '0' ? '' : ' (' + m.count + ')'));
    } else if (/^(ticket:created|message:received|csat:submitted)$/.test(m.type) && typeof m.reference === 'string') {
      emit(m.type, { reference: m.reference });
    }
  });

  d.addEventListener('keydown', function (e) {
    if (e.key === 'Escape' && opened) closePanel();
  });

  function api(command, arg) {
    if (command === 'init') {
      if (arg && arg.site) site = String(arg.site);
      draw();
      // After the launcher (drawn from data-site) or the frame: switch them.
      if (arg && arg.locale) api('set', arg);
    } else if (command === 'set' && arg) {
      // Another language (none: the page's or the browser's again): a new
      // page, so a preloaded frame is replaced, and the panel gets the
      // outbox again once it is ready.
      want = String(arg.locale || '');
      shown = '';
      if (wrap) mirror();
      if (frame) {
        // `remove` returns nothing: the frame is gone, and a new one is made.
        frame = frame.remove();
        ready = 0;
        mountFrame();
      }
    } else if (command === 'open') {
      openPanel();
    } else if (command === 'close') {
      closePanel();
    } else if (command === 'toggle') {
      opened ? closePanel() : openPanel();
    } else if (command === 'navigate') {
      openPanel();
      post({ type: 'navigate', view: String(arg), arg: arguments[2] == null ? '' : String(arguments[2]) });
    } else if (command === 'suggest') {
      post({ type: 'suggest', items: [].concat(arg || []).map(String) });
    } else if (command === 'prefill' && arg) {
      post({ type: 'prefill', subject: String(arg.subject || ''), body: String(arg.body || ''), kind: String(arg.type || '') });
    } else if (command === 'identify' && arg) {
      // Signed by the product's backend; the worker checks the signature.
      var who = { type: 'identify' };
      ['id', 'email', 'name', 'segment', 'account_manager', 'signature', 'token'].forEach(function (k) {
        if (arg[k] != null) who[k] = String(arg[k]);
      });
      if (arg.exp != null) who.exp = Number(arg.exp);
      post(who);
    } else if (command === 'logout') {
      post({ type: 'logout' });
    } else if (command === 'on' && typeof arg === 'string' && typeof arguments[2] === 'function') {
      (handlers[arg] = handlers[arg] || []).push(arguments[2]);
    } else if (command === 'off' && typeof arg === 'string') {
      var fn = arguments[2];
      handlers[arg] = (handlers[arg] || []).filter(function (h) { return h !== fn; });
    }
  }
  api.loaded = 1;
  w.Buoy = api;

  if (site) draw();
  queued.forEach(function (args) { api.apply(null, args); });
  if (!wrap) d.addEventListener('DOMContentLoaded', draw);
})(window, document);
