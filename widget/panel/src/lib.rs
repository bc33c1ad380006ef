//! Buoy's help panel: a view over `buoy-shared`, running in an iframe
//! served from the worker's origin.
//!
//! [`state`] holds the pure state machine; this file draws the state and
//! carries out effects. Search results and article bodies are the help
//! module's (`buoy-widget-help`), the requester's tickets the inbox
//! module's (`buoy-widget-inbox`), sending the ticket form the form
//! module's (`buoy-widget-form`): the panel loads each when first needed
//! and tells them what shows through `buoy_widget_core::protocol`. Every
//! string comes from the message catalog in `buoy-shared`; typed text is
//! only ever set as text.
#![deny(missing_docs)]

pub mod state;

use buoy_shared::deflection::Outcome;
use buoy_shared::messages::{self, MessageId};
use buoy_shared::suggest;
use buoy_shared::ticket::{offered_types, TicketType};
use buoy_widget_core::dom::{by_ids, focus, set_hidden, text_element, ArticleList, Listener};
use buoy_widget_core::host::{claim_of, post_to_host};
use buoy_widget_core::net;
use buoy_widget_core::page::{field_of, page, page_json, read_catalog, strings, t};
use buoy_widget_core::protocol::{self, Form, Module, Screen};
use buoy_widget_core::store;
use js_sys::{Object, Reflect};
use state::{Effect, Msg, State, View};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement, KeyboardEvent, MessageEvent};

/// The form's controls the panel fills from a guide or a topic (the
/// form module reads and sends the form).
struct Controls {
    name: HtmlInputElement,
    kind: HtmlSelectElement,
    subject: HtmlInputElement,
    message: HtmlTextAreaElement,
}

/// The self-service screens.
struct Help {
    home: Element,
    search: HtmlInputElement,
    /// The home screen's list: suggestions here, search results from the help module.
    list: ArticleList,
    article: Element,
    article_title: Element,
    article_body: Element,
    guide: Element,
    guide_title: Element,
    steps: Element,
    fixed: Element,
    fixed_title: Element,
}

/// The inbox's screens, which the panel shows and hides (the inbox
/// module fills them).
struct Convo {
    list_title: Element,
    section: Element,
    list_section: Element,
    title: Element,
}

/// An article as the panel knows it: enough to suggest it and show its
/// title (the help module draws its body).
struct Doc {
    id: String,
    title: String,
    /// Where it is suggested (URL path patterns).
    suggest_on: Vec<String>,
}

struct Inner {
    site: String,
    root: Element,
    convo: Convo,
    /// The knowledge base's articles, from the page.
    docs: Vec<Doc>,
    /// Guided-fix steps per ticket type, from the playbooks.
    guides: Vec<(TicketType, Vec<String>)>,
    /// Articles the host page asked to suggest (ids, URLs or paths).
    suggest: Vec<String>,
    title: Element,
    back: Element,
    help: Help,
    host_origin: Option<String>,
    host_url: Option<String>,
    state: State,
    form: Element,
    controls: Controls,
    sent: Element,
    sent_heading: Element,
}

/// A mounted panel. Dropping it removes its listeners.
#[derive(Debug)]
pub struct Panel {
    inner: Rc<RefCell<Inner>>,
    _listeners: Vec<Listener>,
}

impl core::fmt::Debug for Inner {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Inner").field("site", &self.site).field("state", &self.state).finish_non_exhaustive()
    }
}

/// The ids of the panel's elements, in the order `build` takes them.
const IDS: [&str; 26] = [
    "buoy-name",
    "buoy-type",
    "buoy-subject",
    "buoy-message",
    "buoy-tickets-title",
    "buoy-thread",
    "buoy-tickets",
    "buoy-thread-title",
    "buoy-title",
    "buoy-back",
    "buoy-home",
    "buoy-q",
    "buoy-list-title",
    "buoy-docs",
    "buoy-empty",
    "buoy-article",
    "buoy-article-title",
    "buoy-article-body",
    "buoy-guide",
    "buoy-guide-title",
    "buoy-steps",
    "buoy-fixed",
    "buoy-fixed-title",
    "buoy-form",
    "buoy-sent",
    "buoy-sent-title",
];

