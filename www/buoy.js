/*! Buoy loader: the only script Buoy puts in a host page. It draws the
 * launcher at once, styles it through the CSSOM only (no <style>, no style
 * attribute: strict host CSPs stay happy), preloads the panel iframe on
 * intent (the pointer on the launcher, or focus), never at load (at idle
 * for a requester with tickets), and
 * talks to it by postMessage with a named target
 * origin. The placeholder string names in capitals are filled by the
 * build: the catalog's strings and the site's look, from buoy-shared. */
(function (w, d) {
  var me = d.currentScript;
  if (!me || w.Buoy?.loaded) return;
  var base = new URL(me.src).origin;
  var queued = w.Buoy?.q || [];
  // The look (buoy-shared's appearance): the stylesheet of the launcher
  // (its icon and label text too) and the panel, the launcher's label
  // ('': the icon alone, named in the panel's language), the colour scheme, whether the launcher is hidden,
  // and the site a per-site loader (/s/{site}.js) is for.
  var look = __BUOY_LOOK__;
  var site = look[4] || me.dataset.site, scheme = look[2], hide = look[3];
  // The panel's language: init's or data-locale, then the page's, then the
  // browser's, the first the catalog speaks by its primary subtag
  // (buoy-shared's Locale::negotiate); none, and the site's default holds.
  // `shown`: the language the panel's page says it speaks (the site's
  // default, when the loader picked none).
  var want = me.dataset.locale, locales = __BUOY_LOCALES__, labels = __BUOY_LABELS__, shown;
  // data-preload="off": fetch the panel only when it is first opened, not
  // on intent (a pointer over the launcher or its focus, which comes a
  // few hundred milliseconds before a click).
  var preload = me.dataset.preload != 'off';
  // `box`: the launcher's element, while it holds the panel inline in a
  // host element.
  var wrap, launcher, badge, panel, frame, box, back, ready = 0, opened = 0, outbox = [], count = 0;
  // Phones: the panel fills the screen as a modal dialog, follows the
  // visual viewport (the on-screen keyboard) and locks the host page's
  // scroll, all through constructed stylesheets (`view` in the shadow
  // roots, `lock` adopted by the document at the first open), never a
  // style attribute. `view` holds the inline panel's height too.
  var PHONE = '(max-width:640px)', sheet = new CSSStyleSheet(), view = new CSSStyleSheet(), lock = new CSSStyleSheet(), vv = w.visualViewport, sx = 0, sy = 0;
  sheet.replaceSync(look[0]);

  // Inline, the panel's height is the sheet's instead.
  function follow() {
    box || view.replaceSync(opened && vv ? '@media ' + PHONE + '{.p{top:' + vv.offsetTop + 'px;height:' + vv.height + 'px}}' : '');
  }

  // The host's handlers listen on the loader's own element: each is called
  // in turn, and one that throws is reported without stopping the others.
  function emit(name, detail) {
    me.dispatchEvent(new CustomEvent(name, { detail: detail }));
  }

  // The last message of each type, in order: sent once the panel says it
  // is ready, and again each time it is ready anew (a panel whose page
  // reloaded because a deploy removed its files knows nothing).
  function post(message, first) {
    message.buoy = 1;
    outbox = outbox.filter((m) => m.type != message.type);
    first ? outbox.unshift(message) : outbox.push(message);
    // Ready: a frame said so, and none replaced it since.
    if (ready) frame.contentWindow.postMessage(message, base);
  }

  // These keys of `o` (all of them when none are named) that hold a
  // value, each as a string.
  function strings(o, keys) {
    var out = {};
    o ||= {};
    (keys || Object.keys(o)).forEach((k) => {
      if (o[k] != null) out[k] = '' + o[k];
    });
    return out;
  }

  function add(parent, tag) {
    return parent.appendChild(d.createElement(tag));
  }

  function locale() {
    for (var t of [want, d.documentElement.lang, ...navigator.languages]) for (var l of locales) if ((t + '').split(/[-_]/)[0].toLowerCase() == l.split('-')[0]) return l;
  }

  // The launcher's and the frame's name: the site's label, else the
  // catalog's in the panel's language; the launcher's with the unread count.
  function label() {
    return look[1] || labels[locales.indexOf(shown || locale())] || labels[0];
  }

  // Draws the state: the launcher's colours follow the scheme (its class:
  // auto, light or dark, which the panel gets too), and it shows unless
  // hidden or the panel is inline; the panel shows when open or inline.
  // The launcher is named with the unread count, which its badge shows.
  // An open panel on a phone locks the host page's scroll.
  function paint() {
    var name = label();
    follow();
    lock.replaceSync(opened ? '@media ' + PHONE + '{html{overflow:hidden}body{position:fixed;left:0;right:0;top:' + -sy + 'px}}' : '');
    post({ type: 'scheme', scheme: scheme });
    if (frame) frame.title = name;
    if (launcher) {
      launcher.className = 'l ' + scheme;
      launcher.hidden = !!(hide || box);
      launcher.ariaExpanded = !!opened;
      launcher.ariaLabel = name + (count ? ' (' + count + ')' : '');
      badge.textContent = count;
      badge.hidden = !count;
      panel.hidden = !(opened || box);
      panel.className = box ? 'i' : 'p';
    }
  }

  function mountFrame() {
    if (frame || !panel) return;
    frame = d.createElement('iframe');
    paint();
    // The path names the page's locale (the server needs it); the fragment's
    // grammar is buoy-shared's `fragment` module: o = this page's origin.
    var l = locale();
    frame.src = base + '/widget/' + encodeURIComponent(site) + '/' + (l ? l + '/' : '') + '#o=' + encodeURIComponent(location.origin);
    panel.appendChild(frame);
  }

  // Drops the frame: a new page follows (another language, another place).
  function drop() {
    frame = frame?.remove();
    ready = 0;
  }

  function hello() {
    post({ type: 'open', url: location.href, title: d.title, modal: !box && w.matchMedia(PHONE).matches ? '1' : '0', inline: box ? '1' : '0' }, !ready);
  }

  function openPanel() {
    if (!panel || box) return;
    mountFrame();
    if (!opened) {
      // Focus goes back where it was: the launcher, or the host's own button.
      back = launcher.hidden ? d.activeElement : launcher;
      sx = w.scrollX;
      sy = w.scrollY;
      // Adopted at the first open, not at load: a sheet added to the
      // document restyles the whole host page.
      d.adoptedStyleSheets.includes(lock) || d.adoptedStyleSheets.push(lock);
    }
    opened = 1;
    paint();
    if (ready) frame.focus();
    hello();
    emit('open');
  }

  function closePanel() {
    if (!opened) return;
    opened = 0;
    paint();
    w.scrollTo(sx, sy);
    back?.focus();
    post({ type: 'close' });
    emit('close');
  }

  function toggle() {
    opened ? closePanel() : openPanel();
  }

  function draw() {
    if (wrap || !site || !d.body) return;
    wrap = d.createElement('div');
    var root = wrap.attachShadow({ mode: 'open' });
    root.adoptedStyleSheets = [sheet, view];
    ['resize', 'scroll'].forEach((e) => vv?.addEventListener(e, follow));
    // Its icon is the stylesheet's (a question mark, text that forced
    // colours recolour).
    launcher = add(root, 'button');
    badge = add(launcher, 'span');
    badge.className = 'b';
    launcher.addEventListener('click', toggle);
    panel = add(root, 'div');
    mirror();
    d.body.appendChild(wrap);
    // Nothing of the panel at load: a host page that nobody asks for help
    // on pays for the launcher alone. A requester with tickets gets it when
    // the browser is idle, so replies show on the launcher and what waits
    // in the panel's outbox goes. The flag is read at idle too: a page's
    // first touch of its storage waits for the browser to load it.
    if (preload) {
      ['pointerenter', 'focus'].forEach((e) => launcher.addEventListener(e, mountFrame));
      (w.requestIdleCallback || setTimeout)(() => remembered() && mountFrame());
    }
  }

  // Whether this browser asked for help on this site before: the panel's
  // inbox (it runs once the requester has a ticket or types) says so
  // with its first unread count. The host page's storage, never the panel's.
  function remembered(set) {
    try {
      return w.localStorage[set ? 'setItem' : 'getItem']('buoy:' + site, 1);
    } catch (e) { /* storage refused: on intent only */ }
  }

  // Right-to-left locales dock the launcher and the panel on the left
  // (unless the site's look names a side).
  function mirror() {
    wrap.dir = __BUOY_RTL__.includes(shown || locale()) ? 'rtl' : 'ltr';
    paint();
  }

  w.addEventListener('message', (e) => {
    var m = e.data;
    if (e.origin != base || e.source != frame?.contentWindow || m?.buoy !== 1) return;
    if (m.type == 'ready') {
      if (locales.includes(m.lang)) {
        shown = m.lang;
        mirror();
      }
      if (!ready) emit('ready');
      ready = 1;
      if (opened) frame.focus();
      outbox.forEach((message) => frame.contentWindow.postMessage(message, base));
    } else if (m.type == 'close') {
      closePanel();
    } else if (m.type == 'unread' && /^\d{1,5}$/.test(m.count)) {
      remembered(1);
      // The count of agent replies not yet read, on the launcher and to the host.
      count = +m.count;
      paint();
      emit('unread', count);
    } else if (m.type == 'resize' && box && /^\d{1,5}$/.test(m.height)) {
      // The inline panel's content height, in CSS pixels.
      view.replaceSync('.i{height:' + m.height + 'px}');
    } else if (typeof m.reference == 'string') {
      // ticket:created, message:received, csat:submitted
      emit(m.type, { reference: m.reference });
    }
  });

  d.addEventListener('keydown', (e) => {
    if (e.key == 'Escape' && opened) closePanel();
  });

  // The host's own buttons, present or added later: data-buoy-open opens
  // the panel on home (no value), the form, the tickets, or an article.
  d.addEventListener('click', (e) => {
    var to = e.target.closest('[data-buoy-open]'), v;
    if (to) {
      e.preventDefault();
      v = to.dataset.buoyOpen;
      api('navigate', /^(contact|tickets)$/.test(v) ? v : v ? 'article' : 'home', v);
    }
  });

  // The API, by command.
  var commands = {
    init: (arg) => {
      arg ||= {};
      if (arg.site) site = '' + arg.site;
      if (arg.launcher == false) hide = 1;
      draw();
      paint();
      // After the launcher (drawn from data-site) or the frame: switch them.
      commands.set(arg);
    },
    set: (arg) => {
      if (!arg) return;
      if (arg.colorScheme) {
        scheme = /^(light|dark)$/.test(arg.colorScheme) ? arg.colorScheme : 'auto';
        paint();
      }
      // Another language (none: the page's or the browser's again): a new
      // page, so a preloaded frame is replaced, and the panel gets the
      // outbox again once it is ready.
      if (arg.locale != null) {
        want = '' + arg.locale;
        shown = '';
        if (wrap) mirror();
        if (frame) {
          drop();
          mountFrame();
        }
      }
    },
    open: openPanel,
    close: closePanel,
    toggle: toggle,
    // These return the message for the panel, of the command's type.
    navigate: (view, arg) => (openPanel(), { view: '' + view, arg: '' + (arg ?? '') }),
    suggest: (items) => ({ items: [].concat(items || []).map(String) }),
    prefill: (arg) => arg && { ...strings(arg, ['subject', 'body']), kind: '' + (arg.type ?? ''), fields: strings(arg.fields) },
    // The host's context for the next tickets: the panel and the worker
    // check keys and lengths.
    context: (arg) => ({ context: strings(arg, Object.keys(arg || {}).slice(0, 20)) }),
    // Signed by the product's backend; the worker checks the signature.
    identify: (arg) => arg && { ...strings(arg, ['id', 'email', 'name', 'segment', 'account_manager', 'signature', 'token']), ...(arg.exp != null && { exp: +arg.exp }) },
    logout: () => ({}),
    // Inline: the panel in a host element, no launcher, no modal.
    mount: (selector) => {
      var host = wrap && d.querySelector(selector);
      if (!host) return;
      closePanel();
      drop();
      // The launcher's element moves there, its stylesheets with it.
      host.appendChild((box = wrap));
      paint();
      mountFrame();
      hello();
    },
    unmount: () => {
      if (!box) return;
      drop();
      d.body.appendChild(wrap);
      box = 0;
      paint();
      outbox = outbox.filter((m) => m.type != 'open');
    },
    on: (event, fn) => fn.call && me.addEventListener(event, (fn.buoy ||= (e) => fn(e.detail))),
    off: (event, fn) => fn && me.removeEventListener(event, fn.buoy),
  };

  function api(command, arg, more) {
    var message = commands[command] && commands[command](arg, more);
    if (message) post({ type: command, ...message });
  }
  api.loaded = 1;
  w.Buoy = api;

  paint();
  draw();
  queued.forEach((args) => api.apply(null, args));
  if (!wrap) d.addEventListener('DOMContentLoaded', draw);
})(window, document);
