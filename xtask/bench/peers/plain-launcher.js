// The bench's control: the least any launcher does at load, and nothing
// else. One fixed round button in a shadow root, styled by a constructed
// stylesheet, appended to the body. What the host page spends on it is
// what drawing any launcher costs; a widget's figure above it is its own.
(function (d) {
  var host = d.createElement('div');
  var root = host.attachShadow({ mode: 'open' });
  var sheet = new CSSStyleSheet();
  sheet.replaceSync('.l{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border:0;border-radius:50%;background:#1d4ed8;color:#fff}');
  root.adoptedStyleSheets = [sheet];
  var button = d.createElement('button');
  button.className = 'l';
  button.textContent = '?';
  button.setAttribute('aria-label', 'Help');
  root.appendChild(button);
  d.body.appendChild(host);
})(document);