/// Finds the panel's elements in its markup (written into the page at
/// build time by `buoy_shared::panel::skeleton`). The markup is ours, so
/// each element is the type its tag says; all are looked up first and
/// taken in one step (one failure path keeps the wasm small).
fn build(root: &Element, site: &str, host_origin: Option<String>) -> Result<Inner, JsValue> {
    let [name_el, kind_el, subject_el, message_el, list_title, section, list_section, title, panel_title, back, home, search, docs_title, docs, docs_empty, article, article_title, article_body, guide, guide_title, steps, fixed, fixed_title, form, sent, sent_heading] =
        by_ids(root, &IDS)?;
    let controls = Controls {
        name: name_el.unchecked_into(),
        kind: kind_el.unchecked_into(),
        subject: subject_el.unchecked_into(),
        message: message_el.unchecked_into(),
    };
    let convo = Convo { list_title, section, list_section, title };
    Ok(Inner {
        site: site.into(),
        root: root.clone(),
        convo,
        docs: Vec::new(),
        guides: Vec::new(),
        suggest: Vec::new(),
        title: panel_title,
        back,
        help: Help {
            home,
            search: search.unchecked_into(),
            list: ArticleList { title: docs_title, list: docs, empty: docs_empty },
            article,
            article_title,
            article_body,
            guide,
            guide_title,
            steps,
            fixed,
            fixed_title,
        },
        host_origin,
        host_url: None,
        state: State::default(),
        form,
        controls,
        sent,
        sent_heading,
    })
}

impl Inner {
    /// Whether the form module says its ticket was sent (its confirmation shows).
    fn sent(&self) -> bool {
        protocol::heard(&self.root).form == Form::Sent
    }

    fn render(&self) {
        let state = &self.state;
        let sent = self.sent();
        let view = &state.view;
        let contact = *view == View::Contact;
        set_hidden(&self.sent, !(contact && sent));
        set_hidden(&self.form, !contact || sent);
        set_hidden(&self.help.home, *view != View::Home);
        set_hidden(&self.help.article, !matches!(view, View::Article(_)));
        set_hidden(&self.help.guide, !matches!(view, View::Guide(_)));
        set_hidden(&self.help.fixed, *view != View::Fixed);
        set_hidden(&self.convo.list_section, *view != View::Tickets);
        set_hidden(&self.convo.section, !matches!(view, View::Thread(_)));
        set_hidden(&self.back, *view == View::Home);
        self.title.set_text_content(Some(t(match view {
            View::Contact => MessageId::PanelTitle,
            View::Tickets | View::Thread(_) => MessageId::YourTickets,
            _ => MessageId::HelpTitle,
        })));
    }

    fn post_to_host(&self, kind: &str, detail: Option<(&str, &str)>) {
        post_to_host(self.host_origin.as_deref(), kind, detail);
    }

    /// Tells the modules it loads which screen shows, and (when given)
    /// whether the panel is open.
    fn signal(&self, open: Option<bool>) {
        let screen = match &self.state.view {
            View::Article(id) => Screen::Article(id.clone()),
            View::Tickets => Screen::Tickets,
            View::Thread(id) => Screen::Thread(id.clone()),
            _ => Screen::Elsewhere,
        };
        protocol::tell(&self.root, &screen, open);
        // The form sends through its module, and takes files: both are
        // there before the requester presses send or offers a file.
        if self.state.view == View::Contact {
            protocol::load(&self.root, Module::Form);
            protocol::load(&self.root, Module::Upload);
        }
    }

