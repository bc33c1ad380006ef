// The inline panel's module, loaded by the panel only when the loader
// mounts it in a host element: the panel's height, at each change, to the
// host page, on the origin the panel checked and wrote on the root
// (`data-inline`). The loader sizes the frame to it.
const root = document.documentElement;
const panel = document.querySelector('.panel');
new ResizeObserver(() => {
  parent.postMessage({ buoy: 1, type: 'resize', height: String(panel.scrollHeight) }, root.dataset.inline);
}).observe(panel);
