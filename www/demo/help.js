// The themed docs pages: the colour scheme picker (Buoy('set', { colorScheme }))
// and, on the help center, the panel mounted inline. The loader is async,
// so commands made before it runs wait in `Buoy.q`, which it replays.
window.Buoy = window.Buoy || function () { (window.Buoy.q = window.Buoy.q || []).push(arguments); };
document.getElementById('buoy-scheme')?.addEventListener('change', (e) => {
  window.Buoy('set', { colorScheme: e.target.value });
});
// After the loader's own start (it draws once the body is there).
document.addEventListener('DOMContentLoaded', () => {
  if (document.getElementById('help')) window.Buoy('mount', '#help');
});