    /// The controls that take focus now, in order: the focus trap's ends.
    fn focusable(&self) -> Vec<web_sys::HtmlElement> {
        let Ok(nodes) = self.title.closest(".panel").map(|p| p.map(|p| p.query_selector_all("button,input,select,textarea,a[href]")))
        else {
            return Vec::new();
        };
        let Some(Ok(nodes)) = nodes else { return Vec::new() };
        (0..nodes.length())
            .filter_map(|i| nodes.item(i).and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok()))
            .filter(|el| el.offset_parent().is_some() && !el.has_attribute("disabled"))
            .collect()
    }

    /// The element that takes focus when a screen shows.
    fn entry(&self) -> Element {
        match &self.state.view {
            View::Home => self.help.search.clone().into(),
            View::Article(_) => self.help.article_title.clone(),
            View::Guide(_) => self.help.guide_title.clone(),
            View::Fixed => self.help.fixed_title.clone(),
            View::Tickets => self.convo.list_title.clone(),
            View::Thread(_) => self.convo.title.clone(),
            View::Contact if self.sent() => self.sent_heading.clone(),
            View::Contact => self.controls.name.clone().into(),
        }
    }

    /// Fills the home list with the articles suggested for the host page
    /// while the search box is empty. A query is the help module's to
    /// answer: it loads now if it has not (the box may hold text typed
    /// before the panel started), and answers from then on.
    fn refresh_list(&self) {
        if !self.help.search.value().trim().is_empty() {
            return protocol::load(&self.root, Module::Help);
        }
        let docs: Vec<(&str, &[String])> = self.docs.iter().map(|d| (d.id.as_str(), d.suggest_on.as_slice())).collect();
        let found = suggest::suggestions(&docs, self.host_url.as_deref().unwrap_or("/"), &self.suggest, 5);
        let articles = found.iter().filter_map(|i| self.docs.get(*i)).map(|d| (d.id.as_str(), d.title.as_str()));
        self.help.list.draw(t(MessageId::Suggested), articles, false);
    }

    fn guide_steps(&self, kind: &TicketType) -> Option<&[String]> {
        self.guides.iter().find(|(k, _)| k == kind).map(|(_, steps)| steps.as_slice())
    }

    /// Draws what the current screen needs beyond showing it.
    fn prepare_view(inner: &Rc<RefCell<Inner>>) {
        let panel = inner.borrow();
        match panel.state.view.clone() {
            View::Article(id) => {
                // The title now; the help module draws the body.
                let Some(meta) = panel.docs.iter().find(|d| d.id == id) else { return };
                panel.help.article_title.set_text_content(Some(&meta.title));
                panel.help.article_body.set_text_content(Some(t(MessageId::Loading)));
            }
            View::Guide(kind) => {
                panel.help.steps.set_text_content(None);
                let Some(doc) = panel.help.steps.owner_document() else { return };
                for step in panel.guide_steps(&kind).unwrap_or_default() {
                    let _ = text_element(&doc, "li", &[], step, Some(&panel.help.steps));
                }
            }
            View::Home => panel.refresh_list(),
            View::Fixed | View::Contact | View::Tickets | View::Thread(_) => {}
        }
    }

    /// Writes what the guide showed into the form.
    fn prefill_from_guide(&self, kind: &TicketType) {
        self.controls.kind.set_value(kind.as_str());
        if self.controls.subject.value().is_empty() {
            self.controls.subject.set_value(messages::ticket_type_label(kind, |id| t(id)));
        }
        let mut message = String::from(t(MessageId::TriedSteps));
        for step in self.guide_steps(kind).unwrap_or_default() {
            message.push_str("\n- ");
            message.push_str(step);
        }
        message.push_str("\n\n");
        self.controls.message.set_value(&message);
    }
}

fn dispatch(inner: &Rc<RefCell<Inner>>, msg: Msg) {
    let effect = {
        let mut guard = inner.borrow_mut();
        let effect = guard.state.update(msg);
        guard.render();
        guard.signal(None);
        effect
    };
    match effect {
        Effect::Redraw => {}
        Effect::ShowView => {
            Inner::prepare_view(inner);
            focus(&inner.borrow().entry());
        }
        Effect::Record(kind, outcome) => {
            let panel = inner.borrow();
            net::record_deflection(&panel.site, kind.as_str(), outcome.as_str());
            if outcome == Outcome::NeedHelp {
                panel.prefill_from_guide(&kind);
                focus(panel.controls.message.as_ref());
            } else {
                focus(&panel.entry());
            }
        }
        Effect::ContactAbout(kind) => {
            let panel = inner.borrow();
            panel.controls.kind.set_value(kind.as_str());
            focus(&panel.entry());
        }
    }
}

/// A click anywhere in the panel: buttons carry `data-act`, article list
/// entries `data-i`, topics `data-kind`, links to other articles `data-article`.
fn clicked(inner: &Rc<RefCell<Inner>>, event: &web_sys::Event) {
    if let Some(id) = data_of(event, "data-article") {
        event.prevent_default();
        return dispatch(inner, Msg::Show(View::Article(id)));
    }
    if let Some(id) = data_of(event, "data-ticket") {
        return dispatch(inner, Msg::Show(View::Thread(id)));
    }
    if let Some(name) = data_of(event, "data-kind") {
        if let Some(kind) = TicketType::offered(&name) {
            let has_steps = inner.borrow().guide_steps(&kind).is_some();
            return dispatch(inner, Msg::Topic(kind, has_steps));
        }
        // A site's own type (the worker wrote its button) has no guide:
        // the form, on that type.
        dispatch(inner, Msg::Show(View::Contact));
        return inner.borrow().controls.kind.set_value(&name);
    }
    let msg = match data_of(event, "data-act").as_deref() {
        Some("close") => return inner.borrow().post_to_host("close", None),
        Some("home") => Msg::Show(View::Home),
        Some("contact") => Msg::Show(View::Contact),
        Some("tickets") => Msg::Show(View::Tickets),
        Some("fixed") => Msg::GuideEnded(Outcome::Fixed),
        Some("need") => Msg::GuideEnded(Outcome::NeedHelp),
        _ => return,
    };
    dispatch(inner, msg);
}

