// What a widget page from before a deploy gets for a script of its build's
// folder (/w/{hash}/) that the deploy removed: the worker answers with this
// module (buoy_shared::headers::is_gone_script). The page reloads, and the
// reloaded page names the current build's files; the loader tells the new
// panel again what the host page told the old one.
//
// Nothing typed is lost: until the inbox module runs (it keeps drafts;
// `data-inbox-typed` is buoy_widget_core::protocol::tell_typed's mark),
// what the requester typed is only in the panel. So the page reloads at
// once when they typed nothing, and otherwise once they send it: the
// panel has put the ticket in the outbox (its form is aria-busy), which
// the reloaded page's inbox sends. When this stands for the form module
// itself (it loads as the form shows, before anything is typed into it),
// nothing could send the form: the page reloads at once. A page that is
// itself a reload does not reload again: a build that lacks its own file
// would loop.
const reloaded = performance.getEntriesByType('navigation')[0]?.type === 'reload';
const root = document.getElementById('buoy');
if (!reloaded && root) {
  if (!root.hasAttribute('data-inbox-typed') || import.meta.url.endsWith('/form.js')) {
    location.reload();
  } else {
    // After the form module's submit listener (on the form) queued the ticket.
    document.addEventListener('submit', () => {
      if (document.getElementById('buoy-form')?.getAttribute('aria-busy') === 'true') location.reload();
    });
  }
}
