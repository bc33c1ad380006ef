// The demo page's language picker. The loader is async, so commands made
// before it runs wait in `Buoy.q`, which it replays.
window.Buoy = window.Buoy || function () { (window.Buoy.q = window.Buoy.q || []).push(arguments); };
document.getElementById('buoy-language').addEventListener('change', (e) => {
  // "Automatic" (empty) goes back to the page's and the browser's languages.
  window.Buoy('set', { locale: e.target.value });
});