/// The `data-*` value of the closest element (from an event's target) that has it.
fn data_of(event: &web_sys::Event, name: &str) -> Option<String> {
    let target: Element = event.target()?.dyn_into().ok()?;
    let mut selector = String::from("[");
    selector.push_str(name);
    selector.push(']');
    target.closest(&selector).ok()??.get_attribute(name)
}

/// Handles a checked message from the host page.
fn from_host(inner: &Rc<RefCell<Inner>>, data: &JsValue) {
    let kind = field_of(data, "type").unwrap_or_default();
    match kind.as_str() {
        "close" => inner.borrow().signal(Some(false)),
        "identify" | "logout" => vouch(inner, data),
        "open" => {
            let inline = field_of(data, "inline").as_deref() == Some("1");
            {
                let mut panel = inner.borrow_mut();
                panel.host_url = field_of(data, "url");
                // The host page's URL and title go with a ticket (the form module's).
                protocol::keep(&panel.root, data);
                panel.refresh_list();
            }
            let panel = inner.borrow();
            if inline {
                go_inline(&panel);
            }
            // A phone's panel fills the screen: a modal dialog that keeps
            // focus; on a desktop it leaves the host page reachable.
            let modal = if field_of(data, "modal").as_deref() == Some("1") { "true" } else { "false" };
            if let Ok(Some(dialog)) = panel.title.closest(".panel") {
                let _ = dialog.set_attribute("aria-modal", modal);
            }
            panel.signal(Some(true));
            // Inline, the panel is part of the host's page: focus stays there.
            if !inline {
                focus(&panel.entry());
            }
            // A User Timing mark: the panel is interactive (the benchmarks read it).
            if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
                let _ = performance.mark("buoy:interactive");
            }
        }
        // The host's colour scheme wins over the browser's (app.css reads
        // only light and dark).
        "scheme" => set_root("data-scheme", &field_of(data, "scheme").unwrap_or_default()),
        "navigate" => {
            let arg = field_of(data, "arg").unwrap_or_default();
            let view = match field_of(data, "view").as_deref() {
                Some("article") => View::Article(arg),
                Some("contact") => View::Contact,
                Some("tickets") => View::Tickets,
                _ => {
                    inner.borrow().help.search.set_value(&arg);
                    View::Home
                }
            };
            dispatch(inner, Msg::Show(view));
        }
        "suggest" => {
            let items = Reflect::get(data, &"items".into()).ok().and_then(|v| v.dyn_into::<js_sys::Array>().ok());
            let mut panel = inner.borrow_mut();
            panel.suggest = items.map(|a| a.iter().filter_map(|v| v.as_string()).take(20).collect()).unwrap_or_default();
            panel.refresh_list();
        }
        "prefill" => {
            let panel = inner.borrow();
            let c = &panel.controls;
            if let Some(subject) = field_of(data, "subject").filter(|s| !s.is_empty()) {
                c.subject.set_value(&subject);
            }
            if let Some(body) = field_of(data, "body").filter(|s| !s.is_empty()) {
                c.message.set_value(&body);
            }
            // The select takes only the types its site offers.
            if let Some(kind) = field_of(data, "kind").filter(|k| !k.is_empty()) {
                c.kind.set_value(&kind);
            }
            // The site's own fields are the form module's.
            protocol::keep(&panel.root, data);
        }
        // The form module's: the panel keeps it on its root.
        "context" => protocol::keep(&inner.borrow().root, data),
        _ => {}
    }
}

/// Sets an attribute of the page's root, which app.css reads.
fn set_root(name: &str, value: &str) {
    if let Some(html) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = html.set_attribute(name, value);
    }
}

