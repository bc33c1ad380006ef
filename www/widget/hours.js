// The closed line: on the home screen and the form, that support is closed
// and when it opens, by the browser's clock over the open intervals the
// worker wrote into the page (#buoy-hours, buoy_shared::panel::hours_block).
// Openings and closings alternate, so the first instant still ahead is an
// opening while closed. Nothing while open, past the last interval the page
// knows, or for a requester whose segment's first response counts every
// hour (`a`: the segment the host names beside the identity, which the
// panel keeps on its root, buoy_widget_core::protocol::tell_who). The
// opening is written in the browser's zone and the page's language, in the
// formats the worker gives (`t`, `d`: Intl.DateTimeFormat options).
//
// Plain JavaScript joined to the panel's glue (app.js) by the build, so the
// first open counts it and the wasm carries no date code; it runs at load
// and at each change the panel signals (buoy:change: open, identify,
// logout). The line's text is the catalog's (index filled in by the build).
{
  const hours = document.getElementById('buoy-hours');
  const root = document.getElementById('buoy');
  const show = () => {
    const { o, a, t, d } = JSON.parse(hours.textContent);
    const now = Date.now() / 1000;
    const next = o.findIndex((at) => at > now);
    let text = '';
    if (next % 2 == 0 && !a.includes(root.buoyWho?.segment)) {
      const at = new Date(o[next] * 1000);
      const write = (format) => at.toLocaleString(document.documentElement.lang, format);
      text = JSON.parse(document.getElementById('buoy-data').textContent)
        .t[__BUOY_CLOSED_NOW__].replace('{time}', write(t))
        .replace('{day}', write(d));
    }
    for (const id of ['buoy-closed', 'buoy-closed-form']) {
      const line = document.getElementById(id);
      if (line) {
        line.textContent = text;
        line.hidden = !text;
      }
    }
  };
  if (hours && root) {
    show();
    root.addEventListener('buoy:change', show);
  }
}