/// Inline in a host element (the loader's `open` says `inline: '1'`):
/// the page takes its content's height (app.css, under `data-inline`,
/// which holds the host's origin the panel checked), and the inline
/// module (`www/widget/inline.js`) tells the host each change of it.
fn go_inline(panel: &Inner) {
    if let Some(origin) = &panel.host_origin {
        set_root("data-inline", origin);
        protocol::load(&panel.root, Module::Inline);
    }
}

/// Brings the panel in `root` (which holds the markup of
/// `buoy_shared::panel::skeleton`) to life for `site`, talking to a host
/// page on `host_origin` (none when the panel is not embedded).
///
/// # Errors
/// When the browser refuses to create an element or a listener.
pub fn mount(root: &Element, site: &str, host_origin: Option<String>) -> Result<Panel, JsValue> {
    let inner = Rc::new(RefCell::new(build(root, site, host_origin)?));
    let i = inner.borrow();
    // One closure for both events: one listener's code in the wasm.
    let intended = |inner: &Rc<RefCell<Inner>>, event: web_sys::Event| intent(inner, &event);
    let mut listeners = vec![
        // The form module sends the form: the browser never does, and a
        // submit before that module runs is marked for it.
        Listener::owned(&inner, &i.form, "submit", |inner, event| {
            event.prevent_default();
            protocol::mark_submit(&inner.borrow().form);
        })?,
        // The form module says where the form is: its form or its
        // confirmation shows (the panel's own signal finds it borrowed).
        Listener::owned(&inner, root, protocol::CHANGE_EVENT, |inner, _| {
            if let Ok(panel) = inner.try_borrow() {
                panel.render();
            }
        })?,
        // Intent to write (a pointer on or focus in what opens the form):
        // the form module loads ahead of the click.
        Listener::owned(&inner, root, "pointerover", intended)?,
        Listener::owned(&inner, root, "focusin", intended)?,
        // Typing in the search box: suggestions, or the help module's
        // results. Typing anywhere else is the requester's first
        // interaction: it loads the inbox module, which keeps drafts (and
        // is told so, to store what came first).
        Listener::owned(&inner, root, "input", |inner, event| {
            let panel = inner.borrow();
            if event.target().as_ref() != Some(panel.help.search.as_ref()) {
                return protocol::tell_typed(&panel.root);
            }
            panel.refresh_list();
        })?,
        // One listener for every button and link of the panel, by data attribute.
        Listener::owned(&inner, root, "click", |inner, event| clicked(inner, &event))?,
        Listener::owned(&inner, root, "keydown", |inner, event| {
            let Some(key) = event.dyn_ref::<KeyboardEvent>() else {
                return;
            };
            let panel = inner.borrow();
            match key.key().as_str() {
                "Escape" => panel.post_to_host("close", None),
                "Tab" => {
                    // Keep focus inside the dialog while it is open as a modal one.
                    let modal = panel.title.closest("[aria-modal=true]").ok().flatten().is_some();
                    if !modal {
                        return;
                    }
                    let controls = panel.focusable();
                    let (Some(first), Some(last)) = (controls.first(), controls.last()) else { return };
                    let active = doc_active();
                    let at = |el: &web_sys::HtmlElement| active.as_ref().is_some_and(|a| a == el.as_ref());
                    if key.shift_key() && at(first) {
                        key.prevent_default();
                        focus(last);
                    } else if !key.shift_key() && at(last) {
                        key.prevent_default();
                        focus(first);
                    }
                }
                _ => {}
            }
        })?,
    ];
    drop(i);
    if let Some(window) = web_sys::window() {
        // The on-screen keyboard shrinks the panel (the loader follows the
        // visual viewport): the field being typed in stays in view, above
        // the sticky send button (the scroll padding of app.css).
        listeners.push(Listener::owned(&inner, &window, "resize", |_, _| {
            if let Some(field) = doc_active().filter(|a| matches!(a.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")) {
                field.scroll_into_view_with_bool(false);
            }
        })?);
        listeners.push(Listener::owned(&inner, &window, "message", |inner, event| {
            let Some(event) = event.dyn_ref::<MessageEvent>() else {
                return;
            };
            let from_parent =
                web_sys::window().and_then(|w| w.parent().ok().flatten()).zip(event.source()).is_some_and(|(p, s)| Object::is(&p, &s));
            let host = inner.borrow().host_origin.as_deref() == Some(event.origin().as_str());
            let data = event.data();
            let shaped = Reflect::get(&data, &"buoy".into()).ok().and_then(|v| v.as_f64()) == Some(1.0);
            if from_parent && host && shaped {
                from_host(inner, &data);
            }
        })?);
    }
    inner.borrow().render();
    // A requester with tickets (or a draft) gets the inbox (its unread count) at once.
    if store::has_tickets(site) {
        protocol::load(root, Module::Inbox);
    }
    Ok(Panel { inner, _listeners: listeners })
}

fn doc_active() -> Option<Element> {
    web_sys::window()?.document()?.active_element()
}

impl Panel {
    /// A snapshot of the panel's state, for tests.
    pub fn state(&self) -> State {
        self.inner.borrow().state.clone()
    }

    /// Gives the panel the guided fixes per ticket type (they come with the
    /// page, so topics work before the search index arrives).
    pub fn set_guides(&self, guides: Vec<(TicketType, Vec<String>)>) {
        self.inner.borrow_mut().guides = guides;
    }
}

/// The page's data block: the knowledge base's articles (`docs`: `[id,
/// title, [patterns]]` each) and the guides.
fn page_data(data: &JsValue) -> (Vec<Doc>, Vec<(TicketType, Vec<String>)>) {
    let listed = Reflect::get(data, &"docs".into()).ok().and_then(|d| d.dyn_into::<js_sys::Array>().ok()).unwrap_or_default();
    let docs = listed
        .iter()
        .filter_map(|doc| {
            let doc: js_sys::Array = doc.dyn_into().ok()?;
            Some(Doc { id: doc.get(0).as_string()?, title: doc.get(1).as_string()?, suggest_on: strings(doc.get(2)) })
        })
        .collect();
    let mut guides = Vec::new();
    if let Ok(map) = Reflect::get(data, &"guides".into()) {
        for kind in offered_types() {
            let steps = Reflect::get(&map, &JsValue::from_str(kind.as_str())).unwrap_or(JsValue::NULL);
            if steps.is_object() {
                guides.push((kind.clone(), strings(steps)));
            }
        }
    }
    (docs, guides)
}

thread_local! {
    static PANEL: RefCell<Option<Panel>> = const { RefCell::new(None) };
}

/// Runs when the wasm loads on the widget page (`/widget/{site}/`,
/// element `#buoy`); does nothing on any other page.
#[wasm_bindgen(start)]
pub fn start() -> Result<(), JsValue> {
    let Some((doc, root, site, host_origin)) = page()? else { return Ok(()) };
    // The catalog comes with the page data (parsed once): read it before drawing.
    let data = page_json(&doc).unwrap_or(JsValue::NULL);
    read_catalog(&data);
    let (docs, guides) = page_data(&data);
    let panel = mount(&root, &site, host_origin)?;
    // The page's language, which the loader may not have picked (the
    // site's default): it names the launcher and docks it by it.
    panel.inner.borrow().post_to_host("ready", Some(("lang", &buoy_widget_core::page::lang())));
    panel.set_guides(guides);
    {
        let mut inner = panel.inner.borrow_mut();
        inner.docs = docs;
        // An embedded panel draws its suggestions when the host opens it
        // (they follow the host page's URL); a preload draws nothing twice.
        if inner.host_origin.is_none() {
            inner.refresh_list();
        }
    }
    PANEL.with(|slot| *slot.borrow_mut() = Some(panel));
    // Its buttons answer from now on (the build wrote `data-starting`).
    root.remove_attribute("data-starting")
}

/// The panel's one part of a verified user's history (the inbox module
/// keeps it): passes the host's `identify` or `logout` message on to the
/// inbox module (and the form module, which sends the identity with a
/// ticket), loading the inbox for a signed identity. The inbox lists the
/// user's tickets from other devices once the panel opens, and forgets
/// them at logout.
fn vouch(inner: &Rc<RefCell<Inner>>, data: &JsValue) {
    let panel = inner.borrow();
    protocol::tell_who(&panel.root, data);
    if field_of(data, "type").as_deref() == Some("identify") && claim_of(data).is_signed() {
        protocol::load(&panel.root, Module::Inbox);
    }
    panel.signal(None);
}

/// A pointer on or focus in what opens the form (a "Send us a message"
/// button, a topic, "I still need help"): its module loads now.
fn intent(inner: &Rc<RefCell<Inner>>, event: &web_sys::Event) {
    let target = event.target().and_then(|t| t.dyn_into::<Element>().ok());
    if target.and_then(|t| t.closest("[data-act=contact],[data-kind],[data-act=need]").ok().flatten()).is_some() {
        protocol::load(&inner.borrow().root, Module::Form);
    }
}
